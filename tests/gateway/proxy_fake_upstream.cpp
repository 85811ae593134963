#include "proxy_fake_upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace r1::gateway::test {
namespace {

bool send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

std::string chunk(const std::string& data) {
  char len[32];
  std::snprintf(len, sizeof(len), "%zx\r\n", data.size());
  return len + data + "\r\n";
}

std::string event(const nlohmann::json& j) { return chunk("data: " + j.dump() + "\n\n"); }

}  // namespace

FakeUpstream::FakeUpstream(FakeUpstreamScript script) : script_(std::move(script)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::listen(listen_fd_, 16);
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakeUpstream::~FakeUpstream() {
  stop_ = true;
  released_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : threads_) t.join();
  ::close(listen_fd_);
}

std::vector<std::string> FakeUpstream::bodies() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bodies_;
}

void FakeUpstream::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    fds_.push_back(fd);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void FakeUpstream::serve(int fd) {
  std::string in;
  char buf[4096];
  for (;;) {
    const size_t head_end = in.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      size_t length = 0;
      const size_t cl = in.find("Content-Length: ");
      if (cl != std::string::npos && cl < head_end) length = std::stoul(in.substr(cl + 16));
      if (in.size() >= head_end + 4 + length) {
        const std::string body = in.substr(head_end + 4, length);
        in.erase(0, head_end + 4 + length);
        if (!respond(fd, body)) break;
        continue;
      }
    }
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
}

bool FakeUpstream::respond(int fd, const std::string& body) {
  const int n = ++requests_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bodies_.push_back(body);
  }
  const auto j = nlohmann::json::parse(body, nullptr, false);
  const int status = n <= script_.busy_first ? 429 : script_.status;
  if (status != 200) {
    const std::string err = R"({"error":{"message":"boom","type":"server_error"}})";
    return send_all(fd, "HTTP/1.1 " + std::to_string(status) +
                            " Error\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(err.size()) + "\r\n\r\n" + err);
  }
  if (j.is_object() && j.value("stream", false)) {
    size_t from = 0;
    if (j.contains("resume_tokens")) from = j["resume_tokens"].size();
    return stream(fd, from);
  }
  std::string text;
  for (const auto& p : script_.pieces) text += p;
  const std::string out = nlohmann::json{{"choices", {{{"message", {{"content", text}}}}}}}.dump();
  return send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(out.size()) + "\r\n\r\n" + out);
}

bool FakeUpstream::stream(int fd, size_t from) {
  const std::string id = "chatcmpl-" + std::to_string(port_);
  std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  out += event({{"id", id}, {"choices", {{{"index", 0}, {"delta", {{"role", "assistant"}}}}}}});
  if (!send_all(fd, out)) return false;
  std::this_thread::sleep_for(std::chrono::milliseconds(script_.first_piece_delay_ms));
  int sent = 0;
  for (size_t i = from; i < script_.pieces.size(); ++i) {
    if (from == 0 && sent == script_.break_after && !broke_.exchange(true)) {
      if (!script_.hang) return false;  // close mid-stream
      while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      return false;
    }
    const nlohmann::json piece = {
        {"id", id},
        {"choices", {{{"index", 0}, {"delta", {{"content", script_.pieces[i]}}}, {"finish_reason", nullptr}}}},
        {"r1_token_ids", {100 + static_cast<int>(i)}}};
    if (!send_all(fd, event(piece))) return false;
    ++sent;
    if (sent == 1 && script_.hold_after_first) {
      while (!released_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  out = event({{"id", id}, {"choices", {{{"index", 0}, {"delta", nlohmann::json::object()}, {"finish_reason", "stop"}}}}});
  out += chunk("data: [DONE]\n\n") + "0\r\n\r\n";
  return send_all(fd, out);
}

}  // namespace r1::gateway::test
