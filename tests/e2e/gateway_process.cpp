#include "gateway_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace r1::e2e {

bool alive(int pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

uint16_t port_of(const std::string& log, const std::string& what) {
  const std::string key = what + " listening on http://127.0.0.1:";
  const size_t at = log.find(key);
  if (at == std::string::npos) return 0;
  const size_t end = log.find('\n', at);
  if (end == std::string::npos) return 0;
  return static_cast<uint16_t>(std::stoi(log.substr(at + key.size(), end - at - key.size())));
}

GatewayProcess::GatewayProcess(std::vector<std::string> args, std::vector<std::string> launcher) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  args.insert(args.begin(), r1serve_binary());
  args.insert(args.begin(), launcher.begin(), launcher.end());
  pid_ = spawn_process(args, {}, fds[1]);
  close(fds[1]);
  reader_ = std::thread([this, fd = fds[0]] {
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      log_.append(buf, static_cast<size_t>(n));
    }
    close(fd);
  });
  eventually([&] { return (port_of(log(), "gateway") != 0 && port_of(log(), "admin") != 0) || exited(); },
             std::chrono::seconds(20));
  proxy_ = port_of(log(), "gateway");
  admin_ = port_of(log(), "admin");
}

GatewayProcess::~GatewayProcess() {
  if (pid_ > 0 && status_ == kRunning) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (reader_.joinable()) reader_.join();
}

std::string GatewayProcess::log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

bool GatewayProcess::exited() {
  if (status_ != kRunning) return true;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) != pid_) return false;
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -2;
  return true;
}

int GatewayProcess::wait_exit(std::chrono::milliseconds timeout) {
  return eventually([&] { return exited(); }, timeout) ? status_ : -1;
}

void GatewayProcess::signal(int sig) const { ::kill(pid_, sig); }

json GatewayProcess::status() const { return parse(http_request(admin_, "GET", "/admin/status").body); }

std::vector<int> GatewayProcess::healthy_pids(size_t n) const {
  const json s = status();
  std::vector<int> pids;
  if (!s.contains("replicas") || s["replicas"].size() != n) return {};
  for (const auto& r : s["replicas"]) {
    if (!r["healthy"].get<bool>() || r["pid"].get<int>() <= 0) return {};
    pids.push_back(r["pid"].get<int>());
  }
  return pids;
}

ClientResponse GatewayProcess::chat() const { return post(proxy_, "/v1/chat/completions", chat_json("hello", 4)); }

}  // namespace r1::e2e
