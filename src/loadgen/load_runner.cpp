// One coroutine per request over the one pooled client (http/async_client.h),
// all on one io_context on the calling thread; the loop below decides when
// requests start (closed loop or Poisson arrivals) and when the run ends.
#include "http/coro.h"
#include "loadgen/load_runner.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "core/clock.h"
#include "http/client/async_client.h"
#include "loadgen/sse_parser.h"
#include "loadgen/workload.h"

namespace r1::loadgen {

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using r1::http::Awaitable;
using r1::http::ClientConn;

constexpr size_t kMaxResponseBytes = size_t{256} << 20;
// A request whose connect failed holds its slot this long more, so a dead
// server costs a bounded number of records per second.
constexpr std::chrono::milliseconds kConnectBackoff{10};

SteadyClock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
}

double seconds_between(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

// What one response has shown so far.
struct Tracked {
  SteadyClock::time_point start;
  SteadyClock::time_point last_token;
  SseParser sse;
  std::vector<std::string> events;
  bool done_seen = false;    // data: [DONE]
  std::string stream_fault;  // first "parse" / "stream_error" in the stream
  int64_t chunk_tokens = 0;
  int64_t usage_tokens = -1;
  RequestRecord rec;
};

class Runner {
 public:
  explicit Runner(const LoadPlan& plan)
      : plan_(plan),
        c_(plan.config),
        client_(static_cast<size_t>(std::max({plan.config.concurrency, plan.config.connections, 1})),
                plan.config.connections > 0 ? r1::http::AsyncClient::Order::kOldestFirst
                                            : r1::http::AsyncClient::Order::kNewestFirst),
        timeout_(to_duration(plan.config.timeout_s)),
        arrival_rng_(plan.config.seed ^ 0x9e3779b97f4a7c15ULL) {}
  Result<LoadResult> run();

 private:
  Status resolve();
  void begin();
  Awaitable<void> preopen_one(TimePoint deadline);
  void preopened(const std::string& error);
  bool rate_mode() const { return c_.rate > 0; }
  bool has_ticket() const;
  bool arrivals_over() const;
  void pump();
  void on_arrival();
  void on_deadline();
  void maybe_finish();

  r1::http::OutRequest make_request(uint64_t index) const;
  Awaitable<void> request(uint64_t index);
  Awaitable<std::string> read_response(ClientConn& conn, Tracked& t);
  void on_event(Tracked& t, const std::string& data, SteadyClock::time_point now) const;
  std::string completed(const ClientConn& conn, Tracked& t, const std::string& body) const;

  const LoadPlan& plan_;
  const LoadConfig& c_;
  net::io_context ioc_;  // first: destroyed last
  r1::http::AsyncClient client_;
  r1::http::ClientTarget target_;
  SteadyClock::duration timeout_;
  net::steady_timer arrival_timer_{ioc_};
  net::steady_timer deadline_timer_{ioc_};
  int preopen_left_ = 0;
  std::string preopen_error_;
  std::string path_;
  std::string host_header_;
  int in_flight_ = 0;      // requests in flight (and connect back-offs)
  int64_t issued_ = 0;
  int64_t arrived_ = 0;    // Poisson arrivals so far
  int64_t pending_ = 0;    // arrivals waiting for a slot
  bool past_deadline_ = false;
  std::mt19937_64 arrival_rng_;
  SteadyClock::time_point start_;
  SteadyClock::time_point end_;
  std::vector<RequestRecord> records_;
};

Status Runner::resolve() {
  net::ip::tcp::resolver resolver(ioc_);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(plan_.url.host, std::to_string(plan_.url.port), ec);
  if (ec || endpoints.empty()) {
    return make_error(ErrorCode::kNotFound,
                      "--url: cannot resolve '" + plan_.url.host + "': " + ec.message());
  }
  for (const auto& e : endpoints) target_.endpoints.push_back(e.endpoint());
  const bool v6 = plan_.url.host.find(':') != std::string::npos;
  host_header_ = (v6 ? "[" + plan_.url.host + "]" : plan_.url.host) + ":" +
                 std::to_string(plan_.url.port);
  target_.key = host_header_;
  path_ = plan_.url.base_path + endpoint_path(plan_.endpoint);
  return {};
}

Result<LoadResult> Runner::run() {
  if (Status s = resolve(); !s.ok()) return s.error();
  if (c_.connections > 0) {
    preopen_left_ = c_.connections;
    const TimePoint deadline = SteadyClock::now() + timeout_;
    for (int i = 0; i < c_.connections; ++i) net::co_spawn(ioc_, preopen_one(deadline), rethrow);
  } else {
    begin();
  }
  ioc_.run();
  client_.clear();
  if (!preopen_error_.empty()) {
    return make_error(ErrorCode::kIo,
                      "--connections " + std::to_string(c_.connections) + ": " + preopen_error_);
  }
  LoadResult out;
  out.records = std::move(records_);
  out.wall_s = seconds_between(start_, end_);
  out.connections = client_.stats().connects;
  out.stale_retries = client_.stats().stale_retries;
  return out;
}

// Opens one --connections connection with GET /health; the run begins when
// all answered 200 (or fails with the first error).
Awaitable<void> Runner::preopen_one(TimePoint deadline) {
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, plan_.url.base_path + "/health", 11};
  req.set(bhttp::field::host, host_header_);
  req.keep_alive(true);
  ClientConn conn;
  conn.deadline = deadline;
  conn.fresh = true;  // each its own connection
  const r1::http::ClientTimeouts timeouts{timeout_, timeout_};
  beast::error_code ec = co_await client_.exchange(conn, target_, req, timeouts);
  std::string body;
  if (!ec) ec = co_await r1::http::read_rest(conn, &body, timeout_);
  std::string error;
  if (ec == beast::error::timeout) {
    error = "timed out opening the connections";
  } else if (ec) {
    error = (conn.failed == r1::http::ClientPhase::kConnect ? "connect: " : "GET /health: ") + ec.message();
  } else if (conn.parser->get().result_int() != 200 || !conn.parser->get().keep_alive()) {
    error = "GET /health: HTTP " + std::to_string(conn.parser->get().result_int());
  }
  if (error.empty()) client_.release(conn, target_.key);
  preopened(error);
}

