// The per-request side of the worker's HTTP server: a Channel queues what
// the Router answers (from any thread), the session coroutine writes it on
// the connection's strand. See http_session.h.
#include "server/http_session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/serializer.hpp>

#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "server/api/openai_render.h"

namespace r1::server {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using http::Awaitable;
using http::redirect;

constexpr size_t kWatchBytes = 4096;

// Wakes the session coroutine: a timer that never expires, cancelled by
// whoever has news (new output, the socket readable). Lives on the strand.
struct Wakeup {
  explicit Wakeup(const net::any_io_executor& ex) : timer(ex, net::steady_timer::time_point::max()) {}
  net::steady_timer timer;
  bool readable = false;  // the disconnect watch fired
  beast::error_code watch_error;
};

// Output of one request, queued from any thread and written by the session.
class Channel final : public ResponseChannel {
 public:
  enum class Kind { kRespond, kHead, kData, kEnd };
  struct Op {
    Kind kind = Kind::kData;
    HttpResponse response;
    std::string data;
  };

  explicit Channel(std::shared_ptr<Wakeup> wakeup) : wakeup_(std::move(wakeup)) {}

  void respond(HttpResponse r) override { push({Kind::kRespond, std::move(r), {}}, true); }
  void start_stream(HttpResponse head) override { push({Kind::kHead, std::move(head), {}}, false); }
  void write(std::string data) override { push({Kind::kData, {}, std::move(data)}, false); }
  void end_stream() override { push({Kind::kEnd, {}, {}}, true); }
  void on_disconnect(std::function<void()> fn) override;

  // Session side, on its strand.
  bool take(Op* op);  // the next op; consecutive data ops are joined
  void disconnected();  // the client went away: run the disconnect hook

 private:
  void push(Op op, bool terminal);

  mutable std::mutex mu_;
  std::deque<Op> ops_;
  bool terminal_ = false;
  bool gone_ = false;
  std::function<void()> on_gone_;
  // Dropped once the terminal op is queued: nothing posts to the session's
  // executor after that (the server stops its io_context only then).
  std::shared_ptr<Wakeup> wakeup_;
};

void Channel::push(Op op, bool terminal) {
  std::shared_ptr<Wakeup> wakeup;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (terminal_ || !wakeup_) return;
    ops_.push_back(std::move(op));
    if (terminal) {
      terminal_ = true;
      on_gone_ = nullptr;
      wakeup = std::move(wakeup_);
    } else {
      wakeup = wakeup_;
    }
  }
  net::post(wakeup->timer.get_executor(), [wakeup] { wakeup->timer.cancel(); });
}

void Channel::on_disconnect(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (terminal_) return;
    if (!gone_) {
      on_gone_ = std::move(fn);
      return;
    }
  }
  fn();
}

bool Channel::take(Op* op) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ops_.empty()) return false;
  *op = std::move(ops_.front());
  ops_.pop_front();
  while (op->kind == Kind::kData && !ops_.empty() && ops_.front().kind == Kind::kData) {
    op->data += ops_.front().data;
    ops_.pop_front();
  }
  return true;
}

void Channel::disconnected() {
  std::function<void()> fn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    gone_ = true;
    fn = std::move(on_gone_);
    on_gone_ = nullptr;
  }
  if (fn) fn();
}

// Counts an answer in progress so HttpServer::stop() can wait until every
// queued byte is written before stopping the I/O threads.
class Unflushed {
 public:
  explicit Unflushed(std::atomic<int>& count) : count_(count) { count_.fetch_add(1); }
  ~Unflushed() { count_.fetch_sub(1); }
  Unflushed(const Unflushed&) = delete;
  Unflushed& operator=(const Unflushed&) = delete;

 private:
  std::atomic<int>& count_;
};

template <typename Message>
void fill_head(Message& m, const HttpResponse& r, bool keep_alive) {
  m.result(static_cast<unsigned>(r.status));
  m.version(11);
  m.set(bhttp::field::server, "r1serve");
  if (!r.content_type.empty()) m.set(bhttp::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) m.insert(name, value);
  m.keep_alive(keep_alive);
}

Awaitable<bool> write_response(http::Connection& conn, HttpResponse r, bool keep_alive) {
  http::StringResponse res;
  fill_head(res, r, keep_alive);
  res.body() = std::move(r.body);
  res.prepare_payload();
  co_return co_await conn.write(res);
}

Awaitable<bool> write_head(http::Connection& conn, const HttpResponse& r, bool keep_alive) {
  bhttp::response<bhttp::empty_body> head;
  fill_head(head, r, keep_alive);
  head.chunked(true);
  bhttp::response_serializer<bhttp::empty_body> sr(head);
  beast::error_code ec;
  conn.stream().expires_after(conn.limits().write_timeout);
  co_await bhttp::async_write_header(conn.stream(), sr, redirect(ec));
  co_return !ec;
}

