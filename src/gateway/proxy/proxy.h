// The gateway's HTTP reverse proxy (Boost.Beast, C++20 coroutines; Beast
// stays in the .cpp files).
//
// For each client request: session key (x-session-id, else a hash of the
// first messages) -> Router::pick -> forward over a pooled keep-alive
// loopback connection -> relay the answer with x-r1serve-model-version.
// Outcomes go back through Router::release (breaker + outlier detection).
//  - Retries: a failure before the first byte reaches the client (connect
//    refused, reset, 5xx, timeout to first byte) is retried on another
//    replica, up to retries.max_attempts and within the RetryBudget.
//  - Wait queue (proxy_queue.h): while no replica can take a request (none
//    ready yet, or a 429 because its queue is full) it is held in FIFO order
//    up to queue.timeout, then answered 503 with Retry-After.
//  - SSE (text/event-stream) is relayed event by event, unbuffered.
//  - Stream continuation (continuation.h): a streaming completion whose
//    upstream dies, stalls past stream.per_token_timeout or sends an error
//    event is re-sent to another replica with resume_tokens and the client
//    sees one uninterrupted stream.
//
// Threads: one I/O thread runs every connection (async; a token stream is
// light). Thread contract: start(), stop() and the destructor are called by
// the owner, port() from any thread. The router and metrics must outlive
// the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "gateway/config/config.h"
#include "gateway/proxy/proxy_metrics.h"
#include "gateway/policy/router.h"

namespace r1::gateway {

struct ProxyOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: the kernel picks (tests)
  RetryConfig retries;
  StreamConfig stream;
  QueueConfig queue;
  Duration connect_timeout = std::chrono::seconds(2);
  Duration response_timeout = std::chrono::minutes(10);  // non-stream: to the first byte
  Duration client_idle_timeout = std::chrono::seconds(120);
  size_t max_body_bytes = 8u << 20;
  // Audio uploads (/v1/audio/...): OpenAI's 25 MiB file plus its form.
  size_t max_upload_bytes = (25u << 20) + (64u << 10);
  int max_continuations = 3;  // per stream
  // The gateway's own probes (Kubernetes), answered here, never relayed:
  // GET /healthz 200 while the process runs; GET /readyz 200 while it
  // accepts new requests, 503 once `draining` says it stops (SIGTERM).
  std::function<bool()> draining;
  size_t max_idle_per_upstream = 32;
};

// Options from the gateway config (listen port, retries, stream).
ProxyOptions proxy_options(const GatewayConfig& config);

class ProxyServer {
 public:
  static Result<std::unique_ptr<ProxyServer>> start(const ProxyOptions& options, Router& router,
                                                    ProxyMetrics& metrics);
  ~ProxyServer();
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  uint16_t port() const;
  // Config reload: retries, stream and queue settings for the requests that start
  // from now on (applied on the I/O thread; requests in flight keep going).
  void update_policies(const RetryConfig& retries, const StreamConfig& stream, const QueueConfig& queue);
  // Closes the listener and every connection and joins the I/O thread.
  void stop();

  struct Impl;

 private:
  explicit ProxyServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace r1::gateway
