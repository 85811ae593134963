// The pooled asynchronous client (http/async_client.h) against a real
// server session on loopback: keep-alive reuse, LIFO and FIFO reuse order,
// a stale pooled connection replaced once, the connect / header / deadline
// timeouts, a refused connect, the body limit and what is not pooled.
#include "http/coro.h"

#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "http/client/async_client.h"
#include "http/client/blocking_client.h"
#include "http/listener.h"
#include "http/session.h"
#include "core/check.h"
#include "test_server.h"

namespace r1::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

// Answers "<target> <body>"; "/close" answers with Connection: close and
// "/big" with a 100 kB body. Counts the requests.
class EchoServer {
 public:
  explicit EchoServer(std::chrono::milliseconds idle_timeout = 10s)
      : server_(limits(idle_timeout), handlers(requests_)) {}
  uint16_t port() const { return server_.port(); }
  int accepted() const { return server_.accepted(); }
  int requests() const { return requests_->load(); }

 private:
  static SessionLimits limits(std::chrono::milliseconds idle_timeout) {
    SessionLimits l;
    l.idle_timeout = idle_timeout;
    return l;
  }
  static SessionHandlers handlers(const std::shared_ptr<std::atomic<int>>& count) {
    SessionHandlers h;
    h.on_request = [count](Connection& conn, Request& req) -> Awaitable<bool> {
      ++*count;
      const bool close = req.target() == "/close";
      const std::string body =
          req.target() == "/big" ? std::string(100'000, 'x') : std::string(req.target()) + " " + req.body();
      auto res = make_response(200, "text/plain", body, req.keep_alive() && !close);
      co_return co_await conn.write(res);
    };
    h.on_bad_request = [](Connection&, const BadRequest&) -> Awaitable<void> { co_return; };
    return h;
  }

  std::shared_ptr<std::atomic<int>> requests_ = std::make_shared<std::atomic<int>>(0);
  test::SessionServer server_;
};

// Runs one scenario coroutine to its end on a fresh io_context, then closes
// the client's idle connections while that io_context is still alive.
void run_scenario(AsyncClient& client, const std::function<Awaitable<void>()>& scenario) {
  net::io_context ioc;
  bool finished = false;
  net::co_spawn(ioc, scenario(), [&finished](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
    finished = true;
  });
  ioc.run();
  client.clear();
  EXPECT_TRUE(finished);
}

ClientTarget target_of(uint16_t port) {
  Result<ClientTarget> t = numeric_target("127.0.0.1", port);
  CHECK(t.ok()) << t.error().message;
  return std::move(t).value();
}

OutRequest post(const std::string& target, const std::string& body) {
  OutRequest req{bhttp::verb::post, target, 11};
  req.set(bhttp::field::host, "test");
  req.body() = body;
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

// One exchange read to the end and released: the body, or "error: ...".
Awaitable<std::string> round_trip(AsyncClient& client, const ClientTarget& to, const std::string& path) {
  ClientConn conn;
  const OutRequest req = post(path, "hi");
  const ClientTimeouts timeouts{2s, 2s};
  beast::error_code ec = co_await client.exchange(conn, to, req, timeouts);
  std::string body;
  if (!ec) ec = co_await read_rest(conn, &body, 2s);
  client.release(conn, to.key);
  co_return ec ? "error: " + ec.message() : body;
}

Awaitable<void> sleep_for(std::chrono::milliseconds d) {
  net::steady_timer timer(co_await net::this_coro::executor, d);
  beast::error_code ignored;
  co_await timer.async_wait(redirect(ignored));
}

TEST(AsyncClient, NumericTargetOnly) {
  EXPECT_EQ(target_of(8080).key, "127.0.0.1:8080");
  EXPECT_EQ(target_of(8080).endpoints.size(), 1u);
  EXPECT_FALSE(numeric_target("localhost", 80).ok());
  EXPECT_FALSE(numeric_target("", 80).ok());
}

TEST(AsyncClient, KeepAliveReusesOneConnection) {
  EchoServer server;
  const ClientTarget to = target_of(server.port());
  AsyncClient client(4);
  run_scenario(client, [&]() -> Awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      const std::string path = "/r" + std::to_string(i);
      const std::string body = co_await round_trip(client, to, path);
      EXPECT_EQ(body, path + " hi");
    }
    EXPECT_EQ(client.idle(to.key), 1u);
  });
  EXPECT_EQ(client.stats().connects, 1);
  EXPECT_EQ(client.stats().stale_retries, 0);
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(server.requests(), 3);
}

// Two connections released A then B: LIFO takes B next, FIFO takes A.
void expect_reuse_order(AsyncClient::Order order, bool newest_expected) {
  EchoServer server;
  const ClientTarget to = target_of(server.port());
  AsyncClient client(4, order);
  run_scenario(client, [&]() -> Awaitable<void> {
    ClientConn a, b, next;
    a.fresh = b.fresh = true;
    const OutRequest req = post("/x", "");
    const ClientTimeouts timeouts{2s, 2s};
    std::string ignored;
    EXPECT_FALSE(co_await client.exchange(a, to, req, timeouts));
    EXPECT_FALSE(co_await read_rest(a, &ignored, 2s));
    EXPECT_FALSE(co_await client.exchange(b, to, req, timeouts));
    EXPECT_FALSE(co_await read_rest(b, &ignored, 2s));
    const auto port_a = a.stream->socket().local_endpoint().port();
    const auto port_b = b.stream->socket().local_endpoint().port();
    client.release(a, to.key);
    client.release(b, to.key);
    EXPECT_EQ(client.idle(to.key), 2u);
    EXPECT_FALSE(co_await client.exchange(next, to, req, timeouts));
    EXPECT_TRUE(next.reused);
    EXPECT_EQ(next.stream->socket().local_endpoint().port(), newest_expected ? port_b : port_a);
  });
  EXPECT_EQ(client.stats().connects, 2);
}

