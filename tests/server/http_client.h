// A small synchronous HTTP/1.1 client over loopback for the server tests
// (Beast), plus SSE parsing. Errors come back as status -1 with the message
// in `body`; nothing throws.
//
// Thread contract: a Client is used by one thread; free functions are safe
// from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace r1::server::test {

struct ClientResponse {
  int status = -1;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& lower_name) const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// A persistent (keep-alive) connection to host:port (a loopback address).
class Client {
 public:
  explicit Client(uint16_t port, const std::string& host = "127.0.0.1");
  ~Client();
  bool connected() const;
  ClientResponse request(const std::string& method, const std::string& target,
                         const std::string& body = "", const Headers& headers = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection.
ClientResponse http_request(uint16_t port, const std::string& method, const std::string& target,
                            const std::string& body = "", const Headers& headers = {});

// One request to another loopback address (127.0.0.2, ...).
ClientResponse http_request_to(const std::string& host, uint16_t port, const std::string& method,
                               const std::string& target);

// A raw socket for disconnect tests: sends bytes, reads until `needle`
// appears (or timeout), closes.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port);
  ~RawConnection();
  bool send(const std::string& bytes);
  // Everything read so far once it contains `needle`; "" on timeout/error.
  std::string read_until(const std::string& needle, int timeout_ms);
  void close();

 private:
  int fd_ = -1;
  std::string got_;
};

// The payloads of "data: ..." events of an SSE body, in order.
std::vector<std::string> sse_data(const std::string& body);

}  // namespace r1::server::test
