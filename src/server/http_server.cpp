// Beast transport: the listener (http/listener.h) and the I/O threads. Each
// accepted connection becomes a session (http/session.h, answered by
// http_session.cpp) on its own strand.
#include "server/http_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "core/log.h"
#include "http/listener.h"
#include "server/http_session.h"

namespace r1::server {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

}  // namespace

struct HttpServer::Impl {
  Impl(const ServerConfig& c, std::shared_ptr<Backend> backend, std::shared_ptr<AudioService> audio)
      : config(c),
        router(config, std::move(backend), std::move(audio)),
        limits(config.limits),
        handlers(session_handlers(context)),
        ioc(config.threads) {}

  Status listen();

  // Declared before ioc: the sessions its destruction ends still use them.
  const ServerConfig config;
  Router router;
  std::atomic<int> unflushed{0};  // answers whose bytes are not all written
  const SessionContext context{config, router, unflushed};
  const http::SessionLimits limits;
  const http::SessionHandlers handlers;
  net::io_context ioc;
  std::unique_ptr<http::Listener> listener;
  std::vector<std::thread> threads;
  bool stopped = false;
};

// Each connection gets its own strand: config.threads I/O threads run them.
Status HttpServer::Impl::listen() {
  http::ListenerOptions o;
  o.host = config.host;
  o.port = config.port;
  o.strand_per_connection = true;
  R1_ASSIGN_OR_RETURN(listener, http::Listener::open(ioc, o));
  http::serve_sessions(*listener, limits, handlers);
  return Status::ok_status();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const ServerConfig& config,
                                                      std::shared_ptr<Backend> backend,
                                                      std::shared_ptr<AudioService> audio) {
  if (config.threads < 1 || config.threads > 1024) {
    return make_error(ErrorCode::kInvalidArgument, "threads must be in [1, 1024]");
  }
  if (!backend) return make_error(ErrorCode::kInvalidArgument, "no backend");
  auto impl = std::make_unique<Impl>(config, std::move(backend), std::move(audio));
  R1_RETURN_IF_ERROR(impl->listen());
  for (int i = 0; i < config.threads; ++i) {
    impl->threads.emplace_back([ioc = &impl->ioc] { ioc->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() { stop(); }

uint16_t HttpServer::port() const { return impl_->listener->port(); }

void HttpServer::drain() { impl_->router.drain(); }

bool HttpServer::wait_idle(std::chrono::milliseconds grace) { return impl_->router.wait_idle(grace); }

void HttpServer::stop(std::chrono::milliseconds grace) {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->router.drain();
  impl_->router.cancel_all();  // and the audio requests: their voice threads end
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
  impl_->listener->close();
  impl_->ioc.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
}

Router& HttpServer::router() { return impl_->router; }

}  // namespace r1::server
