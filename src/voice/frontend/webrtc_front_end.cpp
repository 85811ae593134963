#include "voice/frontend/webrtc_front_end.h"

#include <algorithm>
#include <string>


#include "voice/frontend/apm_frame.h"

namespace r1::voice {
namespace {

Status apm_status(int rc, const char* what) {
  if (rc == webrtc::AudioProcessing::kNoError) return {};
  return make_error(ErrorCode::kInternal, std::string("webrtc apm: ") + what + " failed (" +
                                              std::to_string(rc) + ")");
}

webrtc::NoiseSuppression::Level ns_level(NsLevel level) {
  switch (level) {
    case NsLevel::kLow: return webrtc::NoiseSuppression::kLow;
    case NsLevel::kHigh: return webrtc::NoiseSuppression::kHigh;
    case NsLevel::kVeryHigh: return webrtc::NoiseSuppression::kVeryHigh;
    default: return webrtc::NoiseSuppression::kModerate;
  }
}

webrtc::EchoCancellation::SuppressionLevel aec_level(AecLevel level) {
  switch (level) {
    case AecLevel::kModerate: return webrtc::EchoCancellation::kModerateSuppression;
    case AecLevel::kHigh: return webrtc::EchoCancellation::kHighSuppression;
    default: return webrtc::EchoCancellation::kLowSuppression;
  }
}

}  // namespace

WebRtcFrontEnd::WebRtcFrontEnd(const FrontEndConfig& config)
    : config_(config), delay_ms_(config.stream_delay_ms) {}

WebRtcFrontEnd::~WebRtcFrontEnd() = default;

Result<std::unique_ptr<WebRtcFrontEnd>> WebRtcFrontEnd::create(const FrontEndConfig& config) {
  if (config.agc_target_dbfs < 0 || config.agc_target_dbfs > 31) {
    return make_error(ErrorCode::kInvalidArgument, "front end: agc target must be 0..31 dBFS");
  }
  if (config.stream_delay_ms < 0 || config.stream_delay_ms > 500) {
    return make_error(ErrorCode::kInvalidArgument, "front end: stream delay must be 0..500 ms");
  }
  std::unique_ptr<WebRtcFrontEnd> fe(new WebRtcFrontEnd(config));
  R1_RETURN_IF_ERROR(fe->configure());
  return fe;
}

Status WebRtcFrontEnd::configure() {
  webrtc::Config extra;
  extra.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(config_.extended_filter));
  extra.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(config_.delay_agnostic));
  // The "experimental" AGC is an analog-volume controller for a real
  // microphone: there is none here, only the digital stage.
  extra.Set<webrtc::ExperimentalAgc>(new webrtc::ExperimentalAgc(false));
  apm_.reset(webrtc::AudioProcessing::Create(extra));
  if (!apm_) return make_error(ErrorCode::kInternal, "webrtc apm: create failed");
  R1_RETURN_IF_ERROR(apm_status(apm_->high_pass_filter()->Enable(config_.high_pass), "hpf"));
  const bool ns = config_.noise_suppression != NsLevel::kOff;
  if (ns) {
    R1_RETURN_IF_ERROR(apm_status(apm_->noise_suppression()->set_level(ns_level(config_.noise_suppression)), "ns level"));
  }
  R1_RETURN_IF_ERROR(apm_status(apm_->noise_suppression()->Enable(ns), "ns"));
  if (config_.gain_control) {
    webrtc::GainControl* agc = apm_->gain_control();
    R1_RETURN_IF_ERROR(apm_status(agc->set_mode(webrtc::GainControl::kAdaptiveDigital), "agc mode"));
    R1_RETURN_IF_ERROR(apm_status(agc->set_target_level_dbfs(config_.agc_target_dbfs), "agc target"));
  }
  R1_RETURN_IF_ERROR(apm_status(apm_->gain_control()->Enable(config_.gain_control), "agc"));
  const bool aec = config_.echo_cancellation != AecLevel::kOff;
  if (aec) {
    R1_RETURN_IF_ERROR(apm_status(apm_->echo_cancellation()->set_suppression_level(aec_level(config_.echo_cancellation)), "aec level"));
  }
  R1_RETURN_IF_ERROR(apm_status(apm_->echo_cancellation()->Enable(aec), "aec"));
  return {};
}

Status WebRtcFrontEnd::process_capture(std::span<int16_t, kFrameSamples> samples) {
  webrtc::AudioFrame frame;
  fill_apm_frame(frame, samples);
  if (config_.echo_cancellation != AecLevel::kOff) {
    R1_RETURN_IF_ERROR(apm_status(apm_->set_stream_delay_ms(delay_ms_), "stream delay"));
  }
  R1_RETURN_IF_ERROR(apm_status(apm_->ProcessStream(&frame), "process stream"));
  std::copy(frame.data_, frame.data_ + kFrameSamples, samples.begin());
  return {};
}

Status WebRtcFrontEnd::add_far_end(std::span<const int16_t, kFrameSamples> samples) {
  if (config_.echo_cancellation == AecLevel::kOff) return {};
  webrtc::AudioFrame frame;
  fill_apm_frame(frame, samples);
  return apm_status(apm_->ProcessReverseStream(&frame), "reverse stream");
}

void WebRtcFrontEnd::set_stream_delay_ms(int delay_ms) {
  delay_ms_ = std::clamp(delay_ms, 0, 500);
}

}  // namespace r1::voice
