#include "support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string_view>
#include <utility>

extern char** environ;

namespace r1::test_support {
namespace {

using Ms = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// Once stderr's writer (the child) is reaped, how long the destructor waits
// for EOF before it stops the reader (a grandchild may still hold stderr).
constexpr Ms kEofAfterExit{2000};

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int exit_status(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -2; }

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, Options options) : stop_grace_(options.stop_grace) {
  if (argv.empty()) return;
  std::vector<std::string> env = std::move(options.env);
  const size_t extras = env.size();
  const auto set_here = [&](std::string_view entry) {  // NAME= given in `env`
    for (size_t i = 0; i < extras; ++i) {
      const size_t eq = env[i].find('=');
      if (eq != std::string::npos && entry.substr(0, eq + 1) == std::string_view(env[i]).substr(0, eq + 1)) {
        return true;
      }
    }
    return false;
  };
  for (char** e = environ; *e != nullptr; ++e) {
    if (!set_here(*e)) env.emplace_back(*e);
  }
  // Everything the child touches is made before fork: after it, only
  // async-signal-safe calls (the test may have other threads).
  std::vector<char*> args = c_strings(argv);
  std::vector<char*> envp = c_strings(env);
  int err[2] = {-1, -1};
  if (options.capture_stderr) {
    if (pipe2(err, O_CLOEXEC) != 0) return;
    stop_fd_ = eventfd(0, EFD_CLOEXEC);
  }
  const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // the test (thread) dies: so does the child
    if (getppid() != parent) _exit(127);
    dup2(null_fd, STDIN_FILENO);
    dup2(null_fd, STDOUT_FILENO);
    if (err[1] >= 0) dup2(err[1], STDERR_FILENO);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  if (null_fd >= 0) close(null_fd);
  if (err[1] >= 0) close(err[1]);
  if (err[0] < 0) return;
  if (pid_ < 0) {
    close(err[0]);
    return;
  }
  eof_ = false;
  reader_ = std::thread([this, fd = err[0]] { read_stderr(fd, stop_fd_); });
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped_) {
    if (stop_grace_.count() > 0) {
      kill(pid_, SIGTERM);
      wait_exit(stop_grace_);
    }
    if (!reaped_) {
      kill(pid_, SIGKILL);
      reap(true);
    }
  }
  if (reader_.joinable()) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, kEofAfterExit, [&] { return eof_; });
    }
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t woken = write(stop_fd_, &one, sizeof one);  // else it ends at EOF
    reader_.join();
  }
  if (stop_fd_ >= 0) close(stop_fd_);
}

void ChildProcess::read_stderr(int fd, int stop_fd) {
  char buf[8192];
  pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  for (;;) {
    if (poll(fds, stop_fd >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) break;
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard<std::mutex> lock(mu_);
    log_.append(buf, static_cast<size_t>(n));
    cv_.notify_all();
  }
  close(fd);
  std::lock_guard<std::mutex> lock(mu_);
  eof_ = true;
  cv_.notify_all();
}

std::string ChildProcess::log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

std::string ChildProcess::log_tail(size_t bytes) const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_.size() <= bytes ? log_ : "..." + log_.substr(log_.size() - bytes);
}

bool ChildProcess::wait_for_log(const std::string& needle, Ms timeout) const {
  return wait_for_log([&](const std::string& log) { return log.find(needle) != std::string::npos; }, timeout);
}

bool ChildProcess::wait_for_log(const std::function<bool(const std::string&)>& done, Ms timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return eof_ || done(log_); });
  return done(log_);
}

void ChildProcess::send_signal(int sig) const {
  if (pid_ > 0 && !reaped_) kill(pid_, sig);
}

bool ChildProcess::reap(bool block) {
  if (reaped_) return true;
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r != pid_) return false;
  reaped_ = true;
  status_ = exit_status(status);
  return true;
}

int ChildProcess::wait_exit(Ms timeout) {
  if (pid_ <= 0) return -1;
  if (!poll_until([&] { return reap(false); }, timeout)) return -1;
  await_stderr_eof();
  return status_;
}

// After the exit, the reader thread may not have read the child's last
// lines yet: wait (bounded: a grandchild may hold stderr open) for its EOF,
// so log() holds everything the child wrote.
void ChildProcess::await_stderr_eof() {
  if (!reader_.joinable()) return;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, kEofAfterExit, [&] { return eof_; });
}

bool ChildProcess::exited() { return reap(false); }

int ChildProcess::wait() {
  if (!reap(true)) return -1;
  await_stderr_eof();
  return status_;
}

int run_command(const std::vector<std::string>& argv) {
  ChildProcess child(argv, {.capture_stderr = false});
  return child.wait();
}

}  // namespace r1::test_support
