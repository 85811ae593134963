#include "voice/tts/fake_synthesizer.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <numbers>
#include <string>

#include "voice/tts/synthesis_plan.h"

namespace r1::voice {
namespace {

std::vector<int16_t> tone(std::string_view word, const Piece& p, int rate) {
  uint32_t h = 2166136261u;  // FNV-1a: the same word, the same tone
  for (char c : word) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  const double hz = (200.0 + 50.0 * (h % 8)) * std::exp2(p.pitch / 12.0);
  const size_t on = static_cast<size_t>(0.150 / p.rate * rate);
  const size_t off = static_cast<size_t>(0.050 / p.rate * rate);
  std::vector<int16_t> out(on + off, 0);
  for (size_t i = 0; i < on; ++i) {
    const double v = 8000.0 * p.volume * std::sin(2 * std::numbers::pi * hz * i / rate);
    out[i] = static_cast<int16_t>(std::clamp(std::nearbyint(v), -32768.0, 32767.0));
  }
  return out;
}

// Waits `d` unless cancelled first. false: cancelled.
bool wait_for(std::chrono::milliseconds d, const CancelToken& cancel) {
  if (d.count() <= 0) return !cancel.cancelled();
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_for(lock, cancel.token(), d, [] { return false; });
  return !cancel.cancelled();
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    const size_t b = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\n') ++i;
    if (i > b) out.push_back(text.substr(b, i - b));
  }
  return out;
}

}  // namespace

std::vector<VoiceInfo> FakeSynthesizer::voices() const {
  return {VoiceInfo{"fake", "en-US", "female", options_.sample_rate, "fake"},
          VoiceInfo{"fake-cmn", "cmn", "male", options_.sample_rate, "fake"}};
}

Status FakeSynthesizer::synthesize(std::string_view text, const SynthesisParams& params,
                                   const AudioSink& sink, const CancelToken& cancel) {
  R1_ASSIGN_OR_RETURN(VoiceInfo voice, validate_request(text, params, voices()));
  R1_ASSIGN_OR_RETURN(std::vector<Piece> plan, plan_pieces(text, params, nullptr));
  const int rate = voice.sample_rate;
  for (const Piece& p : plan) {
    for (std::string_view w : words(p.text)) {
      if (!wait_for(options_.word_delay, cancel)) return cancelled_error();
      if (!sink(tone(w, p, rate), rate)) return {};
    }
    if (p.break_ms > 0) {
      if (cancel.cancelled()) return cancelled_error();
      const std::vector<int16_t> gap(static_cast<size_t>(rate) * p.break_ms / 1000, 0);
      if (!sink(gap, rate)) return {};
    }
  }
  return cancel.cancelled() ? Status(cancelled_error()) : Status();
}

}  // namespace r1::voice
