// A real `r1serve up` / `r1serve gateway` child process for the end-to-end
// tests: a test_support::ChildProcess with its stderr captured, its proxy
// and admin ports read from the "gateway/admin listening on
// http://127.0.0.1:PORT" lines, its admin API queried, signalled and reaped
// by the test.
//
// Thread contract: as ChildProcess: owned by the test thread that started
// it; proxy(), admin(), pid() and log() are safe from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "serve_test_util.h"

namespace r1::e2e {

// Polls `done` every 50 ms until it holds or `timeout` passes.
template <typename F>
bool eventually(F done, std::chrono::milliseconds timeout) {
  return test_support::poll_until(done, timeout, std::chrono::milliseconds(50));
}

bool alive(int pid);

class GatewayProcess : public ChildProcess {
 public:
  // Runs `<launcher...> r1serve <args>` (launcher[0] a path; empty: r1serve
  // itself) and waits up to 20 s for both listening lines. The destructor
  // SIGKILLs.
  explicit GatewayProcess(std::vector<std::string> args, std::vector<std::string> launcher = {});

  uint16_t proxy() const { return proxy_; }
  uint16_t admin() const { return admin_; }

  json status() const;
  // Healthy replicas' pids when there are exactly `n` replicas, all healthy; else empty.
  std::vector<int> healthy_pids(size_t n) const;
  ClientResponse chat() const;

 private:
  uint16_t proxy_ = 0, admin_ = 0;
};

}  // namespace r1::e2e
