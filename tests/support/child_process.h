// The tests' one child-process helper: fork + exec of a program (argv[0] is
// a path) with extra environment variables, PR_SET_PDEATHSIG so nothing
// outlives the test, stdin and stdout on /dev/null, stderr captured by a
// reader thread (log(), wait_for_log()) or inherited; signalled, waited for
// with a timeout, and reaped by the destructor (SIGTERM, then SIGKILL after
// Options::stop_grace). run_command() runs one to completion.
//
// Thread contract: a ChildProcess is owned by the thread that constructed
// it, which must outlive the child (PR_SET_PDEATHSIG fires when that thread
// ends); send_signal(), wait_exit(), exited() and the destructor are for
// the owner only. pid(), log(), log_tail() and wait_for_log() are safe from
// any thread. The free functions are safe from any thread.
//
// The exit status conventions: 0..255 the child's exit code (127: exec
// failed), -2 a signal ended it, -1 it did not end (timeout, no child).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/poll_until.h"  // poll_until, for the users of ChildProcess

namespace r1::test_support {

class ChildProcess {
 public:
  struct Options {
    // "NAME=value", added to the inherited environment (replacing a NAME there).
    std::vector<std::string> env;
    // false: the child writes to this process's stderr and log() stays empty.
    bool capture_stderr = true;
    // The destructor's SIGTERM-to-SIGKILL wait; zero: SIGKILL at once.
    std::chrono::milliseconds stop_grace{15'000};
  };

  explicit ChildProcess(std::vector<std::string> argv) : ChildProcess(std::move(argv), Options{}) {}
  ChildProcess(std::vector<std::string> argv, Options options);
  ~ChildProcess();  // SIGTERM, SIGKILL after stop_grace; reaps; joins the reader
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The child's pid; -1 if fork failed. An exec failure is exit status 127.
  pid_t pid() const { return pid_; }

  // The captured stderr so far; its last `bytes` ("..." ahead when cut).
  std::string log() const;
  std::string log_tail(size_t bytes = 6000) const;
  // Waits until the captured stderr contains `needle` / satisfies `done`;
  // false on timeout or once stderr closed without it.
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) const;
  bool wait_for_log(const std::function<bool(const std::string& log)>& done,
                    std::chrono::milliseconds timeout) const;

  // kill(pid, sig) while the child is not reaped.
  void send_signal(int sig) const;
  // The exit status once the child ended (again on later calls), with its
  // stderr read to the end (log() complete); -1 on timeout; -2 if a signal
  // ended it.
  int wait_exit(std::chrono::milliseconds timeout);
  // Reaps the child if it ended (no waiting); true once it did.
  bool exited();
  // Blocks until the child ends; its exit status as wait_exit() gives it.
  int wait();

 private:
  bool reap(bool block);  // true once reaped; status_ then holds the result
  void await_stderr_eof();
  void read_stderr(int fd, int stop_fd);

  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = -1;
  std::chrono::milliseconds stop_grace_;
  int stop_fd_ = -1;  // eventfd: ends the reader if stderr stays open after the child
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::string log_;
  bool eof_ = true;
  std::thread reader_;
};

// Runs `argv` to completion, stderr inherited; its exit status (-1 if it
// could not start or did not exit, -2 if a signal ended it).
int run_command(const std::vector<std::string>& argv);

}  // namespace r1::test_support