void Runner::preopened(const std::string& error) {
  if (!error.empty() && preopen_error_.empty()) {
    preopen_error_ = error + " (" + std::to_string(client_.stats().connects) + " connected)";
  }
  if (--preopen_left_ > 0) return;
  if (!preopen_error_.empty()) return client_.clear();
  begin();
}

void Runner::begin() {
  start_ = end_ = SteadyClock::now();
  if (c_.duration_s > 0) {
    deadline_timer_.expires_after(to_duration(c_.duration_s));
    deadline_timer_.async_wait([this](beast::error_code e) {
      if (!e) on_deadline();
    });
  }
  if (rate_mode()) {
    on_arrival();
  } else {
    pump();
  }
}

bool Runner::has_ticket() const {
  if (rate_mode()) return pending_ > 0;
  return !past_deadline_ && (c_.num_requests == 0 || issued_ < c_.num_requests);
}

bool Runner::arrivals_over() const {
  if (!rate_mode()) return !has_ticket();
  return past_deadline_ || (c_.num_requests > 0 && arrived_ >= c_.num_requests);
}

void Runner::pump() {
  while (in_flight_ < c_.concurrency && has_ticket()) {
    if (rate_mode()) --pending_;
    ++in_flight_;
    net::co_spawn(ioc_, request(static_cast<uint64_t>(issued_++)), rethrow);
  }
  maybe_finish();
}

// Ends the run once nothing is in flight and nothing more will be issued.
void Runner::maybe_finish() {
  if (in_flight_ > 0 || has_ticket() || !arrivals_over()) return;
  arrival_timer_.cancel();
  deadline_timer_.cancel();
}

void Runner::on_arrival() {
  if (arrivals_over()) return;
  ++arrived_;
  ++pending_;
  pump();
  if (arrivals_over()) return;
  std::exponential_distribution<double> gap(c_.rate);
  arrival_timer_.expires_after(to_duration(gap(arrival_rng_)));
  arrival_timer_.async_wait([this](beast::error_code e) {
    if (!e) on_arrival();
  });
}

void Runner::on_deadline() {
  past_deadline_ = true;
  pending_ = 0;  // arrivals that never started are dropped
  arrival_timer_.cancel();
  maybe_finish();
}

r1::http::OutRequest Runner::make_request(uint64_t index) const {
  BodyParams body;
  body.endpoint = plan_.endpoint;
  body.model = c_.model;
  body.prompt = synthetic_prompt(c_.prompt_len, c_.seed, index);
  body.max_tokens = c_.output_len;
  r1::http::OutRequest req{bhttp::verb::post, path_, 11};
  req.set(bhttp::field::host, host_header_);
  req.set(bhttp::field::user_agent, "r1serve-bench-serve");
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::accept,
          endpoint_streams(plan_.endpoint) ? "text/event-stream" : "application/json");
  if (!c_.api_key.empty()) req.set(bhttp::field::authorization, "Bearer " + c_.api_key);
  req.body() = request_body(body);
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

