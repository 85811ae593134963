#include "http/listener.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

#include "core/log.h"

namespace r1::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr auto kAcceptRetry = std::chrono::milliseconds(50);
constexpr int kAcceptLogEvery = 100;

std::string prefix(const std::string& what) { return what.empty() ? "" : what + ": "; }

}  // namespace

Result<net::ip::address> listen_address(const std::string& host, const std::string& what) {
  error_code ec;
  const net::ip::address address = net::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) return make_error(ErrorCode::kInvalidArgument, prefix(what) + "bad host '" + host + "': " + ec.message());
  return address;
}

struct Listener::Loop {
  static net::awaitable<void> run(Listener* self);
};

net::awaitable<void> Listener::Loop::run(Listener* self) {
  int errors = 0;
  net::steady_timer retry(self->strand_);
  for (;;) {
    error_code ec;
    tcp::socket socket = co_await self->acceptor_.async_accept(
        self->peer_executor(), net::redirect_error(net::use_awaitable, ec));
    if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) co_return;
    if (ec) {
      if (errors++ % kAcceptLogEvery == 0) {
        log::warn("{}accept failed ({} so far): {}; retrying in 50 ms", self->log_prefix(), errors, ec.message());
      }
      retry.expires_after(kAcceptRetry);
      co_await retry.async_wait(net::redirect_error(net::use_awaitable, ec));
      if (!self->acceptor_.is_open()) co_return;
      continue;
    }
    // Small writes (SSE chunks, short answers) go out at once, not held by
    // Nagle until the client's delayed ACK.
    socket.set_option(tcp::no_delay(true), ec);
    self->on_accept_(std::move(socket));
  }
}

Listener::Listener(net::io_context& ioc, const ListenerOptions& options)
    : ioc_(ioc), options_(options), strand_(net::make_strand(ioc)), acceptor_(strand_) {}

Listener::~Listener() {
  error_code ec;
  acceptor_.close(ec);
}

Result<std::unique_ptr<Listener>> Listener::open(net::io_context& ioc, const ListenerOptions& options) {
  R1_ASSIGN_OR_RETURN(const net::ip::address address, listen_address(options.host, options.what));
  std::unique_ptr<Listener> listener(new Listener(ioc, options));
  R1_RETURN_IF_ERROR(listener->listen(tcp::endpoint(address, options.port)));
  return listener;
}

Status Listener::listen(const tcp::endpoint& endpoint) {
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(ErrorCode::kIo, prefix(options_.what) + "cannot listen on " + options_.host + ":" +
                                          std::to_string(options_.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
  return Status::ok_status();
}

void Listener::start(OnAccept on_accept) {
  on_accept_ = std::move(on_accept);
  net::co_spawn(strand_, Loop::run(this), net::detached);
}

void Listener::close() {
  net::post(strand_, [this] {
    error_code ec;
    acceptor_.close(ec);
  });
}

net::any_io_executor Listener::peer_executor() {
  if (options_.strand_per_connection) return net::make_strand(ioc_);
  return ioc_.get_executor();
}

std::string Listener::log_prefix() const { return prefix(options_.what); }

}  // namespace r1::http
