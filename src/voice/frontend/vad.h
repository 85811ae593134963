// Voice activity detection: WebRTC's VAD (through APM 0.3's VoiceDetection)
// and an energy gate decide per 10 ms frame; a start run, a hangover and a
// pre-roll turn the verdicts into speech-start and speech-end events with
// timestamps on the stream's own clock (samples fed / 16).
//
//   frame verdict  = webrtc_voice(frame) && rms_dbfs(frame) >= energy_gate
//   speech starts  after start_ms of voiced frames in a row; the event's time
//                  is the first of them, and the pre-roll (preroll_ms before
//                  it, plus the run) is kept for the recognizer
//   speech ends    after hangover_ms of unvoiced frames in a row; the event's
//                  time is the end of the last voiced frame (so it is
//                  emitted hangover_ms late: the detection delay)
//
// Thread contract: one instance per stream, used from one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "core/result.h"
#include "voice/audio/pcm.h"

namespace webrtc {
class AudioProcessing;
}

namespace r1::voice {

// WebRTC's aggressiveness, least to most ready to call a frame unvoiced.
enum class VadLikelihood { kVeryLow, kLow, kModerate, kHigh };

struct VadConfig {
  VadLikelihood likelihood = VadLikelihood::kModerate;
  double energy_gate_dbfs = -55.0;  // quieter frames are silence whatever WebRTC says
  int start_ms = 60;                // voiced run that opens speech
  int hangover_ms = 300;            // unvoiced run that closes it
  int preroll_ms = 200;             // audio kept from before the start
};

enum class VadEventType { kSpeechStart, kSpeechEnd };

struct VadEvent {
  VadEventType type = VadEventType::kSpeechStart;
  int64_t at_ms = 0;  // stream time of the start / end of speech
};

struct VadStep {
  bool voiced = false;     // this frame's verdict
  bool in_speech = false;  // state after this frame
  std::optional<VadEvent> event;
};

class VoiceActivityDetector {
 public:
  static Result<std::unique_ptr<VoiceActivityDetector>> create(const VadConfig& config);
  ~VoiceActivityDetector();

  VadStep feed(Frame frame);
  // At a speech start: the pre-roll and the frames of the start run, oldest
  // first (the audio the recognizer should see before the next frame). Empty
  // afterwards until the next start.
  std::vector<int16_t> take_preroll();
  // Ends the stream: a speech still open ends at its last voiced frame.
  std::optional<VadEvent> flush();
  int64_t now_ms() const { return frames_ * kFrameMs; }
  bool in_speech() const { return in_speech_; }

 private:
  explicit VoiceActivityDetector(const VadConfig& config);
  bool webrtc_voiced(Frame frame);

  const VadConfig config_;
  std::unique_ptr<webrtc::AudioProcessing> apm_;
  std::deque<int16_t> history_;  // last preroll + start run, while not in speech
  std::vector<int16_t> preroll_;
  int64_t frames_ = 0;
  int voiced_run_ = 0;
  int unvoiced_run_ = 0;
  int64_t last_voiced_end_ms_ = 0;
  bool in_speech_ = false;
};

// The RMS level of a frame in dBFS (-inf for digital silence: -120 here).
double frame_dbfs(Frame frame);

}  // namespace r1::voice
