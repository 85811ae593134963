#include "voice/asr/recognizer_pool.h"

namespace r1::voice {

void RecognizerPool::Deleter::operator()(SpeechRecognizer* r) const { pool->give_back(r); }

Result<std::unique_ptr<RecognizerPool>> RecognizerPool::create(const RecognizerModel& model, int warm,
                                                               int max_idle) {
  if (warm < 0 || max_idle < 0 || warm > max_idle) {
    return make_error(ErrorCode::kInvalidArgument, "recognizer pool: need 0 <= warm <= max_idle");
  }
  std::unique_ptr<RecognizerPool> pool(new RecognizerPool(model, max_idle));
  for (int i = 0; i < warm; ++i) {
    R1_ASSIGN_OR_RETURN(std::unique_ptr<SpeechRecognizer> r, model.create());
    pool->idle_.push_back(std::move(r));
  }
  return pool;
}

Result<RecognizerPool::Lease> RecognizerPool::acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      SpeechRecognizer* r = idle_.back().release();
      idle_.pop_back();
      return Lease(r, Deleter{this});
    }
  }
  R1_ASSIGN_OR_RETURN(std::unique_ptr<SpeechRecognizer> fresh, model_.create());
  return Lease(fresh.release(), Deleter{this});
}

size_t RecognizerPool::idle() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_.size();
}

void RecognizerPool::give_back(SpeechRecognizer* r) {
  std::unique_ptr<SpeechRecognizer> owned(r);
  owned->reset();  // the next request starts unadapted, as on a fresh one
  std::lock_guard<std::mutex> lock(mu_);
  if (static_cast<int>(idle_.size()) < max_idle_) idle_.push_back(std::move(owned));
}

}  // namespace r1::voice
