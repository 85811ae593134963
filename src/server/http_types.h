// Transport-neutral HTTP request/response values and the channel through
// which a handler answers. The Beast transport (http_server.cpp) implements
// ResponseChannel; the router and exchanges never see Beast.
//
// Thread contract: HttpRequest/HttpResponse are values. ResponseChannel
// methods are safe from any thread; calls are applied in the order they are
// made. A channel takes exactly one terminal call: respond() or
// end_stream() (after start_stream()); later calls are ignored.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace r1::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", "OPTIONS", ...
  std::string target;  // path plus optional query
  std::string authorization;
  std::string origin;
  std::string content_type;  // the Content-Type header (multipart boundary)
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  // close the connection after this response
};

class ResponseChannel {
 public:
  virtual ~ResponseChannel() = default;
  // A complete response (terminal).
  virtual void respond(HttpResponse response) = 0;
  // Status and headers of a chunked response whose body follows.
  virtual void start_stream(HttpResponse head) = 0;
  virtual void write(std::string data) = 0;
  virtual void end_stream() = 0;  // terminal
  // Runs `fn` once if the client goes away before the response completes
  // (at once if it already has). Runs on a transport thread.
  virtual void on_disconnect(std::function<void()> fn) = 0;
};

}  // namespace r1::server
