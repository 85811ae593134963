#include "voice/tts/flite/chunk_queue.h"

#include <utility>

namespace r1::voice {

bool ChunkQueue::push(std::vector<int16_t> chunk, int sample_rate) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return stopped_ || queued_ < max_samples_; });
  if (stopped_) return false;
  if (chunk.empty()) return true;
  queued_ += chunk.size();
  chunks_.push_back(Chunk{std::move(chunk), sample_rate});
  lock.unlock();
  cv_.notify_all();
  return true;
}

void ChunkQueue::finish(Status status) {
  {
    std::lock_guard lock(mu_);
    finished_ = true;
    status_ = std::move(status);
  }
  cv_.notify_all();
}

bool ChunkQueue::stopped() const {
  std::lock_guard lock(mu_);
  return stopped_;
}

bool ChunkQueue::finished() const {
  std::lock_guard lock(mu_);
  return finished_;
}

void ChunkQueue::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    chunks_.clear();
    queued_ = 0;
  }
  cv_.notify_all();
}

Status ChunkQueue::drain(const AudioSink& sink, const CancelToken& cancel) {
  const std::stop_token token = cancel.token();
  for (;;) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, token, [&] { return !chunks_.empty() || finished_; });
    if (token.stop_requested()) {
      lock.unlock();
      stop();
      return cancelled_error();
    }
    if (chunks_.empty()) {
      stopped_ = true;
      return status_;
    }
    Chunk c = std::move(chunks_.front());
    chunks_.pop_front();
    queued_ -= c.samples.size();
    lock.unlock();
    cv_.notify_all();
    if (token.stop_requested()) {  // no chunk reaches the sink after cancel()
      stop();
      return cancelled_error();
    }
    if (!sink(c.samples, c.sample_rate)) {
      stop();
      return {};
    }
  }
}

}  // namespace r1::voice
