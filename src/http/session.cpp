#include "http/session.h"

#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <optional>

namespace r1::http {
namespace {

namespace beast = boost::beast;
using tcp = net::ip::tcp;

// What a failed read means for the client: an answer, or none (eof, reset,
// timeout: nobody to answer).
std::optional<BadRequest> classify(const beast::error_code& ec, uint64_t body_limit) {
  if (ec == bhttp::error::body_limit) {
    return BadRequest{413, "request_too_large",
                      "The request body exceeds " + std::to_string(body_limit) + " bytes"};
  }
  if (ec == bhttp::error::header_limit) {
    return BadRequest{431, "headers_too_large", "The request headers are too large"};
  }
  if (ec.category() == beast::error_code(bhttp::error::body_limit).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    return BadRequest{400, "bad_request", "Malformed HTTP request: " + ec.message()};
  }
  return std::nullopt;
}

struct ReadResult {
  std::optional<Request> request;
  std::optional<BadRequest> refused;
};

// One request: the header (idle timeout), "100 Continue" when asked, the
// body (read timeout).
Awaitable<ReadResult> read_request(Connection& conn) {
  bhttp::request_parser<bhttp::string_body> parser;
  // The header says which limit applies (the route); Beast checks a
  // Content-Length against the limit as the header completes, so the
  // parser starts at the larger one and the route's is applied here.
  parser.body_limit(std::max(conn.limits().body_limit, conn.limits().upload_body_limit));
  parser.header_limit(conn.limits().header_limit);
  beast::error_code ec;
  conn.stream().expires_after(conn.limits().idle_timeout);
  co_await bhttp::async_read_header(conn.stream(), conn.buffer(), parser, redirect(ec));
  uint64_t body_limit = conn.limits().body_limit;
  if (!ec) {
    const auto target = parser.get().target();
    body_limit = conn.limits().body_limit_for(std::string_view(target.data(), target.size()));
    const auto length = parser.content_length();
    if (length && *length > body_limit) {
      ec = bhttp::error::body_limit;
    } else {
      parser.body_limit(body_limit);  // a chunked body counts against it as it comes
    }
  }
  if (!ec && !parser.is_done()) {
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue") && !co_await conn.write_raw(kContinue)) {
      co_return ReadResult{};
    }
    conn.stream().expires_after(conn.limits().read_timeout);
    co_await bhttp::async_read(conn.stream(), conn.buffer(), parser, redirect(ec));
  }
  if (ec) co_return ReadResult{std::nullopt, classify(ec, body_limit)};
  co_return ReadResult{parser.release(), std::nullopt};
}

// Half-closes, then drops what the client still sends until it closes or
// linger_timeout passes.
Awaitable<void> close_gracefully(Connection& conn) {
  beast::error_code ec;
  conn.stream().socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  conn.stream().expires_after(conn.limits().linger_timeout);
  char discard[1024];
  while (!ec) co_await conn.stream().async_read_some(net::buffer(discard), redirect(ec));
}

}  // namespace

Awaitable<bool> Connection::write_raw(const std::string& bytes) {
  beast::error_code ec;
  stream_.expires_after(limits_.write_timeout);
  co_await net::async_write(stream_, net::buffer(bytes), redirect(ec));
  co_return !ec;
}

Awaitable<void> serve_connection(tcp::socket socket, const SessionLimits& limits, const SessionHandlers& handlers) {
  Connection conn(std::move(socket), limits);
  for (;;) {
    ReadResult read = co_await read_request(conn);
    if (!read.request) {
      if (read.refused && handlers.on_bad_request) co_await handlers.on_bad_request(conn, *read.refused);
      if (!read.refused) {
        beast::error_code ec;
        conn.stream().socket().shutdown(tcp::socket::shutdown_both, ec);
        co_return;
      }
      break;
    }
    Request& req = *read.request;
    if (handlers.on_upgrade && beast::websocket::is_upgrade(req)) {
      conn.stream().expires_never();
      handlers.on_upgrade(std::move(conn.stream()), std::move(req));
      co_return;
    }
    const bool keep_alive = req.keep_alive();
    if (!co_await handlers.on_request(conn, req) || !keep_alive) break;
  }
  co_await close_gracefully(conn);
}

void spawn_session(tcp::socket socket, const SessionLimits& limits, const SessionHandlers& handlers) {
  auto executor = socket.get_executor();
  net::co_spawn(executor, serve_connection(std::move(socket), limits, handlers), net::detached);
}

void serve_sessions(Listener& listener, const SessionLimits& limits, const SessionHandlers& handlers) {
  listener.start([&limits, &handlers](boost::asio::ip::tcp::socket socket) {
    spawn_session(std::move(socket), limits, handlers);
  });
}

StringResponse make_response(int status, std::string content_type, std::string body, bool keep_alive) {
  StringResponse res{static_cast<bhttp::status>(status), 11};
  if (!content_type.empty()) res.set(bhttp::field::content_type, content_type);
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace r1::http
