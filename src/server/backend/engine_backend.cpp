#include "server/backend/engine_backend.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "tokenizer/chat/reasoning.h"

namespace r1::server {

struct EngineBackend::State {
  EngineSetup setup;
  std::unique_ptr<engine::Scheduler> scheduler;  // last: destroyed first
};

namespace {

// Forwards one request's scheduler events to the server's sink.
class SinkAdapter final : public engine::RequestSink {
 public:
  explicit SinkAdapter(std::shared_ptr<StreamSink> out) : out_(std::move(out)) {}

  void on_token(const engine::StreamEvent& e) override {
    // The end-of-stream release (token -1) only matters when it has text.
    if (e.token < 0 && e.text.empty() && e.reasoning.empty() && e.content.empty()) return;
    out_->on_token(e);
  }

  void on_finish(const engine::FinishInfo& info) override {
    FinishEvent f;
    f.reason = finish_reason_from_engine(info.reason);
    f.usage = {info.prompt_tokens, info.completion_tokens, info.cached_tokens};
    f.timings = {info.prompt_n, info.prompt_ms, info.predicted_n, info.predicted_ms,
                 info.cached_tokens};
    out_->on_finish(f);
  }

  void on_error(const Error& error) override { out_->on_error(error); }

 private:
  std::shared_ptr<StreamSink> out_;
};

struct Prompt {
  std::vector<int32_t> ids;
  bool opens_reasoning = false;
};

Result<Prompt> chat_prompt(const EngineSetup& s, const GenerationRequest& r) {
  std::vector<tokenizer::ChatMessage> messages;
  messages.reserve(r.messages.size());
  for (const ChatMessage& m : r.messages) {
    messages.push_back({m.role == "developer" ? "system" : m.role, m.content, m.reasoning_content});
  }
  R1_ASSIGN_OR_RETURN(std::string text,
                      tokenizer::render_chat(s.template_kind, messages, s.template_options));
  const std::string& bos = s.template_options.bos_token;
  const bool has_bos = !bos.empty() && text.rfind(bos, 0) == 0;
  tokenizer::EncodeOptions opts;
  opts.add_bos = s.tokenizer->add_bos_default() && !has_bos;
  opts.parse_special = true;
  return Prompt{s.tokenizer->encode(text, opts), tokenizer::prompt_opens_reasoning(text)};
}

Result<Prompt> build_prompt(const EngineSetup& s, const GenerationRequest& r) {
  if (r.is_chat()) return chat_prompt(s, r);
  const tokenizer::Tokenizer& tok = *s.tokenizer;
  Prompt p;
  if (!r.prompt_tokens.empty()) {
    p.ids = r.prompt_tokens;
    // Only the tail can leave a think block open.
    const size_t n = std::min<size_t>(p.ids.size(), 4);
    const std::vector<int32_t> tail(p.ids.end() - static_cast<std::ptrdiff_t>(n), p.ids.end());
    p.opens_reasoning = tokenizer::prompt_opens_reasoning(tok.decode(tail));
  } else {
    tokenizer::EncodeOptions opts;
    opts.add_bos = tok.add_bos_default();
    opts.parse_special = true;
    p.ids = tok.encode(r.prompt_text, opts);
    p.opens_reasoning = tokenizer::prompt_opens_reasoning(r.prompt_text);
  }
  if (p.ids.empty()) return make_error(ErrorCode::kInvalidArgument, "the prompt is empty");
  return p;
}

Status check_context(const Prompt& p, const GenerationRequest& r, int64_t n_ctx) {
  const auto n = static_cast<int64_t>(p.ids.size() + r.resume_tokens.size());
  if (n <= n_ctx) return Status();
  return make_error(ErrorCode::kOutOfRange,
                    "This model's maximum context length is " + std::to_string(n_ctx) +
                        " tokens. However, your request has " + std::to_string(n) +
                        " prompt tokens.");
}

}  // namespace

FinishReason finish_reason_from_engine(engine::FinishReason r) {
  switch (r) {
    case engine::FinishReason::kEog:
    case engine::FinishReason::kStopString: return FinishReason::kStop;
    case engine::FinishReason::kMaxTokens:
    case engine::FinishReason::kContextFull: return FinishReason::kLength;
    case engine::FinishReason::kDeadline: return FinishReason::kDeadline;
    case engine::FinishReason::kCancelled: return FinishReason::kCancelled;
  }
  return FinishReason::kStop;
}

Result<sampling::SamplingParams> sampling_from_request(const GenerationRequest& request,
                                                       const sampling::SamplingParams& defaults,
                                                       int32_t n_vocab) {
  sampling::SamplingParams p = sampling::with_overrides(defaults, request.sampling);
  p.max_tokens = request.max_tokens;
  p.stop = request.stop;
  R1_RETURN_IF_ERROR(sampling::validate(p, n_vocab));
  return p;
}

EngineBackend::EngineBackend(std::string model_id) : model_id_(std::move(model_id)) {}

EngineBackend::~EngineBackend() {
  std::shared_ptr<State> s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.swap(state_);
  }
  // The scheduler's destructor ends what is left with kCancelled.
}

