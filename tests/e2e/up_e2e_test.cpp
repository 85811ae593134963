// `r1serve up` / `rollout` end to end: a real gateway process supervising
// real `serve` workers over the tiny model on loopback ports (--port 0).
// Each test starts its own gateway with a YAML (fast health checks) in a
// temp dir and checks worker pids through GET /admin/status.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gateway_process.h"

namespace r1::e2e {
namespace {

namespace fs = std::filesystem;

using Gateway = GatewayProcess;

class UpE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("r1-up-e2e-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    ASSERT_TRUE(fs::is_regular_file(tiny_model())) << "tiny model not synthesized";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write_config(const std::string& name, const std::string& pools_yaml) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << pools_yaml
                        << "health: {interval: 200ms, timeout: 150ms, liveness_restart_after: 2}\n"
                           "supervisor: {stop_grace: 10s, backoff_base: 100ms}\n"
                           "rollout: {analysis_window: 1s}\n";
    return path;
  }
  std::vector<std::string> up_args(const std::string& config) {
    return {"up", "-c", config, "--port", "0", "--admin-port", "0", "--state-file", (dir_ / "state.json").string(),
            "--worker-arg=--threads", "--worker-arg=1", "--worker-arg=--parallel", "--worker-arg=2"};
  }
  fs::path dir_;
};

// The newcomer's path: `up` with its default health settings (30 s between
// probes of a ready replica) and a request the moment it says it listens.
// The starting replica is probed every 250 ms and the request is held in the
// gateway's wait queue until it is ready: the first answer is a 200, not an
// error, and comes within seconds.
TEST_F(UpE2E, ARequestRightAfterStartIsHeldUntilTheReplicaIsReady) {
  Gateway gw({"up", "-m", tiny_model(), "--port", "0", "--admin-port", "0", "--state-file",
              (dir_ / "state.json").string(), "--worker-arg=--threads", "--worker-arg=1"});
  ASSERT_NE(gw.proxy(), 0) << gw.log();
  const auto start = std::chrono::steady_clock::now();
  ClientResponse first = post(gw.proxy(), "/api/predict", json{{"prompt", "Hi"}, {"max_tokens", 4}});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(first.status, 200) << first.body << "\n" << gw.log();
  EXPECT_LT(seconds, 15.0) << "held for " << seconds << " s";
  std::printf("UP_FIRST_ANSWER_SECONDS %.3f\n", seconds);
  EXPECT_EQ(gw.chat().status, 200);
  const std::string metrics = http_request(gw.admin(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("r1_gateway_queue_timeouts_total 0"), std::string::npos) << metrics;
  gw.send_signal(SIGTERM);
  EXPECT_EQ(gw.wait_exit(std::chrono::seconds(25)), 0) << gw.log();
}

TEST_F(UpE2E, RespawnsAKilledWorkerAndStopsCleanly) {
  std::vector<std::string> args = up_args(write_config("gw.yaml", ""));
  args.insert(args.end(), {"-m", tiny_model(), "--replicas", "2"});
  Gateway gw(args);
  ASSERT_NE(gw.proxy(), 0) << gw.log();
  std::vector<int> pids;
  ASSERT_TRUE(eventually([&] { return !(pids = gw.healthy_pids(2)).empty(); }, std::chrono::seconds(30))) << gw.log();
  ClientResponse r = gw.chat();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-r1serve-model-version"), "default");
  ::kill(pids[0], SIGKILL);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(gw.chat().status, 200);  // the other replica (or a retry) serves
  std::vector<int> now;
  ASSERT_TRUE(eventually([&] {
    now = gw.healthy_pids(2);
    return !now.empty() && std::find(now.begin(), now.end(), pids[0]) == now.end();
  }, std::chrono::seconds(20))) << gw.status().dump();
  EXPECT_EQ(gw.chat().status, 200);
  gw.send_signal(SIGTERM);
  EXPECT_EQ(gw.wait_exit(std::chrono::seconds(25)), 0) << gw.log();
  for (int pid : now) EXPECT_TRUE(eventually([&] { return !alive(pid); }, std::chrono::seconds(5))) << pid;
}

TEST_F(UpE2E, SighupAppliesAChangedFileAndKeepsTheOldOneWhenBad) {
  auto with = [&](const std::string& n) {
    return "pools:\n  - {name: main, model: " + tiny_model() + ", replicas: " + n + "}\n";
  };
  const std::string config = write_config("gw.yaml", with("2"));
  Gateway gw(up_args(config));
  ASSERT_NE(gw.proxy(), 0) << gw.log();
  std::vector<int> pids;
  ASSERT_TRUE(eventually([&] { return !(pids = gw.healthy_pids(2)).empty(); }, std::chrono::seconds(30))) << gw.log();
  write_config("gw.yaml", with("1"));
  gw.send_signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return gw.healthy_pids(1).size() == 1; }, std::chrono::seconds(20))) << gw.log();
  EXPECT_EQ(gw.chat().status, 200);
  write_config("gw.yaml", with("1") + "health: {intervall: 1s}\n");
  gw.send_signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return gw.log().find("health.intervall") != std::string::npos; },
                         std::chrono::seconds(10))) << gw.log();
  EXPECT_EQ(gw.healthy_pids(1).size(), 1u);
  const ClientResponse bad = http_request(gw.admin(), "POST", "/admin/reload");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("health.intervall"), std::string::npos) << bad.body;
  gw.send_signal(SIGTERM);
  EXPECT_EQ(gw.wait_exit(std::chrono::seconds(25)), 0) << gw.log();
}