// Writes one op; false when the write failed. Sets *last after the
// terminal op and clears *keep_alive for a response that asks to close.
Awaitable<bool> write_op(http::Connection& conn, Channel::Op& op, bool* keep_alive, bool* last) {
  switch (op.kind) {
    case Channel::Kind::kRespond:
      *last = true;
      if (op.response.close) *keep_alive = false;
      co_return co_await write_response(conn, std::move(op.response), *keep_alive);
    case Channel::Kind::kHead: co_return co_await write_head(conn, op.response, *keep_alive);
    case Channel::Kind::kData: {
      char size[24];
      snprintf(size, sizeof(size), "%zx\r\n", op.data.size());
      const std::string chunk = size + op.data + "\r\n";
      co_return co_await conn.write_raw(chunk);
    }
    case Channel::Kind::kEnd: {
      *last = true;
      const std::string end = "0\r\n\r\n";
      co_return co_await conn.write_raw(end);
    }
  }
  co_return false;
}

// While the answer is pending, a wait for the socket to be readable notices
// the client going away (eof/reset) or a pipelined request (bytes).
void watch(http::Connection& conn, const std::shared_ptr<Wakeup>& wakeup) {
  conn.stream().socket().async_wait(tcp::socket::wait_read, [wakeup](beast::error_code ec) {
    if (ec == net::error::operation_aborted) return;
    wakeup->readable = true;
    wakeup->watch_error = ec;
    wakeup->timer.cancel();
  });
}

// After the watch fired: true when the client is still there (the bytes are
// a pipelined request, kept in the buffer), false when it went away.
bool read_pipelined(http::Connection& conn, const Wakeup& wakeup) {
  if (wakeup.watch_error) return false;
  tcp::socket& socket = conn.stream().socket();
  beast::error_code ec;
  socket.non_blocking(true, ec);
  const size_t n = socket.read_some(conn.buffer().prepare(kWatchBytes), ec);
  beast::error_code ignored;
  socket.non_blocking(false, ignored);
  if (ec == net::error::would_block) return true;  // spurious: nothing yet
  if (ec) return false;
  conn.buffer().commit(n);
  return true;
}

HttpRequest to_request(http::Request& req) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  if (auto it = req.find(bhttp::field::authorization); it != req.end()) r.authorization = std::string(it->value());
  if (auto it = req.find(bhttp::field::origin); it != req.end()) r.origin = std::string(it->value());
  if (auto it = req.find(bhttp::field::content_type); it != req.end()) r.content_type = std::string(it->value());
  r.body = std::move(req.body());
  return r;
}

// One request: the Router answers through a Channel; its ops are written
// as they come. Returns keep-alive.
Awaitable<bool> answer(const SessionContext& ctx, http::Connection& conn, http::Request& req) {
  Unflushed unflushed(ctx.unflushed);
  auto wakeup = std::make_shared<Wakeup>(co_await net::this_coro::executor);
  auto channel = std::make_shared<Channel>(wakeup);
  bool keep_alive = req.keep_alive();
  conn.stream().expires_never();
  ctx.router.handle(to_request(req), channel);
  bool watching = false, pipelined = false, last = false;
  for (;;) {
    Channel::Op op;
    if (channel->take(&op)) {
      if (!co_await write_op(conn, op, &keep_alive, &last)) break;
      if (last) break;
      continue;
    }
    if (!watching && !pipelined) {
      watch(conn, wakeup);
      watching = true;
    }
    beast::error_code ec;
    co_await wakeup->timer.async_wait(redirect(ec));
    if (!wakeup->readable) continue;
    wakeup->readable = false;
    watching = false;
    if (!read_pipelined(conn, *wakeup)) break;
    pipelined = conn.buffer().size() > 0;
  }
  if (watching) {
    beast::error_code ignored;
    conn.stream().socket().cancel(ignored);
  }
  if (!last) {
    channel->disconnected();  // a failed write or the client went away
    co_return false;
  }
  co_return keep_alive;
}

Awaitable<void> refuse(const SessionContext& ctx, http::Connection& conn, const http::BadRequest& bad) {
  Unflushed unflushed(ctx.unflushed);
  const ApiError e{bad.status, "invalid_request_error", bad.message, "", bad.code};
  ctx.router.metrics().requests.with({"other", std::to_string(e.http_status)}).inc();
  // Named, not a temporary in the co_await expression (GCC 12 destroys
  // such temporaries twice).
  HttpResponse response{e.http_status, "application/json", {}, render_error(e), true};
  co_await write_response(conn, std::move(response), false);
}

}  // namespace


http::SessionHandlers session_handlers(const SessionContext& ctx) {
  http::SessionHandlers h;
  h.on_request = [&ctx](http::Connection& conn, http::Request& req) { return answer(ctx, conn, req); };
  h.on_bad_request = [&ctx](http::Connection& conn, const http::BadRequest& bad) { return refuse(ctx, conn, bad); };
  return h;
}

}  // namespace r1::server
