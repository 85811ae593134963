#include "gateway/supervisor/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace r1::gateway {
namespace {

// PATH lookup in the parent: execv in the child is async-signal-safe,
// execvp is not guaranteed to be.
std::string resolve_executable(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return name;  // exec reports ENOENT
}

// Everything the child needs, prepared before fork.
struct ChildSetup {
  const char* path;
  char* const* argv;
  int log_fd;  // -1: inherit stdout/stderr
  int err_fd;  // CLOEXEC pipe for the exec errno
  pid_t parent;
};

// Runs in the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void child_exec(const ChildSetup& c) {
  const int log_fd = c.log_fd, err_fd = c.err_fd;
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != c.parent) ::_exit(126);  // parent died before prctl
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGQUIT}) ::sigaction(sig, &dfl, nullptr);
  if (log_fd >= 0) {
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
  }
  // Close everything else the gateway holds (listen sockets!) but err_fd,
  // which is CLOEXEC and closes on a successful exec.
  if (err_fd > 3) ::close_range(3, static_cast<unsigned>(err_fd) - 1, 0);
  ::close_range(static_cast<unsigned>(err_fd) + 1, ~0U, 0);
  ::execv(c.path, c.argv);
  const int e = errno;
  ssize_t ignored = ::write(err_fd, &e, sizeof(e));
  (void)ignored;
  ::_exit(127);
}

// Reads the exec errno from the pipe: 0 bytes means exec succeeded.
int read_exec_errno(int fd) {
  int e = 0;
  for (;;) {
    const ssize_t n = ::read(fd, &e, sizeof(e));
    if (n < 0 && errno == EINTR) continue;
    return n == static_cast<ssize_t>(sizeof(e)) ? e : 0;
  }
}

}  // namespace

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

Result<pid_t> spawn_process(const SpawnParams& params) {
  if (params.argv.empty()) return make_error(ErrorCode::kInvalidArgument, "spawn: empty argv");
  const std::string path = resolve_executable(params.argv[0]);
  std::vector<char*> argv;
  for (const std::string& a : params.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int log_fd = -1;
  if (!params.log_path.empty()) {
    log_fd = ::open(params.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      return make_error(ErrorCode::kIo, "spawn: cannot open log '" + params.log_path + "': " + std::strerror(errno));
    }
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    if (log_fd >= 0) ::close(log_fd);
    return make_error(ErrorCode::kIo, std::string("spawn: pipe: ") + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) child_exec(ChildSetup{path.c_str(), argv.data(), log_fd, pipe_fds[1], parent});
  const int fork_errno = errno;
  ::close(pipe_fds[1]);
  if (log_fd >= 0) ::close(log_fd);
  if (pid < 0) {
    ::close(pipe_fds[0]);
    return make_error(ErrorCode::kResourceExhausted, std::string("spawn: fork: ") + std::strerror(fork_errno));
  }
  ::setpgid(pid, pid);  // also in the child: whichever runs first
  const int exec_errno = read_exec_errno(pipe_fds[0]);
  ::close(pipe_fds[0]);
  if (exec_errno != 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return make_error(ErrorCode::kNotFound, "spawn '" + params.argv[0] + "': " + std::strerror(exec_errno));
  }
  return pid;
}

std::vector<std::string> terminate_groups(const std::vector<pid_t>& pids, Duration grace) {
  std::vector<std::string> exits(pids.size());
  std::vector<bool> done(pids.size(), false);
  for (pid_t pid : pids) ::kill(-pid, SIGTERM);
  const TimePoint deadline = SteadyClock::now() + grace;
  size_t remaining = pids.size();
  bool killed = false;
  while (remaining > 0) {
    for (size_t i = 0; i < pids.size(); ++i) {
      int status = 0;
      if (done[i]) continue;
      const pid_t r = ::waitpid(pids[i], &status, WNOHANG);
      if (r == 0) continue;
      done[i] = true;  // reaped, or not our child any more (ECHILD)
      exits[i] = r < 0 ? "lost (not our child)" : describe_wait_status(status);
      ::kill(-pids[i], SIGKILL);  // stragglers left in its group
      --remaining;
    }
    if (remaining == 0) break;
    if (!killed && SteadyClock::now() >= deadline) {
      for (size_t i = 0; i < pids.size(); ++i) {
        if (!done[i]) ::kill(-pids[i], SIGKILL);
      }
      killed = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exits;
}

}  // namespace r1::gateway
