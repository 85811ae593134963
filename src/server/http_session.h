// The worker's answer to one HTTP request over the shared session
// (http/session.h: reading, limits, keep-alive, graceful close): hands the
// request to the Router with a Channel, writes the Channel's output (a
// response, or a chunked SSE stream) as it comes, and watches the socket
// while the answer is pending, so a client that goes away cancels its
// generation. Bytes that arrive meanwhile are a pipelined request: they
// stay in the connection's buffer for the next read.
//
// Thread contract: the handlers run on the connection's strand; a Channel
// may be written from any thread. `config`, `router` and `unflushed` must
// outlive every session (the HttpServer's io_context is stopped and
// destroyed first).
#pragma once

#include <atomic>

#include "http/session.h"
#include "server/router.h"
#include "server/server_config.h"

namespace r1::server {

struct SessionContext {
  const ServerConfig& config;
  Router& router;
  std::atomic<int>& unflushed;  // answers whose bytes are not all written yet
};

// on_request and on_bad_request for the shared session.
http::SessionHandlers session_handlers(const SessionContext& ctx);

}  // namespace r1::server
