// SilenceTrim: shortens the silence a synthesizer puts at the start of an
// utterance (flite: ~200 ms of "pau") and, when asked, at its end, to at
// most `pad` samples, as the audio streams through (no look-ahead beyond
// the silence itself).
//
// Thread contract: a value type; one per utterance, one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace r1::voice {

class SilenceTrim {
 public:
  static constexpr int kThreshold = 300;  // |sample| below this is silence (~ -40 dBFS)

  SilenceTrim(size_t pad, bool trim_lead, bool trim_tail)
      : pad_(pad), lead_(trim_lead), tail_(trim_tail) {}

  // Appends to `out` what can be emitted after `in`.
  void feed(std::span<const int16_t> in, std::vector<int16_t>& out);
  // End of the utterance: appends what is left.
  void finish(std::vector<int16_t>& out);

 private:
  void feed_body(std::span<const int16_t> in, std::vector<int16_t>& out);

  size_t pad_;
  bool lead_;  // still inside the leading silence
  bool tail_;
  std::vector<int16_t> held_;
};

}  // namespace r1::voice
