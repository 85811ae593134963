#include "http/client/blocking_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace r1::http {
namespace {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

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

Error fail(std::string message) { return make_error(ErrorCode::kUnavailable, std::move(message)); }
Error errno_error(const char* what, int err) { return fail(std::string(what) + ": " + std::strerror(err)); }

int ms_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30));
}

// Waits for `events` on fd until the deadline; false on timeout or error.
bool wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, ms_left(deadline));
    if (n > 0) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

// The host's IPv4 address: numeric, or (resolve) "localhost" or a name.
Result<in_addr> host_address(const BlockingRequest& r) {
  in_addr a{};
  if (::inet_pton(AF_INET, r.host.c_str(), &a) == 1) return a;
  if (!r.resolve) return fail("bad host " + r.host);
  if (r.host == "localhost") return host_address(BlockingRequest{.host = "127.0.0.1"});
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(r.host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) return fail("cannot resolve " + r.host + ": " + ::gai_strerror(rc));
  a = reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr;
  ::freeaddrinfo(found);
  return a;
}

Status connect_to(int fd, const BlockingRequest& r, Clock::time_point deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(r.port);
  R1_ASSIGN_OR_RETURN(addr.sin_addr, host_address(r));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return Status();
  if (errno != EINPROGRESS) return errno_error("connect", errno);
  if (!wait_fd(fd, POLLOUT, deadline)) return fail("timeout");
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  return err == 0 ? Status() : Status(errno_error("connect", err));
}

Status send_all(int fd, const std::string& data, Clock::time_point deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_fd(fd, POLLOUT, deadline)) return fail("timeout");
    } else {
      return errno_error("send", errno);
    }
  }
  return Status();
}

// Reads until the peer closes, `max_bytes`, or (status_only) the first CRLF.
Result<std::string> read_answer(int fd, const BlockingRequest& r, Clock::time_point deadline) {
  std::string buf;
  char chunk[4096];
  const size_t limit = r.status_only ? std::min<size_t>(r.max_bytes, 4096) : r.max_bytes;
  while (buf.size() < limit && !(r.status_only && buf.find("\r\n") != std::string::npos)) {
    if (!wait_fd(fd, POLLIN, deadline)) return fail("timeout");
    const ssize_t n = ::recv(fd, chunk, r.status_only ? 512 : sizeof(chunk), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return errno_error("recv", errno);
    }
    buf.append(chunk, static_cast<size_t>(n));
  }
  return buf;
}

// "HTTP/1.1 200 OK" -> 200.
Result<BlockingResponse> parse_status(std::string raw) {
  const bool shaped = raw.size() >= 12 && raw.compare(0, 7, "HTTP/1.") == 0 && raw[8] == ' ';
  if (!shaped) return fail(raw.empty() ? "connection closed" : "malformed status line");
  BlockingResponse res;
  for (size_t i = 9; i < 12; ++i) {
    if (raw[i] < '0' || raw[i] > '9') return fail("malformed status line");
    res.status = res.status * 10 + (raw[i] - '0');
  }
  res.status_line = raw.substr(0, raw.find("\r\n"));
  res.raw = std::move(raw);
  return res;
}

std::string render(const BlockingRequest& r) {
  std::string out = r.method + " " + r.target + " HTTP/1.1\r\nHost: " + r.host + ":" + std::to_string(r.port) +
                    "\r\nUser-Agent: " + r.user_agent + "\r\n";
  if (!r.content_type.empty()) out += "Content-Type: " + r.content_type + "\r\n";
  for (const auto& [name, value] : r.headers) out += name + ": " + value + "\r\n";
  if (!r.body.empty() || r.method == "POST") out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  return out + "Connection: close\r\n\r\n" + r.body;
}

}  // namespace

Result<BlockingResponse> blocking_request(const BlockingRequest& request) {
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + request.total_timeout;
  const Clock::time_point connect_deadline = std::min(deadline, start + request.connect_timeout);
  for (const auto& [name, value] : request.headers) {
    if ((name + value).find_first_of("\r\n") != std::string::npos) return fail("bad header " + name);
  }
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return errno_error("socket", errno);
  R1_RETURN_IF_ERROR(connect_to(fd.get(), request, connect_deadline));
  R1_RETURN_IF_ERROR(send_all(fd.get(), render(request), deadline));
  R1_ASSIGN_OR_RETURN(std::string raw, read_answer(fd.get(), request, deadline));
  return parse_status(std::move(raw));
}

std::string_view BlockingResponse::body() const {
  const size_t end = raw.find("\r\n\r\n");
  return end == std::string::npos ? std::string_view() : std::string_view(raw).substr(end + 4);
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

}  // namespace r1::http
