// Scheduler: continuous batching of many requests over one model.
//
// It owns one KvPool (the KV budget), `n_parallel` sequence slots, a bounded
// FIFO wait queue and one engine thread. Each engine step:
//   1. ends cancelled requests and those past their deadline (queued ones
//      too), freeing their KV blocks;
//   2. admits waiting requests in FIFO order while a slot is free and
//      the head's blocks fit (after evicting unreferenced prefix-cache
//      blocks), keeping one spare block per running sequence for decode
//      growth. The head is never overtaken: a large prompt waits for space
//      rather than starve behind smaller ones. The head reuses the longest
//      cached block-aligned prefix (prefix_cache.h). Continuations (requests
//      with resume tokens, whose clients are mid-stream after another
//      replica failed) queue ahead of new requests, behind preempted ones;
//   3. plans one batch under a token budget (step_tokens): one decode token
//      for every sequence that is generating, then prefill chunks of new
//      sequences in admission order with what is left, so a long prompt
//      does not stall the other streams;
//   4. reserves KV for the batch; when the pool is short even after prefix
//      cache eviction, the most recently admitted sequence is preempted: its
//      blocks are freed and it goes back to the head of the queue, to be
//      recomputed later (exactly: see sequence.h);
//   5. runs model::forward once for the whole batch (one pass over the
//      weights), samples each sequence that got logits and streams its
//      events; finished sequences leave their full blocks in the prefix
//      cache and free their slot.
//
// Batch invariance: a sequence's tokens do not depend on the others in its
// batch, on its place in the batch, nor on where the budget cut its prefill
// into chunks: the forward pass is bitwise invariant to all three (tested in
// tests/model and tests/engine/scheduler_test.cpp), each sequence samples
// with its own StepSampler (draws keyed by (seed, step)), and prefix-cache
// or recomputed K/V is bitwise the K/V the sequence would compute itself.
//
// Thread contract: submit, cancel, stats, drain and the destructor may be
// called from any thread, concurrently. Sinks are called from the engine
// thread only, one event at a time per request, and must not call back into
// the scheduler synchronously.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/result.h"
#include "engine/prefix_cache.h"
#include "engine/scheduler_types.h"
#include "engine/sequence.h"
#include "model/kv/kv_pool.h"
#include "model/transformer.h"
#include "model/weights.h"
#include "tokenizer/tokenizer.h"

namespace r1 {
class ThreadPool;
}

