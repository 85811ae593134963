// Scheduler: creation, the submit/cancel/stats/drain API and the engine
// thread's loop. The step itself (admission, planning, KV reservation,
// forward, sampling) is in scheduler_step.cpp.
#include "engine/scheduler.h"

#include <algorithm>
#include <string>
#include <thread>

#include "core/thread_pool.h"

namespace r1::engine {

namespace {

Error invalid(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }

Status check_options(const SchedulerOptions& o) {
  if (o.n_ctx < 1) return invalid("n_ctx must be >= 1");
  if (o.n_parallel < 1 || o.n_parallel > 1024) return invalid("parallel must be in [1, 1024]");
  if (o.n_queue < 0 || o.n_queue > (1 << 20)) return invalid("queue must be in [0, 1048576]");
  if (o.block_size < 1 || o.block_size > 4096) return invalid("KV block size must be in [1, 4096]");
  if (o.step_tokens < 1 || o.step_tokens > 65536) return invalid("step tokens must be in [1, 65536]");
  if (o.kv_positions < 0) return invalid("KV budget must be >= 0 positions");
  return Status();
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

Result<std::unique_ptr<Scheduler>> Scheduler::create(std::shared_ptr<const model::Model> model,
                                                     std::shared_ptr<const tokenizer::Tokenizer> tokenizer,
                                                     const SchedulerOptions& options) {
  CHECK(model != nullptr && tokenizer != nullptr);
  R1_RETURN_IF_ERROR(check_options(options));
  const model::ModelConfig& c = model->config();
  std::unique_ptr<Scheduler> s(new Scheduler());
  s->opt_ = options;
  s->n_ctx_ = c.n_ctx_train > 0 ? std::min(options.n_ctx, c.n_ctx_train) : options.n_ctx;
  s->n_vocab_ = static_cast<int32_t>(c.n_vocab);
  const auto bytes_per_pos = static_cast<uint64_t>(4 * c.n_layer * c.kv_dim());
  int64_t positions = options.kv_positions > 0 ? options.kv_positions : options.n_parallel * s->n_ctx_;
  if (options.kv_bytes > 0) positions = static_cast<int64_t>(options.kv_bytes / bytes_per_pos);
  const int64_t n_blocks = ceil_div(positions, options.block_size);
  const int64_t min_blocks = ceil_div(s->n_ctx_, options.block_size);
  if (n_blocks < min_blocks) {
    return invalid("KV budget of " + std::to_string(positions) + " positions is below one context of " +
                   std::to_string(s->n_ctx_) + " positions");
  }
  R1_ASSIGN_OR_RETURN(s->pool_, model::KvPool::create(c, n_blocks, options.block_size));
  if (options.prefix_cache) s->prefix_ = std::make_unique<PrefixCache>(s->pool_, s->n_ctx_);
  const int n_threads = options.n_threads > 0
                            ? options.n_threads
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  s->threads_ = std::make_unique<ThreadPool>(n_threads);
  s->opt_.step_tokens = std::max<int64_t>(options.step_tokens, options.n_parallel);
  s->ctx_ = std::make_unique<model::ForwardContext>(c, s->opt_.step_tokens, s->threads_.get());
  s->logits_.resize(static_cast<size_t>(options.n_parallel) * static_cast<size_t>(c.n_vocab));
  s->model_ = std::move(model);
  s->tok_ = std::move(tokenizer);
  s->stats_.kv_total_blocks = n_blocks;
  s->stats_.kv_free_blocks = n_blocks;
  s->thread_ = std::thread([p = s.get()] { p->run(); });
  return s;
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status Scheduler::validate(const SchedRequest& r) const {
  if (r.prompt.empty()) return invalid("empty prompt");
  for (const auto* ids : {&r.prompt, &r.resume_tokens}) {
    for (int32_t t : *ids) {
      if (t < 0 || t >= n_vocab_) {
        return invalid("token id " + std::to_string(t) + " out of range [0, " + std::to_string(n_vocab_) + ")");
      }
    }
  }
  R1_RETURN_IF_ERROR(sampling::validate(r.sampling, n_vocab_));
  if (r.top_logprobs > kMaxTopLogprobs) {
    return invalid("top_logprobs must be at most " + std::to_string(kMaxTopLogprobs));
  }
  const size_t n = r.prompt.size() + r.resume_tokens.size();
  if (static_cast<int64_t>(n) > n_ctx_) {
    return invalid("prompt of " + std::to_string(n) + " tokens does not fit the context of " +
                   std::to_string(n_ctx_));
  }
  return Status();
}

// A continuation (resume tokens: its client is mid-stream on another
// replica that failed) goes ahead of new requests, behind preempted ones and
// earlier continuations; a new request goes to the back.
void Scheduler::enqueue(SeqPtr seq) {
  auto pos = waiting_.end();
  if (!seq->request().resume_tokens.empty()) {
    pos = std::find_if(waiting_.begin(), waiting_.end(), [](const SeqPtr& s) {
      return !s->ever_admitted && s->request().resume_tokens.empty();
    });
  }
  waiting_.insert(pos, std::move(seq));
}

Result<uint64_t> Scheduler::submit(SchedRequest request, std::shared_ptr<RequestSink> sink) {
  CHECK(sink != nullptr);
  R1_RETURN_IF_ERROR(validate(request));
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_id_++;
  }
  auto seq = std::make_unique<Sequence>(
      SequenceInit{id, std::move(request), std::move(sink), tok_.get(), n_vocab_, SteadyClock::now()});
  seq->ended_by_resume = seq->replay_resume();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || draining_) return make_error(ErrorCode::kUnsupported, "the scheduler is draining");
    if (static_cast<int64_t>(waiting_.size()) >= opt_.n_queue) {
      return make_error(ErrorCode::kResourceExhausted,
                        "the queue is full (" + std::to_string(opt_.n_queue) + " waiting requests)");
    }
    enqueue(std::move(seq));
    stats_.queue_depth = static_cast<int64_t>(waiting_.size());
  }
  cv_.notify_one();
  return id;
}

void Scheduler::cancel(uint64_t handle) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancels_.insert(handle);
  }
  cv_.notify_one();
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

