#include "http/client/blocking_client.h"

#include <gtest/gtest.h>

#include <string>

#include "test_server.h"

namespace r1::http {
namespace {

using std::chrono::milliseconds;
using test::TestServer;

TEST(BlockingClient, PostReadsTheWholeAnswer) {
  TestServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  BlockingRequest r;
  r.method = "POST";
  r.port = server.port();
  r.target = "/api/predict";
  r.content_type = "application/json";
  r.body = "{}";
  Result<BlockingResponse> res = blocking_request(r);
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->raw.find("\r\n\r\nok"), std::string::npos);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_NE(server.requests()[0].find("Content-Type: application/json\r\nContent-Length: 2\r\n"), std::string::npos);
}

TEST(BlockingClient, StatusOnlyAndRequestShape) {
  TestServer server("HTTP/1.1 503 Service Unavailable\r\n\r\n");
  BlockingRequest r;
  r.port = server.port();
  r.target = "/ready";
  r.user_agent = "probe";
  r.status_only = true;
  Result<BlockingResponse> res = blocking_request(r);
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->status, 503);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0], "GET /ready HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
                                      "\r\nUser-Agent: probe\r\nConnection: close\r\n\r\n");
}

TEST(BlockingClient, TotalDeadline) {
  TestServer server("");  // never answers
  BlockingRequest r;
  r.port = server.port();
  r.total_timeout = milliseconds(100);
  const auto t0 = std::chrono::steady_clock::now();
  Result<BlockingResponse> res = blocking_request(r);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().message, "timeout");
  // It returns (the server never answers); how soon is bench/http_bench's.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

// The admin client's needs: extra headers, "localhost" when resolving, the
// body after the head; header values cannot smuggle a line break.
TEST(BlockingClient, HeadersResolveAndBody) {
  TestServer server("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}");
  BlockingRequest r;
  r.host = "localhost";
  r.resolve = true;
  r.port = server.port();
  r.headers = {{"Authorization", "Bearer k"}, {"X-Trace", "7"}};
  Result<BlockingResponse> res = blocking_request(r);
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->body(), "{\"ok\":true}");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_NE(server.requests()[0].find("\r\nAuthorization: Bearer k\r\nX-Trace: 7\r\n"), std::string::npos)
      << server.requests()[0];
  r.headers = {{"Authorization", "Bearer k\r\nX-Evil: 1"}};
  EXPECT_EQ(blocking_request(r).error().message, "bad header Authorization");
  EXPECT_EQ(server.requests().size(), 1u);  // nothing sent
  BlockingResponse headless;
  headless.raw = "HTTP/1.1 200 OK\r\n";
  EXPECT_EQ(headless.body(), "");
  r.headers.clear();
  r.resolve = false;
  EXPECT_EQ(blocking_request(r).error().message, "bad host localhost");  // names only with resolve
}

TEST(BlockingClient, Errors) {
  BlockingRequest r;
  r.host = "not-an-ip";
  r.port = 80;
  EXPECT_EQ(blocking_request(r).error().message, "bad host not-an-ip");
  r.host = "127.0.0.1";
  r.port = static_cast<uint16_t>(find_free_port());
  ASSERT_GT(r.port, 0);
  const Result<BlockingResponse> refused = blocking_request(r);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("connect: "), std::string::npos) << refused.error().message;
  TestServer junk("SMTP ready\r\n");
  r.port = junk.port();
  EXPECT_EQ(blocking_request(r).error().message, "malformed status line");
}

}  // namespace
}  // namespace r1::http
