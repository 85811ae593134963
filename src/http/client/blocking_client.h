// One blocking HTTP/1.1 request over POSIX sockets (Connection: close), for
// the gateway's health prober, its rollout smoke test and `r1serve rollout`
// (the admin API's client). One timeout rule: `connect_timeout` bounds the
// TCP connect and `total_timeout` the whole request from the call on
// (connect, send, receive); whichever ends first. The host is a numeric
// IPv4 address, or with `resolve` also "localhost" or a name (getaddrinfo,
// IPv4, before the deadlines start: name lookups are not bounded by them).
//
// Errors (kUnavailable, the message only): "bad host X", "cannot resolve X:
// <why>" (resolve), "connect: <why>",
// "send: <why>", "recv: <why>", "timeout", "connection closed",
// "malformed status line".
//
// Thread contract: pure functions of their arguments; concurrent calls are
// independent.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace r1::http {

struct BlockingRequest {
  std::string method = "GET";
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string target = "/";
  std::string content_type;  // with a body
  std::string body;
  std::string user_agent = "r1serve";
  std::vector<std::pair<std::string, std::string>> headers;  // more request headers
  bool resolve = false;  // the host may be a name (see the header comment)
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds total_timeout{1000};
  bool status_only = false;  // stop after the status line (a probe)
  size_t max_bytes = 1 << 20;  // stop reading after this many
};

struct BlockingResponse {
  int status = 0;
  std::string status_line;  // "HTTP/1.1 200 OK"
  std::string raw;          // everything read (head and body)
  // What follows the head: the body of a Content-Length or close-delimited
  // answer (chunked bodies are not decoded).
  std::string_view body() const;
};

Result<BlockingResponse> blocking_request(const BlockingRequest& request);

// Binds 127.0.0.1:0, reads the port the kernel chose and closes the socket
// (-1 on failure). Racy by nature: another process may take the port first.
int find_free_port();

}  // namespace r1::http
