// Gateway chaos tests, part 2: rollouts under constant load and bad input.
//  - rolling update to a second model under >= 20 requests/s of
//    /api/predict: succeeds with 0 failed requests (CHAOS line: the largest
//    added latency, max during the rollout minus the baseline p50);
//  - canary to a model whose workers inject 50% errors: rolled back, 0
//    failed client requests;
//  - a bad config file (the error names the key, exit non-zero), a rollout
//    to a missing model (admin error, old version serving), a rollout to a
//    corrupt GGUF (never ready: the rollout fails, old version serving).
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "chaos_load.h"
#include "chaos_util.h"
#include "serve_process.h"

namespace r1::e2e::chaos {
namespace {

const std::set<std::string> kTerminal = {"succeeded", "rolled-back", "failed", "aborted"};

std::vector<std::string> worker_args() { return {"--threads", "1", "--parallel", "8", "--ctx", "512"}; }

struct CliResult {
  int rc = -1;
  std::string output;  // stderr (stdout goes to /dev/null)
};

// `r1serve rollout <args> --admin URL`.
CliResult rollout_cli(const GatewayProcess& g, std::vector<std::string> args) {
  std::vector<std::string> argv = {r1serve_binary(), "rollout"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--admin", g.admin_url()});
  ChildProcess p(argv);
  CliResult r;
  r.rc = p.wait_exit(Ms(30'000));
  r.output = p.log();
  return r;
}

// Polls GET /admin/rollout until a terminal phase; its JSON (null on timeout).
json wait_rollout_end(const GatewayProcess& g, Ms timeout) {
  json last;
  poll_until([&] {
    last = g.rollout();
    return last.is_object() && kTerminal.count(last.value("phase", "")) > 0;
  }, timeout);
  return last;
}

// Waits until `seconds` of load have passed since `from_s`.
void load_for(const PredictLoad& load, double from_s, double seconds) {
  poll_until([&] { return load.now_s() >= from_s + seconds; }, Ms(static_cast<int>(seconds * 1000) + 5000));
}

TEST(ChaosRollout, RollingUpdateUnderLoadFailsNoRequest) {
  TempDir dir("r1chaos_rolling");
  ChaosYaml y;
  y.pools = {{"v1", tiny_model(), 2, "primary", worker_args()}};
  GatewayProcess g(dir.file("gateway.yaml"), y.render());
  ASSERT_TRUE(g.started()) << g.log_tail();
  ASSERT_TRUE(g.wait_healthy(2, Ms(60'000))) << g.log_tail();
  PredictLoad load(g.port(), 4, 8);  // ~32 requests/s
  load_for(load, 0, 3);
  const double t_start = load.now_s();
  const CliResult cli = rollout_cli(g, {"start", "--model", tiny_model_b(), "--strategy", "rolling",
                                        "--version", "v2"});
  ASSERT_EQ(cli.rc, 0) << cli.output << g.log_tail();
  const json end = wait_rollout_end(g, Ms(45'000));
  const double t_end = load.now_s();
  load_for(load, t_end, 2);
  load.stop();
  EXPECT_EQ(end.value("phase", ""), "succeeded") << end.dump() << "\n" << g.log_tail();
  const LoadStats base = summarize_load(load.between(0.5, t_start));
  const LoadStats during = summarize_load(load.between(t_start, t_end));
  const LoadStats after = summarize_load(load.between(t_end + 0.5, 1e9));
  const LoadStats all = summarize_load(load.samples());
  EXPECT_EQ(all.failed, 0) << all.first_failure << "\n" << g.log_tail();
  const double rate = during.total / std::max(1e-3, t_end - t_start);
  EXPECT_GE(rate, 20.0);
  EXPECT_GT(after.count("v2"), 0);
  EXPECT_EQ(after.count("v1"), 0) << "v1 still serving after the rollout";
  std::printf("CHAOS rolling: %.1f s, %lld requests (%.0f/s), %lld failed; baseline p50 %.1f ms, "
              "max during %.1f ms, largest added latency %.1f ms\n", t_end - t_start,
              static_cast<long long>(during.total), rate, static_cast<long long>(all.failed), base.p50_ms,
              during.max_ms, during.max_ms - base.p50_ms);
}

TEST(ChaosRollout, FaultyCanaryIsRolledBackWithoutClientFailures) {
  TempDir dir("r1chaos_canary");
  // A new version gets its stable pool's worker flags; --fault-if-model
  // makes them inject errors only for the canary's model file.
  const std::string canary_model = dir.file("chaos_canary.gguf");
  std::filesystem::create_symlink(tiny_model_b(), canary_model);
  ChaosYaml y;
  y.test_mode = true;
  std::vector<std::string> args = worker_args();
  args.insert(args.end(), {"--fault-error-rate", "0.5", "--fault-if-model", "chaos_canary"});
  y.pools = {{"v1", tiny_model(), 2, "primary", args}};
  y.breaker_error_rate_percent = 95;  // keep the canary routed: the analysis decides
  y.max_attempts = 8;                 // a retry may pick the canary again
  GatewayProcess g(dir.file("gateway.yaml"), y.render());
  ASSERT_TRUE(g.started()) << g.log_tail();
  ASSERT_TRUE(g.wait_healthy(2, Ms(60'000))) << g.log_tail();
  PredictLoad load(g.port(), 4, 8);
  load_for(load, 0, 2);
  const double t_start = load.now_s();
  const CliResult cli = rollout_cli(g, {"start", "--model", canary_model, "--strategy", "canary",
                                        "--canary-percent", "50", "--analysis-window", "8s", "--version", "v3"});
  ASSERT_EQ(cli.rc, 0) << cli.output << g.log_tail();
  const json end = wait_rollout_end(g, Ms(50'000));
  const double t_end = load.now_s();
  load_for(load, t_end, 2);
  load.stop();
  EXPECT_EQ(end.value("phase", ""), "rolled-back") << end.dump() << "\n" << g.log_tail();
  const LoadStats base = summarize_load(load.between(0.5, t_start));
  const LoadStats during = summarize_load(load.between(t_start, t_end));
  const LoadStats after = summarize_load(load.between(t_end + 0.5, 1e9));
  const LoadStats all = summarize_load(load.samples());
  EXPECT_EQ(all.failed, 0) << all.first_failure << "\n" << g.log_tail();
  EXPECT_EQ(after.count("v3"), 0) << "the canary still serves after the rollback";
  EXPECT_GT(after.count("v1"), 0);
  std::printf("CHAOS canary: rolled back after %.1f s, %lld requests (%lld answered by v3), %lld failed, "
              "retries %lld, largest added latency %.1f ms; message: %s\n", t_end - t_start,
              static_cast<long long>(during.total), static_cast<long long>(during.count("v3")),
              static_cast<long long>(all.failed), static_cast<long long>(g.counter("retries_total")),
              during.max_ms - base.p50_ms, end.value("message", "").c_str());
}

TEST(ChaosRollout, BadConfigFileNamesTheKeyAndExitsNonZero) {
  TempDir dir("r1chaos_badcfg");
  struct Case {
    std::string yaml;
    std::string key;
  };
  const std::vector<Case> cases = {
      {"pools: [{name: v1, model: \"" + tiny_model() + "\"}]\nhealth: {intervall: 1s}\n", "health.intervall"},
      {"pools: [{name: v1, model: \"" + tiny_model() + "\", replicas: 0}]\n", "pools[0].replicas"},
      {"pools: [{name: v1, model: \"" + tiny_model() + "\"}]\nhealth: {interval: soon}\n", "health.interval"},
      {"pools: [{name: v1, model: \"" + tiny_model() + "\", args: [\"--fault-error-rate\", \"1\"]}]\n",
       "pools[0].args"},  // fault flags need test_mode
  };
  for (const Case& c : cases) {
    const std::string path = dir.file("bad.yaml");
    write_file(path, c.yaml);
    ChildProcess p({r1serve_binary(), "gateway", "--config", path});
    const int rc = p.wait_exit(Ms(20'000));
    EXPECT_NE(rc, 0) << c.yaml << p.log_tail();
    EXPECT_NE(rc, -1) << "still running: " << c.yaml;
    EXPECT_NE(p.log().find(c.key), std::string::npos) << "expected '" << c.key << "' in: " << p.log_tail();
    EXPECT_EQ(p.log().find("listening on"), std::string::npos) << p.log_tail();
  }
}

// Predicts through the gateway; true when all `n` are 200 from `version`.
bool serving(const GatewayProcess& g, const std::string& version, int n) {
  for (int i = 0; i < n; ++i) {
    const HttpReply r = http_call(g.port(), "POST", "/api/predict",
                                  R"({"prompt":"still there?","max_tokens":2})", Ms(20'000));
    if (r.status != 200 || r.header("x-r1serve-model-version") != version) return false;
  }
  return true;
}

TEST(ChaosRollout, MissingOrCorruptModelLeavesTheOldVersionServing) {
  TempDir dir("r1chaos_badmodel");
  ChaosYaml y;
  y.pools = {{"v1", tiny_model(), 1, "primary", worker_args()}};
  y.crash_loop_count = 3;
  GatewayProcess g(dir.file("gateway.yaml"), y.render());
  ASSERT_TRUE(g.started()) << g.log_tail();
  ASSERT_TRUE(g.wait_healthy(1, Ms(60'000))) << g.log_tail();
  // A model path that does not exist: the admin API refuses it.
  const CliResult missing = rollout_cli(g, {"start", "--model", dir.file("nope.gguf"), "--strategy", "canary"});
  EXPECT_EQ(missing.rc, 1) << missing.output;
  EXPECT_NE(missing.output.find("error"), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find("nope.gguf"), std::string::npos) << missing.output;
  EXPECT_TRUE(serving(g, "v1", 5)) << g.log_tail();
  // A corrupt GGUF: accepted (the file exists), its workers never get ready.
  const std::string corrupt = dir.file("corrupt.gguf");
  write_file(corrupt, "GGUF" + std::string(4096, '\x7f'));
  const CliResult started = rollout_cli(g, {"start", "--model", corrupt, "--strategy", "rolling",
                                            "--version", "bad"});
  ASSERT_EQ(started.rc, 0) << started.output;
  EXPECT_TRUE(serving(g, "v1", 5)) << g.log_tail();
  const json end = wait_rollout_end(g, Ms(45'000));
  EXPECT_EQ(end.value("phase", ""), "failed") << end.dump() << "\n" << g.log_tail();
  EXPECT_TRUE(serving(g, "v1", 5)) << g.log_tail();
  std::printf("CHAOS bad-model: missing -> rc %d; corrupt -> %s: %s\n", missing.rc,
              end.value("phase", "(no end)").c_str(), end.value("message", "").c_str());
}

}  // namespace
}  // namespace r1::e2e::chaos