TEST_F(UpE2E, BadConfigFileIsAClearError) {
  const std::string config = write_config("bad.yaml", "pools:\n  - {name: a, model: /m.gguf, replicas: 0}\n");
  Gateway gw(up_args(config));
  EXPECT_NE(gw.wait_exit(std::chrono::seconds(10)), 0);
  EXPECT_NE(gw.log().find("error: "), std::string::npos) << gw.log();
  EXPECT_NE(gw.log().find("pools[0].replicas"), std::string::npos) << gw.log();
}

std::string run_stdout(const std::vector<std::string>& args) {
  std::string cmd = r1serve_binary();
  for (const auto& a : args) cmd += " '" + a + "'";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

TEST_F(UpE2E, BlueGreenRolloutSwitchesTheServedVersion) {
  const fs::path second = dir_ / "tiny-next.gguf";
  fs::copy_file(tiny_model(), second);
  std::vector<std::string> args = up_args(write_config("gw.yaml", ""));
  args.insert(args.end(), {"-m", tiny_model(), "--replicas", "1"});
  Gateway gw(args);
  ASSERT_NE(gw.proxy(), 0) << gw.log();
  ASSERT_TRUE(eventually([&] { return gw.healthy_pids(1).size() == 1; }, std::chrono::seconds(30))) << gw.log();
  EXPECT_EQ(gw.chat().header("x-r1serve-model-version"), "default");
  const std::string admin = "http://127.0.0.1:" + std::to_string(gw.admin());
  ASSERT_EQ(run_command({r1serve_binary(), "rollout", "start", "--model", second.string(), "--strategy",
                         "blue-green", "--admin", admin}), 0);
  EXPECT_NE(run_command({r1serve_binary(), "rollout", "start", "--model", second.string(), "--strategy",
                         "blue-green", "--admin", admin}), 0);  // 409: one in progress
  json st;
  ASSERT_TRUE(eventually([&] {
    st = parse(run_stdout({"rollout", "status", "--admin", admin}));
    return st.value("phase", "") == "succeeded";
  }, std::chrono::seconds(30))) << st.dump() << gw.log();
  EXPECT_EQ(st["strategy"], "blue-green");
  EXPECT_EQ(st["version"], "tiny-next");
  bool switched = false;
  for (const auto& e : st["events"]) switched = switched || e["phase"] == "switched";
  EXPECT_TRUE(switched) << st.dump();
  const ClientResponse r = gw.chat();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-r1serve-model-version"), "tiny-next");
  ASSERT_TRUE(eventually([&] { return gw.healthy_pids(1).size() == 1; }, std::chrono::seconds(15)));
  EXPECT_TRUE(fs::is_regular_file(dir_ / "state.json"));
  gw.send_signal(SIGTERM);
  EXPECT_EQ(gw.wait_exit(std::chrono::seconds(25)), 0) << gw.log();
}

}  // namespace
}  // namespace r1::e2e
