// The acoustic front end: what cleans a capture stream before the VAD and
// the recognizer. Implementations: WebRtcFrontEnd (WebRTC APM 0.3: high-pass
// filter, noise suppression, automatic gain control, echo cancellation
// against a far-end reference) and PassThroughFrontEnd (leaves audio as it
// is: the "front end off" arm of every measurement, and the fake).
//
// Thread contract: one instance per stream. The capture side
// (process_capture) and the far-end side (add_far_end) may run on two
// threads (APM's own contract: the render and capture calls need not share
// a thread); configuration is fixed at construction.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "voice/audio/pcm.h"

namespace r1::voice {

// WebRTC's levels, in its order: kOff disables the stage.
enum class NsLevel { kOff, kLow, kModerate, kHigh, kVeryHigh };
enum class AecLevel { kOff, kLow, kModerate, kHigh };

// Defaults (docs/benchmarks/voice.md): NS at the moderate level cut the
// WER at 20 dB white noise from 78.8% (off) to 42.3% and was the best level
// at 20 dB white and babble, and left clean speech as it was (31.9% vs
// 31.8%, all voices). AGC is off: it was not measured, and pocketsphinx
// normalizes its cepstra itself (CMN), so the level matters little to it.
// AEC is off unless the stream has a far end (the realtime conversation;
// the measurements: AEC low with NS off gave the best double-talk
// WER, 19.6% vs 98.9% raw).
struct FrontEndConfig {
  bool high_pass = true;
  NsLevel noise_suppression = NsLevel::kModerate;
  bool gain_control = false;
  int agc_target_dbfs = 3;      // AGC's target peak level, 0..31 dB below full scale
  AecLevel echo_cancellation = AecLevel::kOff;
  int stream_delay_ms = 0;      // far end played -> heard in the capture
  bool delay_agnostic = true;   // let the AEC estimate the delay itself
  bool extended_filter = true;  // AEC tail for room-size echo paths
};

Result<NsLevel> parse_ns_level(std::string_view text);   // off|low|moderate|high|very_high
Result<AecLevel> parse_aec_level(std::string_view text); // off|low|moderate|high
std::string describe(const FrontEndConfig& config);      // one line, for start-up logs

class FrontEnd {
 public:
  virtual ~FrontEnd() = default;
  // Cleans one 10 ms capture frame (16 kHz mono) in place.
  virtual Status process_capture(std::span<int16_t, kFrameSamples> frame) = 0;
  // One 10 ms frame of what the loudspeaker played (the echo reference).
  virtual Status add_far_end(std::span<const int16_t, kFrameSamples> frame) = 0;
  // Capture-to-render delay now, when the application knows it.
  virtual void set_stream_delay_ms(int delay_ms) = 0;
};

class PassThroughFrontEnd final : public FrontEnd {
 public:
  Status process_capture(std::span<int16_t, kFrameSamples>) override { return {}; }
  Status add_far_end(std::span<const int16_t, kFrameSamples>) override { return {}; }
  void set_stream_delay_ms(int) override {}
};

// PassThroughFrontEnd when every stage is off, WebRtcFrontEnd otherwise.
Result<std::unique_ptr<FrontEnd>> make_front_end(const FrontEndConfig& config);

// Runs a whole 16 kHz recording through a fresh front end (no far end).
Result<Pcm16> clean_recording(const Pcm16& audio, const FrontEndConfig& config);

}  // namespace r1::voice
