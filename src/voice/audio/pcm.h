// The voice library's audio value: mono 16-bit PCM at a stated rate, and
// the working format every recognizer stage takes (16 kHz, 10 ms frames).
//
// Thread contract: value types; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace r1::voice {

inline constexpr int kWorkRate = 16000;                     // Hz, recognizer input
inline constexpr int kFrameMs = 10;                         // APM / VAD frame
inline constexpr int kFrameSamples = kWorkRate * kFrameMs / 1000;  // 160

// Mono PCM16. samples.size() / sample_rate seconds long.
struct Pcm16 {
  int sample_rate = kWorkRate;
  std::vector<int16_t> samples;

  double seconds() const {
    return sample_rate > 0 ? static_cast<double>(samples.size()) / sample_rate : 0.0;
  }
};

// One 10 ms frame of the working format.
using Frame = std::span<const int16_t, kFrameSamples>;

}  // namespace r1::voice
