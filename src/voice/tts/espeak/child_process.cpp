#include "voice/tts/espeak/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

extern char** environ;

namespace r1::voice {
namespace {

Error os_error(const std::string& what, int err) {
  return make_error(ErrorCode::kIo, what + ": " + std::strerror(err));
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// The spawn attributes: empty signal mask, default dispositions.
struct SpawnAttr {
  posix_spawnattr_t attr;
  SpawnAttr() {
    posix_spawnattr_init(&attr);
    sigset_t mask, def;
    sigemptyset(&mask);
    sigemptyset(&def);
    for (int sig : {SIGPIPE, SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&def, sig);
    posix_spawnattr_setsigmask(&attr, &mask);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
};

struct SpawnActions {
  posix_spawn_file_actions_t fa;
  SpawnActions(int in_fd, int out_fd) {
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&fa); }
};

}  // namespace

bool program_exists(const std::string& program) {
  if (program.empty()) return false;
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    const size_t colon = dirs.find(':');
    const std::string dir(dirs.substr(0, colon));
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return false;
}

Result<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv) {
  CHECK(!argv.empty());
  int in[2], out[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) {
    return os_error("socketpair", errno);
  }
  if (::pipe2(out, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(in[0]);
    ::close(in[1]);
    return os_error("pipe2", e);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc;
  {
    SpawnAttr attr;
    SpawnActions actions(in[1], out[1]);
    rc = ::posix_spawnp(&pid, args[0], &actions.fa, &attr.attr, args.data(), environ);
  }
  ::close(in[1]);
  ::close(out[1]);
  if (rc != 0) {
    ::close(in[0]);
    ::close(out[0]);
    if (rc == ENOENT) return make_error(ErrorCode::kNotFound, argv[0] + " is not installed");
    return os_error("posix_spawn " + argv[0], rc);
  }
  ::fcntl(in[0], F_SETFL, ::fcntl(in[0], F_GETFL) | O_NONBLOCK);
  ::fcntl(out[0], F_SETFL, ::fcntl(out[0], F_GETFL) | O_NONBLOCK);
  return ChildProcess(pid, in[0], out[0]);
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      in_fd_(std::exchange(o.in_fd_, -1)),
      out_fd_(std::exchange(o.out_fd_, -1)) {}

ChildProcess::~ChildProcess() {
  close_fds();
  kill_and_reap();
}

void ChildProcess::close_fds() {
  close_fd(in_fd_);
  close_fd(out_fd_);
}

void ChildProcess::close_stdin() { close_fd(in_fd_); }

Result<size_t> ChildProcess::write_stdin(std::string_view data) {
  if (in_fd_ < 0) return make_error(ErrorCode::kIo, "child stdin is closed");
  for (;;) {
    const ssize_t n = ::send(in_fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t{0};
    return os_error("write to child", errno);
  }
}

Result<long> ChildProcess::read_stdout(std::span<uint8_t> buf) {
  for (;;) {
    const ssize_t n = ::read(out_fd_, buf.data(), buf.size());
    if (n >= 0) return static_cast<long>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return -1L;
    return os_error("read from child", errno);
  }
}

Result<int> ChildProcess::wait() {
  if (pid_ <= 0) return make_error(ErrorCode::kInternal, "child already reaped");
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid_, &status, 0);
    if (r == pid_) break;
    if (r < 0 && errno == EINTR) continue;
    const int e = errno;
    pid_ = -1;  // ECHILD: someone reaped it (SIGCHLD ignored): nothing left
    return os_error("waitpid", e);
  }
  pid_ = -1;
  return status;
}

void ChildProcess::kill_and_reap() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  (void)wait();
}

}  // namespace r1::voice
