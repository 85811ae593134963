#include "http/listener.h"

#include <boost/asio/post.hpp>

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

void Listener::accept() {
  acceptor_.async_accept(peer_executor(), [this](error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) return accept_later(ec);
    // Small writes (SSE chunks, short answers) go out at once, not held by
    // Nagle until the client's delayed ACK.
    socket.set_option(tcp::no_delay(true), ec);
    on_accept_(std::move(socket));
    accept();
  });
}

void Listener::accept_later(const error_code& ec) {
  if (accept_errors_++ % kAcceptLogEvery == 0) {
    log::warn("{}accept failed ({} so far): {}; retrying in 50 ms", prefix(options_.what), accept_errors_,
              ec.message());
  }
  retry_.expires_after(kAcceptRetry);
  retry_.async_wait([this](error_code wait_ec) {
    if (wait_ec || !acceptor_.is_open()) return;
    accept();
  });
}

Listener::Listener(net::io_context& ioc, const ListenerOptions& options)
    : ioc_(ioc), options_(options), strand_(net::make_strand(ioc)), acceptor_(strand_), retry_(strand_) {}

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
  net::post(strand_, [this] { accept(); });
}

void Listener::close() {
  net::post(strand_, [this] {
    error_code ec;
    acceptor_.close(ec);
    retry_.cancel();
  });
}

net::any_io_executor Listener::peer_executor() {
  if (options_.strand_per_connection) return net::make_strand(ioc_);
  return ioc_.get_executor();
}

}  // namespace r1::http
