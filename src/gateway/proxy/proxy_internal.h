// Internals of the proxy shared by proxy.cpp and proxy_stream.cpp (Beast;
// include from .cpp files only).
//
// Thread contract: everything here runs on the proxy's single I/O thread.
#pragma once

#include "http/coro.h"
#include "http/client/async_client.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "gateway/proxy/continuation.h"
#include "gateway/proxy/proxy.h"

namespace r1::gateway::proxy_detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using r1::http::Awaitable;
using r1::http::redirect;
using r1::http::sv;
using ClientRequest = http::request<http::string_body>;

// The picked replica and the client connection to it (http/async_client.h:
// stream, buffer, parser).
struct Upstream : r1::http::ClientConn {
  RouteDecision decision;
  r1::http::ClientTarget target;  // key "host:port"
};

class WaitQueue;  // proxy_queue.h

struct Ctx {
  const ProxyOptions& options;
  Router& router;
  ProxyMetrics& metrics;
  RetryBudget& budget;
  r1::http::AsyncClient& client;  // pooled keep-alive connections to the replicas
  WaitQueue& queue;
};

struct RequestState {
  const ClientRequest& request;
  PreparedRequest prepared;
  std::vector<std::string> tried;  // replica ids, in order
  TimePoint started;
  // Called once a replica is picked, before the request is sent: the
  // request leaves the wait queue (open_upstream sets it while queued).
  std::function<void()> on_dispatch;
};

// A live upstream whose response header (status < 500) has been read, or
// the final answer for the client.
struct OpenResult {
  std::unique_ptr<Upstream> upstream;
  int status = 503;
  std::string body;
  std::string version = "none";
  bool no_replica = false;  // none routable now (may wait for one); not a drain
};

// Picks, connects, sends and reads the header, retrying per the options.
// `retry_only`: a stream continuation; its attempts do not draw on the retry
// budget (see open_upstream). While no replica can take the request (none
// routable, or a 429) it waits in ctx.queue up to options.queue.timeout;
// then, or with the queue full, the answer is 503 (Retry-After).
Awaitable<OpenResult> open_upstream(Ctx& ctx, RequestState& st, const std::string& body,
                                    bool stream, bool retry_only);
// Releases the pick with `outcome`; keeps the connection when reusable.
// finish_upstream also tells the wait queue that a replica may have room.
void finish_upstream(Ctx& ctx, Upstream& up, RequestOutcome outcome, bool reusable);
void release_upstream(Ctx& ctx, Upstream& up, RequestOutcome outcome, bool reusable);
// Relays an SSE response, with stream continuation. Returns keep-alive.
Awaitable<bool> relay_stream(Ctx& ctx, RequestState& st, std::unique_ptr<Upstream> up,
                             beast::tcp_stream& client);
// A chunked answer that is not an event stream (streamed audio): its bytes
// go to the client as they come.
Awaitable<bool> relay_chunks(Ctx& ctx, RequestState& st, std::unique_ptr<Upstream> up,
                             beast::tcp_stream& client);
bool is_hop_by_hop(beast::string_view name);
std::string error_json(const std::string& message, const std::string& type);

}  // namespace r1::gateway::proxy_detail
