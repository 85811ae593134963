// The server side of one HTTP/1.1 connection, in coroutines, for every HTTP
// server here (the worker's, the gateway's proxy and its admin API): read a
// request (header and body limits; the idle timeout while waiting for a
// header, the read timeout for the body; "Expect: 100-continue" answered),
// hand it to the application, and go on while both sides keep the
// connection alive; then close gracefully (half-close, then read and drop
// what the client still sends for linger_timeout, so that an early answer
// such as a 413 is not lost to a reset).
//
// A request the reader refuses is answered by on_bad_request and the
// connection closes after it: a body over body_limit is 413, a header over
// header_limit is 431, a malformed request is 400. End of stream, resets
// and timeouts close without an answer (nobody to answer).
//
// A WebSocket upgrade request (RFC 6455: GET, Connection: upgrade, Upgrade:
// websocket) goes to on_upgrade when it is set, with the connection's stream:
// the session ends there and the WebSocket owns the socket. Without
// on_upgrade it is an ordinary request.
//
// Thread contract: a session runs on its socket's executor (a strand where
// several threads run the io_context); the handlers run there, and must
// outlive the session (the owner stops and destroys its io_context first).
#pragma once

#include "http/coro.h"
#include "http/listener.h"
#include "http/session_limits.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace r1::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using StringResponse = bhttp::response<bhttp::string_body>;

// A request the reader refused.
struct BadRequest {
  int status = 400;     // 413, 431 or 400
  std::string code;     // "request_too_large", "headers_too_large", "bad_request"
  std::string message;  // "The request body exceeds 1048576 bytes", ...
};

// One accepted connection: its stream and read buffer, and writes bounded
// by the write timeout. Owned by the session coroutine; handlers borrow it.
class Connection {
 public:
  Connection(boost::asio::ip::tcp::socket socket, const SessionLimits& limits)
      : stream_(std::move(socket)), limits_(limits) {}

  boost::beast::tcp_stream& stream() { return stream_; }
  boost::beast::flat_buffer& buffer() { return buffer_; }
  const SessionLimits& limits() const { return limits_; }

  // Writes a whole message (write timeout); false on any error.
  template <class Message>
  Awaitable<bool> write(Message& message) {
    boost::beast::error_code ec;
    stream_.expires_after(limits_.write_timeout);
    co_await bhttp::async_write(stream_, message, redirect(ec));
    co_return !ec;
  }
  Awaitable<bool> write_raw(const std::string& bytes);

 private:
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  const SessionLimits& limits_;
};

struct SessionHandlers {
  // Answers one request; returns whether the connection stays open for the
  // next one (the session also closes when the request did not ask for it).
  std::function<Awaitable<bool>(Connection&, Request&)> on_request;
  // Writes the answer to a refused request (the connection closes after).
  std::function<Awaitable<void>(Connection&, const BadRequest&)> on_bad_request;
  // Takes over a WebSocket upgrade request's stream (optional).
  std::function<void(boost::beast::tcp_stream, Request)> on_upgrade;
};

// Serves one connection until it closes. `limits` and `handlers` must
// outlive it.
Awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket, const SessionLimits& limits,
                                 const SessionHandlers& handlers);

// co_spawn(serve_connection) on the socket's executor, detached.
void spawn_session(boost::asio::ip::tcp::socket socket, const SessionLimits& limits,
                   const SessionHandlers& handlers);

// Starts the listener's accept loop with a session (spawn_session) on every
// connection: the worker's server, the proxy and the admin API serve this
// way. `limits` and `handlers` must outlive the listener.
void serve_sessions(Listener& listener, const SessionLimits& limits, const SessionHandlers& handlers);

// A complete response: status, content type, body, keep-alive, length.
StringResponse make_response(int status, std::string content_type, std::string body, bool keep_alive);

}  // namespace r1::http
