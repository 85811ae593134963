#include "voice/tts/speech_synthesizer.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace r1::voice {
namespace {

constexpr const char kCancelledMessage[] = "synthesis cancelled";

Status check_range(const char* what, double v, double lo, double hi) {
  if (std::isfinite(v) && v >= lo && v <= hi) return {};
  return make_error(ErrorCode::kInvalidArgument,
                    std::string(what) + " " + std::to_string(v) + " is outside " +
                        std::to_string(lo) + ".." + std::to_string(hi));
}

bool blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) <= ' '; });
}

std::string some_names(const std::vector<VoiceInfo>& voices) {
  std::string names;
  for (size_t i = 0; i < voices.size() && i < 12; ++i) names += (i ? ", " : "") + voices[i].name;
  if (voices.size() > 12) names += ", ... (" + std::to_string(voices.size()) + " in all)";
  return names;
}

}  // namespace

Error cancelled_error() { return make_error(ErrorCode::kUnavailable, kCancelledMessage); }

bool is_cancelled(const Error& error) {
  return error.code == ErrorCode::kUnavailable && error.message == kCancelledMessage;
}

Result<VoiceInfo> validate_request(std::string_view text, const SynthesisParams& params,
                                   const std::vector<VoiceInfo>& voices) {
  if (text.size() > params.max_text_bytes) {
    return make_error(ErrorCode::kInvalidArgument,
                      "input is " + std::to_string(text.size()) + " bytes, over the limit of " +
                          std::to_string(params.max_text_bytes));
  }
  if (blank(text)) return make_error(ErrorCode::kInvalidArgument, "input is empty");
  R1_RETURN_IF_ERROR(check_range("rate", params.rate, kMinRate, kMaxRate));
  R1_RETURN_IF_ERROR(check_range("pitch", params.pitch, kMinPitch, kMaxPitch));
  R1_RETURN_IF_ERROR(check_range("volume", params.volume, kMinVolume, kMaxVolume));
  if (voices.empty()) return make_error(ErrorCode::kUnavailable, "no voices available");
  if (params.voice.empty()) return voices.front();
  for (const VoiceInfo& v : voices) {
    if (v.name == params.voice) return v;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown voice '" + params.voice + "' (voices: " + some_names(voices) + ")");
}

Result<Pcm16> synthesize_all(SpeechSynthesizer& synth, std::string_view text,
                             const SynthesisParams& params) {
  Pcm16 pcm;
  pcm.sample_rate = 0;
  const AudioSink sink = [&pcm](std::span<const int16_t> samples, int rate) {
    pcm.sample_rate = rate;
    pcm.samples.insert(pcm.samples.end(), samples.begin(), samples.end());
    return true;
  };
  R1_RETURN_IF_ERROR(synth.synthesize(text, params, sink, CancelToken()));
  if (pcm.sample_rate == 0) {
    R1_ASSIGN_OR_RETURN(VoiceInfo v, validate_request(text, params, synth.voices()));
    pcm.sample_rate = v.sample_rate;
  }
  return pcm;
}

void apply_gain(std::span<const int16_t> in, double gain, std::vector<int16_t>& out) {
  out.resize(in.size());
  if (gain == 1.0) {
    std::copy(in.begin(), in.end(), out.begin());
    return;
  }
  for (size_t i = 0; i < in.size(); ++i) {
    const double v = std::nearbyint(in[i] * gain);
    out[i] = static_cast<int16_t>(std::clamp(v, -32768.0, 32767.0));
  }
}

}  // namespace r1::voice
