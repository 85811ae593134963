// SSE relay with stream continuation (see continuation.h for the contract).
#include "gateway/proxy/proxy_internal.h"

namespace r1::gateway::proxy_detail {
namespace {

enum class PumpKind { kDone, kClientGone, kFailed };
struct PumpResult {
  PumpKind kind = PumpKind::kFailed;
  RequestOutcome outcome = RequestOutcome::kSuccess;
  bool reusable = false;
};

constexpr auto kClientWriteTimeout = std::chrono::seconds(30);

Awaitable<bool> write_chunk(beast::tcp_stream& client, const std::string& bytes) {
  beast::error_code ec;
  client.expires_after(kClientWriteTimeout);
  co_await net::async_write(client, http::make_chunk(net::buffer(bytes)), redirect(ec));
  co_return !ec;
}

Awaitable<beast::error_code> write_stream_header(beast::tcp_stream& client, const Upstream& up,
                                                 const ClientRequest& req) {
  const auto& head = up.parser->get();
  http::response<http::empty_body> res{head.result(), 11};
  for (const auto& field : head) {
    if (!is_hop_by_hop(field.name_string())) res.set(field.name_string(), field.value());
  }
  res.set(kVersionHeader, up.decision.version);
  res.keep_alive(req.keep_alive());
  res.chunked(true);
  http::response_serializer<http::empty_body> serializer{res};
  beast::error_code ec;
  client.expires_after(kClientWriteTimeout);
  co_await http::async_write_header(client, serializer, redirect(ec));
  co_return ec;
}

// Relays one upstream's events until [DONE], a failure or the client leaves.
Awaitable<PumpResult> pump(Ctx& ctx, Upstream& up, StreamTracker& tracker, beast::tcp_stream& client) {
  SseSplitter splitter;
  char buf[8192];
  beast::error_code ec;
  // Until this upstream's first token, queueing and prefill (first-token
  // timeout); then one decode step per token (per-token timeout).
  // An untracked stream has no ids: its first event counts as started.
  const size_t tokens_before = tracker.tokens().size();
  bool any_event = false;
  while (!up.parser->is_done()) {
    const bool started = tracker.tracking() ? tracker.tokens().size() > tokens_before : any_event;
    size_t got = 0;
    ec = co_await r1::http::read_some(up, buf, sizeof(buf), &got,
                                      started ? ctx.options.stream.per_token_timeout
                                              : ctx.options.stream.first_token_timeout);
    if (ec) break;
    splitter.feed(std::string_view(buf, got));
    while (auto event = splitter.next_event()) {
      any_event = true;
      const std::string out = tracker.on_event(*event);
      if (tracker.errored()) co_return PumpResult{PumpKind::kFailed, RequestOutcome::kServerError};
      if (!out.empty() && !co_await write_chunk(client, out)) co_return PumpResult{PumpKind::kClientGone};
    }
  }
  if (tracker.done()) co_return PumpResult{PumpKind::kDone, RequestOutcome::kSuccess, !ec};
  // A stream that is not a generation (no ids tracked: the audio routes'
  // transcript and speech events) ends with its body, without [DONE].
  if (!tracker.tracking() && !ec && up.parser->is_done()) {
    co_return PumpResult{PumpKind::kDone, RequestOutcome::kSuccess, true};
  }
  const bool timed_out = ec == beast::error::timeout;
  co_return PumpResult{PumpKind::kFailed,
                       timed_out ? RequestOutcome::kTimeout : RequestOutcome::kConnectFailure};
}

// A continuation upstream already answering with an event stream, or null.
Awaitable<std::unique_ptr<Upstream>> continue_stream(Ctx& ctx, RequestState& st,
                                                     StreamTracker& tracker, int* continuations) {
  if (!ctx.options.stream.continuation || !st.prepared.resumable ||
      *continuations >= ctx.options.max_continuations) {
    co_return nullptr;
  }
  ++*continuations;
  OpenResult r = co_await open_upstream(ctx, st, tracker.resume_body(st.prepared.upstream_body),
                                        /*stream=*/true, /*retry_only=*/true);
  if (!r.upstream) co_return nullptr;
  const auto& head = r.upstream->parser->get();
  ctx.metrics.count_upstream(r.upstream->decision.version, static_cast<int>(head.result_int()));
  if (head.result() != http::status::ok ||
      !head[http::field::content_type].starts_with("text/event-stream")) {
    finish_upstream(ctx, *r.upstream, RequestOutcome::kClientError, false);
    co_return nullptr;
  }
  ctx.metrics.count_continuation();
  tracker.begin_continuation();
  co_return std::move(r.upstream);
}

std::string give_up_event(const StreamTracker& tracker) {
  if (tracker.errored()) return tracker.error_event();
  return r1::http::sse_frame(error_json("the stream broke and could not be resumed", "upstream_error"));
}

}  // namespace

Awaitable<bool> relay_stream(Ctx& ctx, RequestState& st, std::unique_ptr<Upstream> up,
                             beast::tcp_stream& client) {
  ctx.metrics.count_upstream(up->decision.version, static_cast<int>(up->parser->get().result_int()));
  ctx.metrics.count_response(static_cast<int>(up->parser->get().result_int()));
  if (co_await write_stream_header(client, *up, st.request)) {
    finish_upstream(ctx, *up, RequestOutcome::kCancelled, false);
    co_return false;
  }
  StreamTracker tracker(st.prepared);
  int continuations = 0;
  for (;;) {
    const PumpResult r = co_await pump(ctx, *up, tracker, client);
    if (r.kind == PumpKind::kDone) {
      finish_upstream(ctx, *up, RequestOutcome::kSuccess, r.reusable);
      break;
    }
    if (r.kind == PumpKind::kClientGone) {
      finish_upstream(ctx, *up, RequestOutcome::kCancelled, false);
      co_return false;
    }
    finish_upstream(ctx, *up, r.outcome, false);
    if (r.outcome != RequestOutcome::kServerError) ctx.metrics.count_upstream(up->decision.version, 0);
    auto next = co_await continue_stream(ctx, st, tracker, &continuations);
    if (!next) {
      ctx.metrics.count_stream_failure();
      if (!co_await write_chunk(client, give_up_event(tracker))) co_return false;
      break;
    }
    up = std::move(next);
  }
  beast::error_code ec;
  client.expires_after(kClientWriteTimeout);
  co_await net::async_write(client, http::make_chunk_last(), redirect(ec));
  co_return !ec && st.request.keep_alive();
}

Awaitable<bool> relay_chunks(Ctx& ctx, RequestState& st, std::unique_ptr<Upstream> up,
                             beast::tcp_stream& client) {
  const int status = static_cast<int>(up->parser->get().result_int());
  ctx.metrics.count_upstream(up->decision.version, status);
  ctx.metrics.count_response(status);
  if (co_await write_stream_header(client, *up, st.request)) {
    finish_upstream(ctx, *up, RequestOutcome::kCancelled, false);
    co_return false;
  }
  char buf[16384];
  beast::error_code ec;
  while (!up->parser->is_done()) {
    size_t got = 0;
    ec = co_await r1::http::read_some(*up, buf, sizeof(buf), &got, ctx.options.stream.first_token_timeout);
    if (ec) break;
    if (got > 0 && !co_await write_chunk(client, std::string(buf, got))) {
      finish_upstream(ctx, *up, RequestOutcome::kCancelled, false);
      co_return false;
    }
  }
  // A broken upstream body is passed on as a truncated one: the client's
  // decoder sees the end (audio has no in-band error event).
  finish_upstream(ctx, *up, ec ? RequestOutcome::kConnectFailure : RequestOutcome::kSuccess, !ec);
  client.expires_after(kClientWriteTimeout);
  if (ec) co_return false;
  co_await net::async_write(client, http::make_chunk_last(), redirect(ec));
  co_return !ec && st.request.keep_alive();
}

}  // namespace r1::gateway::proxy_detail
