// Gateway chaos tests, part 1: a real `r1serve gateway --config FILE` with
// real workers on the tiny model.
//  - kill -9 a worker during 20 concurrent streams (greedy and seeded):
//    every client gets a complete stream whose text equals an uninterrupted
//    run's;
//  - SIGSTOP a worker mid-stream: its streams continue on the other replica
//    within per_token_timeout + margin, new requests avoid it;
//  - a primary pool with --fault-error-rate 0.1 and a backup pool: the
//    breaker opens, traffic goes to the backup, clients see no failure;
//    with the fault removed the breaker half-opens and closes.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "chaos_load.h"
#include "chaos_util.h"
#include "serve_process.h"

namespace r1::e2e::chaos {
namespace {

constexpr double kPerTokenTimeoutS = 1.0;
constexpr double kContinuationMarginS = 3.0;  // 2 loaded cores: re-prefill + scheduling

std::vector<std::string> worker_args() {
  return {"--threads", "1", "--parallel", "16", "--ctx", "1024", "--grace-seconds", "2"};
}

// Diagnosis only: R1_CHAOS_BREAKER_PERCENT=100 keeps the version breaker
// from opening in the kill/stop tests (a dead replica's broken streams count
// as the version's errors).
void set_breaker_override(ChaosYaml& y) {
  if (const char* b = std::getenv("R1_CHAOS_BREAKER_PERCENT"); b != nullptr && *b != 0) {
    y.breaker_error_rate_percent = std::atof(b);
  }
}

// Client i's request: greedy for even i; seeded sampling (seed 1000 + i)
// for odd i. On the tiny random model greedy text hardly depends on the
// prompt, so the seeded streams make each client's text its own: a
// continuation that mixed up two streams could not go unnoticed.
json client_request(int i, int max_tokens) {
  json body = greedy_chat("chaos client " + std::to_string(i) + ": tell a story", max_tokens);
  if (i % 2 == 1) {
    body["temperature"] = 0.8;
    body["seed"] = 1000 + i;
  }
  return body;
}

// `n` concurrent streams, client_request(i) each.
std::vector<ChatStream> run_streams(uint16_t port, int n, int max_tokens, std::atomic<int>* progress) {
  std::vector<ChatStream> out(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] { out[i] = chat_stream(port, client_request(i, max_tokens), Ms(60'000), progress); });
  }
  for (std::thread& t : threads) t.join();
  return out;
}

std::string describe(const ChatStream& s) {
  return "status " + std::to_string(s.status) + " done " + std::to_string(s.done) + " error_event " +
 std::to_string(s.error_event) + " (" + s.error_data + ") error '" + s.error + "' chunks " + std::to_string(s.chunks) +
         " body: " + s.body.substr(0, 600);
}

// The gateway's counters and breakers, for failure messages.
std::string diagnosis(const GatewayProcess& g) {
  const json s = g.status();
  return "gateway counters: " + s.value("counters", json()).dump() + "; pools: " + s.value("pools", json()).dump();
}

// Where two texts part (for failure messages: the texts are long).
std::string text_diff(const std::string& got, const std::string& want) {
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  return "got " + std::to_string(got.size()) + " bytes, want " + std::to_string(want.size()) +
         ", first difference at byte " + std::to_string(i);
}

// Starts the streams, waits until they have sent `min_chunks` text chunks
// in all, then runs `fault`; returns the streams once all ended.
template <typename Fault>
std::vector<ChatStream> streams_with_fault(uint16_t port, int n, int max_tokens, int min_chunks, Fault fault) {
  std::atomic<int> progress{0};
  std::vector<ChatStream> out;
  std::thread clients([&] { out = run_streams(port, n, max_tokens, &progress); });
  const bool started = poll_until([&] { return progress.load() >= min_chunks; }, Ms(30'000));
  if (started) fault();
  clients.join();
  EXPECT_TRUE(started) << "the streams never got going";
  return out;
}

TEST(Chaos, KillNineWorkerDuringTwentyStreamsKeepsEveryStreamExact) {
  TempDir dir("r1chaos_kill");
  ChaosYaml y;
  y.pools = {{"v1", tiny_model(), 2, "primary", worker_args()}};
  set_breaker_override(y);
  GatewayProcess g(dir.file("gateway.yaml"), y.render());
  ASSERT_TRUE(g.started()) << g.log_tail();
  ASSERT_TRUE(g.wait_healthy(2, Ms(60'000))) << g.log_tail();
  constexpr int kClients = 20, kTokens = 300;
  const std::vector<ChatStream> base = run_streams(g.port(), kClients, kTokens, nullptr);
  for (const ChatStream& s : base) ASSERT_TRUE(s.ok()) << describe(s) << g.log_tail();
  ASSERT_NE(base[1].text, base[3].text) << "seeded streams should differ";
  const int64_t continuations_before = g.counter("continuations_total");
  const pid_t victim = g.replica_pid("v1/0");
  ASSERT_GT(victim, 0) << g.status().dump();
  const auto got = streams_with_fault(g.port(), kClients, kTokens, kClients * 15, [&] { kill(victim, SIGKILL); });
  int exact = 0;
  double max_gap = 0;
  for (int i = 0; i < kClients; ++i) {
    EXPECT_TRUE(got[i].ok()) << "client " << i << ": " << describe(got[i]);
    EXPECT_TRUE(got[i].text == base[i].text) << "client " << i << ": " << text_diff(got[i].text, base[i].text);
    EXPECT_EQ(got[i].finish_reason, base[i].finish_reason) << "client " << i;
    exact += got[i].ok() && got[i].text == base[i].text ? 1 : 0;
    max_gap = std::max(max_gap, got[i].max_gap_s);
  }
  const int64_t continued = g.counter("continuations_total") - continuations_before;
  EXPECT_GT(continued, 0) << "the kill hit no stream in flight: " << g.status().dump();
  EXPECT_EQ(exact, kClients) << diagnosis(g);
  if (HasFailure()) std::printf("gateway stderr (tail):\n%s\n", g.log_tail().c_str());
  std::printf("CHAOS kill9: %d/%d streams complete and exact, %lld continuations, max gap %.2f s\n", exact,
              kClients, static_cast<long long>(continued), max_gap);
  // The supervisor restarts the killed worker.
  EXPECT_TRUE(poll_until([&] { const pid_t p = g.replica_pid("v1/0"); return p > 0 && p != victim; },
                         Ms(30'000))) << g.status().dump();
  EXPECT_TRUE(g.wait_healthy(2, Ms(60'000))) << g.log_tail();
}

TEST(Chaos, SigstopWorkerMidStreamContinuesOnTheOtherReplica) {
  TempDir dir("r1chaos_stop");
  ChaosYaml y;
  y.pools = {{"v1", tiny_model(), 2, "primary", worker_args()}};
  y.liveness_restart_after = 100;  // keep the stopped worker (no liveness kill)
  set_breaker_override(y);
  GatewayProcess g(dir.file("gateway.yaml"), y.render());
  ASSERT_TRUE(g.started()) << g.log_tail();
  ASSERT_TRUE(g.wait_healthy(2, Ms(60'000))) << g.log_tail();
  constexpr int kClients = 10, kTokens = 300;
  const std::vector<ChatStream> base = run_streams(g.port(), kClients, kTokens, nullptr);
  for (const ChatStream& s : base) ASSERT_TRUE(s.ok()) << describe(s) << g.log_tail();
  const pid_t victim = g.replica_pid("v1/0");
  ASSERT_GT(victim, 0) << g.status().dump();
  const int64_t continuations_before = g.counter("continuations_total");
  const auto got = streams_with_fault(g.port(), kClients, kTokens, kClients * 15, [&] { kill(victim, SIGSTOP); });
  double max_gap = 0;
  int exact = 0;
  for (int i = 0; i < kClients; ++i) {
    exact += got[i].ok() && got[i].text == base[i].text ? 1 : 0;
    EXPECT_TRUE(got[i].ok()) << "client " << i << ": " << describe(got[i]);
    EXPECT_TRUE(got[i].text == base[i].text) << "client " << i << ": " << text_diff(got[i].text, base[i].text);
    EXPECT_LT(got[i].max_gap_s, kPerTokenTimeoutS + kContinuationMarginS) << "client " << i;
    max_gap = std::max(max_gap, got[i].max_gap_s);
  }
  const int64_t continued = g.counter("continuations_total") - continuations_before;
  EXPECT_GT(continued, 0) << g.status().dump();
  EXPECT_EQ(exact, kClients) << diagnosis(g);
  if (HasFailure()) std::printf("gateway stderr (tail):\n%s\n", g.log_tail().c_str());
  // The stopped replica is marked unhealthy; new requests go to the other
  // one at once (no stall, no continuation).
  EXPECT_TRUE(poll_until([&] {
    for (const json& r : g.status().value("replicas", json::array())) {
      if (r.value("id", "") == "v1/0") return !r.value("healthy", true);
    }
    return false;
  }, Ms(10'000))) << g.status().dump();
  const int64_t continuations_mid = g.counter("continuations_total");
  const std::vector<ChatStream> fresh = run_streams(g.port(), 6, 40, nullptr);
  for (const ChatStream& s : fresh) {
    EXPECT_TRUE(s.ok()) << describe(s);
    EXPECT_LT(s.max_gap_s, kPerTokenTimeoutS) << describe(s);
  }
  EXPECT_EQ(g.counter("continuations_total"), continuations_mid);
  std::printf("CHAOS sigstop: %lld continuations, max gap %.2f s (per_token_timeout %.1f s)\n",
              static_cast<long long>(continued), max_gap, kPerTokenTimeoutS);
  kill(victim, SIGCONT);
  EXPECT_TRUE(g.wait_healthy(2, Ms(30'000))) << g.log_tail();
}

// Polls the pool's breaker state every 50 ms in the background.
class BreakerWatch {
 public:
  BreakerWatch(const GatewayProcess& g, std::string pool) : g_(g), pool_(std::move(pool)) {
    thread_ = std::thread([this] {
      while (!stop_) {
        const std::string s = g_.breaker_state(pool_);
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (!s.empty()) seen_.insert(s);
          last_ = s;
        }
        std::this_thread::sleep_for(Ms(50));
      }
    });
  }
  ~BreakerWatch() {
    stop_ = true;
    thread_.join();
  }
  bool seen(const std::string& s) const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_.count(s) > 0;
  }
  void forget() {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.clear();
  }

 private:
  const GatewayProcess& g_;
  const std::string pool_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::set<std::string> seen_;
  std::string last_;
  std::thread thread_;
};

// Writes `y` to the gateway's config file and sends SIGHUP. A reload need
// not restart running workers: if `replica` is still the same process after
// 5 s, it is restarted with kill -9 (respawned from the new config). True
// once a new process serves `replica`.
bool reload_and_replace(GatewayProcess& g, const ChaosYaml& y, const std::string& replica) {
  const pid_t old_pid = g.replica_pid(replica);
  write_file(g.config_path(), y.render());
  g.send_signal(SIGHUP);
  auto replaced = [&] { const pid_t p = g.replica_pid(replica); return p > 0 && p != old_pid; };
  if (poll_until(replaced, Ms(5000))) return true;
  std::printf("CHAOS breaker: the reload kept the faulty worker; restarting it with kill -9\n");
  kill(old_pid, SIGKILL);
  return poll_until(replaced, Ms(20'000));
}

TEST(Chaos, FaultyPrimaryOpensTheBreakerToTheBackupAndRecovers) {
  TempDir dir("r1chaos_breaker");
  ChaosYaml y;
  y.test_mode = true;
  std::vector<std::string> faulty = worker_args();
  faulty.insert(faulty.end(), {"--fault-error-rate", "0.1"});
  y.pools = {{"v1", tiny_model(), 1, "primary", faulty}, {"bk", tiny_model_b(), 1, "backup", worker_args()}};
  y.breaker_open_duration = "3s";
  y.max_attempts = 5;  // one primary replica: a retry may land on it again
  GatewayProcess g(dir.file("gateway.yaml"), y.render());
  ASSERT_TRUE(g.started()) << g.log_tail();
  ASSERT_TRUE(g.wait_healthy(2, Ms(60'000))) << g.log_tail();
  BreakerWatch watch(g, "v1");
  PredictLoad load(g.port(), 4, 8);  // ~32 requests/s
  ASSERT_TRUE(poll_until([&] { return watch.seen("open"); }, Ms(30'000))) << g.status().dump();
  const double opened_at = load.now_s();
  ASSERT_TRUE(poll_until([&] { return summarize_load(load.between(opened_at, 1e9)).count("bk") > 0; },
                         Ms(10'000))) << g.status().dump();
  // The fault goes away: the config without it, reloaded with SIGHUP.
  y.pools[0].args = worker_args();
  ASSERT_TRUE(reload_and_replace(g, y, "v1/0")) << g.status().dump();
  ASSERT_TRUE(g.wait_healthy(2, Ms(30'000))) << g.log_tail();
  watch.forget();
  EXPECT_TRUE(poll_until([&] { return watch.seen("closed"); }, Ms(30'000))) << g.status().dump();
  const bool half_open = watch.seen("half_open");
  watch.forget();
  const double closed_at = load.now_s();
  EXPECT_TRUE(poll_until([&] { return summarize_load(load.between(closed_at, 1e9)).total >= 60; }, Ms(20'000)));
  EXPECT_FALSE(watch.seen("open")) << "the breaker opened again without the fault";
  load.stop();
  const LoadStats all = summarize_load(load.samples());
  const LoadStats after = summarize_load(load.between(closed_at + 0.5, 1e9));
  EXPECT_EQ(all.failed, 0) << all.first_failure << "\n" << g.log_tail();
  EXPECT_EQ(g.breaker_state("v1"), "closed") << g.status().dump();
  EXPECT_EQ(after.count("bk"), 0) << "backup still serving after the breaker closed";
  EXPECT_GT(after.count("v1"), 0);
  std::printf("CHAOS breaker: %lld requests, %lld client failures, %lld via backup, retries %lld, "
              "half_open seen %d\n", static_cast<long long>(all.total), static_cast<long long>(all.failed),
              static_cast<long long>(all.count("bk")), static_cast<long long>(g.counter("retries_total")),
              half_open ? 1 : 0);
}

}  // namespace
}  // namespace r1::e2e::chaos
