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

// Sends the request and reads the response header. A failed pooled
// connection (stale keep-alive) is replaced by a fresh one once.
Awaitable<beast::error_code> exchange(Ctx& ctx, Upstream& up,
                                      const http::request<http::string_body>& req,
                                      Duration header_timeout) {
  beast::error_code ec;
  up.stream = ctx.pool.take(up.key);
  bool pooled = up.stream != nullptr;
  for (;;) {
    if (!up.stream) {
      up.stream = std::make_unique<beast::tcp_stream>(co_await net::this_coro::executor);
      const auto address = net::ip::make_address(up.decision.replica.host, ec);
      if (ec) co_return ec;
      up.stream->expires_after(ctx.options.connect_timeout);
      co_await up.stream->async_connect(tcp::endpoint(address, up.decision.replica.port),
                                        redirect(ec));
      if (ec) co_return ec;
      up.stream->socket().set_option(tcp::no_delay(true), ec);  // as the client side
      ec = {};
    }
    up.buffer.clear();
    up.parser = std::make_unique<UpstreamParser>();
    up.parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    up.stream->expires_after(ctx.options.connect_timeout);
    co_await http::async_write(*up.stream, req, redirect(ec));
    if (!ec) {
      up.stream->expires_after(header_timeout);
      co_await http::async_read_header(*up.stream, up.buffer, *up.parser, redirect(ec));
    }
    if (!ec || !pooled || ec == beast::error::timeout) co_return ec;
    pooled = false;
    up.stream.reset();
  }
}

Awaitable<beast::error_code> read_all(Upstream& up, std::string* out, Duration timeout) {
  char buf[16384];
  beast::error_code ec;
  auto& p = *up.parser;
  while (!p.is_done()) {
    p.get().body().data = buf;
    p.get().body().size = sizeof(buf);
    up.stream->expires_after(timeout);
    co_await http::async_read_some(*up.stream, up.buffer, p, redirect(ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return ec;
    out->append(buf, sizeof(buf) - p.get().body().size);
  }
  co_return ec;
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
  up->key = decision->replica.host + ":" + std::to_string(decision->replica.port);
  if (st.tried.size() == 1) ctx.metrics.observe_added_latency(SteadyClock::now() - st.started);
  const Duration timeout = stream ? ctx.options.stream.first_token_timeout : ctx.options.response_timeout;
  beast::error_code ec = co_await exchange(ctx, *up, upstream_request(st.request, body, up->key), timeout);
  const std::string& version = decision->version;
  if (ec) {
    const bool timed_out = ec == beast::error::timeout;
    ctx.metrics.count_upstream(version, 0);
    finish_upstream(ctx, *up, timed_out ? RequestOutcome::kTimeout : RequestOutcome::kConnectFailure, false);
    *last = OpenResult{nullptr, timed_out ? 504 : 502,
                       error_json("upstream " + up->key + ": " + ec.message(), "upstream_error"), version};
    co_return nullptr;
  }
  const int status = static_cast<int>(up->parser->get().result_int());
  if (status < 500 && status != kBusy) co_return up;
  ctx.metrics.count_upstream(version, status);
  *last = OpenResult{nullptr, status, "", version};
  ec = co_await read_all(*up, &last->body, ctx.options.connect_timeout);
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

std::unique_ptr<beast::tcp_stream> ConnectionPool::take(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  auto stream = std::move(it->second.back());
  it->second.pop_back();
  return stream;
}

void ConnectionPool::give(const std::string& key, std::unique_ptr<beast::tcp_stream> stream,
                          size_t max_idle) {
  auto& idle = idle_[key];
  if (idle.size() >= max_idle) return;
  stream->expires_never();
  idle.push_back(std::move(stream));
}

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
  if (reusable && up.stream && up.parser && up.parser->is_done() && up.parser->keep_alive()) {
    ctx.pool.give(up.key, std::move(up.stream), ctx.options.max_idle_per_upstream);
  }
  up.stream.reset();
}

Awaitable<beast::error_code> read_body(Upstream& up, std::string* out, Duration timeout) {
  co_return co_await read_all(up, out, timeout);
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
