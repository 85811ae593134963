// Scheduler: one engine step (admission, planning, KV reservation, the
// batched forward pass, sampling, retirement). Engine thread only.
#include <algorithm>

#include "core/thread_pool.h"
#include "engine/scheduler.h"

namespace r1::engine {

bool Scheduler::try_admit(Sequence& seq) {
  const std::vector<int32_t>& tokens = seq.tokens();
  const auto n = static_cast<int64_t>(tokens.size());
  auto created = model::KvCache::create(pool_, n_ctx_);
  CHECK(created.ok()) << created.error().to_string();
  std::unique_ptr<model::KvCache> cache = std::move(*created);
  int64_t reused = 0;
  if (prefix_) {
    // At least the last token is evaluated: its logits start the sampling.
    const PrefixCache::Match m = prefix_->lookup(tokens, n - 1);
    if (m.n_tokens > 0 && cache->share_prefix_from(*m.donor, m.n_tokens).ok()) reused = m.n_tokens;
  }
  // One spare block per running sequence for its decode growth.
  const int64_t need = cache->blocks_needed(n) + static_cast<int64_t>(running_.size());
  if (pool_->n_free_blocks() < need && prefix_) prefix_->evict(need - pool_->n_free_blocks());
  if (pool_->n_free_blocks() < need) return false;  // the head waits; nobody overtakes it
  if (!cache->reserve(n).ok()) return false;
  seq.on_admitted(reused);
  eng_.prefix_hit_tokens += reused;
  seq.set_cache(std::move(cache));
  return true;
}

void Scheduler::admit() {
  while (static_cast<int>(running_.size()) < opt_.n_parallel) {
    Sequence* head = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (waiting_.empty()) return;
      head = waiting_.front().get();  // only this thread removes from waiting_
    }
    const bool ready = head->ended_by_resume.has_value() || try_admit(*head);
    if (!ready) return;
    SeqPtr seq;
    {
      // A continuation submitted meanwhile may now stand before `head`.
      std::lock_guard<std::mutex> lock(mu_);
      auto it = std::find_if(waiting_.begin(), waiting_.end(), [&](const SeqPtr& s) { return s.get() == head; });
      CHECK(it != waiting_.end());
      seq = std::move(*it);
      waiting_.erase(it);
    }
    if (seq->ended_by_resume) {
      finish(*seq, *seq->ended_by_resume);
      continue;
    }
    running_.push_back(std::move(seq));
  }
}

void Scheduler::plan() {
  int64_t budget = opt_.step_tokens;  // >= n_parallel: every decode fits
  for (SeqPtr& s : running_) {
    s->step_n = s->n_pending() == 1 ? 1 : 0;
    budget -= s->step_n;
  }
  // Prefill chunks, oldest first, with the budget left after decoding.
  for (SeqPtr& s : running_) {
    if (s->n_pending() <= 1 || budget <= 0) continue;
    s->step_n = std::min(s->n_pending(), budget);
    budget -= s->step_n;
  }
}

void Scheduler::preempt_newest() {
  SeqPtr victim = std::move(running_.back());
  running_.pop_back();
  // Its full blocks stay in the prefix cache (evictable), so re-admission
  // usually recomputes little.
  if (prefix_) prefix_->insert(victim->tokens(), *victim->cache());
  victim->drop_cache();
  victim->step_n = 0;
  ++eng_.preemptions;
  std::lock_guard<std::mutex> lock(mu_);
  waiting_.push_front(std::move(victim));
}

void Scheduler::reserve_batch() {
  for (size_t i = 0; i < running_.size(); ++i) {
    Sequence& s = *running_[i];
    if (s.step_n == 0) continue;
    const int64_t target = s.n_cached() + s.step_n;
    for (;;) {
      const int64_t need = s.cache()->blocks_needed(target);
      if (pool_->n_free_blocks() < need && prefix_) prefix_->evict(need - pool_->n_free_blocks());
      if (pool_->n_free_blocks() >= need) break;
      const bool self = running_.back().get() == &s;
      preempt_newest();
      if (self) return;
    }
    const Status st = s.cache()->reserve(target);
    CHECK(st.ok()) << st.error().to_string();
  }
}

void Scheduler::build_batch(std::vector<model::BatchEntry>* batch, std::vector<Sequence*>* sampled) {
  for (SeqPtr& s : running_) {
    if (s->step_n == 0) continue;
    const int64_t start = s->n_cached();
    const int64_t n_input = s->n_prompt() + static_cast<int64_t>(s->request().resume_tokens.size());
    // Logits only where the chunk reaches the last known token.
    const bool completes = start + s->step_n == static_cast<int64_t>(s->tokens().size());
    for (int64_t j = 0; j < s->step_n; ++j) {
      const int64_t pos = start + j;
      batch->push_back({s->tokens()[static_cast<size_t>(pos)], static_cast<int32_t>(pos), s->cache(),
                        completes && j + 1 == s->step_n});
      if (pos < n_input) ++eng_.prompt_tokens;
    }
    if (completes) sampled->push_back(s.get());
  }
}

void Scheduler::sample_and_emit(const std::vector<Sequence*>& sampled) {
  // Sampling is per sequence (its own state only): in parallel. Events go
  // out in order on this thread.
  const auto n_vocab = static_cast<size_t>(n_vocab_);
  threads_->parallel_for(static_cast<int64_t>(sampled.size()), [&](int64_t begin, int64_t end) {
    for (auto row = static_cast<size_t>(begin); row < static_cast<size_t>(end); ++row) {
      sampled[row]->sample_next(std::span<const float>(logits_.data() + row * n_vocab, n_vocab));
    }
  });
  for (Sequence* seq : sampled) {
    Sequence& s = *seq;
    const std::optional<FinishReason> end = s.commit_sampled();
    ++eng_.generated_tokens;
    if (end) {
      finish(s, *end);
    } else if (s.step_n > 1 && prefix_) {
      prefix_->insert(s.tokens(), *s.cache());  // share the prompt with later requests
    }
  }
}

bool Scheduler::step() {
  plan();
  reserve_batch();
  std::vector<model::BatchEntry> batch;
  std::vector<Sequence*> sampled;
  build_batch(&batch, &sampled);
  if (batch.empty()) return false;
  const bool decode_only = std::all_of(running_.begin(), running_.end(), [](const SeqPtr& s) { return s->step_n <= 1; });
  const SteadyClock::time_point t0 = SteadyClock::now();
  const Status st = model::forward(*model_, batch, *ctx_, logits_.data());
  const SteadyClock::time_point t1 = SteadyClock::now();
  const double forward = std::chrono::duration<double>(t1 - t0).count();
  ++eng_.steps;
  eng_.forward_seconds += forward;
  if (decode_only) {
    ++eng_.decode_steps;
    eng_.decode_forward_seconds += forward;
  }
  if (!st.ok()) {
    for (SeqPtr& s : running_) {
      if (s->step_n > 0) s->fail(st.error());
    }
    return decode_only;
  }
  sample_and_emit(sampled);
  eng_.sample_seconds += seconds_since(t1);
  return decode_only;
}

void Scheduler::retire_finished() {
  auto done = [](const SeqPtr& s) { return s->finished(); };
  for (SeqPtr& s : running_) {
    if (done(s) && prefix_ && s->cache() != nullptr) prefix_->insert(s->tokens(), *s->cache());
  }
  running_.erase(std::remove_if(running_.begin(), running_.end(), done), running_.end());
}

}  // namespace r1::engine
