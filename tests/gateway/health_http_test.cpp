// HttpProber and ActiveHealthChecker against a tiny real HTTP responder on
// loopback (integration: real sockets, real time, bounded waits).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include "gateway/policy/health.h"
#include "gateway/policy/http_probe.h"
#include "gateway/runtime/rollout_actions.h"
#include "support/poll_until.h"

namespace r1::gateway {
namespace {

using std::chrono::milliseconds;

// Answers every connection with `status` (0 = accept, read, never answer).
class Responder {
 public:
  Responder() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    EXPECT_EQ(::listen(fd_, 16), 0);
    thread_ = std::thread([this] { loop(); });
  }
  ~Responder() { close(); }
  void close() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int port() const { return port_; }
  std::atomic<int> status{200};
  std::atomic<int> requests{0};

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      char buf[1024];
      pollfd pc{c, POLLIN, 0};
      if (::poll(&pc, 1, 1000) > 0 && ::recv(c, buf, sizeof(buf), 0) > 0) ++requests;
      const int s = status.load();
      if (s == 0) {
        while (!stop_ && ::poll(&pc, 1, 10) >= 0 && ::recv(c, buf, sizeof(buf), MSG_DONTWAIT) != 0) {
        }
      } else {
        const std::string reply = "HTTP/1.1 " + std::to_string(s) + " X\r\nContent-Length: 0\r\n\r\n";
        ssize_t ignored = ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
        (void)ignored;
      }
      ::close(c);
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

bool wait_until(const std::function<bool()>& done, milliseconds limit = milliseconds(5000)) {
  return test_support::poll_until(done, limit, milliseconds(5));
}

TEST(HttpProber, ReadsTheStatus) {
  Responder server;
  HttpProber prober;
  HealthTarget target{"w", "127.0.0.1", server.port(), "/ready"};
  ProbeResult r = prober.probe(target, milliseconds(1000));
  EXPECT_TRUE(r.answered && r.ready()) << r.error;
  EXPECT_EQ(r.status, 200);
  server.status = 503;
  r = prober.probe(target, milliseconds(1000));
  EXPECT_TRUE(r.answered);
  EXPECT_FALSE(r.ready());
  EXPECT_EQ(r.status, 503);
}

TEST(HttpProber, RefusedAndTimeout) {
  HttpProber prober;
  Responder server;
  server.status = 0;  // never answers
  const auto t0 = SteadyClock::now();
  ProbeResult r = prober.probe(HealthTarget{"w", "127.0.0.1", server.port(), "/ready"}, milliseconds(100));
  EXPECT_FALSE(r.answered);
  EXPECT_EQ(r.error, "timeout");
  EXPECT_LT(SteadyClock::now() - t0, milliseconds(1000));
  const int closed_port = server.port();
  server.close();
  r = prober.probe(HealthTarget{"w", "127.0.0.1", closed_port, "/ready"}, milliseconds(100));
  EXPECT_FALSE(r.answered);
  EXPECT_NE(r.error.find("refused"), std::string::npos) << r.error;
  EXPECT_GT(find_free_port(), 0);
}

// The rollout's smoke test over the same client: one POST /api/predict;
// 200 passes, anything else names the status line, and the errors say why.
TEST(SmokeRequest, PassesOn200AndNamesEverythingElse) {
  Responder server;
  EXPECT_TRUE(smoke_request("127.0.0.1", server.port(), milliseconds(2000)).ok());
  EXPECT_EQ(server.requests.load(), 1);
  server.status = 500;
  Status s = smoke_request("127.0.0.1", server.port(), milliseconds(2000));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "smoke test: POST /api/predict answered 'HTTP/1.1 500 X'");
  server.status = 0;  // never answers
  s = smoke_request("127.0.0.1", server.port(), milliseconds(100));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "smoke test: timeout");
  const int closed_port = server.port();
  server.close();
  s = smoke_request("127.0.0.1", closed_port, milliseconds(500));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("smoke test: connect: "), std::string::npos) << s.error().message;
  s = smoke_request("not-a-host", closed_port, milliseconds(500));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "smoke test: bad host not-a-host");
}

TEST(ActiveHealthChecker, FollowsARealServer) {
  Responder server;
  HttpProber prober;
  HealthConfig o;
  o.interval = milliseconds(100);
  o.timeout = milliseconds(50);
  o.healthy_threshold = 2;
  o.unhealthy_threshold = 2;
  o.liveness_restart_after = 2;
  ActiveHealthChecker checker(real_clock(), prober, o);
  std::atomic<int> liveness{0};
  checker.set_callbacks(HealthCallbacks{nullptr, [&](const std::string&, const ProbeResult&) { ++liveness; }});
  checker.start();
  checker.add_target(HealthTarget{"w", "127.0.0.1", server.port(), "/ready"});
  EXPECT_TRUE(wait_until([&] { return checker.state("w") == HealthState::kHealthy; }));
  server.status = 503;
  EXPECT_TRUE(wait_until([&] { return checker.state("w") == HealthState::kUnhealthy; }));
  EXPECT_EQ(liveness.load(), 0);
  server.status = 200;
  EXPECT_TRUE(wait_until([&] { return checker.state("w") == HealthState::kHealthy; }));
  server.close();
  EXPECT_TRUE(wait_until([&] { return liveness.load() >= 1; }));
  EXPECT_EQ(checker.state("w"), HealthState::kUnhealthy);
  checker.stop();
}

}  // namespace
}  // namespace r1::gateway
