// Loaded recognizers kept for reuse: a pocketsphinx decoder takes ~0.3 s to
// load, so the server loads `warm` of them at start and hands them out per
// request; a lease returns its recognizer when it goes, reset(), so that a
// request's result does not depend on which requests the recognizer served
// before (a cancel is cleared by the next start()).
//
// Thread contract: acquire() and the leases' destructors are safe from any
// thread. The model must outlive the pool and every lease.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "voice/asr/speech_recognizer.h"

namespace r1::voice {

class RecognizerPool {
 public:
  struct Deleter {
    RecognizerPool* pool;
    void operator()(SpeechRecognizer* r) const;
  };
  using Lease = std::unique_ptr<SpeechRecognizer, Deleter>;

  // Loads `warm` recognizers now; keeps at most `max_idle` returned ones.
  static Result<std::unique_ptr<RecognizerPool>> create(const RecognizerModel& model, int warm, int max_idle);

  // An idle recognizer, or a newly loaded one when none is idle.
  Result<Lease> acquire();
  const RecognizerInfo& info() const { return model_.info(); }
  size_t idle() const;

 private:
  RecognizerPool(const RecognizerModel& model, int max_idle) : model_(model), max_idle_(max_idle) {}
  void give_back(SpeechRecognizer* r);

  const RecognizerModel& model_;
  const int max_idle_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<SpeechRecognizer>> idle_;
};

}  // namespace r1::voice
