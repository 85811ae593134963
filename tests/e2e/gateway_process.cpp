#include "gateway_process.h"

#include <signal.h>

#include <cerrno>

namespace r1::e2e {
namespace {

constexpr const char* kProxyLine = "gateway listening on http://";
constexpr const char* kAdminLine = "admin listening on http://";

std::vector<std::string> launched(std::vector<std::string> args, const std::vector<std::string>& launcher) {
  args.insert(args.begin(), r1serve_binary());
  args.insert(args.begin(), launcher.begin(), launcher.end());
  return args;
}

}  // namespace

bool alive(int pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

GatewayProcess::GatewayProcess(std::vector<std::string> args, std::vector<std::string> launcher)
    : ChildProcess(launched(std::move(args), launcher), {.stop_grace = std::chrono::milliseconds(0)}) {
  wait_for_log([](const std::string& log) {
    return listening_port(log, kProxyLine) != 0 && listening_port(log, kAdminLine) != 0;
  }, std::chrono::seconds(20));
  const std::string text = log();
  proxy_ = listening_port(text, kProxyLine);
  admin_ = listening_port(text, kAdminLine);
}

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
