#include "chaos_load.h"

#include <algorithm>

#include "chaos_util.h"

namespace r1::e2e::chaos {

LoadStats summarize_load(const std::vector<LoadSample>& samples) {
  LoadStats s;
  std::vector<double> ms;
  for (const LoadSample& x : samples) {
    ++s.total;
    ++s.versions[x.version];
    if (x.status != 200 || !x.error.empty()) {
      if (s.failed++ == 0) s.first_failure = "status " + std::to_string(x.status) + ": " + x.error;
      continue;
    }
    ms.push_back(x.latency_s * 1000);
  }
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  s.p50_ms = ms[ms.size() / 2];
  s.max_ms = ms.back();
  return s;
}

PredictLoad::PredictLoad(uint16_t port, int threads, double per_thread_rps)
    : port_(port), start_(std::chrono::steady_clock::now()) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this, i, per_thread_rps] { run(i, per_thread_rps); });
}

PredictLoad::~PredictLoad() { stop(); }

void PredictLoad::stop() {
  stop_ = true;
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

double PredictLoad::now_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::vector<LoadSample> PredictLoad::samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return samples_;
}

std::vector<LoadSample> PredictLoad::between(double from_s, double to_s) const {
  std::vector<LoadSample> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const LoadSample& s : samples_) {
    if (s.start_s >= from_s && s.start_s < to_s) out.push_back(s);
  }
  return out;
}

void PredictLoad::run(int thread_index, double rps) {
  const auto period = std::chrono::duration<double>(1.0 / rps);
  auto next = std::chrono::steady_clock::now();
  for (int k = 0; !stop_; ++k) {
    std::this_thread::sleep_until(next);
    const json body = {{"prompt", "chaos load t" + std::to_string(thread_index) + " r" + std::to_string(k)},
                       {"max_tokens", 2},
                       {"temperature", 0}};
    LoadSample s;
    s.start_s = now_s();
    const HttpReply r = http_call(port_, "POST", "/api/predict", body.dump(), Ms(30'000));
    s.latency_s = now_s() - s.start_s;
    s.status = r.status;
    s.version = r.header("x-r1serve-model-version");
    s.error = r.error;
    if (r.status != 200 && s.error.empty()) s.error = r.body.substr(0, 300);
    {
      std::lock_guard<std::mutex> lock(mu_);
      samples_.push_back(std::move(s));
    }
    next = std::max(next + std::chrono::duration_cast<std::chrono::steady_clock::duration>(period),
                    std::chrono::steady_clock::now());
  }
}

}  // namespace r1::e2e::chaos