bool Scheduler::drain(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  draining_ = true;
  return idle_cv_.wait_for(lock, timeout, [&] { return waiting_.empty() && n_running_shared_ == 0; });
}

bool Scheduler::wait_for_work() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(100),
               [&] { return stop_ || !cancels_.empty() || !waiting_.empty() || !running_.empty(); });
  return !stop_;
}

void Scheduler::run() {
  while (wait_for_work()) {
    const SteadyClock::time_point t0 = SteadyClock::now();
    end_cancelled_and_expired();
    retire_finished();
    admit();
    const bool stepping = !running_.empty();
    const bool decode_only = stepping && step();
    retire_finished();
    if (stepping) {
      const double busy = seconds_since(t0);
      eng_.busy_seconds += busy;
      if (decode_only) eng_.decode_busy_seconds += busy;
    }
    publish();
  }
  // Shutting down: every request still here ends as cancelled.
  std::deque<SeqPtr> waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiting.swap(waiting_);
  }
  for (SeqPtr& s : running_) finish(*s, FinishReason::kCancelled);
  for (SeqPtr& s : waiting) finish(*s, FinishReason::kCancelled);
  running_.clear();
  publish();
}

void Scheduler::end_cancelled_and_expired() {
  std::unordered_set<uint64_t> cancels;
  std::vector<std::pair<SeqPtr, FinishReason>> ended;
  const SteadyClock::time_point now = SteadyClock::now();
  auto reason_for = [&](const Sequence& s) -> std::optional<FinishReason> {
    if (cancels.count(s.id()) > 0) return FinishReason::kCancelled;
    if (s.request().deadline && now >= *s.request().deadline) return FinishReason::kDeadline;
    return std::nullopt;
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancels.swap(cancels_);
    std::deque<SeqPtr> keep;
    for (SeqPtr& s : waiting_) {
      if (auto r = reason_for(*s)) {
        ended.emplace_back(std::move(s), *r);
      } else {
        keep.push_back(std::move(s));
      }
    }
    waiting_.swap(keep);
  }
  for (auto& [s, r] : ended) finish(*s, r);
  for (SeqPtr& s : running_) {
    if (auto r = reason_for(*s)) finish(*s, *r);
  }
}

void Scheduler::finish(Sequence& seq, FinishReason reason) {
  seq.finish(reason);
  ++eng_.requests_finished;
}

// Distinct blocks in the block tables of the running sequences: a block
// shared by several of them, or also held by a prefix-cache snapshot, counts
// once. The marks are cleared again, so the scratch stays all zero.
int64_t Scheduler::count_live_blocks() {
  block_marks_.resize(static_cast<size_t>(pool_->n_blocks()), 0);
  int64_t live = 0;
  for (const SeqPtr& s : running_) {
    if (s->cache() == nullptr) continue;
    for (int32_t b : s->cache()->block_table()) {
      uint8_t& mark = block_marks_[static_cast<size_t>(b)];
      live += mark == 0 ? 1 : 0;
      mark = 1;
    }
  }
  for (const SeqPtr& s : running_) {
    if (s->cache() == nullptr) continue;
    for (int32_t b : s->cache()->block_table()) block_marks_[static_cast<size_t>(b)] = 0;
  }
  return live;
}

void Scheduler::publish() {
  const int64_t live = count_live_blocks();
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t queue = static_cast<int64_t>(waiting_.size());
  stats_ = eng_;
  stats_.queue_depth = queue;
  stats_.running_sequences = static_cast<int64_t>(running_.size());
  stats_.kv_usage_ratio = pool_->usage_ratio();
  stats_.kv_free_blocks = pool_->n_free_blocks();
  stats_.kv_total_blocks = pool_->n_blocks();
  stats_.kv_live_blocks = live;
  stats_.kv_cached_blocks = std::max<int64_t>(0, stats_.kv_total_blocks - stats_.kv_free_blocks - live);
  stats_.prefix_cache_blocks = prefix_ ? prefix_->n_nodes() : 0;
  n_running_shared_ = static_cast<int64_t>(running_.size());
  if (queue == 0 && running_.empty()) idle_cv_.notify_all();
}

}  // namespace r1::engine
