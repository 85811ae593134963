// Beast transport: the listener and the I/O threads. Each accepted
// connection becomes a Session (http_session.cpp) on its own strand.
#include "server/http_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "core/log.h"
#include "server/http_session.h"

namespace r1::server {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

}  // namespace

struct HttpServer::Impl {
  Impl(const ServerConfig& c, std::shared_ptr<Backend> backend)
      : config(c),
        router(config, std::move(backend)),
        ioc(config.threads),
        acceptor(net::make_strand(ioc)),
        accept_retry(acceptor.get_executor()) {}

  Status listen();
  void accept();
  void accept_later(const beast::error_code& ec);

  const ServerConfig config;
  Router router;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::steady_timer accept_retry;  // after an accept error (say, out of fds)
  int accept_errors = 0;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool stopped = false;
  std::atomic<int> unflushed{0};  // answers whose bytes are not all written
};

Status HttpServer::Impl::listen() {
  beast::error_code ec;
  const std::string host = config.host == "localhost" ? "127.0.0.1" : config.host;
  const net::ip::address address = net::ip::make_address(host, ec);
  if (ec) return make_error(ErrorCode::kInvalidArgument, "bad host '" + config.host + "': " + ec.message());
  const tcp::endpoint endpoint(address, config.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(ErrorCode::kIo, "cannot listen on " + config.host + ":" +
                                          std::to_string(config.port) + ": " + ec.message());
  }
  port = acceptor.local_endpoint(ec).port();
  return Status::ok_status();
}

void HttpServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) return accept_later(ec);
    socket.set_option(tcp::no_delay(true), ec);
    start_session(std::move(socket), config, router, unflushed);
    accept();
  });
}

// An accept error (EMFILE, ENFILE, ENOBUFS...) would come back at once if
// retried at once: log it (the first and every 100th) and retry in 50 ms,
// while the connections already open go on.
void HttpServer::Impl::accept_later(const beast::error_code& ec) {
  if (accept_errors++ % 100 == 0) {
    log::warn("accept failed ({} so far): {}; retrying in 50 ms", accept_errors, ec.message());
  }
  accept_retry.expires_after(std::chrono::milliseconds(50));
  accept_retry.async_wait([this](beast::error_code wait_ec) {
    if (wait_ec || !acceptor.is_open()) return;
    accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const ServerConfig& config,
                                                      std::shared_ptr<Backend> backend) {
  if (config.threads < 1 || config.threads > 1024) {
    return make_error(ErrorCode::kInvalidArgument, "threads must be in [1, 1024]");
  }
  if (!backend) return make_error(ErrorCode::kInvalidArgument, "no backend");
  auto impl = std::make_unique<Impl>(config, std::move(backend));
  R1_RETURN_IF_ERROR(impl->listen());
  impl->accept();
  for (int i = 0; i < config.threads; ++i) {
    impl->threads.emplace_back([ioc = &impl->ioc] { ioc->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() { stop(); }

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::drain() { impl_->router.drain(); }

bool HttpServer::wait_idle(std::chrono::milliseconds grace) { return impl_->router.wait_idle(grace); }

void HttpServer::stop(std::chrono::milliseconds grace) {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->router.drain();
  impl_->router.cancel_all();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  if (!impl_->router.wait_idle(grace)) {
    log::warn("server stop: {} generations still in flight", impl_->router.in_flight());
  }
  // Generations are done, but their last chunks may still be queued on the
  // sessions: let the I/O threads write them (each write is bounded by the
  // write timeout) before stopping.
  while (impl_->unflushed.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
    impl->accept_retry.cancel();
  });
  impl_->ioc.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
}

Router& HttpServer::router() { return impl_->router; }

}  // namespace r1::server
