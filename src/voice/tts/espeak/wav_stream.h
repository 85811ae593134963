// WavStreamParser: reads a RIFF/WAVE stream incrementally (the output of a
// child process such as espeak-ng --stdout): the header is checked as it
// arrives (PCM, mono, 16-bit, a sane rate, at most kMaxHeaderBytes before
// the samples), then samples are given out as bytes come, an odd byte
// carried to the next feed. A data size of 0 or >= 0x7FFF0000 (what a
// writer that cannot seek puts there) means "until the end of the stream";
// any other size is honoured and bytes past it are ignored.
//
// Thread contract: a value type; one stream, one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"

namespace r1::voice {

class WavStreamParser {
 public:
  static constexpr size_t kMaxHeaderBytes = 4096;

  // Appends the samples in `bytes` to `out`. After an error, every call
  // returns that error.
  Status feed(std::span<const uint8_t> bytes, std::vector<int16_t>& out);
  // The end of the stream: an error if the header never completed.
  Status finish() const;

  bool header_done() const { return header_done_; }
  int sample_rate() const { return sample_rate_; }

 private:
  Status parse_header();  // from head_, once it may be complete
  void take_samples(std::span<const uint8_t> bytes, std::vector<int16_t>& out);

  std::vector<uint8_t> head_;
  bool header_done_ = false;
  bool failed_ = false;
  Error error_;
  int sample_rate_ = 0;
  size_t data_offset_ = 0;    // in head_
  bool bounded_ = false;      // the data size is known
  uint64_t data_left_ = 0;    // bytes, when bounded_
  int carry_ = -1;            // a low byte waiting for its high byte
};

}  // namespace r1::voice
