#include "loadgen/load_runner.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/clock.h"
#include "loadgen/sse_parser.h"
#include "loadgen/workload.h"

namespace r1::loadgen {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr uint64_t kMaxResponseBytes = uint64_t{256} << 20;
// A slot whose connect failed waits this long before its next request, so a
// dead server costs a bounded number of records per second.
constexpr std::chrono::milliseconds kConnectBackoff{10};

SteadyClock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
}

double seconds_between(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// One connection slot and the request it carries.
struct Conn {
  explicit Conn(net::io_context& ioc) : socket(ioc), timer(ioc) {}
  tcp::socket socket;
  net::steady_timer timer;  // the request's timeout, then the connect back-off
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  std::optional<http::response_parser<http::string_body>> parser;
  SseParser sse;
  std::vector<std::string> events;
  uint64_t generation = 0;  // bumped at each request start and end
  bool open = false;        // connected and reusable
  bool reused = false;      // this request went out on a kept-alive connection
  bool retried = false;
  bool timed_out = false;
  bool done_seen = false;    // data: [DONE]
  std::string stream_fault;  // first "parse" / "stream_error" in the stream
  int64_t chunk_tokens = 0;
  int64_t usage_tokens = -1;
  SteadyClock::time_point start;
  SteadyClock::time_point last_token;
  RequestRecord rec;
};

class Runner {
 public:
  explicit Runner(const LoadPlan& plan)
      : plan_(plan), c_(plan.config), arrival_rng_(plan.config.seed ^ 0x9e3779b97f4a7c15ULL) {}
  Result<LoadResult> run();

 private:
  void begin();
  void preopen();
  void preopened(Conn& c, const std::string& error);
  bool rate_mode() const { return c_.rate > 0; }
  bool has_ticket() const;
  bool arrivals_over() const;
  void pump();
  void on_arrival();
  void on_deadline();
  void maybe_finish();
  Conn& take_conn();

  void issue(Conn& c);
  void prepare_request(Conn& c, uint64_t index);
  void connect(Conn& c);
  void write(Conn& c);
  void read(Conn& c);
  void on_read(Conn& c, beast::error_code ec);
  void on_read_error(Conn& c, beast::error_code ec);
  void consume_stream(Conn& c, SteadyClock::time_point now);
  void on_event(Conn& c, const std::string& data, SteadyClock::time_point now);
  void complete(Conn& c);
  bool retry_stale(Conn& c);
  void fail(Conn& c, std::string kind);
  void finish(Conn& c, bool keep_open);
  void release(Conn& c);
  static void close(Conn& c);

  const LoadPlan& plan_;
  const LoadConfig& c_;
  net::io_context ioc_;
  tcp::resolver::results_type endpoints_;
  net::steady_timer arrival_timer_{ioc_};
  net::steady_timer deadline_timer_{ioc_};
  std::vector<std::unique_ptr<Conn>> conns_;
  std::deque<Conn*> idle_;  // LIFO; FIFO (round robin) over pre-opened ones
  int preopen_left_ = 0;
  std::string preopen_error_;
  net::steady_timer preopen_timer_{ioc_};
  std::string target_;
  std::string host_header_;
  int64_t connections_ = 0;
  int64_t stale_retries_ = 0;
  int in_flight_ = 0;      // occupied slots (requests and back-offs)
  int64_t issued_ = 0;
  int64_t arrived_ = 0;    // Poisson arrivals so far
  int64_t pending_ = 0;    // arrivals waiting for a slot
  bool past_deadline_ = false;
  std::mt19937_64 arrival_rng_;
  SteadyClock::time_point start_;
  SteadyClock::time_point end_;
  std::vector<RequestRecord> records_;
};

Result<LoadResult> Runner::run() {
  tcp::resolver resolver(ioc_);
  beast::error_code ec;
  endpoints_ = resolver.resolve(plan_.url.host, std::to_string(plan_.url.port), ec);
  if (ec || endpoints_.empty()) {
    return make_error(ErrorCode::kNotFound,
                      "--url: cannot resolve '" + plan_.url.host + "': " + ec.message());
  }
  target_ = plan_.url.base_path + endpoint_path(plan_.endpoint);
  const bool v6 = plan_.url.host.find(':') != std::string::npos;
  host_header_ = (v6 ? "[" + plan_.url.host + "]" : plan_.url.host) + ":" +
                 std::to_string(plan_.url.port);
  if (c_.connections > 0) {
    preopen();
  } else {
    begin();
  }
  ioc_.run();
  if (!preopen_error_.empty()) {
    return make_error(ErrorCode::kIo, "--connections " + std::to_string(c_.connections) +
                                                   ": " + preopen_error_);
  }
  LoadResult out;
  out.records = std::move(records_);
  out.wall_s = seconds_between(start_, end_);
  out.connections = connections_;
  out.stale_retries = stale_retries_;
  return out;
}

// Opens every --connections connection and sends GET /health on it; the run
// begins when all answered 200 (or fails with the first error).
void Runner::preopen() {
  preopen_left_ = c_.connections;
  preopen_timer_.expires_after(to_duration(c_.timeout_s));
  preopen_timer_.async_wait([this](beast::error_code e) {
    if (e) return;
    if (preopen_error_.empty()) preopen_error_ = "timed out opening the connections";
    for (auto& c : conns_) close(*c);  // the pending operations end with errors
  });
  for (int i = 0; i < c_.connections; ++i) {
    conns_.push_back(std::make_unique<Conn>(ioc_));
    Conn& c = *conns_.back();
    net::async_connect(c.socket, endpoints_, [this, &c](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return preopened(c, "connect: " + ec.message());
      c.open = true;
      ++connections_;
      beast::error_code ignored;
      c.socket.set_option(tcp::no_delay(true), ignored);
      c.req = http::request<http::string_body>{http::verb::get, plan_.url.base_path + "/health", 11};
      c.req.set(http::field::host, host_header_);
      c.req.keep_alive(true);
      http::async_write(c.socket, c.req, [this, &c](beast::error_code wec, size_t) {
        if (wec) return preopened(c, "GET /health: " + wec.message());
        c.parser.emplace();
        http::async_read(c.socket, c.buffer, *c.parser, [this, &c](beast::error_code rec, size_t) {
          if (rec) return preopened(c, "GET /health: " + rec.message());
          const int status = static_cast<int>(c.parser->get().result_int());
          const bool kept = c.parser->get().keep_alive();
          c.parser.reset();
          if (status != 200 || !kept) return preopened(c, "GET /health: HTTP " + std::to_string(status));
          preopened(c, "");
        });
      });
    });
  }
}

void Runner::preopened(Conn& c, const std::string& error) {
  if (!error.empty() && preopen_error_.empty()) {
    preopen_error_ = error + " (" + std::to_string(connections_) + " connected)";
  }
  if (error.empty()) idle_.push_back(&c);
  if (--preopen_left_ > 0) return;
  preopen_timer_.cancel();
  if (!preopen_error_.empty()) {
    for (auto& conn : conns_) close(*conn);
    return;
  }
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
    issue(take_conn());
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

Conn& Runner::take_conn() {
  if (!idle_.empty()) {
    Conn* c = c_.connections > 0 ? idle_.front() : idle_.back();
    if (c_.connections > 0) {
      idle_.pop_front();
    } else {
      idle_.pop_back();
    }
    return *c;
  }
  conns_.push_back(std::make_unique<Conn>(ioc_));
  return *conns_.back();
}

void Runner::prepare_request(Conn& c, uint64_t index) {
  BodyParams body;
  body.endpoint = plan_.endpoint;
  body.model = c_.model;
  body.prompt = synthetic_prompt(c_.prompt_len, c_.seed, index);
  body.max_tokens = c_.output_len;
  c.req = {};
  c.req.method(http::verb::post);
  c.req.target(target_);
  c.req.version(11);
  c.req.set(http::field::host, host_header_);
  c.req.set(http::field::user_agent, "r1serve-bench-serve");
  c.req.set(http::field::content_type, "application/json");
  c.req.set(http::field::accept,
            endpoint_streams(plan_.endpoint) ? "text/event-stream" : "application/json");
  if (!c_.api_key.empty()) c.req.set(http::field::authorization, "Bearer " + c_.api_key);
  c.req.body() = request_body(body);
  c.req.keep_alive(true);
  c.req.prepare_payload();
}

void Runner::issue(Conn& c) {
  ++in_flight_;
  ++c.generation;
  prepare_request(c, static_cast<uint64_t>(issued_++));
  c.rec = RequestRecord{};
  c.sse.reset();
  c.events.clear();
  c.stream_fault.clear();
  c.done_seen = c.retried = c.timed_out = false;
  c.chunk_tokens = 0;
  c.usage_tokens = -1;
  c.start = SteadyClock::now();
  c.timer.expires_after(to_duration(c_.timeout_s));
  c.timer.async_wait([&c, gen = c.generation](beast::error_code e) {
    if (e || gen != c.generation) return;
    c.timed_out = true;
    close(c);  // aborts the pending connect, write or read
  });
  c.reused = c.open;
  if (c.open) {
    write(c);
  } else {
    connect(c);
  }
}

void Runner::connect(Conn& c) {
  net::async_connect(c.socket, endpoints_, [this, &c](beast::error_code ec, const tcp::endpoint&) {
    if (ec || c.timed_out) return fail(c, c.timed_out ? "timeout" : "connect");
    c.open = true;
    ++connections_;
    beast::error_code ignored;
    c.socket.set_option(tcp::no_delay(true), ignored);
    write(c);
  });
}

void Runner::write(Conn& c) {
  http::async_write(c.socket, c.req, [this, &c](beast::error_code ec, size_t) {
    if (ec) {
      if (retry_stale(c)) return;
      return fail(c, c.timed_out ? "timeout" : "io");
    }
    c.parser.emplace();
    c.parser->body_limit(kMaxResponseBytes);
    read(c);
  });
}

void Runner::read(Conn& c) {
  http::async_read_some(c.socket, c.buffer, *c.parser,
                        [this, &c](beast::error_code ec, size_t) { on_read(c, ec); });
}

void Runner::on_read(Conn& c, beast::error_code ec) {
  if (ec) return on_read_error(c, ec);
  if (c.parser->is_header_done() && c.parser->get().result_int() / 100 == 2 &&
      endpoint_streams(plan_.endpoint)) {
    consume_stream(c, SteadyClock::now());
  }
  if (c.parser->is_done()) return complete(c);
  read(c);
}

void Runner::on_read_error(Conn& c, beast::error_code ec) {
  if (c.timed_out) return fail(c, "timeout");
  if (!c.parser->got_some() && retry_stale(c)) return;
  if (ec == http::error::body_limit) return fail(c, "parse");
  if (!c.parser->is_header_done()) return fail(c, "io");
  const unsigned status = c.parser->get().result_int();
  if (status / 100 != 2) return fail(c, "http_" + std::to_string(status));
  fail(c, "stream_incomplete");
}

// Feeds the body bytes read so far to the SSE parser, then drops them.
void Runner::consume_stream(Conn& c, SteadyClock::time_point now) {
  std::string& body = c.parser->get().body();
  if (body.empty()) return;
  if (!c.sse.feed(body, c.events) && c.stream_fault.empty()) c.stream_fault = "parse";
  body.clear();
  for (const std::string& data : c.events) on_event(c, data, now);
  c.events.clear();
}

void Runner::on_event(Conn& c, const std::string& data, SteadyClock::time_point now) {
  if (data == "[DONE]") {
    c.done_seen = true;
    return;
  }
  const ChunkFacts f = read_chunk(plan_.endpoint, data);
  if (c.stream_fault.empty() && (!f.valid || f.error)) {
    c.stream_fault = f.valid ? "stream_error" : "parse";
  }
  if (f.usage_tokens >= 0) c.usage_tokens = f.usage_tokens;
  if (!f.has_token) return;
  if (c.chunk_tokens == 0) {
    c.rec.ttft_s = seconds_between(c.start, now);
  } else {
    c.rec.itl_s.push_back(seconds_between(c.last_token, now));
  }
  c.last_token = now;
  ++c.chunk_tokens;
}

void Runner::complete(Conn& c) {
  const auto& res = c.parser->get();
  const bool keep = res.keep_alive();
  const unsigned status = res.result_int();
  std::string fault;
  if (status / 100 != 2) {
    fault = "http_" + std::to_string(status);
  } else if (endpoint_streams(plan_.endpoint)) {
    fault = !c.stream_fault.empty() ? c.stream_fault : c.done_seen ? "" : "stream_incomplete";
    c.rec.output_tokens = c.usage_tokens >= 0 ? c.usage_tokens : c.chunk_tokens;
  } else {
    const ChunkFacts f = read_completed(res.body());
    fault = !f.valid ? "parse" : f.error ? "stream_error" : "";
    c.rec.output_tokens = f.usage_tokens >= 0 ? f.usage_tokens : (f.has_token ? 1 : 0);
  }
  c.rec.ok = fault.empty();
  c.rec.error = fault;
  c.rec.e2e_s = seconds_between(c.start, SteadyClock::now());
  finish(c, keep);
}

// A kept-alive connection the server closed before answering: resend once
// on a fresh connection.
bool Runner::retry_stale(Conn& c) {
  if (!c.reused || c.retried || c.timed_out) return false;
  c.retried = true;
  c.reused = false;
  ++stale_retries_;
  close(c);
  c.buffer.consume(c.buffer.size());
  connect(c);
  return true;
}

void Runner::fail(Conn& c, std::string kind) {
  c.rec.ok = false;
  c.rec.error = std::move(kind);
  c.rec.e2e_s = seconds_between(c.start, SteadyClock::now());
  finish(c, false);
}

void Runner::finish(Conn& c, bool keep_open) {
  ++c.generation;  // a timeout already queued for this request is stale
  c.timer.cancel();
  if (!keep_open) {
    close(c);
    c.buffer.consume(c.buffer.size());
  }
  c.parser.reset();
  end_ = SteadyClock::now();
  const bool backoff = c.rec.error == "connect";
  records_.push_back(std::move(c.rec));
  if (!backoff) return release(c);
  c.timer.expires_after(kConnectBackoff);
  c.timer.async_wait([this, &c](beast::error_code) { release(c); });
}

void Runner::release(Conn& c) {
  --in_flight_;
  idle_.push_back(&c);
  pump();
}

void Runner::close(Conn& c) {
  beast::error_code ignored;
  if (c.socket.is_open()) {
    c.socket.shutdown(tcp::socket::shutdown_both, ignored);
    c.socket.close(ignored);
  }
  c.open = false;
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