namespace r1::engine {

struct SchedulerOptions {
  int64_t n_ctx = 4096;       // positions per sequence (clamped to the model's)
  int n_parallel = 4;         // sequence slots (--parallel)
  int n_queue = 64;           // waiting requests (--queue), preempted ones included;
                              // a submit beyond it -> kResourceExhausted
  int64_t kv_positions = 0;   // KV budget in positions; 0: n_parallel * n_ctx
  uint64_t kv_bytes = 0;      // KV budget in bytes (overrides kv_positions when > 0)
  int64_t block_size = model::KvPool::kDefaultBlockSize;
  int64_t step_tokens = 256;  // tokens per forward step (>= n_parallel)
  bool prefix_cache = true;
  int n_threads = 0;          // forward-pass threads; 0: hardware concurrency
};

struct SchedulerStats {
  int64_t queue_depth = 0;
  int64_t running_sequences = 0;
  double kv_usage_ratio = 0;  // blocks in use (prefix cache included) / total
  int64_t kv_free_blocks = 0;
  int64_t kv_total_blocks = 0;
  int64_t kv_live_blocks = 0;    // referenced by running sequences (shared ones once)
  int64_t kv_cached_blocks = 0;  // in use but held only by the prefix cache (evictable)
  int64_t prefix_cache_blocks = 0;  // prefix-cache nodes, shared with live sequences or not
  int64_t prefix_hit_tokens = 0;   // prompt tokens reused from the cache
  int64_t prompt_tokens = 0;       // prompt tokens evaluated
  int64_t generated_tokens = 0;    // tokens sampled
  int64_t requests_finished = 0;
  int64_t preemptions = 0;
  int64_t steps = 0;
  double forward_seconds = 0;  // in model::forward
  double sample_seconds = 0;   // sampling + detokenizing + sinks
  // Engine-thread iterations that ran a step, whole (the forward pass,
  // sampling, admission, planning, retiring; not the publish of stats).
  double busy_seconds = 0;
  // The part of steps, forward_seconds and busy_seconds from decode-only
  // steps (every sequence in the batch forwards one token).
  int64_t decode_steps = 0;
  double decode_forward_seconds = 0;
  double decode_busy_seconds = 0;
};

class Scheduler {
 public:
  // Errors: bad options (kInvalidArgument), or a KV budget below one full
  // context (kInvalidArgument) or too large for memory.
  static Result<std::unique_ptr<Scheduler>> create(std::shared_ptr<const model::Model> model,
                                                   std::shared_ptr<const tokenizer::Tokenizer> tokenizer,
                                                   const SchedulerOptions& options);
  // Ends every request with kCancelled and joins the engine thread.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request; returns its handle (> 0). Errors, with no event sent:
  // kResourceExhausted when the queue is full; kInvalidArgument for an empty
  // prompt, ids outside the vocabulary, invalid sampling, or prompt + resume
  // tokens longer than the context; kUnsupported while draining.
  Result<uint64_t> submit(SchedRequest request, std::shared_ptr<RequestSink> sink);
  // Idempotent; unknown or finished handles are ignored. The request ends
  // with kCancelled within one step and its blocks are freed.
  void cancel(uint64_t handle);

  SchedulerStats stats() const;
  // Stops admitting new submissions (kUnsupported) and waits until all
  // queued and running requests have finished. False on timeout.
  bool drain(std::chrono::milliseconds timeout);

  int64_t n_ctx() const { return n_ctx_; }
  const model::KvPool& kv_pool() const { return *pool_; }

 private:
  Scheduler() = default;
  using SeqPtr = std::unique_ptr<Sequence>;

  Status validate(const SchedRequest& r) const;
  void enqueue(SeqPtr seq);  // mu_ held
  void run();
  bool wait_for_work();
  void end_cancelled_and_expired();
  void admit();
  bool try_admit(Sequence& seq);
  void plan();
  void reserve_batch();
  void preempt_newest();
  bool step();  // true: a decode-only step (every sequence forwarded one token)
  void build_batch(std::vector<model::BatchEntry>* batch, std::vector<Sequence*>* sampled);
  void sample_and_emit(const std::vector<Sequence*>& sampled);
  void finish(Sequence& seq, FinishReason reason);
  void retire_finished();
  int64_t count_live_blocks();
  void publish();

  std::shared_ptr<const model::Model> model_;
  std::shared_ptr<const tokenizer::Tokenizer> tok_;
  SchedulerOptions opt_;
  int64_t n_ctx_ = 0;
  int32_t n_vocab_ = 0;
  std::shared_ptr<model::KvPool> pool_;
  std::unique_ptr<PrefixCache> prefix_;
  std::unique_ptr<ThreadPool> threads_;
  std::unique_ptr<model::ForwardContext> ctx_;

  // Shared with submitters (mu_).
  mutable std::mutex mu_;
  std::condition_variable cv_;       // work for the engine thread
  std::condition_variable idle_cv_;  // queue and slots empty (drain)
  std::deque<SeqPtr> waiting_;
  std::unordered_set<uint64_t> cancels_;
  uint64_t next_id_ = 1;
  bool stop_ = false;
  bool draining_ = false;
  int64_t n_running_shared_ = 0;
  SchedulerStats stats_;

  // Engine thread only.
  std::vector<SeqPtr> running_;  // admission order
  SchedulerStats eng_;           // counters, published into stats_
  std::vector<float> logits_;
  std::vector<uint8_t> block_marks_;  // per pool block, scratch of count_live_blocks
  std::thread thread_;
};

}  // namespace r1::engine