// One request, bounded by --timeout from its start: a record, always.
Awaitable<void> Runner::request(uint64_t index) {
  Tracked t;
  t.start = SteadyClock::now();
  ClientConn conn;
  conn.deadline = t.start + timeout_;
  const r1::http::OutRequest req = make_request(index);
  const r1::http::ClientTimeouts timeouts{timeout_, timeout_};
  const beast::error_code ec = co_await client_.exchange(conn, target_, req, timeouts);
  std::string fault;
  if (ec == beast::error::timeout) {
    fault = "timeout";
  } else if (ec) {
    fault = conn.failed == r1::http::ClientPhase::kConnect ? "connect" : "io";
  } else {
    fault = co_await read_response(conn, t);
  }
  client_.release(conn, target_.key);  // kept only when read to the end and keep-alive
  t.rec.ok = fault.empty();
  t.rec.error = fault;
  t.rec.e2e_s = seconds_between(t.start, SteadyClock::now());
  end_ = SteadyClock::now();
  records_.push_back(std::move(t.rec));
  if (fault == "connect") {
    net::steady_timer backoff(ioc_, kConnectBackoff);
    beast::error_code ignored;
    co_await backoff.async_wait(r1::http::redirect(ignored));
  }
  --in_flight_;
  pump();
}

// Reads the body (stream events as they come); the request's fault or "".
Awaitable<std::string> Runner::read_response(ClientConn& conn, Tracked& t) {
  const unsigned status = conn.parser->get().result_int();
  const bool streamed = status / 100 == 2 && endpoint_streams(plan_.endpoint);
  std::string body;
  size_t total = 0;
  char buf[16384];
  while (!conn.parser->is_done()) {
    size_t got = 0;
    const beast::error_code ec = co_await r1::http::read_some(conn, buf, sizeof(buf), &got, timeout_);
    total += got;
    if (ec == beast::error::timeout) co_return "timeout";
    if (total > kMaxResponseBytes) co_return "parse";
    if (ec) co_return status / 100 != 2 ? "http_" + std::to_string(status) : "stream_incomplete";
    if (!streamed) {
      body.append(buf, got);
      continue;
    }
    const SteadyClock::time_point now = SteadyClock::now();
    if (!t.sse.feed(std::string_view(buf, got), t.events) && t.stream_fault.empty()) t.stream_fault = "parse";
    for (const std::string& data : t.events) on_event(t, data, now);
    t.events.clear();
  }
  co_return completed(conn, t, body);
}

void Runner::on_event(Tracked& t, const std::string& data, SteadyClock::time_point now) const {
  if (data == "[DONE]") {
    t.done_seen = true;
    return;
  }
  const ChunkFacts f = read_chunk(plan_.endpoint, data);
  if (t.stream_fault.empty() && (!f.valid || f.error)) {
    t.stream_fault = f.valid ? "stream_error" : "parse";
  }
  if (f.usage_tokens >= 0) t.usage_tokens = f.usage_tokens;
  if (!f.has_token) return;
  if (t.chunk_tokens == 0) {
    t.rec.ttft_s = seconds_between(t.start, now);
  } else {
    t.rec.itl_s.push_back(seconds_between(t.last_token, now));
  }
  t.last_token = now;
  ++t.chunk_tokens;
}

// The fault of a response read to the end ("" when it succeeded).
std::string Runner::completed(const ClientConn& conn, Tracked& t, const std::string& body) const {
  const unsigned status = conn.parser->get().result_int();
  if (status / 100 != 2) return "http_" + std::to_string(status);
  if (endpoint_streams(plan_.endpoint)) {
    t.rec.output_tokens = t.usage_tokens >= 0 ? t.usage_tokens : t.chunk_tokens;
    return !t.stream_fault.empty() ? t.stream_fault : t.done_seen ? "" : "stream_incomplete";
  }
  const ChunkFacts f = read_completed(body);
  t.rec.output_tokens = f.usage_tokens >= 0 ? f.usage_tokens : (f.has_token ? 1 : 0);
  return !f.valid ? "parse" : f.error ? "stream_error" : "";
}

}  // namespace

Result<LoadResult> run_load(const LoadPlan& plan) {
  try {
    Runner runner(plan);
    return runner.run();
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, std::string("load generator: ") + e.what());
  }
}

}  // namespace r1::loadgen
