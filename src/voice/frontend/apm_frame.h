// Internal to frontend/: WebRTC APM 0.3's headers (not -Wextra clean, so
// included here once with the warnings they trip silenced) and the one way
// a 10 ms working-format frame becomes an APM AudioFrame.
//
// Thread contract: a pure function.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <webrtc/common.h>
#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>
#pragma GCC diagnostic pop

#include "voice/audio/pcm.h"

namespace r1::voice {

inline void fill_apm_frame(webrtc::AudioFrame& frame, std::span<const int16_t, kFrameSamples> samples) {
  frame.sample_rate_hz_ = kWorkRate;
  frame.num_channels_ = 1;
  frame.samples_per_channel_ = kFrameSamples;
  std::copy(samples.begin(), samples.end(), frame.data_);
}

}  // namespace r1::voice
