#include "gateway/policy/http_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace r1::gateway {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int ms_left(TimePoint deadline) {
  const auto left = std::chrono::duration_cast<Duration>(SteadyClock::now() - deadline);
  return static_cast<int>(std::max<int64_t>(0, -left.count()));
}

// Waits for `events` on fd until the deadline; false on timeout or error.
bool wait_fd(int fd, short events, TimePoint deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, ms_left(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::string connect_to(int fd, const HealthTarget& target, TimePoint deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(target.port));
  if (::inet_pton(AF_INET, target.host.c_str(), &addr.sin_addr) != 1) return "bad host " + target.host;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return "";
  if (errno != EINPROGRESS) return std::string("connect: ") + std::strerror(errno);
  if (!wait_fd(fd, POLLOUT, deadline)) return "timeout";
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  return err == 0 ? "" : std::string("connect: ") + std::strerror(err);
}

std::string send_all(int fd, const std::string& data, TimePoint deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_fd(fd, POLLOUT, deadline)) return "timeout";
    } else {
      return std::string("send: ") + std::strerror(errno);
    }
  }
  return "";
}

// Reads until the end of the status line; "HTTP/1.1 200 OK" -> 200.
ProbeResult read_status(int fd, TimePoint deadline) {
  std::string buf;
  char chunk[512];
  while (buf.find("\r\n") == std::string::npos && buf.size() < 4096) {
    if (!wait_fd(fd, POLLIN, deadline)) return ProbeResult{false, 0, "timeout"};
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return ProbeResult{false, 0, std::string("recv: ") + std::strerror(errno)};
    }
    buf.append(chunk, static_cast<size_t>(n));
  }
  const bool shaped = buf.size() >= 12 && buf.compare(0, 7, "HTTP/1.") == 0 && buf[8] == ' ';
  int status = 0;
  for (size_t i = 9; shaped && i < 12; ++i) {
    if (buf[i] < '0' || buf[i] > '9') return ProbeResult{false, 0, "malformed status line"};
    status = status * 10 + (buf[i] - '0');
  }
  if (!shaped) return ProbeResult{false, 0, buf.empty() ? "connection closed" : "malformed status line"};
  return ProbeResult{true, status, ""};
}

}  // namespace

ProbeResult HttpProber::probe(const HealthTarget& target, Duration timeout) {
  const TimePoint deadline = SteadyClock::now() + timeout;
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return ProbeResult{false, 0, std::string("socket: ") + std::strerror(errno)};
  std::string err = connect_to(fd.get(), target, deadline);
  if (!err.empty()) return ProbeResult{false, 0, err};
  const std::string request = "GET " + target.path + " HTTP/1.1\r\nHost: " + target.host + ":" +
                              std::to_string(target.port) +
                              "\r\nUser-Agent: r1-gateway-health\r\nConnection: close\r\n\r\n";
  err = send_all(fd.get(), request, deadline);
  if (!err.empty()) return ProbeResult{false, 0, err};
  return read_status(fd.get(), deadline);
}

int find_free_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return -1;
  socklen_t len = sizeof(addr);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) return -1;
  return ntohs(addr.sin_port);
}

}  // namespace r1::gateway
