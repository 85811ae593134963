// The HTTP/1.1 front end of `r1serve serve`: Boost.Beast/Asio, keep-alive,
// a fixed pool of I/O threads, a body size limit (413), header/body read,
// keep-alive idle and write timeouts, chunked SSE streaming, and client
// disconnect detection (a generation whose client goes away is cancelled).
// Requests are handled by a Router (router.h); Beast stays in the .cpp.
//
// Thread contract: start() and the destructor are called by the owner;
// port(), drain(), wait_idle(), router() are safe from any thread. stop()
// is idempotent and must not be called from an I/O thread. The backend
// must outlive the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "core/result.h"
#include "server/backend/backend.h"
#include "server/router.h"
#include "server/server_config.h"

namespace r1::server {

class HttpServer {
 public:
  // Binds host:port and starts config.threads I/O threads. Errors: invalid
  // config, address in use, unresolvable host.
  // `audio`, when given, answers /v1/audio/* (audio/audio_service.h).
  static Result<std::unique_ptr<HttpServer>> start(const ServerConfig& config,
                                                   std::shared_ptr<Backend> backend,
                                                   std::shared_ptr<AudioService> audio = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;  // the bound port (useful with port 0)

  // Graceful drain: /ready answers 503, new generation requests 503;
  // streams in flight continue. Then wait_idle() for them to finish.
  void drain();
  bool wait_idle(std::chrono::milliseconds grace);

  // Cancels what is in flight (waiting up to `grace` for the backend to
  // end it), closes the listener and connections and joins the threads.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

  Router& router();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace r1::server
