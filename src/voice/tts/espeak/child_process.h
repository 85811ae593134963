// ChildProcess: a helper program run with posix_spawn, its stdin a Unix
// socket (so the parent writes with MSG_NOSIGNAL: a child that died early is
// EPIPE, never a SIGPIPE, whatever the process's SIGPIPE disposition), its
// stdout a pipe, its stderr /dev/null. The parent's ends are non-blocking
// and close-on-exec; the child gets only fds 0-2 (closefrom), an empty
// signal mask and default SIGPIPE/SIGCHLD/SIGTERM/SIGINT handlers. The
// destructor SIGKILLs a child still running and reaps it, so no path leaves
// a zombie or an fd behind.
//
// Thread contract: one thread per object (move-only); different objects are
// independent.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace r1::voice {

class ChildProcess {
 public:
  // argv[0] is looked up in PATH unless it has a '/'. kNotFound when it
  // does not exist.
  static Result<ChildProcess> spawn(const std::vector<std::string>& argv);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  int stdout_fd() const { return out_fd_; }
  int stdin_fd() const { return in_fd_; }  // -1 once closed

  // Writes as much of `data` as the socket takes now (non-blocking): the
  // count written, 0 when it would block. kIo on EPIPE or another error.
  Result<size_t> write_stdin(std::string_view data);
  void close_stdin();
  // Reads what stdout has now into buf: the byte count, 0 at EOF, or -1
  // when nothing is ready (EAGAIN). kIo on an error.
  Result<long> read_stdout(std::span<uint8_t> buf);

  // SIGKILL (if still running) and reap. Idempotent.
  void kill_and_reap();
  // Waits for the exit and returns the wait status (WIFEXITED etc.).
  Result<int> wait();
  bool reaped() const { return pid_ <= 0; }

 private:
  ChildProcess(pid_t pid, int in_fd, int out_fd) : pid_(pid), in_fd_(in_fd), out_fd_(out_fd) {}
  void close_fds();

  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
};

// Whether `program` can be run: an executable path, or found in PATH.
bool program_exists(const std::string& program);

}  // namespace r1::voice