Status EngineBackend::attach(EngineSetup setup) {
  CHECK(setup.model != nullptr && setup.tokenizer != nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    CHECK(state_ == nullptr) << "EngineBackend::attach called twice";
  }
  auto s = std::make_shared<State>();
  R1_ASSIGN_OR_RETURN(s->scheduler,
                      engine::Scheduler::create(setup.model, setup.tokenizer, setup.scheduler));
  s->setup = std::move(setup);
  std::lock_guard<std::mutex> lock(mu_);
  state_ = std::move(s);
  return Status();
}

void EngineBackend::set_not_ready(std::string reason) {
  std::lock_guard<std::mutex> lock(mu_);
  not_ready_reason_ = std::move(reason);
}

std::shared_ptr<EngineBackend::State> EngineBackend::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

Readiness EngineBackend::ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_) return {true, ""};
  return {false, not_ready_reason_};
}

Result<RequestHandle> EngineBackend::submit(const GenerationRequest& request,
                                            std::shared_ptr<StreamSink> sink) {
  CHECK(sink != nullptr);
  const std::shared_ptr<State> s = state();
  if (!s) return make_error(ErrorCode::kUnsupported, "not ready: " + ready().reason);
  const EngineSetup& setup = s->setup;
  R1_ASSIGN_OR_RETURN(Prompt prompt, build_prompt(setup, request));
  R1_RETURN_IF_ERROR(check_context(prompt, request, s->scheduler->n_ctx()));
  engine::SchedRequest r;
  R1_ASSIGN_OR_RETURN(r.sampling, sampling_from_request(request, setup.sampling_defaults,
                                                        setup.tokenizer->n_vocab()));
  r.prompt = std::move(prompt.ids);
  r.resume_tokens = request.resume_tokens;
  r.top_logprobs = request.logprobs ? std::clamp(request.top_logprobs, 0, engine::kMaxTopLogprobs) : -1;
  r.split_reasoning = request.split_reasoning;
  r.starts_in_reasoning = request.split_reasoning && prompt.opens_reasoning;
  r.deadline = request.deadline;
  R1_ASSIGN_OR_RETURN(uint64_t id, s->scheduler->submit(std::move(r),
                                                        std::make_shared<SinkAdapter>(std::move(sink))));
  return RequestHandle{id};
}

void EngineBackend::cancel(RequestHandle handle) {
  if (handle.id == 0) return;
  if (const std::shared_ptr<State> s = state()) s->scheduler->cancel(handle.id);
}

BackendStats EngineBackend::stats() const {
  BackendStats out;
  const std::shared_ptr<State> s = state();
  if (!s) return out;
  const engine::SchedulerStats st = s->scheduler->stats();
  out.queue_depth = st.queue_depth;
  out.running_sequences = st.running_sequences;
  if (st.kv_total_blocks > 0) {
    out.kv_cache_usage_ratio = std::clamp(
        static_cast<double>(st.kv_live_blocks) / static_cast<double>(st.kv_total_blocks), 0.0, 1.0);
  }
  out.kv_cache_cached_blocks = st.kv_cached_blocks;
  out.kv_cache_blocks_total = st.kv_total_blocks;
  out.model_load_seconds = s->setup.load_seconds;
  out.engine_all = {st.steps, st.forward_seconds, st.busy_seconds};
  out.engine_decode = {st.decode_steps, st.decode_forward_seconds, st.decode_busy_seconds};
  return out;
}

std::optional<engine::SchedulerStats> EngineBackend::engine_stats() const {
  const std::shared_ptr<State> s = state();
  if (!s) return std::nullopt;
  return s->scheduler->stats();
}

int64_t EngineBackend::n_ctx() const {
  const std::shared_ptr<State> s = state();
  return s ? s->scheduler->n_ctx() : 0;
}

}  // namespace r1::server
