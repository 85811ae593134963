// A real `r1serve serve` child process for the end-to-end tests: started on
// an ephemeral loopback port (--port 0; the port is read from its
// "listening on http://127.0.0.1:PORT" stderr line), with its stderr kept
// for diagnostics, signalled and reaped by the test.
//
// Thread contract: a ServeProcess is owned by one test thread; port() and
// log() are safe from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace r1::e2e {

// <build>/r1serve.
std::string r1serve_binary();

// fork + execve(argv[0] is a path): `env` ("NAME=value") ahead of the
// environment, stdout and stdin on /dev/null, stderr to `err_fd` (inherited
// when -1). The child's pid, or -1.
pid_t spawn_process(std::vector<std::string> argv, std::vector<std::string> env, int err_fd);

// Runs a command to completion; its exit status (-1 if it did not exit).
int run_command(const std::vector<std::string>& argv);

// The tiny-qwen2 q8_0 model, synthesized once per build tree (written to a
// temporary name and renamed, so concurrent test processes are safe).
const std::string& tiny_model();

class ServeProcess {
 public:
  // Starts `r1serve serve --host 127.0.0.1 --port 0 <args>` (host and port
  // only where `args` do not give them) with `env`
  // ("NAME=value") added to the environment, and waits (up to 30 s) for the
  // listening line. started() tells whether that line came.
  explicit ServeProcess(const std::vector<std::string>& args,
                        const std::vector<std::string>& env = {});
  ~ServeProcess();  // SIGKILL and reap if still running
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  bool started() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Polls GET /ready until 200; false on timeout.
  bool wait_ready(std::chrono::milliseconds timeout) const;
  void send_signal(int sig) const;
  // The exit status once the process ended normally; -1 on timeout, -2 if
  // a signal killed it.
  int wait_exit(std::chrono::milliseconds timeout);
  std::string log() const;

 private:
  void read_stderr(int fd);

  pid_t pid_ = -1;
  bool reaped_ = false;
  uint16_t port_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string log_;
  bool eof_ = false;
  std::thread reader_;
};

}  // namespace r1::e2e
