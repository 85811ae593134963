#include "http/listener.h"

#include <gtest/gtest.h>

#include <thread>

#include "http/client/blocking_client.h"
#include "test_server.h"

namespace r1::http {
namespace {

using test::TestServer;

constexpr const char* kAnswer = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

BlockingRequest get(uint16_t port) {
  BlockingRequest r;
  r.port = port;
  r.target = "/x";
  return r;
}

TEST(Listener, AcceptsOnTheBoundPort) {
  for (const bool strands : {false, true}) {
    TestServer server(kAnswer, ListenerOptions{"test", "localhost", 0, strands});
    ASSERT_NE(server.port(), 0);
    for (int i = 0; i < 3; ++i) {
      Result<BlockingResponse> r = blocking_request(get(server.port()));
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_EQ(r->status, 204);
      EXPECT_EQ(r->status_line, "HTTP/1.1 204 No Content");
    }
    EXPECT_EQ(server.accepted(), 3);
    EXPECT_TRUE(server.nodelay());
  }
}

TEST(Listener, ErrorsNameWhatAndWhere) {
  boost::asio::io_context ioc;
  Result<std::unique_ptr<Listener>> bad = Listener::open(ioc, ListenerOptions{"admin", "nohost", 0});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message.rfind("admin: bad host 'nohost': ", 0), 0u) << bad.error().message;
  Result<std::unique_ptr<Listener>> first = Listener::open(ioc, ListenerOptions{"", "127.0.0.1", 0});
  ASSERT_TRUE(first.ok());
  const uint16_t port = (*first)->port();
  Result<std::unique_ptr<Listener>> taken = Listener::open(ioc, ListenerOptions{"", "127.0.0.1", port});
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, ErrorCode::kIo);
  EXPECT_EQ(taken.error().message.rfind("cannot listen on 127.0.0.1:" + std::to_string(port) + ": ", 0), 0u)
      << taken.error().message;
}

TEST(Listener, CloseStopsAccepting) {
  TestServer server(kAnswer);
  const uint16_t port = server.port();
  ASSERT_TRUE(blocking_request(get(port)).ok());
  server.listener().close();
  for (int i = 0; i < 200; ++i) {
    if (!blocking_request(get(port)).ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Result<BlockingResponse> r = blocking_request(get(port));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("refused"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace r1::http
