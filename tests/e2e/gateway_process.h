// A real `r1serve up` / `r1serve gateway` child process for the end-to-end
// tests: its stderr captured, its proxy and admin ports read from the
// "gateway/admin listening on http://127.0.0.1:PORT" lines, its admin API
// queried, signalled and reaped by the test.
//
// Thread contract: owned by one test thread; log() is safe from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "serve_test_util.h"

namespace r1::e2e {

// Polls `done` every 50 ms until it holds or `timeout` passes.
template <typename F>
bool eventually(F done, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

bool alive(int pid);

// The PORT of "<what> listening on http://127.0.0.1:PORT\n" in `log`; 0 if none.
uint16_t port_of(const std::string& log, const std::string& what);

class GatewayProcess {
 public:
  // Runs `<launcher...> r1serve <args>` (launcher[0] a path; empty: r1serve
  // itself) and waits up to 20 s for both listening lines.
  explicit GatewayProcess(std::vector<std::string> args, std::vector<std::string> launcher = {});
  ~GatewayProcess();  // SIGKILL and reap if still running
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  std::string log() const;
  bool exited();
  // The exit status; -1 on timeout, -2 if a signal ended it.
  int wait_exit(std::chrono::milliseconds timeout);
  void signal(int sig) const;
  uint16_t proxy() const { return proxy_; }
  uint16_t admin() const { return admin_; }
  pid_t pid() const { return pid_; }

  json status() const;
  // Healthy replicas' pids when there are exactly `n` replicas, all healthy; else empty.
  std::vector<int> healthy_pids(size_t n) const;
  ClientResponse chat() const;

 private:
  static constexpr int kRunning = -100;
  pid_t pid_ = -1;
  int status_ = kRunning;
  uint16_t proxy_ = 0, admin_ = 0;
  mutable std::mutex mu_;
  std::string log_;
  std::thread reader_;
};

}  // namespace r1::e2e