TEST(AsyncClient, NewestFirstReusesTheLastReleased) { expect_reuse_order(AsyncClient::Order::kNewestFirst, true); }
TEST(AsyncClient, OldestFirstGoesRoundRobin) { expect_reuse_order(AsyncClient::Order::kOldestFirst, false); }

TEST(AsyncClient, StalePooledConnectionIsReplacedOnce) {
  EchoServer server(50ms);  // closes idle connections
  const ClientTarget to = target_of(server.port());
  AsyncClient client(4);
  run_scenario(client, [&]() -> Awaitable<void> {
    EXPECT_EQ(co_await round_trip(client, to, "/a"), "/a hi");
    co_await sleep_for(300ms);  // the server has closed the pooled connection
    ClientConn conn;
    const OutRequest req = post("/b", "hi");
    const ClientTimeouts timeouts{2s, 2s};
    EXPECT_FALSE(co_await client.exchange(conn, to, req, timeouts));
    EXPECT_TRUE(conn.reused);
    EXPECT_TRUE(conn.retried);
    std::string body;
    EXPECT_FALSE(co_await read_rest(conn, &body, 2s));
    EXPECT_EQ(body, "/b hi");
  });
  EXPECT_EQ(client.stats().connects, 2);
  EXPECT_EQ(client.stats().stale_retries, 1);
  EXPECT_EQ(server.requests(), 2);
}

TEST(AsyncClient, ConnectionCloseIsNotPooled) {
  EchoServer server;
  const ClientTarget to = target_of(server.port());
  AsyncClient client(4);
  run_scenario(client, [&]() -> Awaitable<void> {
    EXPECT_EQ(co_await round_trip(client, to, "/close"), "/close hi");
    EXPECT_EQ(client.idle(to.key), 0u);
    EXPECT_EQ(co_await round_trip(client, to, "/again"), "/again hi");
  });
  EXPECT_EQ(client.stats().connects, 2);
  AsyncClient none(0);  // max_idle 0: nothing is kept
  run_scenario(none, [&]() -> Awaitable<void> {
    EXPECT_EQ(co_await round_trip(none, to, "/a"), "/a hi");
    EXPECT_EQ(none.idle(to.key), 0u);
  });
}

TEST(AsyncClient, HeaderTimeoutAndDeadline) {
  test::TestServer silent("");  // reads the request, never answers
  const ClientTarget to = target_of(silent.port());
  AsyncClient client(4);
  run_scenario(client, [&]() -> Awaitable<void> {
    const OutRequest req = post("/slow", "");
    ClientConn by_step;
    const ClientTimeouts short_header{2s, 100ms};
    EXPECT_EQ(co_await client.exchange(by_step, to, req, short_header), beast::error::timeout);
    EXPECT_EQ(by_step.failed, ClientPhase::kHeader);
    ClientConn by_deadline;
    by_deadline.deadline = SteadyClock::now() + 100ms;  // caps the 30 s header timeout
    const ClientTimeouts long_header{2s, 30s};
    EXPECT_EQ(co_await client.exchange(by_deadline, to, req, long_header), beast::error::timeout);
    EXPECT_EQ(by_deadline.failed, ClientPhase::kHeader);
    EXPECT_FALSE(by_deadline.retried);  // a timeout is not a stale connection
    EXPECT_EQ(client.idle(to.key), 0u);
  });
}

TEST(AsyncClient, RefusedConnectSaysSo) {
  const int port = find_free_port();
  ASSERT_GT(port, 0);
  const ClientTarget to = target_of(static_cast<uint16_t>(port));
  AsyncClient client(4);
  run_scenario(client, [&]() -> Awaitable<void> {
    ClientConn conn;
    const OutRequest req = post("/x", "");
    const ClientTimeouts timeouts{2s, 2s};
    const beast::error_code ec = co_await client.exchange(conn, to, req, timeouts);
    EXPECT_TRUE(ec);
    EXPECT_NE(ec, beast::error::timeout);
    EXPECT_EQ(conn.failed, ClientPhase::kConnect);
  });
  EXPECT_EQ(client.stats().connects, 0);
}

TEST(AsyncClient, ReadRestStopsAtTheLimitAndReadSomeInPieces) {
  EchoServer server;
  const ClientTarget to = target_of(server.port());
  AsyncClient client(4);
  run_scenario(client, [&]() -> Awaitable<void> {
    const OutRequest req = post("/big", "");
    const ClientTimeouts timeouts{2s, 2s};
    ClientConn limited;
    EXPECT_FALSE(co_await client.exchange(limited, to, req, timeouts));
    std::string body;
    EXPECT_EQ(co_await read_rest(limited, &body, 2s, 1000), bhttp::error::body_limit);
    client.release(limited, to.key);  // not read to the end: closed
    EXPECT_EQ(client.idle(to.key), 0u);
    ClientConn pieces;
    EXPECT_FALSE(co_await client.exchange(pieces, to, req, timeouts));
    size_t total = 0;
    int reads = 0;
    char buf[4096];
    while (!pieces.parser->is_done()) {
      size_t got = 0;
      EXPECT_FALSE(co_await read_some(pieces, buf, sizeof(buf), &got, 2s));
      EXPECT_LE(got, sizeof(buf));
      total += got;
      if (++reads > 1000) break;
    }
    EXPECT_EQ(total, 100'000u);
    EXPECT_GE(reads, 25);
  });
}

}  // namespace
}  // namespace r1::http
