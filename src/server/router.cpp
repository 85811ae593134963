#include "server/router.h"

#include <chrono>
#include <utility>

#include <nlohmann/json.hpp>

#include "http/key.h"
#include "server/api/exchange.h"
#include "server/api/openai_render.h"
#include "server/audio/audio_service.h"

namespace r1::server {
namespace {

std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

// Label for r1serve_requests_total: known routes, else "other".
std::string endpoint_label(const std::string& path) {
  for (const char* known : {"/v1/chat/completions", "/v1/completions", "/v1/models", "/api/predict",
                            "/health", "/ready", "/metrics", "/v1/audio/transcriptions", "/v1/audio/speech",
                            "/v1/audio/voices"}) {
    if (path == known) return path;
  }
  return "other";
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string status_json(const std::string& status, const std::string& reason) {
  nlohmann::json j = {{"status", status}};
  if (!reason.empty()) j["reason"] = reason;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The audio routes answer from voice threads: this channel adds the
// router's headers (CORS) and counts the status when the answer starts.
class CountedChannel final : public ResponseChannel {
 public:
  using Count = std::function<void(int status)>;
  CountedChannel(std::shared_ptr<ResponseChannel> inner, std::vector<std::pair<std::string, std::string>> headers,
                 Count count)
      : inner_(std::move(inner)), headers_(std::move(headers)), count_(std::move(count)) {}
  void respond(HttpResponse r) override {
    head(r);
    inner_->respond(std::move(r));
  }
  void start_stream(HttpResponse r) override {
    head(r);
    inner_->start_stream(std::move(r));
  }
  void write(std::string data) override { inner_->write(std::move(data)); }
  void end_stream() override { inner_->end_stream(); }
  void on_disconnect(std::function<void()> fn) override { inner_->on_disconnect(std::move(fn)); }

 private:
  void head(HttpResponse& r) {
    for (auto& h : headers_) r.headers.push_back(h);
    count_(r.status);
  }
  std::shared_ptr<ResponseChannel> inner_;
  const std::vector<std::pair<std::string, std::string>> headers_;
  const Count count_;
};

}  // namespace

struct Router::Ctx {
  const HttpRequest& request;
  std::shared_ptr<ResponseChannel> channel;
  std::string path;
  std::string label;
  std::vector<std::pair<std::string, std::string>> headers;  // CORS
  SteadyClock::time_point received;
};

Router::Router(const ServerConfig& config, std::shared_ptr<Backend> backend, std::shared_ptr<AudioService> audio)
    : config_(config),
      backend_(std::move(backend)),
      audio_(std::move(audio)),
      model_id_(backend_->model_id()),
      created_(unix_now()),
      metrics_(registry_, config.version, model_id_) {
  limits_.model_id = model_id_;
  limits_.max_tokens_limit = config.max_tokens_limit;
  if (config.faults.active()) faults_ = std::make_unique<FaultInjector>(config.faults);
}

void Router::handle(const HttpRequest& request, std::shared_ptr<ResponseChannel> channel) {
  Ctx ctx{request, std::move(channel), path_of(request.target), "", {}, SteadyClock::now()};
  ctx.label = endpoint_label(ctx.path);
  const std::string allow = cors_origin(request.origin);
  if (!allow.empty()) {
    ctx.headers.emplace_back("Access-Control-Allow-Origin", allow);
    ctx.headers.emplace_back("Vary", "Origin");
  }
  if (request.method == "OPTIONS") return preflight(ctx);
  const bool open = ctx.path == "/health" || ctx.path == "/ready";
  if (!open && !authorized(request)) {
    ApiError e{401, "authentication_error", "Invalid or missing API key; send "
               "'Authorization: Bearer <key>'", "", "invalid_api_key"};
    return respond_error(ctx, e);
  }
  route(ctx);
}

void Router::route(Ctx& ctx) {
  const std::string& m = ctx.request.method;
  const bool get = m == "GET";
  const std::string& p = ctx.path;
  if (p == "/v1/chat/completions" && m == "POST") return generate(ctx, Endpoint::kChat);
  if (p == "/v1/completions" && m == "POST") return generate(ctx, Endpoint::kCompletion);
  if (p == "/api/predict" && m == "POST") return generate(ctx, Endpoint::kPredict);
  if (p == "/v1/models" && get) {
    std::vector<std::string> ids{model_id_};
    if (audio_) {
      for (std::string& id : audio_->model_ids()) ids.push_back(std::move(id));
    }
    return respond(ctx, {200, "application/json", {}, render_models(ids, created_)});
  }
  if (p.rfind("/v1/audio/", 0) == 0) return audio(ctx);
  if (p == "/health" && get) return respond(ctx, {200, "application/json", {}, status_json("ok", "")});
  if (p == "/ready" && get) return get_ready(ctx);
  if (p == "/metrics" && get) return get_metrics(ctx);
  if (ctx.label != "other") {
    ApiError e{405, "invalid_request_error", "Method " + m + " is not allowed on " + p, "", "method_not_allowed"};
    return respond_error(ctx, e);
  }
  ApiError e{404, "invalid_request_error", "Unknown route " + p.substr(0, 128), "", "not_found"};
  respond_error(ctx, e);
}

void Router::audio(Ctx& ctx) {
  if (!audio_) {
    ApiError e{404, "invalid_request_error", "Voice is not enabled on this server (r1serve serve --voice)", "", "not_found"};
    return respond_error(ctx, e);
  }
  if (draining()) {
    ApiError e{503, "unavailable_error", "The server is draining", "", "draining"};
    return respond_error(ctx, e);
  }
  auto channel = std::make_shared<CountedChannel>(ctx.channel, ctx.headers, [this, label = ctx.label](int status) {
    metrics_.requests.with({label, std::to_string(status)}).inc();
  });
  audio_->handle(ctx.path, ctx.request, std::move(channel));
}

void Router::respond(Ctx& ctx, HttpResponse response) {
  for (auto& h : ctx.headers) response.headers.push_back(h);
  metrics_.requests.with({ctx.label, std::to_string(response.status)}).inc();
  ctx.channel->respond(std::move(response));
}

void Router::respond_error(Ctx& ctx, const ApiError& error) {
  HttpResponse r{error.http_status, "application/json", {}, render_error(error)};
  if (error.http_status == 429 || error.http_status == 503) {
    r.headers.emplace_back("Retry-After", std::to_string(config_.retry_after_seconds));
  }
  if (error.http_status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  respond(ctx, std::move(r));
}

bool Router::authorized(const HttpRequest& request) const {
  return config_.api_keys.empty() || http::bearer_matches(request.authorization, config_.api_keys);
}

std::string Router::cors_origin(const std::string& origin) const {
  for (const std::string& o : config_.cors_origins) {
    if (o == "*") return "*";
    if (!origin.empty() && o == origin) return origin;
  }
  return "";
}

void Router::preflight(Ctx& ctx) {
  HttpResponse r{204, "", {}, ""};
  r.headers.emplace_back("Allow", "GET, POST, OPTIONS");
  if (!ctx.headers.empty()) {
    r.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    r.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
    r.headers.emplace_back("Access-Control-Max-Age", "600");
  }
  respond(ctx, std::move(r));
}

void Router::get_ready(Ctx& ctx) {
  const Readiness r = backend_->ready();
  if (draining()) {
    return respond(ctx, {503, "application/json", {{"Retry-After", std::to_string(config_.retry_after_seconds)}},
                         status_json("draining", "the server is draining")});
  }
  if (!r.ready) {
    return respond(ctx, {503, "application/json", {{"Retry-After", std::to_string(config_.retry_after_seconds)}},
                         status_json("loading", r.reason)});
  }
  respond(ctx, {200, "application/json", {}, status_json("ready", "")});
}

void Router::get_metrics(Ctx& ctx) {
  metrics_.update(backend_->stats());
  respond(ctx, {200, "text/plain; version=0.0.4; charset=utf-8", {}, registry_.expose()});
}

void Router::generate(Ctx& ctx, Endpoint endpoint) {
  if (draining()) {
    return respond_error(ctx, {503, "unavailable_error", "The server is draining", "", "draining"});
  }
  if (inject_error(ctx)) return;
  ApiResult<ApiRequest> parsed =
      endpoint == Endpoint::kChat         ? parse_chat_request(ctx.request.body, limits_)
      : endpoint == Endpoint::kCompletion ? parse_completion_request(ctx.request.body, limits_)
                                          : parse_predict_request(ctx.request.body, limits_);
  if (!parsed.ok()) return respond_error(ctx, parsed.error());
  if (endpoint == Endpoint::kPredict && parsed.value().stream) {
    return respond_error(ctx, invalid_request("stream", "/api/predict does not stream"));
  }
  start(ctx, std::move(parsed.value()));
}

void Router::start(Ctx& ctx, ApiRequest request) {
  if (config_.request_deadline.count() > 0) {
    request.generation.deadline = ctx.received + config_.request_deadline;
  }
  const uint64_t key = next_id_.fetch_add(1);
  ExchangeParams p;
  p.meta = {request.endpoint, next_id(request.endpoint), unix_now(), model_id_};
  p.stream = request.stream;
  p.include_usage = request.include_usage;
  p.split_reasoning = request.generation.split_reasoning;
  p.want_logprobs = request.generation.logprobs;
  p.include_token_ids = request.include_token_ids && request.stream;
  p.hang_after_tokens = faults_ ? faults_->config().hang_after_tokens : -1;
  p.endpoint_label = ctx.label;
  p.headers = ctx.headers;
  p.received = ctx.received;
  p.channel = ctx.channel;
  p.metrics = &metrics_;
  p.on_done = [this, key] { finished(key); };
  auto exchange = std::make_shared<GenerationExchange>(std::move(p));
  const bool may_hang = faults_ && faults_->config().hang_after_tokens >= 0;
  {
    // Registered before submit so that wait_idle() cannot miss it.
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_[key] = RequestHandle{0};
    if (may_hang) hang_[key] = exchange;
  }
  Result<RequestHandle> handle = backend_->submit(request.generation, exchange);
  if (!handle.ok()) {
    finished(key);
    return respond_error(ctx, api_error_from(handle.error()));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_[key] = handle.value();
  }
  std::weak_ptr<Backend> backend = backend_;
  const RequestHandle h = handle.value();
  ctx.channel->on_disconnect([backend, h, this, key, may_hang] {
    if (auto b = backend.lock()) b->cancel(h);
    if (may_hang) release_hung(key);
  });
  if (faults_) return faults_->after_latency([exchange] { exchange->begin(); });
  exchange->begin();
}

bool Router::inject_error(Ctx& ctx) {
  if (!faults_ || !faults_->draw_error()) return false;
  HttpResponse r{500, "application/json", ctx.headers,
                 render_error(FaultInjector::injected_error())};
  metrics_.requests.with({ctx.label, "500"}).inc();
  faults_->after_latency([channel = ctx.channel, r = std::move(r)]() mutable {
    channel->respond(std::move(r));
  });
  return true;
}

std::string Router::next_id(Endpoint endpoint) {
  static const uint64_t kSalt = static_cast<uint64_t>(now_ns());
  const uint64_t n = next_id_.fetch_add(1);
  char buf[40];
  snprintf(buf, sizeof(buf), "%016llx%06llx", static_cast<unsigned long long>(kSalt),
           static_cast<unsigned long long>(n & 0xffffff));
  return (endpoint == Endpoint::kChat ? "chatcmpl-" : "cmpl-") + std::string(buf);
}

void Router::finished(uint64_t key) {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_.erase(key);
  // A hung exchange stays until released; it holds its response open.
  if (auto it = hang_.find(key); it != hang_.end() && !it->second->hung()) hang_.erase(it);
  if (in_flight_.empty()) idle_cv_.notify_all();
}

void Router::drain() { draining_.store(true); }

bool Router::wait_idle(std::chrono::milliseconds grace) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, grace, [&] { return in_flight_.empty(); });
}

void Router::cancel_all() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, handle] : in_flight_) {
      if (handle.id != 0) backend_->cancel(handle);
    }
  }
  if (audio_) audio_->stop();
  release_hung(0);
}

void Router::release_hung(uint64_t key) {
  std::vector<std::shared_ptr<GenerationExchange>> released;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = hang_.begin(); it != hang_.end();) {
      if (key != 0 && it->first != key) {
        ++it;
        continue;
      }
      released.push_back(std::move(it->second));
      it = hang_.erase(it);
    }
  }
  // Outside mu_: the lock order is exchange, then router (finished()).
  for (auto& exchange : released) exchange->release();
}

int64_t Router::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(in_flight_.size());
}

}  // namespace r1::server
