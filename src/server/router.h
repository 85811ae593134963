// Transport-neutral request handling for `r1serve serve`: authentication
// (Bearer API keys), CORS, routing, request validation, admission (429 when
// the backend's queue is full), in-flight tracking and graceful drain.
//
// Test-only fault injection (ServerConfig::faults) applies to the
// generation routes: injected 500s, a delayed response start, hangs.
//
// Routes: POST /v1/chat/completions, POST /v1/completions, GET /v1/models,
// POST /api/predict, /v1/audio/* (AudioService, on its own threads), GET /health, GET /ready, GET /metrics, OPTIONS * (CORS
// preflight).
//
// Thread contract: all methods are safe from any thread. handle() answers
// on the channel either before returning or later from a backend thread.
// The backend must outlive the Router.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "server/backend/backend.h"
#include "server/fault_injection.h"
#include "server/http_types.h"
#include "metrics/registry.h"
#include "server/api/openai_types.h"
#include "server/server_config.h"
#include "server/server_metrics.h"

namespace r1::server {

class AudioService;
class GenerationExchange;

class Router {
 public:
  // `audio` (may be null: /v1/audio/* is then 404) answers the audio routes.
  Router(const ServerConfig& config, std::shared_ptr<Backend> backend,
         std::shared_ptr<AudioService> audio = nullptr);
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  void handle(const HttpRequest& request, std::shared_ptr<ResponseChannel> channel);

  // Readiness turns 503 and new generation requests get 503; requests in
  // flight continue.
  void drain();
  bool draining() const { return draining_.load(); }
  // Waits until no generation is in flight; false if `grace` ran out.
  bool wait_idle(std::chrono::milliseconds grace);
  // Cancels every generation in flight (and ends injected hangs).
  void cancel_all();
  int64_t in_flight() const;

  metrics::Registry& registry() { return registry_; }
  ServerMetrics& metrics() { return metrics_; }

 private:
  struct Ctx;
  void route(Ctx& ctx);
  void respond(Ctx& ctx, HttpResponse response);
  void respond_error(Ctx& ctx, const ApiError& error);
  bool authorized(const HttpRequest& request) const;
  void preflight(Ctx& ctx);
  void get_ready(Ctx& ctx);
  void get_metrics(Ctx& ctx);
  void generate(Ctx& ctx, Endpoint endpoint);
  void audio(Ctx& ctx);
  void start(Ctx& ctx, ApiRequest request);
  std::string cors_origin(const std::string& origin) const;
  std::string next_id(Endpoint endpoint);
  void finished(uint64_t key);
  bool inject_error(Ctx& ctx);
  void release_hung(uint64_t key);  // 0: all

  const ServerConfig config_;
  const std::shared_ptr<Backend> backend_;
  const std::shared_ptr<AudioService> audio_;
  const std::string model_id_;
  const int64_t created_;
  ParseLimits limits_;
  metrics::Registry registry_;
  ServerMetrics metrics_;
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> next_id_{1};

  mutable std::mutex mu_;
  std::condition_variable idle_cv_;
  std::map<uint64_t, RequestHandle> in_flight_;  // exchange key -> backend handle
  // hang_after_tokens: exchanges that may hang, kept until they end
  // normally or are released (client gone, cancel_all()).
  std::map<uint64_t, std::shared_ptr<GenerationExchange>> hang_;
  // Test-only faults (config.faults); null when off. Last: destroyed first,
  // it starts the responses it still delays while the rest is alive.
  std::unique_ptr<FaultInjector> faults_;
};

}  // namespace r1::server
