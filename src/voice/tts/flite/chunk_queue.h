// ChunkQueue: hands audio from a synthesis worker thread to the thread that
// called synthesize(), which feeds the AudioSink. It is what lets a cancel
// return at once (the caller stops waiting; the worker sees stopped() at its
// next check and winds down on its own) and lets the worker synthesize the
// next clause while the sink is busy. Bounded: a worker more than
// max_samples ahead of the sink waits.
//
// Thread contract: one producer thread (push, finish) and one consumer
// thread (drain); both hold it through a shared_ptr, so either may go first.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "core/result.h"
#include "voice/tts/speech_synthesizer.h"

namespace r1::voice {

class ChunkQueue {
 public:
  explicit ChunkQueue(size_t max_samples) : max_samples_(max_samples) {}

  // Producer. Returns false once the consumer stopped (cancel, sink false,
  // gone): the producer should stop synthesizing.
  bool push(std::vector<int16_t> chunk, int sample_rate);
  // Producer: no more chunks; `status` is what drain() returns.
  void finish(Status status);
  bool stopped() const;

  // Consumer: feeds the sink until the producer finishes (its status), the
  // sink returns false (ok) or `cancel` fires (cancelled_error()). It marks
  // the queue stopped on the way out either way.
  Status drain(const AudioSink& sink, const CancelToken& cancel);
  bool finished() const;

 private:
  struct Chunk {
    std::vector<int16_t> samples;
    int sample_rate;
  };
  void stop();

  const size_t max_samples_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Chunk> chunks_;
  size_t queued_ = 0;
  bool stopped_ = false;
  bool finished_ = false;
  Status status_;
};

}  // namespace r1::voice
