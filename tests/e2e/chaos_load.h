// Steady client load for the chaos tests: threads that each send paced
// POST /api/predict requests (fresh loopback connection each, bounded by a
// timeout) and record status, latency and x-r1serve-model-version.
//
// Thread contract: a PredictLoad is owned by one test thread; samples() and
// now_s() are safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace r1::e2e::chaos {

struct LoadSample {
  double start_s = 0;    // since the load started
  double latency_s = 0;  // request sent to last byte
  int status = -1;
  std::string version;   // x-r1serve-model-version
  std::string error;     // transport error, or the body of a non-200
};

struct LoadStats {
  int64_t total = 0;
  int64_t failed = 0;  // anything but a complete 200
  double p50_ms = 0;
  double max_ms = 0;
  std::map<std::string, int64_t> versions;
  std::string first_failure;  // "status ...: error" of the first failed one
  int64_t count(const std::string& version) const {
    auto it = versions.find(version);
    return it == versions.end() ? 0 : it->second;
  }
};

LoadStats summarize_load(const std::vector<LoadSample>& samples);

class PredictLoad {
 public:
  PredictLoad(uint16_t port, int threads, double per_thread_rps);
  ~PredictLoad();  // stop()
  PredictLoad(const PredictLoad&) = delete;
  PredictLoad& operator=(const PredictLoad&) = delete;

  void stop();
  double now_s() const;
  std::vector<LoadSample> samples() const;
  // Samples that started in [from_s, to_s).
  std::vector<LoadSample> between(double from_s, double to_s) const;

 private:
  void run(int thread_index, double rps);

  const uint16_t port_;
  const std::chrono::steady_clock::time_point start_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<LoadSample> samples_;
  std::vector<std::thread> threads_;
};

}  // namespace r1::e2e::chaos
