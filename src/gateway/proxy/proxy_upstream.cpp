// Upstream side of the proxy: connection pool, pick with retries, exchange.
#include <nlohmann/json.hpp>

#include <optional>

#include "gateway/proxy/proxy_internal.h"
#include "gateway/proxy/proxy_queue.h"

namespace r1::gateway::proxy_detail {
namespace {

constexpr int kBusy = 429;  // a worker's queue is full

http::request<http::string_body> upstream_request(const ClientRequest& req, const std::string& body,
                                                  const std::string& host) {
  http::request<http::string_body> out{req.method(), req.target(), 11};
  for (const auto& field : req) {
    if (!is_hop_by_hop(field.name_string())) out.set(field.name_string(), field.value());
  }
  out.set(http::field::host, host);
  out.keep_alive(true);
  out.body() = body;
  out.prepare_payload();
  return out;
}

// A pick that avoids replicas already tried when the router offers another.
Result<RouteDecision> pick_untried(Ctx& ctx, const RequestState& st) {
  constexpr int kPicks = 4;
  for (int i = 0;; ++i) {
    RouteRequest rr{st.prepared.session_key};
    if (i > 0 && !rr.session_key.empty()) rr.session_key += "#" + std::to_string(i);
    Result<RouteDecision> d = ctx.router.pick(rr);
    if (!d.ok()) return d;
    const bool seen = std::find(st.tried.begin(), st.tried.end(), d->replica.id) != st.tried.end();
    if (!seen || i + 1 >= kPicks) return d;
    ctx.router.release(*d, RequestOutcome::kCancelled);
  }
}

// One attempt: null and `last` filled when it failed.
Awaitable<std::unique_ptr<Upstream>> try_once(Ctx& ctx, RequestState& st, const std::string& body,
                                              bool stream, OpenResult* last) {
  Result<RouteDecision> decision = pick_untried(ctx, st);
  if (!decision.ok()) {
    *last = OpenResult{nullptr, 503, error_json(decision.error().message, "unavailable"), "none",
                       decision.error().code == ErrorCode::kResourceExhausted};
    co_return nullptr;
  }
  if (st.on_dispatch) st.on_dispatch();
  st.tried.push_back(decision->replica.id);
  auto up = std::make_unique<Upstream>();
  up->decision = *decision;
  if (st.tried.size() == 1) ctx.metrics.observe_added_latency(SteadyClock::now() - st.started);
  const std::string& version = decision->version;
  Result<r1::http::ClientTarget> target =
      r1::http::numeric_target(decision->replica.host, decision->replica.port);
  beast::error_code ec = net::error::invalid_argument;
  if (target.ok()) {
    up->target = std::move(*target);
    const r1::http::ClientTimeouts timeouts{
        ctx.options.connect_timeout,
        stream ? ctx.options.stream.first_token_timeout : ctx.options.response_timeout};
    const auto request = upstream_request(st.request, body, up->target.key);
    ec = co_await ctx.client.exchange(*up, up->target, request, timeouts);
  }
  const std::string key = decision->replica.host + ":" + std::to_string(decision->replica.port);
  if (ec) {
    const bool timed_out = ec == beast::error::timeout;
    ctx.metrics.count_upstream(version, 0);
    finish_upstream(ctx, *up, timed_out ? RequestOutcome::kTimeout : RequestOutcome::kConnectFailure, false);
    *last = OpenResult{nullptr, timed_out ? 504 : 502,
                       error_json("upstream " + key + ": " + ec.message(), "upstream_error"), version};
    co_return nullptr;
  }
  const int status = static_cast<int>(up->parser->get().result_int());
  if (status < 500 && status != kBusy) co_return up;
  ctx.metrics.count_upstream(version, status);
  *last = OpenResult{nullptr, status, "", version};
  ec = co_await r1::http::read_rest(*up, &last->body, ctx.options.connect_timeout);
  // A full queue (429) says nothing against the replica and frees nothing:
  // it does not wake the wait queue.
  if (status == kBusy) release_upstream(ctx, *up, RequestOutcome::kClientError, !ec);
  else finish_upstream(ctx, *up, RequestOutcome::kServerError, !ec);
  co_return nullptr;
}

// No replica could take the request now: it may wait for one.
bool holdable(const OpenResult& r) { return !r.upstream && (r.no_replica || r.status == kBusy); }

OpenResult unavailable(Ctx& ctx, const std::string& why) {
  ctx.metrics.count_no_upstream();
  return OpenResult{nullptr, 503, error_json(why, "unavailable"), "none"};
}

Awaitable<OpenResult> open_attempts(Ctx& ctx, RequestState& st, const std::string& body, bool stream,
                                    bool retry_only) {
  OpenResult last{nullptr, 503, error_json("no attempt was made", "unavailable"), "none"};
  const int attempts = std::max(1, ctx.options.retries.max_attempts);
  for (int attempt = 0; attempt < attempts; ++attempt) {
    // The retry budget guards the workers against retry storms of new
    // requests. A stream continuation (retry_only) is not one: its client
    // already has part of the answer, refusing it is a certain failure, and
    // max_continuations bounds it per stream.
    const bool budgeted = attempt > 0 && !retry_only;
    if (budgeted && !ctx.budget.try_acquire()) {
      ctx.metrics.count_budget_exhausted();
      break;
    }
    if (attempt > 0) ctx.metrics.count_retry();
    auto up = co_await try_once(ctx, st, body, stream, &last);
    if (budgeted) ctx.budget.release();
    if (up) co_return OpenResult{std::move(up), 200, "", ""};
    if (holdable(last) || last.version == "none") break;  // nothing picked, or the replica is full
  }
  co_return last;
}

}  // namespace

Awaitable<OpenResult> open_upstream(Ctx& ctx, RequestState& st, const std::string& body,
                                    bool stream, bool retry_only) {
  const QueueConfig& q = ctx.options.queue;
  const TimePoint deadline = SteadyClock::now() + q.timeout;
  const auto executor = co_await net::this_coro::executor;
  std::optional<WaitQueue::Waiter> waiter;
  st.on_dispatch = [&waiter] { waiter.reset(); };
  bool queued = false;  // counted once per request, however often it re-enters
  auto join = [&](bool front) {
    if (static_cast<int>(ctx.queue.size()) >= q.max_waiting) return false;
    waiter.emplace(ctx.queue, executor, front);
    if (!std::exchange(queued, true)) ctx.metrics.count_queued();
    return true;
  };
  OpenResult r;
  if (!ctx.queue.empty() && !join(retry_only)) {  // FIFO: behind those waiting already
    r = unavailable(ctx, "gateway queue full (" + std::to_string(q.max_waiting) + " waiting)");
  } else {
    for (;;) {
      if (waiter && !co_await waiter->wait_turn(deadline)) {
        ctx.metrics.count_queue_timeout();
        const std::string last = r.status != kBusy ? "no replica ready"
                                                     : "HTTP " + std::to_string(r.status) + " from " + r.version;
        r = unavailable(ctx, "no replica could take the request within queue.timeout (" +
                                 format_duration(q.timeout) + "; " + last + ")");
        break;
      }
      r = co_await open_attempts(ctx, st, body, stream, retry_only);
      if (!holdable(r)) {
        if (r.version == "none" && !r.upstream) ctx.metrics.count_no_upstream();  // e.g. draining
        break;
      }
      if (!waiter && !join(/*front=*/retry_only || r.status == kBusy)) {
        if (r.no_replica) ctx.metrics.count_no_upstream();
        break;
      }
    }
  }
  st.on_dispatch = nullptr;  // it refers to `waiter`
  co_return r;
}

void finish_upstream(Ctx& ctx, Upstream& up, RequestOutcome outcome, bool reusable) {
  release_upstream(ctx, up, outcome, reusable);
  ctx.queue.notify();  // a replica may have room now
}

void release_upstream(Ctx& ctx, Upstream& up, RequestOutcome outcome, bool reusable) {
  ctx.router.release(up.decision, outcome);
  ctx.client.release(up, up.target.key, reusable);
}

bool is_hop_by_hop(beast::string_view name) {
  for (const char* h : {"connection", "keep-alive", "transfer-encoding", "content-length", "host",
                        "te", "trailer", "upgrade", "proxy-authorization", "proxy-connection"}) {
    if (beast::iequals(name, h)) return true;
  }
  return false;
}

std::string error_json(const std::string& message, const std::string& type) {
  nlohmann::json j = {{"error", {{"message", message}, {"type", type}}}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace r1::gateway::proxy_detail
