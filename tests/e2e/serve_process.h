// A real `r1serve serve` child process for the end-to-end tests: a
// test_support::ChildProcess started on an ephemeral loopback port (--port
// 0; the port is read from its "listening on http://127.0.0.1:PORT" stderr
// line), with its stderr kept for diagnostics, signalled and reaped by the
// test. Also the r1serve binary, the tiny test model and the parsing of
// r1serve's "listening on" lines, for the other e2e helpers.
//
// Thread contract: as ChildProcess: a ServeProcess is owned by the test
// thread that started it; port(), pid(), log() and wait_ready() are safe
// from any thread. The free functions are safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/child_process.h"

namespace r1::e2e {

using test_support::ChildProcess;
using test_support::run_command;

// <build>/r1serve.
std::string r1serve_binary();

// <build>/tests/e2e/<name>: `r1serve model synth <synth_args>` once per
// build tree (written to a temporary name and renamed, so concurrent test
// processes are safe).
std::string synth_once(const std::string& name, const std::vector<std::string>& synth_args);

// The tiny-qwen2 q8_0 model (synth_once).
const std::string& tiny_model();

// The PORT of the first line with `prefix` in `log` once that line is
// complete ("<prefix>HOST:PORT\n"); 0 if none (yet).
uint16_t listening_port(const std::string& log, const std::string& prefix = "listening on http://");

class ServeProcess : public ChildProcess {
 public:
  // Starts `r1serve serve --host 127.0.0.1 --port 0 <args>` (host and port
  // only where `args` do not give them) with `env` ("NAME=value") added to
  // the environment, and waits (up to 30 s) for the listening line.
  // started() tells whether that line came. The destructor SIGKILLs.
  explicit ServeProcess(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

  bool started() const { return port_ != 0; }
  uint16_t port() const { return port_; }

  // Polls GET /ready until 200; false on timeout.
  bool wait_ready(std::chrono::milliseconds timeout) const;

 private:
  uint16_t port_ = 0;
};

// A test suite sharing one `r1serve serve`: started (and waited ready) once
// before the suite's first test with Suite::server_args(), killed after
// its last. Each suite (CRTP) has its own server.
template <class Suite>
class SharedServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServeProcess(Suite::server_args());
    ASSERT_TRUE(server_->started()) << server_->log();
    ASSERT_TRUE(server_->wait_ready(std::chrono::seconds(30))) << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(server_ != nullptr && server_->started()); }
  static uint16_t port() { return server_->port(); }

  static inline ServeProcess* server_ = nullptr;
};

}  // namespace r1::e2e
