#include "voice/frontend/vad.h"

#include <algorithm>
#include <cmath>

#include "voice/frontend/apm_frame.h"

namespace r1::voice {
namespace {

webrtc::VoiceDetection::Likelihood likelihood(VadLikelihood l) {
  switch (l) {
    case VadLikelihood::kVeryLow: return webrtc::VoiceDetection::kVeryLowLikelihood;
    case VadLikelihood::kLow: return webrtc::VoiceDetection::kLowLikelihood;
    case VadLikelihood::kHigh: return webrtc::VoiceDetection::kHighLikelihood;
    default: return webrtc::VoiceDetection::kModerateLikelihood;
  }
}

int frames_of(int ms) { return std::max(1, ms / kFrameMs); }

}  // namespace

double frame_dbfs(Frame frame) {
  double sum = 0;
  for (int16_t s : frame) sum += static_cast<double>(s) * s;
  const double rms = std::sqrt(sum / kFrameSamples) / 32768.0;
  return rms > 1e-6 ? 20.0 * std::log10(rms) : -120.0;
}

VoiceActivityDetector::VoiceActivityDetector(const VadConfig& config) : config_(config) {}
VoiceActivityDetector::~VoiceActivityDetector() = default;

Result<std::unique_ptr<VoiceActivityDetector>> VoiceActivityDetector::create(const VadConfig& config) {
  if (config.start_ms < kFrameMs || config.start_ms > 1000 || config.hangover_ms < kFrameMs ||
      config.hangover_ms > 5000 || config.preroll_ms < 0 || config.preroll_ms > 2000) {
    return make_error(ErrorCode::kInvalidArgument,
                      "vad: start 10..1000 ms, hangover 10..5000 ms, pre-roll 0..2000 ms");
  }
  std::unique_ptr<VoiceActivityDetector> vad(new VoiceActivityDetector(config));
  vad->apm_.reset(webrtc::AudioProcessing::Create());
  if (!vad->apm_) return make_error(ErrorCode::kInternal, "vad: webrtc apm create failed");
  webrtc::VoiceDetection* vd = vad->apm_->voice_detection();
  if (vd->set_frame_size_ms(kFrameMs) != 0 || vd->set_likelihood(likelihood(config.likelihood)) != 0 ||
      vd->Enable(true) != 0) {
    return make_error(ErrorCode::kInternal, "vad: webrtc voice detection setup failed");
  }
  return vad;
}

bool VoiceActivityDetector::webrtc_voiced(Frame samples) {
  webrtc::AudioFrame frame;
  fill_apm_frame(frame, samples);
  if (apm_->ProcessStream(&frame) != webrtc::AudioProcessing::kNoError) return false;
  return apm_->voice_detection()->stream_has_voice();
}

VadStep VoiceActivityDetector::feed(Frame frame) {
  VadStep step;
  const bool loud = frame_dbfs(frame) >= config_.energy_gate_dbfs;
  step.voiced = webrtc_voiced(frame) && loud;  // WebRTC always runs: it keeps its own state
  ++frames_;
  if (!in_speech_) {
    history_.insert(history_.end(), frame.begin(), frame.end());
    const size_t keep = static_cast<size_t>(frames_of(config_.preroll_ms) + frames_of(config_.start_ms)) * kFrameSamples;
    while (history_.size() > keep) history_.erase(history_.begin(), history_.begin() + kFrameSamples);
    voiced_run_ = step.voiced ? voiced_run_ + 1 : 0;
    if (voiced_run_ >= frames_of(config_.start_ms)) {
      in_speech_ = true;
      unvoiced_run_ = 0;
      last_voiced_end_ms_ = now_ms();
      preroll_.assign(history_.begin(), history_.end());
      history_.clear();
      step.event = VadEvent{VadEventType::kSpeechStart, now_ms() - voiced_run_ * kFrameMs};
    }
  } else if (step.voiced) {
    unvoiced_run_ = 0;
    last_voiced_end_ms_ = now_ms();
  } else if (++unvoiced_run_ >= frames_of(config_.hangover_ms)) {
    in_speech_ = false;
    voiced_run_ = 0;
    step.event = VadEvent{VadEventType::kSpeechEnd, last_voiced_end_ms_};
  }
  step.in_speech = in_speech_;
  return step;
}

std::vector<int16_t> VoiceActivityDetector::take_preroll() { return std::exchange(preroll_, {}); }

std::optional<VadEvent> VoiceActivityDetector::flush() {
  if (!in_speech_) return std::nullopt;
  in_speech_ = false;
  voiced_run_ = unvoiced_run_ = 0;
  return VadEvent{VadEventType::kSpeechEnd, last_voiced_end_ms_};
}

}  // namespace r1::voice
