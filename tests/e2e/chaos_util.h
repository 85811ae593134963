// Helpers of the gateway chaos tests (chaos_test.cpp, chaos_rollout_test.cpp,
// chaos_reload_test.cpp) and the worker fault-flag tests
// (serve_faults_test.cpp), over test_support::ChildProcess (fork + exec,
// stderr captured, PR_SET_PDEATHSIG so nothing outlives the test):
//  - a raw-socket HTTP/1.1 client with a deadline that decodes chunked
//    bodies and timestamps each SSE event as it arrives;
//  - GatewayProcess: `r1serve gateway --config <tmp yaml>` with both ports
//    read from its stderr, and its admin API;
//  - ChaosYaml: a gateway config with fast health/breaker settings.
//
// Thread contract: a ChildProcess/GatewayProcess is owned by the test
// thread that started it; log(), log_tail(), port() and the free functions
// are safe from any thread.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "serve_process.h"

namespace r1::e2e::chaos {

using nlohmann::json;
using Ms = std::chrono::milliseconds;

using test_support::ChildProcess;
using test_support::poll_until;  // (pred, timeout): every 20 ms

struct HttpReply {
  int status = -1;  // -1: no response (error says why)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // de-chunked
  std::string error;                           // "timeout", "connect: ...", "closed"
  bool complete = false;                       // the body ended as framed
  std::string header(const std::string& name) const;
};

// Called with each SSE "data:" payload as it arrives and the seconds since
// the request was sent.
using EventFn = std::function<void(const std::string& data, double at_s)>;

// One request on a fresh loopback connection; gives up after `timeout`.
HttpReply http_call(uint16_t port, const std::string& method, const std::string& target,
                    const std::string& body, Ms timeout, const EventFn& on_event = {});

// A streamed chat completion as a client sees it.
struct ChatStream {
  int status = -1;
  std::string version;       // x-r1serve-model-version
  std::string text;          // reasoning + content deltas, concatenated
  std::string finish_reason;
  int chunks = 0;            // data events carrying text
  int events = 0;            // data events of any kind ([DONE] included)
  bool done = false;         // data: [DONE]
  bool error_event = false;  // an event object with an "error" key
  std::string error_data;    // that event's data
  double max_gap_s = 0;      // longest wait between two events (first byte included)
  std::string error;         // transport error, if any
  std::string body;
  bool ok() const { return status == 200 && done && !error_event && error.empty(); }
};

// Streams POST /v1/chat/completions; `progress` (optional) is incremented
// for each text chunk.
ChatStream chat_stream(uint16_t port, json body, Ms timeout, std::atomic<int>* progress = nullptr);

// A greedy chat request body.
json greedy_chat(const std::string& user, int max_tokens);

struct PoolSpec {
  std::string name;
  std::string model;
  int replicas = 1;
  std::string role = "primary";
  std::vector<std::string> args;
};

// A gateway config with fast settings for tests; ports 0 (kernel-picked).
struct ChaosYaml {
  std::vector<PoolSpec> pools;
  bool test_mode = false;
  std::string health_interval = "200ms";
  std::string health_timeout = "150ms";
  int unhealthy_threshold = 3;
  int liveness_restart_after = 5;
  std::string breaker_window = "3s";
  double breaker_error_rate_percent = 5;
  int breaker_min_requests = 10;
  std::string breaker_open_duration = "2s";
  int max_attempts = 3;
  double retry_budget_percent = 50;
  int consecutive_5xx = 1000;  // outlier ejection off unless a test wants it
  std::string per_token_timeout = "1s";
  std::string first_token_timeout = "10s";
  int canary_percent = 20;
  std::string analysis_window = "8s";
  std::string backoff_base = "100ms";
  std::string stop_grace = "5s";
  int crash_loop_count = 20;
  std::string render() const;
};

// A fresh directory under the temp dir, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& name);
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& text);

class GatewayProcess : public ChildProcess {
 public:
  // Writes `yaml` to config_path and starts `r1serve gateway --config it`
  // plus `extra_args`; waits (up to 30 s each) for both listening lines.
  // The destructor stops it with SIGTERM (SIGKILL after 15 s).
  GatewayProcess(const std::string& config_path, const std::string& yaml,
                 const std::vector<std::string>& extra_args = {});
  bool started() const { return port_ != 0 && admin_port_ != 0; }
  uint16_t port() const { return port_; }
  uint16_t admin_port() const { return admin_port_; }
  const std::string& config_path() const { return config_path_; }
  std::string admin_url() const { return "http://127.0.0.1:" + std::to_string(admin_port_); }

  // GET /admin/status (null json on failure).
  json status() const;
  json rollout() const;
  // Polls /admin/status until `n` replicas are healthy; false on timeout.
  bool wait_healthy(int n, Ms timeout) const;
  // The pid of replica `id` ("pool/0"); 0 if unknown.
  pid_t replica_pid(const std::string& id) const;
  // The breaker state of pool `name` ("closed", "open", "half_open"...).
  std::string breaker_state(const std::string& name) const;
  int64_t counter(const std::string& name) const;

 private:
  std::string config_path_;
  uint16_t port_ = 0;
  uint16_t admin_port_ = 0;
};

// Second tiny model (different weights), synthesized once per build tree.
const std::string& tiny_model_b();

}  // namespace r1::e2e::chaos
