// The one asynchronous HTTP/1.1 client (Beast, coroutines), shared by the
// gateway's proxy and the load generator: keep-alive connections pooled per
// target "host:port", one exchange = a pooled (or new) connection, send the
// request, read the response header; the body is then read piecewise or
// whole. A pooled connection that fails before any response byte (the
// server closed a stale keep-alive) is replaced by a fresh one once.
//
// Timeouts: each step has its own (connect + send, header, each body read),
// and `ClientConn::deadline`, when set, caps them all (a whole-request
// bound, as the load generator's --timeout). A step that runs out ends with
// beast::error::timeout.
//
// Thread contract: an AsyncClient and its ClientConns belong to one
// io_context thread; nothing here locks. The idle connections belong to
// that io_context too: clear() (or destroy) the client before it.
#pragma once

#include "http/coro.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace r1::http {

namespace beast = boost::beast;
using OutRequest = beast::http::request<beast::http::string_body>;
using ResponseParser = beast::http::response_parser<beast::http::buffer_body>;

// Where requests go: the pool's key and the addresses to connect to.
struct ClientTarget {
  std::string key;  // "host:port"
  std::vector<net::ip::tcp::endpoint> endpoints;  // tried in order
};
// A numeric IPv4/IPv6 host (no name lookup). Error: kInvalidArgument.
Result<ClientTarget> numeric_target(const std::string& host, uint16_t port);

// Where an exchange failed.
enum class ClientPhase { kNone, kConnect, kSend, kHeader };

// One request's connection, its read buffer and the parser of its response.
struct ClientConn {
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::unique_ptr<ResponseParser> parser;
  TimePoint deadline = TimePoint::max();  // caps every step's timeout
  bool fresh = false;    // set: connect anew, whatever the pool holds
  bool reused = false;   // the exchange went out on a pooled connection
  bool retried = false;  // ... which failed, and was replaced by a new one
  ClientPhase failed = ClientPhase::kNone;
};

struct ClientTimeouts {
  SteadyClock::duration connect = std::chrono::seconds(1);  // connect, and send the request
  SteadyClock::duration header = std::chrono::seconds(30);  // the response header
};

class AsyncClient {
 public:
  // LIFO keeps the fewest connections warm (the proxy); FIFO spreads the
  // requests over every idle connection in turn (a load generator's
  // pre-opened connections).
  enum class Order { kNewestFirst, kOldestFirst };
  struct Stats {
    int64_t connects = 0;       // TCP connections established
    int64_t stale_retries = 0;  // exchanges resent on a fresh connection
  };

  explicit AsyncClient(size_t max_idle_per_target, Order order = Order::kNewestFirst)
      : max_idle_(max_idle_per_target), order_(order) {}

  // Sends `request` to `target` over `conn` and reads the response header
  // into conn.parser. On failure, conn.failed says where.
  Awaitable<beast::error_code> exchange(ClientConn& conn, const ClientTarget& target,
                                        const OutRequest& request, ClientTimeouts timeouts);
  // Keeps conn's connection for the next exchange to `key` when its
  // response was read to the end and allows keep-alive (and `reusable`);
  // closes it otherwise. conn is empty afterwards.
  void release(ClientConn& conn, const std::string& key, bool reusable = true);
  // Closes every idle connection.
  void clear() { idle_.clear(); }
  size_t idle(const std::string& key) const;
  const Stats& stats() const { return stats_; }

 private:
  std::unique_ptr<beast::tcp_stream> take(const std::string& key);
  Awaitable<beast::error_code> connect(ClientConn& conn, const ClientTarget& target,
                                       SteadyClock::duration timeout);

  size_t max_idle_;
  Order order_;
  std::map<std::string, std::deque<std::unique_ptr<beast::tcp_stream>>> idle_;
  Stats stats_;
};

// Reads the next piece of conn's response body into `buf` (`*got` bytes;
// 0 with the body done). Ends with the body, an error or the timeout.
Awaitable<beast::error_code> read_some(ClientConn& conn, char* buf, size_t size, size_t* got,
                                       SteadyClock::duration timeout);
// Reads the rest of the body into `out`: beast::http::error::body_limit
// once it holds more than max_bytes.
Awaitable<beast::error_code> read_rest(ClientConn& conn, std::string* out,
                                       SteadyClock::duration timeout, size_t max_bytes = SIZE_MAX);

}  // namespace r1::http
