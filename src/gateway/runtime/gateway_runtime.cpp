#include "gateway/runtime/gateway_runtime.h"

#include <filesystem>
#include <set>

#include "core/log.h"
#include "gateway/runtime/gateway_runtime_impl.h"
#include "gateway/runtime/wiring.h"

namespace r1::gateway {

Result<RouteDecision> ObservedRouter::pick(const RouteRequest& request) {
  // Not kResourceExhausted: the proxy does not hold these in its wait queue.
  if (draining_.load()) return make_error(ErrorCode::kUnavailable, "the gateway is shutting down");
  Result<RouteDecision> d = inner_.pick(request);
  if (d.ok()) {
    d->picked_at = SteadyClock::now();
    in_flight_.fetch_add(1);
  }
  return d;
}

void ObservedRouter::release(const RouteDecision& decision, RequestOutcome outcome) {
  inner_.release(decision, outcome);
  in_flight_.fetch_sub(1);
  if (outcome == RequestOutcome::kCancelled) return;
  const bool ok = outcome == RequestOutcome::kSuccess || outcome == RequestOutcome::kClientError;
  sink_(decision.version, ok, std::chrono::duration_cast<Duration>(SteadyClock::now() - decision.picked_at));
}

std::string default_version_name(const std::string& model_path, const std::vector<std::string>& taken) {
  std::string base = std::filesystem::path(model_path).stem().string();
  if (base.empty()) base = "version";
  auto used = [&](const std::string& name) { return std::find(taken.begin(), taken.end(), name) != taken.end(); };
  if (!used(base)) return base;
  for (int i = 2;; ++i) {
    const std::string name = base + "-" + std::to_string(i);
    if (!used(name)) return name;
  }
}

GatewayRuntime::Impl::~Impl() { shutdown(); }

void GatewayRuntime::Impl::record(const std::string& version, bool ok, Duration latency) {
  std::lock_guard<std::mutex> lock(outcomes_mu);
  if (outcomes.size() < kMaxQueuedOutcomes) outcomes.push_back(RequestRecord{version, ok, latency});
}

void GatewayRuntime::Impl::tick_main() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(tick_mu);
      if (tick_cv.wait_for(lock, options.tick_interval, [&] { return tick_stop; })) return;
    }
    std::vector<RequestRecord> batch;
    {
      std::lock_guard<std::mutex> lock(outcomes_mu);
      batch.swap(outcomes);
    }
    for (const RequestRecord& r : batch) rollout->record(r.version, r.ok, r.latency);
    rollout->tick();
  }
}

Status GatewayRuntime::Impl::start_parts(const GatewayConfig& config) {
  supervisor = std::make_unique<ProcessSupervisor>(real_clock(), config.supervisor);
  health = std::make_unique<SwitchableHealthChecker>(real_clock(), prober, config.health);
  router = std::make_unique<DefaultRouter>();
  GatewayParts parts{supervisor.get(), health.get(), router.get(), config.health.path};
  parts.routable = [this](const std::string& id) { return pool_set->routable(id); };
  pool_set = std::make_unique<PoolSet>(parts, real_clock(), options.self_exe, config);
  connect_parts(parts);
  for (const PoolConfig& pool : config.pools) R1_RETURN_IF_ERROR(pool_set->add_pool(pool));
  supervisor->start();
  health->start();
  discovery = std::make_unique<DnsDiscovery>(*pool_set, resolver);
  discovery->start();
  actions = std::make_unique<PoolRolloutActions>(*pool_set, *router);
  rollout = std::make_unique<RolloutController>(real_clock(), *actions, state_path);
  resume_rollout();
  observed = std::make_unique<ObservedRouter>(
      *router, [this](const std::string& v, bool ok, Duration latency) { record(v, ok, latency); });
  ProxyOptions proxy_opts = proxy_options(config);
  proxy_opts.host = options.host;
  proxy_opts.draining = [this] { return observed->draining(); };
  R1_ASSIGN_OR_RETURN(proxy, ProxyServer::start(proxy_opts, *observed, metrics));
  AdminSources sources{router.get(), supervisor.get(), &metrics, {}, this};
  R1_ASSIGN_OR_RETURN(admin, AdminServer::start(AdminOptions{options.host, config.ports.admin, options.admin_key},
                                                std::move(sources)));
  ticker = std::thread([this] { tick_main(); });
  return Status();
}

// Loads the state file; a rollout that was in progress when the gateway
// stopped is aborted (its new workers died with the gateway).
void GatewayRuntime::Impl::resume_rollout() {
  std::error_code ec;
  if (state_path.empty() || !std::filesystem::exists(state_path, ec)) return;
  if (!rollout->load_state(state_path).ok()) return;  // logged; idle
  if (rollout_active(rollout->status().state.phase)) {
    log::warn("rollout: the rollout in {} was in progress when the gateway stopped: aborting it", state_path);
    (void)rollout->abort();
  }
}

