// The shared server session (http/session.h) over a real listener on
// loopback, driven by plain sockets and by Beast's WebSocket client:
// keep-alive and pipelining, the refused requests (413, 431, 400),
// 100-continue, Connection: close, the idle timeout, and the WebSocket
// upgrade point.
#include "http/coro.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "http/listener.h"
#include "http/session.h"
#include "test_server.h"

namespace r1::http {
namespace {

namespace beast = boost::beast;
using tcp = net::ip::tcp;

// Accepts the upgrade and echoes each message until the client closes.
void echo(beast::tcp_stream stream, Request req) {
  auto ws = std::make_shared<beast::websocket::stream<beast::tcp_stream>>(std::move(stream));
  auto executor = ws->get_executor();
  net::co_spawn(executor, [ws, req = std::move(req)]() -> Awaitable<void> {
    beast::error_code ec;
    co_await ws->async_accept(req, redirect(ec));
    beast::flat_buffer buffer;
    while (!ec) {
      co_await ws->async_read(buffer, redirect(ec));
      if (ec) break;
      ws->text(ws->got_text());
      co_await ws->async_write(buffer.data(), redirect(ec));
      buffer.consume(buffer.size());
    }
  }, net::detached);
}

// Answers "<method> <target> <body>" (200, text/plain); refused requests get
// their status with the code as the body; with `websockets`, upgrades echo.
class EchoSessionServer : public test::SessionServer {
 public:
  explicit EchoSessionServer(bool websockets) : test::SessionServer(limits(), handlers(websockets)) {}

 private:
  static SessionLimits limits() {
    SessionLimits l;
    l.body_limit = 64;
    l.header_limit = 1024;
    l.idle_timeout = std::chrono::milliseconds(300);
    return l;
  }
  static SessionHandlers handlers(bool websockets) {
    SessionHandlers h;
    h.on_request = [](Connection& conn, Request& req) -> Awaitable<bool> {
      auto res = make_response(200, "text/plain",
                               std::string(req.method_string()) + " " + std::string(req.target()) + " " + req.body(),
                               req.keep_alive());
      co_return co_await conn.write(res);
    };
    h.on_bad_request = [](Connection& conn, const BadRequest& bad) -> Awaitable<void> {
      auto res = make_response(bad.status, "text/plain", bad.code, false);
      co_await conn.write(res);
    };
    if (websockets) h.on_upgrade = echo;
    return h;
  }
};

// A blocking client socket: send bytes, read until the peer closes.
struct Client {
  explicit Client(uint16_t port) : socket(ioc) { socket.connect({net::ip::make_address("127.0.0.1"), port}); }
  void send(const std::string& bytes) { net::write(socket, net::buffer(bytes)); }
  std::string read_all() {
    std::string out;
    beast::error_code ec;
    char buf[4096];
    for (;;) {
      const size_t n = socket.read_some(net::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }
  std::string read_some() {
    char buf[4096];
    beast::error_code ec;
    const size_t n = socket.read_some(net::buffer(buf), ec);
    return ec ? std::string() : std::string(buf, n);
  }
  net::io_context ioc;
  tcp::socket socket;
};

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

std::string post(const std::string& target, const std::string& body, bool close) {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         (close ? "Connection: close\r\n" : "") + "\r\n" + body;
}

TEST(Session, KeepAliveAnswersPipelinedRequestsInOrder) {
  EchoSessionServer server(false);
  Client c(server.port());
  c.send(post("/a", "one", false) + post("/b", "two", false) + post("/c", "three", true));
  const std::string got = c.read_all();
  EXPECT_EQ(count(got, "HTTP/1.1 200 OK"), 3u) << got;
  const size_t a = got.find("POST /a one"), b = got.find("POST /b two"), last = got.find("POST /c three");
  ASSERT_NE(a, std::string::npos) << got;
  ASSERT_NE(b, std::string::npos) << got;
  ASSERT_NE(last, std::string::npos) << got;
  EXPECT_LT(a, b);
  EXPECT_LT(b, last);
}

TEST(Session, RefusedRequestsGetTheirStatusAndTheConnectionCloses) {
  EchoSessionServer server(false);
  struct Case {
    std::string bytes, status, code;
  };
  const std::string big_header = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(2000, 'p') + "\r\n\r\n";
  for (const Case& k : {Case{post("/big", std::string(65, 'b'), false), "413", "request_too_large"},
                        Case{big_header, "431", "headers_too_large"},
                        Case{"GARBAGE\r\n\r\n", "400", "bad_request"}}) {
    Client c(server.port());
    c.send(k.bytes + post("/after", "x", false));
    const std::string got = c.read_all();  // returns: the server closed
    EXPECT_EQ(got.rfind("HTTP/1.1 " + k.status, 0), 0u) << got;
    EXPECT_NE(got.find(k.code), std::string::npos) << got;
    EXPECT_EQ(got.find("/after"), std::string::npos) << "answered after a refused request: " << got;
  }
  // A body of exactly the limit is fine.
  Client c(server.port());
  c.send(post("/edge", std::string(64, 'e'), true));
  EXPECT_EQ(c.read_all().rfind("HTTP/1.1 200 OK", 0), 0u);
}

TEST(Session, AnswersExpectContinueBeforeTheBody) {
  EchoSessionServer server(false);
  Client c(server.port());
  c.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n");
  const std::string interim = c.read_some();
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  c.send("body");
  const std::string got = c.read_all();
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK", 0), 0u) << got;
  EXPECT_NE(got.find("POST /up body"), std::string::npos) << got;
}

TEST(Session, AnIdleConnectionIsClosed) {
  EchoSessionServer server(false);
  Client c(server.port());
  c.send(post("/one", "1", false));
  const std::string got = c.read_all();  // the answer, then the idle timeout closes it
  EXPECT_EQ(count(got, "HTTP/1.1 200 OK"), 1u) << got;
}

TEST(Session, WebSocketUpgradeIsHandedOverWhenWanted) {
  EchoSessionServer server(true);
  net::io_context ioc;
  beast::websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().connect({net::ip::make_address("127.0.0.1"), server.port()});
  ws.handshake("127.0.0.1", "/v1/realtime");
  for (const std::string& msg : {std::string("hello"), std::string(3000, 'z')}) {
    ws.write(net::buffer(msg));
    beast::flat_buffer buffer;
    ws.read(buffer);
    EXPECT_EQ(beast::buffers_to_string(buffer.data()), msg);
  }
  ws.close(beast::websocket::close_code::normal);
  // Ordinary requests on the same server still work.
  Client c(server.port());
  c.send(post("/plain", "p", true));
  EXPECT_NE(c.read_all().find("POST /plain p"), std::string::npos);
}

TEST(Session, WithoutAnUpgradeHandlerTheRequestIsOrdinary) {
  EchoSessionServer server(false);
  Client c(server.port());
  c.send("GET /v1/realtime HTTP/1.1\r\nHost: x\r\nConnection: upgrade, close\r\nUpgrade: websocket\r\n"
         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
  const std::string got = c.read_all();
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK", 0), 0u) << got;
  EXPECT_NE(got.find("GET /v1/realtime "), std::string::npos) << got;
}

}  // namespace
}  // namespace r1::http
