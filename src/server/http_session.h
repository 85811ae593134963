// One HTTP/1.1 connection of the server (internal to http_server.cpp): reads
// requests (header and body limits, read and keep-alive idle timeouts, 413 /
// 431 / 400 on malformed input), hands each to the Router with a Channel,
// writes the Channel's output (a response, or a chunked SSE stream) and
// watches the socket while a response is pending, so a client that goes
// away cancels its generation.
//
// Thread contract: a session runs on the strand of its socket; its Channel
// may be written from any thread. `config`, `router` and `unflushed` must
// outlive every session (the HttpServer's io_context is stopped and its
// threads joined first).
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <atomic>

#include "server/router.h"
#include "server/server_config.h"

namespace r1::server {

// Starts serving an accepted connection; the session keeps itself alive.
// `unflushed` counts the answers whose bytes are not all written yet.
void start_session(boost::asio::ip::tcp::socket socket, const ServerConfig& config, Router& router,
                   std::atomic<int>& unflushed);

}  // namespace r1::server