void GatewayRuntime::Impl::shutdown() {
  if (stopped) return;
  stopped = true;
  if (observed) {
    observed->set_draining();
    const Duration grace = file_config.supervisor.stop_grace;
    const TimePoint deadline = SteadyClock::now() + grace;
    if (observed->in_flight() > 0) log::info("gateway: waiting for {} requests in flight", observed->in_flight());
    while (observed->in_flight() > 0 && SteadyClock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  {
    std::lock_guard<std::mutex> lock(tick_mu);
    tick_stop = true;
  }
  tick_cv.notify_all();
  if (ticker.joinable()) ticker.join();
  if (admin) admin->stop();
  if (proxy) proxy->stop();
  if (discovery) discovery->stop();
  if (pool_set) pool_set->stop();
  if (health) health->stop();
  if (supervisor) supervisor->stop_all();
}

Status GatewayRuntime::Impl::start_rollout(const RolloutRequest& request) {
  std::lock_guard<std::mutex> lock(reload_mu);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(request.model, ec)) {
    return make_error(ErrorCode::kInvalidArgument, "model: no such file '" + request.model + "'");
  }
  const std::string stable = router->stable();
  const std::optional<PoolConfig> pool = pool_set->pool(stable);
  if (!pool) return make_error(ErrorCode::kInvalidArgument, "rollout: no stable pool is running");
  if (!pool->endpoints.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "rollout: pool '" + stable + "' has static endpoints");
  }
  std::vector<std::string> taken;
  for (const PoolConfig& p : pool_set->pools()) taken.push_back(p.name);
  std::string version = request.version.empty() ? default_version_name(request.model, taken) : request.version;
  if (std::find(taken.begin(), taken.end(), version) != taken.end()) {
    return make_error(ErrorCode::kInvalidArgument, "version: pool '" + version + "' is already running");
  }
  const GatewayConfig config = pool_set->config();
  RolloutSpec spec;
  spec.stable_version = stable;
  spec.stable_model_path = pool->model;
  spec.new_version = version;
  spec.model_path = request.model;
  spec.strategy = request.strategy;
  spec.replicas = std::max(1, pool->replicas);
  spec.canary_percent = request.canary_percent.value_or(config.rollout.canary_percent);
  spec.analysis_window = request.analysis_window.value_or(config.rollout.analysis_window);
  spec.ready_timeout = config.rollout.ready_timeout;
  return rollout->start(spec);
}

Status GatewayRuntime::Impl::reload() {
  Result<GatewayConfig> next = make_error(ErrorCode::kNotFound, "reload: no config file (start with --config)");
  if (options.load_config) next = options.load_config();
  else if (!options.config_path.empty()) next = load_config_file(options.config_path, ParseOptions{options.test_mode});
  if (!next.ok()) {
    log::error("gateway: reload failed, keeping the old config: {}", next.error().message);
    return next.error();
  }
  return apply(std::move(next).value());
}

Result<std::unique_ptr<GatewayRuntime>> GatewayRuntime::start(GatewayConfig config, RuntimeOptions options) {
  config.test_mode = config.test_mode || options.test_mode;
  R1_RETURN_IF_ERROR(validate(config));
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->state_path = impl->options.state_file.empty() ? config.rollout.state_file : impl->options.state_file;
  impl->file_config = config;
  apply_saved_rollout(config, impl->state_path);
  R1_RETURN_IF_ERROR(impl->start_parts(config));
  log::info("gateway: started\n{}", describe(config));
  return std::unique_ptr<GatewayRuntime>(new GatewayRuntime(std::move(impl)));
}

GatewayRuntime::GatewayRuntime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GatewayRuntime::~GatewayRuntime() { stop(); }
uint16_t GatewayRuntime::proxy_port() const { return impl_->proxy->port(); }
uint16_t GatewayRuntime::admin_port() const { return impl_->admin->port(); }
Status GatewayRuntime::reload() { return impl_->reload(); }
Status GatewayRuntime::reload(GatewayConfig config) { return impl_->apply(std::move(config)); }
void GatewayRuntime::stop() { impl_->shutdown(); }
DefaultRouter& GatewayRuntime::router() { return *impl_->router; }
RolloutController& GatewayRuntime::rollout() { return *impl_->rollout; }
AdminControl& GatewayRuntime::control() { return *impl_; }

std::vector<int> GatewayRuntime::worker_pids() const {
  std::vector<int> out;
  for (const WorkerStatus& s : impl_->supervisor->statuses()) {
    if (s.pid > 0) out.push_back(static_cast<int>(s.pid));
  }
  return out;
}

}  // namespace r1::gateway
