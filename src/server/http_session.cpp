// The per-connection side of the HTTP server: a Session reads requests,
// hands them to the Router and writes what its Channel queues (responses,
// SSE chunks) on the connection's strand. See http_session.h.
#include "server/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "server/openai_render.h"

namespace r1::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto kLingerTimeout = std::chrono::seconds(1);
constexpr size_t kWatchBytes = 4096;

class Session;

// Output of one request, queued from any thread and written by the session.
class Channel final : public ResponseChannel {
 public:
  enum class Kind { kRespond, kHead, kData, kEnd };
  struct Op {
    Kind kind = Kind::kData;
    HttpResponse response;
    std::string data;
  };

  explicit Channel(std::shared_ptr<Session> session) : session_(std::move(session)) {}

  void respond(HttpResponse r) override { push({Kind::kRespond, std::move(r), {}}, true); }
  void start_stream(HttpResponse head) override { push({Kind::kHead, std::move(head), {}}, false); }
  void write(std::string data) override { push({Kind::kData, {}, std::move(data)}, false); }
  void end_stream() override { push({Kind::kEnd, {}, {}}, true); }
  void on_disconnect(std::function<void()> fn) override;

  // Session side, on its strand.
  bool take(Op* op);  // the next op; consecutive data ops are joined
  bool terminal_queued() const;
  void disconnected();  // the client went away: run the disconnect hook

 private:
  void push(Op op, bool terminal);

  mutable std::mutex mu_;
  std::deque<Op> ops_;
  bool terminal_ = false;
  bool gone_ = false;
  std::function<void()> on_gone_;
  std::shared_ptr<Session> session_;  // dropped once the terminal op is queued
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const ServerConfig& config, Router& router,
          std::atomic<int>& unflushed)
      : stream_(std::move(socket)), config_(config), router_(router), unflushed_(unflushed) {}

  void run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }
  void wake() { net::post(stream_.get_executor(), [self = shared_from_this()] { self->flush(); }); }

 private:
  void read_header();
  void on_header(beast::error_code ec);
  void read_body();
  void on_body(beast::error_code ec);
  void fail_read(beast::error_code ec);
  void dispatch_request();
  void watch();
  void on_watch(beast::error_code ec, size_t n);
  void flush();
  void write_response(HttpResponse r);
  void write_head(HttpResponse r);
  void write_raw(std::string bytes, bool last);
  void on_written(beast::error_code ec, bool last);
  void finish_request();
  void close_gracefully();
  void linger();
  void close();
  // Tracks answers in progress so HttpServer::stop() can wait until every
  // queued byte is written before stopping the I/O threads.
  void set_active(bool active) {
    if (active == active_) return;
    active_ = active;
    unflushed_.fetch_add(active ? 1 : -1);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  const ServerConfig& config_;
  Router& router_;
  std::atomic<int>& unflushed_;  // server-wide: answers not yet fully written
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Channel> channel_;
  bool keep_alive_ = false;
  bool active_ = false;    // a request is being answered
  bool writing_ = false;
  bool watching_ = false;  // a disconnect-watch read is pending
  bool read_after_watch_ = false;
  bool closed_ = false;
  std::unique_ptr<http::response<http::string_body>> res_;
  std::unique_ptr<http::response<http::empty_body>> head_;
  std::unique_ptr<http::response_serializer<http::empty_body>> head_sr_;
  std::string out_;
  char discard_[1024];
};

void Channel::push(Op op, bool terminal) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (terminal_ || !session_) return;
    ops_.push_back(std::move(op));
    if (terminal) {
      terminal_ = true;
      on_gone_ = nullptr;
      session = std::move(session_);
    } else {
      session = session_;
    }
  }
  session->wake();
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

bool Channel::terminal_queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return terminal_;
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

void Session::read_header() {
  if (closed_) return;
  parser_.emplace();
  parser_->body_limit(config_.body_limit);
  parser_->header_limit(static_cast<std::uint32_t>(config_.header_limit));
  stream_.expires_after(config_.idle_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                            self->on_header(ec);
                          });
}

void Session::on_header(beast::error_code ec) {
  if (ec) return fail_read(ec);
  if (parser_->is_done()) return dispatch_request();
  if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
    out_ = "HTTP/1.1 100 Continue\r\n\r\n";
    stream_.expires_after(config_.write_timeout);
    net::async_write(stream_, net::buffer(out_),
                     [self = shared_from_this()](beast::error_code e, size_t) {
                       if (e) return self->close();
                       self->read_body();
                     });
    return;
  }
  read_body();
}

void Session::read_body() {
  stream_.expires_after(config_.read_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code e, size_t) { self->on_body(e); });
}

void Session::on_body(beast::error_code ec) {
  if (ec) return fail_read(ec);
  dispatch_request();
}

void Session::fail_read(beast::error_code ec) {
  ApiError e;
  if (ec == http::error::body_limit) {
    e = {413, "invalid_request_error",
         "The request body exceeds " + std::to_string(config_.body_limit) + " bytes", "",
         "request_too_large"};
  } else if (ec == http::error::header_limit) {
    e = {431, "invalid_request_error", "The request headers are too large", "", "headers_too_large"};
  } else if (ec.category() == beast::error_code(http::error::body_limit).category() &&
             ec != http::error::end_of_stream && ec != http::error::partial_message) {
    e = {400, "invalid_request_error", "Malformed HTTP request: " + ec.message(), "", "bad_request"};
  } else {
    return close();  // eof, reset, timeout: nobody to answer
  }
  router_.metrics().requests.with({"other", std::to_string(e.http_status)}).inc();
  keep_alive_ = false;
  set_active(true);
  writing_ = true;
  write_response({e.http_status, "application/json", {}, render_error(e), true});
}

