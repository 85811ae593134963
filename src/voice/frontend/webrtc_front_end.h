// FrontEnd over WebRTC's AudioProcessing module (libwebrtc-audio-processing
// 0.3, Debian): HPF, NS, AGC (adaptive digital) and AEC, 10 ms frames of
// 16 kHz mono. Built by make_front_end() (front_end.h).
//
// Thread contract: as FrontEnd: one instance per stream; process_capture
// on one thread, add_far_end on one (maybe another) thread.
#pragma once

#include <memory>

#include "voice/frontend/front_end.h"

namespace webrtc {
class AudioProcessing;
}

namespace r1::voice {

class WebRtcFrontEnd final : public FrontEnd {
 public:
  static Result<std::unique_ptr<WebRtcFrontEnd>> create(const FrontEndConfig& config);
  ~WebRtcFrontEnd() override;

  Status process_capture(std::span<int16_t, kFrameSamples> frame) override;
  Status add_far_end(std::span<const int16_t, kFrameSamples> frame) override;
  void set_stream_delay_ms(int delay_ms) override;

 private:
  explicit WebRtcFrontEnd(const FrontEndConfig& config);
  Status configure();

  const FrontEndConfig config_;
  std::unique_ptr<webrtc::AudioProcessing> apm_;
  int delay_ms_ = 0;
};

}  // namespace r1::voice
