// The proxy's client side: keep-alive sessions (http/session.h) over the
// listener (http/listener.h), non-stream relay.
#include "gateway/proxy/proxy.h"

#include <boost/asio/post.hpp>

#include <chrono>
#include <optional>
#include <thread>

#include "http/listener.h"
#include "http/session.h"
#include "gateway/proxy/proxy_internal.h"
#include "gateway/proxy/proxy_queue.h"

namespace r1::gateway {

using namespace proxy_detail;  // NOLINT: this file is the proxy

struct ProxyServer::Impl {
  ProxyOptions options;
  Router& router;
  ProxyMetrics& metrics;
  RetryBudget budget;
  r1::http::AsyncClient client;
  WaitQueue queue{metrics};
  std::unique_ptr<net::io_context> ioc = std::make_unique<net::io_context>(1);
  std::unique_ptr<r1::http::Listener> listener;
  std::thread thread;
  bool stopped = false;
  Ctx ctx{options, router, metrics, budget, client, queue};
  r1::http::SessionLimits limits;
  r1::http::SessionHandlers handlers;

  Impl(const ProxyOptions& o, Router& r, ProxyMetrics& m)
      : options(o), router(r), metrics(m), budget(o.retries), client(o.max_idle_per_upstream) {}
};

namespace {

struct ActiveGuard {
  RetryBudget& budget;
  explicit ActiveGuard(RetryBudget& b) : budget(b) { budget.request_started(); }
  ~ActiveGuard() { budget.request_finished(); }
};

Awaitable<bool> write_simple(beast::tcp_stream& client, const ClientRequest& req, const OpenResult& r) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
  res.set(http::field::content_type, "application/json");
  res.set(kVersionHeader, r.version);
  if (r.status == 503 || r.status == 429) res.set(http::field::retry_after, "1");
  res.keep_alive(req.keep_alive());
  res.body() = r.body;
  res.prepare_payload();
  beast::error_code ec;
  client.expires_after(std::chrono::seconds(30));
  co_await http::async_write(client, res, redirect(ec));
  co_return !ec && req.keep_alive();
}

Awaitable<bool> relay_body(Ctx& ctx, RequestState& st, std::unique_ptr<Upstream> up,
                           beast::tcp_stream& client) {
  std::string body;
  beast::error_code ec = co_await r1::http::read_rest(*up, &body, ctx.options.response_timeout);
  const std::string version = up->decision.version;
  if (ec) {
    ctx.metrics.count_upstream(version, 0);
    finish_upstream(ctx, *up, RequestOutcome::kConnectFailure, false);
    ctx.metrics.count_response(502);
    const OpenResult failed{nullptr, 502, error_json("upstream: " + ec.message(), "upstream_error"), version};
    co_return co_await write_simple(client, st.request, failed);
  }
  const auto& head = up->parser->get();
  const int status = static_cast<int>(head.result_int());
  ctx.metrics.count_upstream(version, status);
  http::response<http::string_body> res{head.result(), 11};
  for (const auto& field : head) {
    if (!is_hop_by_hop(field.name_string())) res.set(field.name_string(), field.value());
  }
  res.set(kVersionHeader, version);
  res.keep_alive(st.request.keep_alive());
  ctx.metrics.count_response(status);
  res.body() = std::move(body);
  res.prepare_payload();
  finish_upstream(ctx, *up, status >= 400 ? RequestOutcome::kClientError : RequestOutcome::kSuccess, true);
  client.expires_after(std::chrono::seconds(30));
  co_await http::async_write(client, res, redirect(ec));
  co_return !ec && st.request.keep_alive();
}

// GET /healthz and /readyz: the gateway's own liveness and readiness.
std::optional<OpenResult> own_probe(const Ctx& ctx, const ClientRequest& req) {
  if (req.method() != http::verb::get) return std::nullopt;
  if (req.target() == "/healthz") return OpenResult{nullptr, 200, R"({"status":"ok"})", "gateway"};
  if (req.target() != "/readyz") return std::nullopt;
  if (ctx.options.draining && ctx.options.draining()) {
    return OpenResult{nullptr, 503, R"({"status":"draining"})", "gateway"};
  }
  return OpenResult{nullptr, 200, R"({"status":"ready"})", "gateway"};
}

Awaitable<bool> handle_request(Ctx& ctx, beast::tcp_stream& client, const ClientRequest& req) {
  if (std::optional<OpenResult> probe = own_probe(ctx, req)) co_return co_await write_simple(client, req, *probe);
  ctx.metrics.count_request();
  ActiveGuard active(ctx.budget);
  const std::string session(sv(req[kSessionHeader]));
  RequestState st{req, prepare_request(sv(req.target()), req.body(), session), {}, SteadyClock::now()};
  OpenResult open = co_await open_upstream(ctx, st, st.prepared.upstream_body, st.prepared.stream, false);
  if (!open.upstream) {
    ctx.metrics.count_response(open.status);
    co_return co_await write_simple(client, req, open);
  }
  const auto content_type = open.upstream->parser->get()[http::field::content_type];
  if (content_type.starts_with("text/event-stream")) {
    co_return co_await relay_stream(ctx, st, std::move(open.upstream), client);
  }
  if (open.upstream->parser->get().chunked() && content_type.starts_with("audio/")) {
    co_return co_await relay_chunks(ctx, st, std::move(open.upstream), client);
  }
  co_return co_await relay_body(ctx, st, std::move(open.upstream), client);
}

// The client connection's limits: the body up to max_body_bytes, a
// request (header and body) within client_idle_timeout.
r1::http::SessionLimits session_limits(const ProxyOptions& options) {
  r1::http::SessionLimits limits;
  limits.body_limit = options.max_body_bytes;
  limits.upload_prefix = "/v1/audio/";
  limits.upload_body_limit = options.max_upload_bytes;
  limits.header_limit = 8 << 10;
  limits.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.client_idle_timeout);
  limits.read_timeout = limits.idle_timeout;
  limits.write_timeout = std::chrono::seconds(30);
  return limits;
}

