// DNS discovery end to end, as a Kubernetes headless Service does it: a
// `dns:` pool whose name resolves to one A record per worker pod. The
// resolver is the real one (glibc getaddrinfo through nsswitch "files"):
// the gateway runs in its own mount namespace with a hosts file the test
// bind-mounts over /etc/hosts and rewrites in place; the workers are real
// `r1serve serve` processes on 127.0.0.2, .3 and .4, all on one port.
// Replicas must appear, move and disappear with the answer, no reload.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>

#include "gateway_process.h"

namespace r1::e2e {
namespace {

namespace fs = std::filesystem;
using server::test::http_request_to;

const std::string kName = "workers.r1serve.test";

// A port free on every address in `hosts` (bound and released).
uint16_t free_port_on(const std::vector<std::string>& hosts) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    // Below the kernel's ephemeral range (32768+), where the other tests' port-0
    // listeners and outgoing connections would take it between our check and
    // the workers' bind.
    const uint16_t port = static_cast<uint16_t>(20000 + (getpid() * 7 + attempt * 131) % 12000);
    bool free = true;
    for (const std::string& h : hosts) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      inet_pton(AF_INET, h.c_str(), &a.sin_addr);
      free = free && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
    }
    if (free) return port;
  }
  return 0;
}

// Rewrites `path` in place (same inode: the bind mount sees it).
void write_hosts(const fs::path& path, const std::vector<std::string>& ips) {
  std::ofstream out(path, std::ios::in | std::ios::out | std::ios::trunc);
  out << "127.0.0.1 localhost\n";
  for (const std::string& ip : ips) out << ip << " " << kName << "\n";
}

double chats_served(const std::string& host, uint16_t port) {
  const std::string text = http_request_to(host, port, "GET", "/metrics").body;
  return std::max(0.0, metric(text, "r1serve_requests_total{endpoint=\"/v1/chat/completions\",code=\"200\"}"));
}

// The ids of the gateway's replicas when all are healthy, else empty.
std::vector<std::string> healthy_ids(const GatewayProcess& gw) {
  const json s = gw.status();
  std::vector<std::string> ids;
  if (!s.contains("replicas")) return {};
  for (const auto& r : s["replicas"]) {
    if (!r["healthy"].get<bool>()) return {};
    ids.push_back(r["id"]);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

using Ids = std::vector<std::string>;

class DiscoveryE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for a private mount namespace (unshare -m)";
    dir_ = fs::temp_directory_path() / ("r1-dns-e2e-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    port_ = free_port_on(kHosts);
    ASSERT_NE(port_, 0);
    for (const std::string& h : kHosts) {
      workers_.push_back(std::make_unique<ServeProcess>(std::vector<std::string>{
          "-m", tiny_model(), "--host", h, "--port", std::to_string(port_), "--threads", "1",
          "--parallel", "2", "--ctx", "256"}));
      ASSERT_TRUE(workers_.back()->started()) << workers_.back()->log();
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Sends `n` chats through the gateway; how many each worker served meanwhile.
  std::vector<double> serve_chats(const GatewayProcess& gw, int n) {
    std::vector<double> before, out;
    for (const std::string& h : kHosts) before.push_back(chats_served(h, port_));
    for (int i = 0; i < n; ++i) {  // distinct conversations: no session affinity between them
      EXPECT_EQ(post(gw.proxy(), "/v1/chat/completions", chat_json("hello " + std::to_string(i), 2)).status, 200);
    }
    for (size_t i = 0; i < kHosts.size(); ++i) out.push_back(chats_served(kHosts[i], port_) - before[i]);
    return out;
  }

  const std::vector<std::string> kHosts = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
  fs::path dir_;
  uint16_t port_ = 0;
  std::vector<std::unique_ptr<ServeProcess>> workers_;
};

TEST_F(DiscoveryE2E, ReplicasFollowTheDnsAnswerWithoutAReload) {
  const fs::path hosts = dir_ / "hosts";
  { std::ofstream touch(hosts); }
  write_hosts(hosts, {kHosts[0], kHosts[1]});
  const fs::path config = dir_ / "gw.yaml";
  std::ofstream(config) << "pools:\n  - {name: r1, dns: \"" << kName << ":" << port_ << "\"}\n"
                        << "discovery: {interval: 200ms}\n"
                           "health: {interval: 200ms, timeout: 150ms}\n"
                           "queue: {timeout: 500ms}\n"
                           "ports: {listen: 0, admin: 0}\n";
  GatewayProcess gw({"gateway", "--config", config.string()},
                    {"/usr/bin/unshare", "-m", "--", "/bin/sh", "-c",
                     "mount --bind \"$0\" /etc/hosts && exec \"$@\"", hosts.string()});
  ASSERT_NE(gw.proxy(), 0) << gw.log();

  // Two A records: two replicas, both serving.
  ASSERT_TRUE(eventually([&] { return healthy_ids(gw) == Ids{"r1/0", "r1/1"}; }, std::chrono::seconds(15)))
      << gw.status().dump() << gw.log();
  std::vector<double> served = serve_chats(gw, 12);
  EXPECT_GT(served[0], 0) << gw.log();
  EXPECT_GT(served[1], 0);
  EXPECT_EQ(served[2], 0);

  // .2 leaves the answer and .4 joins: .2 (r1/0) is drained away, .3 keeps
  // its replica id, .4 gets a new one and serves once healthy.
  write_hosts(hosts, {kHosts[1], kHosts[2]});
  ASSERT_TRUE(eventually([&] { return healthy_ids(gw) == Ids{"r1/1", "r1/2"}; }, std::chrono::seconds(15)))
      << gw.status().dump();
  served = serve_chats(gw, 12);
  EXPECT_EQ(served[0], 0) << "a removed address still served";
  EXPECT_GT(served[1], 0);
  EXPECT_GT(served[2], 0);

  // The name has no address (scaled to zero): no replica, a clean 503.
  write_hosts(hosts, {});
  ASSERT_TRUE(eventually([&] { return gw.status()["replicas"].empty(); }, std::chrono::seconds(15)))
      << gw.status().dump();
  ClientResponse none = gw.chat();
  EXPECT_EQ(none.status, 503) << none.body;
  EXPECT_EQ(none.header("retry-after"), "1");

  // And back: served again.
  write_hosts(hosts, {kHosts[0]});
  ASSERT_TRUE(eventually([&] { return healthy_ids(gw) == Ids{"r1/0"}; }, std::chrono::seconds(15)))
      << gw.status().dump();
  served = serve_chats(gw, 3);
  EXPECT_EQ(served[0], 3);
  gw.send_signal(SIGTERM);
  EXPECT_EQ(gw.wait_exit(std::chrono::seconds(20)), 0) << gw.log();
  for (auto& w : workers_) EXPECT_EQ(w->wait_exit(std::chrono::milliseconds(1)), -1) << "workers are not the gateway's";
}

}  // namespace
}  // namespace r1::e2e
