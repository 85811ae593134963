#include "voice/frontend/front_end.h"

#include <algorithm>
#include <array>

#include "core/enum_names.h"
#include "voice/frontend/webrtc_front_end.h"

namespace r1::voice {
namespace {

constexpr EnumName<NsLevel> kNsLevels[] = {{NsLevel::kOff, "off"},
                                           {NsLevel::kLow, "low"},
                                           {NsLevel::kModerate, "moderate"},
                                           {NsLevel::kHigh, "high"},
                                           {NsLevel::kVeryHigh, "very_high"}};
constexpr EnumName<AecLevel> kAecLevels[] = {{AecLevel::kOff, "off"},
                                             {AecLevel::kLow, "low"},
                                             {AecLevel::kModerate, "moderate"},
                                             {AecLevel::kHigh, "high"}};

template <typename E, size_t N>
Result<E> parse_level(const EnumName<E> (&table)[N], std::string_view text, const char* what) {
  if (const auto v = enum_from_name(table, text)) return *v;
  std::string names;
  for (const auto& e : table) names += std::string(names.empty() ? "" : ", ") + e.name;
  return make_error(ErrorCode::kInvalidArgument,
                    std::string(what) + " level '" + std::string(text.substr(0, 32)) + "' is not one of " + names);
}

}  // namespace

Result<NsLevel> parse_ns_level(std::string_view text) { return parse_level(kNsLevels, text, "noise suppression"); }
Result<AecLevel> parse_aec_level(std::string_view text) { return parse_level(kAecLevels, text, "echo cancellation"); }

std::string describe(const FrontEndConfig& c) {
  std::string s = std::string("hpf=") + (c.high_pass ? "on" : "off") +
                  " ns=" + enum_name(kNsLevels, c.noise_suppression) +
                  " agc=" + (c.gain_control ? "on(-" + std::to_string(c.agc_target_dbfs) + " dBFS)" : "off") +
                  " aec=" + enum_name(kAecLevels, c.echo_cancellation);
  if (c.echo_cancellation != AecLevel::kOff) {
    s += " delay=" + std::to_string(c.stream_delay_ms) + "ms" + (c.delay_agnostic ? "(agnostic)" : "");
  }
  return s;
}

Result<std::unique_ptr<FrontEnd>> make_front_end(const FrontEndConfig& config) {
  const bool any = config.high_pass || config.noise_suppression != NsLevel::kOff ||
                   config.gain_control || config.echo_cancellation != AecLevel::kOff;
  if (!any) return std::unique_ptr<FrontEnd>(new PassThroughFrontEnd());
  R1_ASSIGN_OR_RETURN(std::unique_ptr<WebRtcFrontEnd> fe, WebRtcFrontEnd::create(config));
  return std::unique_ptr<FrontEnd>(std::move(fe));
}

Result<Pcm16> clean_recording(const Pcm16& audio, const FrontEndConfig& config) {
  if (audio.sample_rate != kWorkRate) {
    return make_error(ErrorCode::kInvalidArgument, "front end: audio must be 16 kHz");
  }
  R1_ASSIGN_OR_RETURN(std::unique_ptr<FrontEnd> fe, make_front_end(config));
  Pcm16 out{kWorkRate, audio.samples};
  const size_t whole = out.samples.size() / kFrameSamples * kFrameSamples;
  for (size_t i = 0; i < whole; i += kFrameSamples) {
    R1_RETURN_IF_ERROR(fe->process_capture(std::span<int16_t, kFrameSamples>(out.samples.data() + i, kFrameSamples)));
  }
  if (whole < out.samples.size()) {  // the last partial frame, zero padded
    std::array<int16_t, kFrameSamples> last{};
    std::copy(out.samples.begin() + whole, out.samples.end(), last.begin());
    R1_RETURN_IF_ERROR(fe->process_capture(last));
    std::copy(last.begin(), last.begin() + (out.samples.size() - whole), out.samples.begin() + whole);
  }
  return out;
}

}  // namespace r1::voice