r1::http::SessionHandlers session_handlers(Ctx& ctx) {
  r1::http::SessionHandlers h;
  h.on_request = [&ctx](r1::http::Connection& conn, ClientRequest& req) {
    return handle_request(ctx, conn.stream(), req);
  };
  h.on_bad_request = [&ctx](r1::http::Connection& conn, const r1::http::BadRequest& bad) -> Awaitable<void> {
    ctx.metrics.count_response(bad.status);
    auto res = r1::http::make_response(bad.status, "application/json", error_json(bad.message, "invalid_request_error"), false);
    co_await conn.write(res);
  };
  return h;
}

}  // namespace

ProxyOptions proxy_options(const GatewayConfig& config) {
  ProxyOptions o;
  o.port = config.ports.listen;
  o.retries = config.retries;
  o.stream = config.stream;
  o.queue = config.queue;
  return o;
}

Result<std::unique_ptr<ProxyServer>> ProxyServer::start(const ProxyOptions& options, Router& router,
                                                        ProxyMetrics& metrics) {
  auto impl = std::make_unique<Impl>(options, router, metrics);
  R1_ASSIGN_OR_RETURN(impl->listener,
                      r1::http::Listener::open(*impl->ioc, {"proxy", options.host, static_cast<uint16_t>(options.port)}));
  impl->limits = session_limits(options);
  impl->handlers = session_handlers(impl->ctx);
  Impl* raw = impl.get();
  r1::http::serve_sessions(*impl->listener, raw->limits, raw->handlers);
  impl->thread = std::thread([raw] { raw->ioc->run(); });
  return std::unique_ptr<ProxyServer>(new ProxyServer(std::move(impl)));
}

ProxyServer::ProxyServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ProxyServer::~ProxyServer() { stop(); }

void ProxyServer::update_policies(const RetryConfig& retries, const StreamConfig& stream,
                                  const QueueConfig& queue) {
  net::post(*impl_->ioc, [impl = impl_.get(), retries, stream, queue] {
    impl->options.retries = retries;
    impl->options.stream = stream;
    impl->options.queue = queue;
    impl->budget.set_config(retries);
  });
}

uint16_t ProxyServer::port() const { return impl_->listener->port(); }

void ProxyServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->queue.close();
  impl_->ioc->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->listener.reset();
  impl_->client.clear();
  impl_->ioc.reset();  // destroys the suspended sessions with their sockets
}

}  // namespace r1::gateway