void Session::dispatch_request() {
  http::request<http::string_body>& req = parser_->get();
  HttpRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  if (auto it = req.find(http::field::authorization); it != req.end()) {
    r.authorization = std::string(it->value());
  }
  if (auto it = req.find(http::field::origin); it != req.end()) r.origin = std::string(it->value());
  r.body = std::move(req.body());
  keep_alive_ = req.keep_alive();
  stream_.expires_never();
  set_active(true);
  channel_ = std::make_shared<Channel>(shared_from_this());
  router_.handle(r, channel_);
  if (!channel_->terminal_queued()) watch();
}

// While a response is pending, a read on the raw socket notices the client
// going away (eof/reset) and cancels the generation. Bytes that arrive are
// a pipelined request: they are kept and watching stops.
void Session::watch() {
  watching_ = true;
  stream_.socket().async_read_some(
      buffer_.prepare(kWatchBytes),
      [self = shared_from_this()](beast::error_code ec, size_t n) { self->on_watch(ec, n); });
}

void Session::on_watch(beast::error_code ec, size_t n) {
  watching_ = false;
  if (!ec) buffer_.commit(n);
  if (active_) {
    if (ec && ec != net::error::operation_aborted) {
      if (channel_) channel_->disconnected();
      close();
    }
    return;
  }
  if (read_after_watch_) {
    read_after_watch_ = false;
    if (ec && ec != net::error::operation_aborted) return close();
    read_header();
  }
}

void Session::flush() {
  if (writing_ || closed_ || !channel_) return;
  Channel::Op op;
  if (!channel_->take(&op)) return;
  writing_ = true;
  switch (op.kind) {
    case Channel::Kind::kRespond: return write_response(std::move(op.response));
    case Channel::Kind::kHead: return write_head(std::move(op.response));
    case Channel::Kind::kData: {
      char size[24];
      snprintf(size, sizeof(size), "%zx\r\n", op.data.size());
      return write_raw(size + op.data + "\r\n", false);
    }
    case Channel::Kind::kEnd: return write_raw("0\r\n\r\n", true);
  }
}

template <typename Message>
void fill_head(Message& m, const HttpResponse& r, bool keep_alive) {
  m.result(static_cast<unsigned>(r.status));
  m.version(11);
  m.set(http::field::server, "r1serve");
  if (!r.content_type.empty()) m.set(http::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) m.insert(name, value);
  m.keep_alive(keep_alive);
}

void Session::write_response(HttpResponse r) {
  if (r.close) keep_alive_ = false;
  res_ = std::make_unique<http::response<http::string_body>>();
  fill_head(*res_, r, keep_alive_);
  res_->body() = std::move(r.body);
  res_->prepare_payload();
  stream_.expires_after(config_.write_timeout);
  http::async_write(stream_, *res_, [self = shared_from_this()](beast::error_code ec, size_t) {
    self->on_written(ec, true);
  });
}

void Session::write_head(HttpResponse r) {
  head_ = std::make_unique<http::response<http::empty_body>>();
  fill_head(*head_, r, keep_alive_);
  head_->chunked(true);
  head_sr_ = std::make_unique<http::response_serializer<http::empty_body>>(*head_);
  stream_.expires_after(config_.write_timeout);
  http::async_write_header(stream_, *head_sr_,
                           [self = shared_from_this()](beast::error_code ec, size_t) {
                             self->on_written(ec, false);
                           });
}

void Session::write_raw(std::string bytes, bool last) {
  out_ = std::move(bytes);
  stream_.expires_after(config_.write_timeout);
  net::async_write(stream_, net::buffer(out_),
                   [self = shared_from_this(), last](beast::error_code ec, size_t) {
                     self->on_written(ec, last);
                   });
}

void Session::on_written(beast::error_code ec, bool last) {
  writing_ = false;
  if (ec) {
    if (channel_) channel_->disconnected();
    return close();
  }
  if (last) return finish_request();
  flush();
}

void Session::finish_request() {
  set_active(false);
  channel_.reset();
  res_.reset();
  head_sr_.reset();
  head_.reset();
  if (!keep_alive_) return close_gracefully();
  if (watching_) {
    read_after_watch_ = true;
    beast::error_code ignored;
    stream_.socket().cancel(ignored);
    return;
  }
  read_header();
}

// Half-closes and reads what the client still sends (for a while), so that
// an early answer (413) is not lost to a reset.
void Session::close_gracefully() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec || watching_) return close();
  stream_.expires_after(kLingerTimeout);
  linger();
}

void Session::linger() {
  stream_.async_read_some(net::buffer(discard_),
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                            if (ec) return self->close();
                            self->linger();
                          });
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  set_active(false);
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

}  // namespace

void start_session(tcp::socket socket, const ServerConfig& config, Router& router,
                   std::atomic<int>& unflushed) {
  std::make_shared<Session>(std::move(socket), config, router, unflushed)->run();
}

}  // namespace r1::server
