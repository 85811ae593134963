#include "serve_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "../server/http_client.h"

extern char** environ;

namespace r1::e2e {
namespace {

std::vector<char*> c_args(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}


int exit_status(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -2; }

// The PORT of a complete "listening on http://HOST:PORT" line; 0 if none.
uint16_t listening_port(const std::string& log) {
  constexpr std::string_view kLine = "listening on http://";
  const size_t at = log.find(kLine);
  if (at == std::string::npos) return 0;
  const size_t colon = log.find(':', at + kLine.size());
  if (colon == std::string::npos) return 0;
  const size_t begin = colon + 1;
  const size_t end = log.find('\n', begin);
  if (end == std::string::npos || end == begin || end - begin > 5) return 0;
  int port = 0;
  for (size_t i = begin; i < end; ++i) {
    if (log[i] < '0' || log[i] > '9') return 0;
    port = port * 10 + (log[i] - '0');
  }
  return port <= 65535 ? static_cast<uint16_t>(port) : 0;
}

}  // namespace

// fork + exec; stderr to `err_fd` (or inherited when -1), stdout to /dev/null.
pid_t spawn_process(std::vector<std::string> argv, std::vector<std::string> env, int err_fd) {
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);  // the extras come first: they win
  std::vector<char*> a = c_args(argv);
  std::vector<char*> e = c_args(env);
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int null_fd = open("/dev/null", O_RDWR);
  dup2(null_fd, STDOUT_FILENO);
  dup2(null_fd, STDIN_FILENO);
  if (err_fd >= 0) dup2(err_fd, STDERR_FILENO);
  execve(a[0], a.data(), e.data());
  _exit(127);
}

std::string r1serve_binary() { return std::string(R1_BINARY_DIR) + "/r1serve"; }

int run_command(const std::vector<std::string>& argv) {
  const pid_t pid = spawn_process(argv, {}, -1);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return exit_status(status);
}

const std::string& tiny_model() {
  static const std::string path = [] {
    const std::string dir = std::string(R1_BINARY_DIR) + "/tests/e2e";
    const std::string out = dir + "/serve_tiny_qwen2_q8_0.gguf";
    std::error_code ec;
    if (std::filesystem::is_regular_file(out, ec)) return out;
    std::filesystem::create_directories(dir, ec);
    const std::string tmp = out + ".tmp." + std::to_string(getpid());
    const int rc = run_command({r1serve_binary(), "model", "synth", "--preset", "tiny-qwen2",
                                "--type", "q8_0", "--threads", "2", "-o", tmp});
    if (rc == 0) std::filesystem::rename(tmp, out, ec);
    return out;
  }();
  return path;
}

ServeProcess::ServeProcess(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  std::vector<std::string> argv = {r1serve_binary(), "serve"};
  const auto given = [&](const char* flag) { return std::find(args.begin(), args.end(), flag) != args.end(); };
  if (!given("--host")) argv.insert(argv.end(), {"--host", "127.0.0.1"});
  if (!given("--port")) argv.insert(argv.end(), {"--port", "0"});
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = spawn_process(argv, env, fds[1]);
  close(fds[1]);
  reader_ = std::thread([this, fd = fds[0]] { read_stderr(fd); });
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::seconds(30), [&] { return eof_ || listening_port(log_) != 0; });
  port_ = listening_port(log_);
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (reader_.joinable()) reader_.join();
}

void ServeProcess::read_stderr(int fd) {
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
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

bool ServeProcess::wait_ready(std::chrono::milliseconds timeout) const {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (server::test::http_request(port_, "GET", "/ready").status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void ServeProcess::send_signal(int sig) const {
  if (pid_ > 0 && !reaped_) kill(pid_, sig);
}

int ServeProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (pid_ > 0 && !reaped_) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return exit_status(status);
    }
    if (std::chrono::steady_clock::now() >= end) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

std::string ServeProcess::log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

}  // namespace r1::e2e
