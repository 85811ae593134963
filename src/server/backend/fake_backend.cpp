#include "server/backend/fake_backend.h"

#include <algorithm>
#include <utility>

namespace r1::server {

std::vector<FakePiece> default_fake_script() {
  using K = FakePiece::Kind;
  return {{"<think>", K::kTag},   {"Let", K::kReasoning},  {" me", K::kReasoning},
          {" think.", K::kReasoning}, {"</think>", K::kTag}, {"\n\n", K::kTag},
          {"The", K::kContent},   {" answer", K::kContent}, {" is", K::kContent},
          {" 4.", K::kContent}};
}

struct FakeBackend::Seq {
  uint64_t id = 0;
  GenerationRequest request;
  std::shared_ptr<StreamSink> sink;
  SteadyClock::time_point admitted;
  size_t pos = 0;            // next script index
  int64_t generated = 0;     // pieces emitted
  int64_t prompt_tokens = 0;
  bool cancelled = false;
};

struct FakeBackend::Emit {
  std::shared_ptr<StreamSink> sink;
  bool finish = false;
  TokenEvent token;
  FinishEvent done;
};

FakeBackend::FakeBackend(FakeBackendConfig config) : config_(std::move(config)) {
  thread_ = std::thread([this] { run(); });
}

FakeBackend::~FakeBackend() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

Readiness FakeBackend::ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {ready_, ready_reason_};
}

int64_t FakeBackend::count_prompt_tokens(const GenerationRequest& request) {
  if (!request.prompt_tokens.empty()) return static_cast<int64_t>(request.prompt_tokens.size());
  size_t bytes = request.prompt_text.size();
  for (const ChatMessage& m : request.messages) bytes += m.content.size() + m.role.size();
  return static_cast<int64_t>(bytes / 4 + 1);
}

Result<RequestHandle> FakeBackend::submit(const GenerationRequest& request,
                                          std::shared_ptr<StreamSink> sink) {
  CHECK(sink != nullptr);
  const int64_t n_prompt = count_prompt_tokens(request);
  std::lock_guard<std::mutex> lock(mu_);
  if (!ready_) return make_error(ErrorCode::kUnsupported, "backend not ready: " + ready_reason_);
  if (full_ || active_.size() >= config_.max_active) {
    return make_error(ErrorCode::kResourceExhausted, "the request queue is full");
  }
  if (n_prompt > config_.context_length) {
    return make_error(ErrorCode::kOutOfRange,
                      "the prompt has " + std::to_string(n_prompt) +
                          " tokens; the context holds " + std::to_string(config_.context_length));
  }
  auto seq = std::make_unique<Seq>();
  seq->id = next_id_++;
  seq->request = request;
  seq->sink = std::move(sink);
  seq->admitted = SteadyClock::now();
  seq->pos = std::min(request.resume_tokens.size(), config_.script.size());
  seq->prompt_tokens = n_prompt;
  const RequestHandle handle{seq->id};
  active_.push_back(std::move(seq));
  ++submitted_;
  last_request_ = request;
  cv_.notify_all();
  return handle;
}

void FakeBackend::cancel(RequestHandle handle) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& seq : active_) {
    if (seq->id == handle.id) seq->cancelled = true;
  }
}

BackendStats FakeBackend::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  BackendStats s;
  s.running_sequences = static_cast<int64_t>(active_.size());
  s.queue_depth = 0;
  s.kv_cache_usage_ratio =
      std::min(1.0, static_cast<double>(active_.size()) / static_cast<double>(config_.max_active));
  s.model_load_seconds = 0.25;
  return s;
}

void FakeBackend::set_ready(bool ready, std::string reason) {
  std::lock_guard<std::mutex> lock(mu_);
  ready_ = ready;
  ready_reason_ = std::move(reason);
}

void FakeBackend::set_full(bool full) {
  std::lock_guard<std::mutex> lock(mu_);
  full_ = full;
}

int64_t FakeBackend::submitted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return submitted_;
}

int64_t FakeBackend::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

bool FakeBackend::wait_cancelled(int64_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return cancelled_ >= n; });
}

GenerationRequest FakeBackend::last_request() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_request_;
}

void FakeBackend::run() {
  std::vector<Emit> out;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !active_.empty(); });
      if (stop_) break;
    }
    std::this_thread::sleep_for(config_.tick);
    out.clear();
    step(out);
    for (Emit& e : out) {
      if (e.finish) {
        e.sink->on_finish(e.done);
      } else {
        e.sink->on_token(e.token);
      }
    }
    out.clear();  // drop sink references outside the lock
  }
  // Shutdown: whatever is left ends as cancelled.
  std::vector<std::unique_ptr<Seq>> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    left.swap(active_);
  }
  for (auto& seq : left) seq->sink->on_finish(FinishEvent{FinishReason::kCancelled, {}, {}});
}

void FakeBackend::step(std::vector<Emit>& out) {
  std::lock_guard<std::mutex> lock(mu_);
  const SteadyClock::time_point now = SteadyClock::now();
  for (auto& seq : active_) step_seq(*seq, now, out);
  const auto done = std::remove_if(active_.begin(), active_.end(),
                                   [](const std::unique_ptr<Seq>& s) { return s->sink == nullptr; });
  active_.erase(done, active_.end());
  cv_.notify_all();  // wait_cancelled observers
}

void FakeBackend::step_seq(Seq& seq, SteadyClock::time_point now, std::vector<Emit>& out) {
  auto finish = [&](FinishReason reason) {
    Emit e;
    e.sink = std::move(seq.sink);  // marks the seq done
    e.finish = true;
    e.done.reason = reason;
    e.done.usage = {seq.prompt_tokens, seq.generated, 0};
    const double ms = std::chrono::duration<double, std::milli>(now - seq.admitted).count();
    e.done.timings = {seq.prompt_tokens, 0.0, seq.generated, ms, 0};
    if (reason == FinishReason::kCancelled) ++cancelled_;
    out.push_back(std::move(e));
  };
  if (seq.cancelled) return finish(FinishReason::kCancelled);
  if (seq.request.deadline && now >= *seq.request.deadline) return finish(FinishReason::kDeadline);
  if (now - seq.admitted < config_.first_token_delay) return;
  if (seq.pos >= config_.script.size()) return finish(FinishReason::kStop);
  if (seq.request.max_tokens >= 0 && seq.generated >= seq.request.max_tokens) {
    return finish(FinishReason::kLength);
  }
  Emit e;
  e.sink = seq.sink;
  e.token = make_event(seq, seq.pos);
  out.push_back(std::move(e));
  ++seq.pos;
  ++seq.generated;
}

TokenEvent FakeBackend::make_event(const Seq& seq, size_t index) const {
  const FakePiece& piece = config_.script[index];
  TokenEvent ev;
  ev.token = static_cast<int32_t>(100 + index);
  ev.text = piece.text;
  if (seq.request.split_reasoning) {
    if (piece.kind == FakePiece::Kind::kReasoning) ev.reasoning = piece.text;
    if (piece.kind == FakePiece::Kind::kContent) ev.content = piece.text;
  }
  if (seq.request.logprobs) {
    TokenLogprob lp{ev.token, piece.text, -0.25f * static_cast<float>(index % 4), {}};
    for (int k = 0; k < seq.request.top_logprobs; ++k) {
      lp.top.push_back({ev.token + k, k == 0 ? piece.text : "alt" + std::to_string(k),
                        lp.logprob - static_cast<float>(k)});
    }
    ev.logprobs = std::move(lp);
  }
  return ev;
}

}  // namespace r1::server
