#include "chaos_util.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace r1::e2e::chaos {
namespace {

using SteadyClock = std::chrono::steady_clock;

double seconds_between(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

// ---------------------------------------------------------------- HTTP client

std::string HttpReply::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

namespace {

// One connection's reading state: raw bytes, the SSE splitter, the deadline.
struct Reader {
  int fd = -1;
  SteadyClock::time_point sent;
  SteadyClock::time_point deadline;
  std::string raw;  // unparsed bytes
  std::string sse;  // de-chunked body not yet split into events
  const EventFn* on_event = nullptr;
  bool eof = false;

  // Reads more bytes; false on timeout (error set) or EOF (eof set).
  bool fill(HttpReply& reply) {
    const auto left = std::chrono::duration_cast<Ms>(deadline - SteadyClock::now()).count();
    if (left <= 0) return reply.error = "timeout", false;
    pollfd p{fd, POLLIN, 0};
    const int r = poll(&p, 1, static_cast<int>(left));
    if (r == 0) return reply.error = "timeout", false;
    char buf[16384];
    const ssize_t n = r < 0 ? -1 : read(fd, buf, sizeof buf);
    if (n <= 0) return eof = true, false;
    raw.append(buf, static_cast<size_t>(n));
    return true;
  }

  void body_bytes(HttpReply& reply, const std::string& bytes) {
    reply.body += bytes;
    if (on_event == nullptr || !*on_event) return;
    for (char c : bytes) {
      if (c != '\r') sse.push_back(c);
    }
    size_t end;
    while ((end = sse.find("\n\n")) != std::string::npos) {
      const std::string event = sse.substr(0, end);
      sse.erase(0, end + 2);
      std::istringstream lines(event);
      std::string line;
      while (std::getline(lines, line)) {
        if (line.rfind("data:", 0) != 0) continue;
        std::string data = line.substr(5);
        if (!data.empty() && data[0] == ' ') data.erase(0, 1);
        (*on_event)(data, seconds_between(sent, SteadyClock::now()));
      }
    }
  }
};

bool read_headers(Reader& r, HttpReply& reply) {
  size_t end;
  while ((end = r.raw.find("\r\n\r\n")) == std::string::npos) {
    if (!r.fill(reply)) {
      if (r.eof) reply.error = "closed before the response headers";
      return false;
    }
  }
  std::istringstream head(r.raw.substr(0, end));
  r.raw.erase(0, end + 4);
  std::string line;
  std::getline(head, line);
  if (line.size() < 12 || line.rfind("HTTP/1.", 0) != 0) return reply.error = "bad status line", false;
  reply.status = std::atoi(line.c_str() + 9);
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    size_t v = colon + 1;
    while (v < line.size() && line[v] == ' ') ++v;
    reply.headers[name] = line.substr(v);
  }
  return true;
}

void read_chunked(Reader& r, HttpReply& reply) {
  for (;;) {
    size_t eol;
    while ((eol = r.raw.find("\r\n")) == std::string::npos) {
      if (!r.fill(reply)) return;
    }
    const size_t size = std::strtoul(r.raw.substr(0, eol).c_str(), nullptr, 16);
    if (size == 0) {
      reply.complete = true;
      return;
    }
    while (r.raw.size() < eol + 2 + size + 2) {
      if (!r.fill(reply)) return;
    }
    const std::string data = r.raw.substr(eol + 2, size);
    r.raw.erase(0, eol + 2 + size + 2);
    r.body_bytes(reply, data);
  }
}

void read_body(Reader& r, HttpReply& reply) {
  if (reply.header("transfer-encoding").find("chunked") != std::string::npos) return read_chunked(r, reply);
  const std::string length = reply.header("content-length");
  const size_t want = length.empty() ? std::string::npos : std::strtoul(length.c_str(), nullptr, 10);
  for (;;) {
    if (!r.raw.empty()) {
      const size_t take = std::min(r.raw.size(), want - reply.body.size());
      r.body_bytes(reply, r.raw.substr(0, take));
      r.raw.erase(0, take);
    }
    if (reply.body.size() == want) break;
    if (!r.fill(reply)) {
      if (r.eof && want == std::string::npos) reply.complete = true;
      return;
    }
  }
  reply.complete = true;
}

int connect_loopback(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

HttpReply http_call(uint16_t port, const std::string& method, const std::string& target,
                    const std::string& body, Ms timeout, const EventFn& on_event) {
  HttpReply reply;
  Reader r;
  r.fd = connect_loopback(port);
  if (r.fd < 0) return reply.error = "connect failed", reply;
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!body.empty()) req += "Content-Type: application/json\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  r.sent = SteadyClock::now();
  r.deadline = r.sent + timeout;
  r.on_event = &on_event;
  if (send(r.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    reply.error = "send failed";
  } else if (read_headers(r, reply)) {
    read_body(r, reply);
    if (!reply.complete && reply.error.empty()) reply.error = "closed mid-body";
  }
  close(r.fd);
  return reply;
}

json greedy_chat(const std::string& user, int max_tokens) {
  return {{"messages", json::array({{{"role", "user"}, {"content", user}}})},
          {"max_tokens", max_tokens},
          {"temperature", 0}};
}

ChatStream chat_stream(uint16_t port, json body, Ms timeout, std::atomic<int>* progress) {
  body["stream"] = true;
  ChatStream s;
  double last = 0;
  const EventFn on_event = [&](const std::string& data, double at) {
    s.max_gap_s = std::max(s.max_gap_s, at - last);
    last = at;
    ++s.events;
    if (data == "[DONE]") return void(s.done = true);
    const json j = json::parse(data, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.contains("error")) {
      s.error_event = true;
      s.error_data = data.substr(0, 500);
      return;
    }
    if (!j.contains("choices") || j["choices"].empty()) return;
    const json& c = j["choices"][0];
    const json d = c.value("delta", json::object());
    const std::string piece = d.value("reasoning_content", std::string()) + d.value("content", std::string());
    if (!piece.empty()) {
      s.text += piece;
      ++s.chunks;
      if (progress != nullptr) progress->fetch_add(1);
    }
    if (c.contains("finish_reason") && c["finish_reason"].is_string()) s.finish_reason = c["finish_reason"];
  };
  const HttpReply r = http_call(port, "POST", "/v1/chat/completions", body.dump(), timeout, on_event);
  s.status = r.status;
  s.version = r.header("x-r1serve-model-version");
  s.error = r.error;
  s.body = r.body.size() > 2000 ? r.body.substr(0, 2000) + "..." : r.body;
  return s;
}

// ---------------------------------------------------------------- config

std::string ChaosYaml::render() const {
  std::ostringstream y;
  y << "test_mode: " << (test_mode ? "true" : "false") << "\n";
  y << "ports: {listen: 0, admin: 0}\n";
  y << "pools:\n";
  for (const PoolSpec& p : pools) {
    y << "  - name: " << p.name << "\n    model: \"" << p.model << "\"\n    replicas: " << p.replicas
      << "\n    role: " << p.role << "\n    args: [";
    for (size_t i = 0; i < p.args.size(); ++i) y << (i ? ", " : "") << "\"" << p.args[i] << "\"";
    y << "]\n";
  }
  y << "health: {interval: " << health_interval << ", timeout: " << health_timeout
    << ", healthy_threshold: 1, unhealthy_threshold: " << unhealthy_threshold
    << ", liveness_restart_after: " << liveness_restart_after << ", startup_grace: 60s}\n";
  y << "breaker: {window: " << breaker_window << ", error_rate_percent: " << breaker_error_rate_percent
    << ", min_requests: " << breaker_min_requests << ", open_duration: " << breaker_open_duration
    << ", half_open_probes: 3}\n";
  y << "outlier: {consecutive_5xx: " << consecutive_5xx
    << ", consecutive_connect_failures: 2, base_ejection_time: 2s, max_ejection_time: 10s}\n";
  y << "retries: {max_attempts: " << max_attempts << ", budget_percent: " << retry_budget_percent
    << ", min_retries: 10}\n";
  y << "stream: {continuation: true, per_token_timeout: " << per_token_timeout
    << ", first_token_timeout: " << first_token_timeout << "}\n";
  y << "rollout: {canary_percent: " << canary_percent << ", analysis_window: " << analysis_window << "}\n";
  y << "supervisor: {backoff_base: " << backoff_base << ", backoff_max: 2s, stop_grace: " << stop_grace
    << ", crash_loop_count: " << crash_loop_count << "}\n";
  return y.str();
}

TempDir::TempDir(const std::string& name) {
  std::string templ = (std::filesystem::temp_directory_path() / (name + ".XXXXXX")).string();
  if (mkdtemp(templ.data()) != nullptr) path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
  }
  std::filesystem::rename(tmp, path);  // atomic: a reload never reads half a file
}

// ---------------------------------------------------------------- gateway

namespace {

constexpr const char* kProxyLine = "gateway listening on http://";
constexpr const char* kAdminLine = "admin listening on http://";

std::vector<std::string> gateway_argv(const std::string& config_path, const std::string& yaml,
                                      const std::vector<std::string>& extra_args) {
  write_file(config_path, yaml);
  std::vector<std::string> argv = {r1serve_binary()};
  // R1_CHAOS_LOG_LEVEL=info|debug: a chattier gateway log for diagnosis.
  if (const char* level = std::getenv("R1_CHAOS_LOG_LEVEL"); level != nullptr && *level != 0) {
    argv.insert(argv.end(), {"--log-level", level});
  }
  argv.insert(argv.end(), {"gateway", "--config", config_path});
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return argv;
}

}  // namespace

GatewayProcess::GatewayProcess(const std::string& config_path, const std::string& yaml,
                               const std::vector<std::string>& extra_args)
    : ChildProcess(gateway_argv(config_path, yaml, extra_args)), config_path_(config_path) {
  const auto has_port = [this](const char* line) {
    return wait_for_log([line](const std::string& log) { return listening_port(log, line) != 0; }, Ms(30'000));
  };
  if (!has_port(kAdminLine) || !has_port(kProxyLine)) return;
  const std::string text = log();
  port_ = listening_port(text, kProxyLine);
  admin_port_ = listening_port(text, kAdminLine);
}

json GatewayProcess::status() const {
  const HttpReply r = http_call(admin_port_, "GET", "/admin/status", "", Ms(5000));
  if (r.status != 200) return json();
  json j = json::parse(r.body, nullptr, false);
  return j.is_discarded() ? json() : j;
}

json GatewayProcess::rollout() const {
  const HttpReply r = http_call(admin_port_, "GET", "/admin/rollout", "", Ms(5000));
  if (r.status != 200) return json();
  json j = json::parse(r.body, nullptr, false);
  return j.is_discarded() ? json() : j;
}

bool GatewayProcess::wait_healthy(int n, Ms timeout) const {
  return poll_until(
      [&] {
        const json s = status();
        if (!s.is_object() || !s.contains("replicas")) return false;
        int healthy = 0;
        for (const json& r : s["replicas"]) healthy += r.value("healthy", false) ? 1 : 0;
        return healthy >= n;
      },
      timeout);
}

pid_t GatewayProcess::replica_pid(const std::string& id) const {
  const json s = status();
  if (!s.is_object() || !s.contains("replicas")) return 0;
  for (const json& r : s["replicas"]) {
    if (r.value("id", "") == id) return r.value("pid", 0);
  }
  return 0;
}

std::string GatewayProcess::breaker_state(const std::string& name) const {
  const json s = status();
  if (!s.is_object() || !s.contains("pools")) return "";
  for (const json& p : s["pools"]) {
    if (p.value("name", "") == name && p.contains("breaker")) return p["breaker"].value("state", "");
  }
  return "";
}

int64_t GatewayProcess::counter(const std::string& name) const {
  const json s = status();
  if (!s.is_object() || !s.contains("counters")) return -1;
  return s["counters"].value(name, int64_t{-1});
}

const std::string& tiny_model_b() {
  static const std::string path = synth_once("chaos_tiny_qwen2_q8_0_b.gguf",
                                             {"--preset", "tiny-qwen2", "--type", "q8_0", "--seed", "4242"});
  return path;
}

}  // namespace r1::e2e::chaos
