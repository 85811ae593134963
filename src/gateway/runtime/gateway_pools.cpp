#include "gateway/config/replica_id.h"
#include "gateway/runtime/gateway_pools.h"

#include <algorithm>

#include "core/log.h"
#include "gateway/config/config.h"
#include "gateway/policy/breaker.h"
#include "gateway/runtime/discovery.h"
#include "gateway/policy/outlier.h"

namespace r1::gateway {
namespace {

constexpr Duration kDrainPoll{20};

std::string replica_id(const std::string& pool, int index) { return ReplicaId{pool, index}.to_string(); }

}  // namespace

PoolSet::PoolSet(const GatewayParts& parts, const Clock& clock, std::string self_exe, GatewayConfig config)
    : parts_(parts), clock_(clock), self_exe_(std::move(self_exe)), config_(std::move(config)) {
  CHECK(parts_.supervisor != nullptr && parts_.health != nullptr && parts_.router != nullptr);
  thread_ = std::thread([this] { ops_main(); });
}

PoolSet::~PoolSet() { stop(); }

void PoolSet::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PoolSet::post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_all();
}

void PoolSet::ops_main() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    lock.unlock();
    job();
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

void PoolSet::wait_idle() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return stopping_ || (jobs_.empty() && !busy_); });
}

Status PoolSet::add_version(const PoolConfig& pool) {
  if (parts_.router->has_version(pool.name)) return Status();
  GatewayConfig c = config();
  return parts_.router->add_version(
      pool.name, pool.role, std::make_unique<WindowBreaker>(clock_, c.breaker),
      std::make_unique<ConsecutiveOutlierDetector>(clock_, c.outlier));
}

Status PoolSet::ensure_pool(const PoolConfig& pool) {
  R1_RETURN_IF_ERROR(add_version(pool));
  std::lock_guard<std::mutex> lock(mu_);
  if (live_.count(pool.name) != 0) return Status();
  Live l;
  l.config = pool;
  live_.emplace(pool.name, std::move(l));
  order_.push_back(pool.name);
  return Status();
}

Status PoolSet::add_pool(const PoolConfig& pool, bool routed) {
  if (this->pool(pool.name)) {
    return make_error(ErrorCode::kInvalidArgument, "pool '" + pool.name + "' is already running");
  }
  R1_RETURN_IF_ERROR(ensure_pool(pool));
  for (int i = 0; i < pool.replicas; ++i) R1_RETURN_IF_ERROR(add_replica(pool.name, i, routed));
  return Status();
}

Status PoolSet::add_replica(const std::string& pool, int index, bool routed) {
  const std::string id = replica_id(pool, index);
  PoolConfig config;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(pool);
    if (it == live_.end()) return make_error(ErrorCode::kNotFound, "no pool '" + pool + "'");
    if (!it->second.indices.insert(index).second) {
      return make_error(ErrorCode::kInvalidArgument, "replica '" + id + "' is already running");
    }
    it->second.config.replicas = static_cast<int>(it->second.indices.size());
    config = it->second.config;
    if (routed) unroutable_.erase(id);
    else unroutable_.insert(id);
  }
  post([this, config, index] { add_job(config, index); });
  return Status();
}

void PoolSet::add_job(const PoolConfig& pool, int index) {
  Status s;
  if (!pool.endpoints.empty() || !pool.dns.empty()) {
    const std::string id = replica_id(pool.name, index);
    for (const StaticReplica& r : static_replicas(pool)) {
      if (r.replica.id == id) s = add_static_replica(r, parts_);
    }
  } else {
    const WorkerSpec spec = worker_spec(config(), pool, index, self_exe_);
    s = parts_.router->add_replica(pool.name, ReplicaInfo{spec.name, "127.0.0.1", 0});
    if (s.ok()) s = parts_.supervisor->add(spec);
  }
  if (!s.ok()) log::error("gateway: cannot add replica {}/{}: {}", pool.name, index, s.error().to_string());
}

Status PoolSet::roll_pool(const PoolConfig& next) {
  PoolConfig old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(next.name);
    if (it == live_.end()) return make_error(ErrorCode::kNotFound, "no pool '" + next.name + "'");
    old = it->second.config;
  }
  if (!old.endpoints.empty() || !next.endpoints.empty() || !old.dns.empty() || !next.dns.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "pool '" + next.name + "' has static endpoints");
  }
  post([this, old, next] { roll_job(old, next); });
  return Status();
}

void PoolSet::set_live_config(const PoolConfig& config) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(config.name);
  if (it == live_.end()) return;
  it->second.config = config;
  it->second.config.replicas = static_cast<int>(it->second.indices.size());
}

// Starts replica `index` with `config` and waits until it is healthy; false
// when it will not come up (crash loop, rollout.ready_timeout) or on stop().
bool PoolSet::start_and_wait(const PoolConfig& config, int index) {
  const std::string id = replica_id(config.name, index);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(config.name);
    if (it == live_.end()) return false;  // removed meanwhile
    it->second.indices.insert(index);
    unroutable_.erase(id);
  }
  set_live_config(config);
  add_job(config, index);
  const TimePoint deadline = SteadyClock::now() + this->config().rollout.ready_timeout;
  while (SteadyClock::now() < deadline) {
    if (replica_healthy(id)) return true;
    if (const std::string why = start_failure(id); !why.empty()) {
      log::error("gateway: reload: {}", why);
      return false;
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, kDrainPoll, [&] { return stopping_; })) return false;
  }
  log::error("gateway: reload: {} not ready after {}", id, format_duration(this->config().rollout.ready_timeout));
  return false;
}

// Drains and stops replica `index` now (on the ops thread).
void PoolSet::drop(const std::string& pool, int index) {
  const std::string id = replica_id(pool, index);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(pool);
    if (it == live_.end() || it->second.indices.erase(index) == 0) return;
    it->second.config.replicas = static_cast<int>(it->second.indices.size());
    unroutable_.insert(id);
  }
  parts_.router->set_healthy(id, false);
  remove_job(id, true);
}

void PoolSet::roll_job(const PoolConfig& old_config, const PoolConfig& next) {
  const std::string& name = next.name;
  const std::vector<std::string> ids = replica_ids(name);
  std::vector<int> old_indices;
  for (const std::string& id : ids) {
    if (const auto r = ReplicaId::parse(id)) old_indices.push_back(r->index);
  }
  const int surge = old_indices.empty() ? 0 : old_indices.back() + 1;  // replica_ids is ordered
  log::info("gateway: reload: pool {}: rolling {} replicas onto the new model/args (surge {})", name,
            old_indices.size(), replica_id(name, surge));
  if (!start_and_wait(next, surge)) {
    drop(name, surge);
    set_live_config(old_config);
    log::error("gateway: reload: pool {}: the new workers did not come up; the old ones keep serving", name);
    return;
  }
  for (int i : old_indices) {
    if (i >= next.replicas) continue;  // fewer replicas: removed below
    drop(name, i);
    if (!start_and_wait(next, i)) {
      drop(name, i);
      log::error("gateway: reload: {} failed with the new config; restarting it with the old one",
                 replica_id(name, i));
      (void)start_and_wait(old_config, i);
      set_live_config(next);
    }
  }
  for (int i : old_indices) {
    if (i >= next.replicas) drop(name, i);
  }
  for (int i = 0; i < next.replicas; ++i) {
    if (std::find(old_indices.begin(), old_indices.end(), i) == old_indices.end() && i != surge) {
      (void)start_and_wait(next, i);
    }
  }
  if (surge >= next.replicas) drop(name, surge);
  log::info("gateway: reload: pool {}: {} replicas on the new model/args", name, next.replicas);
}

void PoolSet::remove_pool(const std::string& name) {
  std::vector<std::string> ids = replica_ids(name);
  for (const std::string& id : ids) remove_replica(id);
  std::lock_guard<std::mutex> lock(mu_);
  if (live_.erase(name) != 0) order_.erase(std::find(order_.begin(), order_.end(), name));
}

void PoolSet::remove_replica(const std::string& id) {
  bool managed = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const std::optional<ReplicaId> r = ReplicaId::parse(id);
    if (!r) return;
    auto it = live_.find(r->pool);
    if (it == live_.end()) return;
    if (it->second.indices.erase(r->index) == 0) return;
    it->second.config.replicas = static_cast<int>(it->second.indices.size());
    managed = it->second.config.endpoints.empty() && it->second.config.dns.empty();
    unroutable_.insert(id);
  }
  parts_.router->set_healthy(id, false);
  post([this, id, managed] { remove_job(id, managed); });
}

void PoolSet::remove_job(const std::string& id, bool managed) {
  parts_.health->remove_target(id);
  parts_.router->set_healthy(id, false);
  const Duration grace = config().supervisor.stop_grace;
  const TimePoint deadline = SteadyClock::now() + grace;
  while (in_flight(id) > 0 && SteadyClock::now() < deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, kDrainPoll, [&] { return stopping_; })) return;
  }
  if (managed) {
    Status s = parts_.supervisor->remove(id);
    if (!s.ok() && s.error().code != ErrorCode::kNotFound) log::warn("gateway: {}", s.error().to_string());
  }
  (void)parts_.router->remove_replica(id);
  log::info("gateway: replica {} removed", id);
  std::lock_guard<std::mutex> lock(mu_);
  // Re-added meanwhile (same id, queued after us): keep its routability.
  const std::optional<ReplicaId> r = ReplicaId::parse(id);
  auto it = r ? live_.find(r->pool) : live_.end();
  if (it == live_.end() || it->second.indices.count(r->index) == 0) unroutable_.erase(id);
}

void PoolSet::set_routable(const std::string& id, bool routable) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (routable) unroutable_.erase(id);
    else unroutable_.insert(id);
  }
  parts_.router->set_healthy(id, routable && parts_.health->state(id) == HealthState::kHealthy);
}

bool PoolSet::routable(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return unroutable_.count(id) == 0;
}

std::vector<PoolConfig> PoolSet::pools() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PoolConfig> out;
  for (const std::string& name : order_) out.push_back(live_.at(name).config);
  return out;
}

std::optional<PoolConfig> PoolSet::pool(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(name);
  if (it == live_.end()) return std::nullopt;
  return it->second.config;
}

std::vector<std::string> PoolSet::replica_ids(const std::string& pool) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  auto it = live_.find(pool);
  if (it == live_.end()) return out;
  for (int i : it->second.indices) out.push_back(replica_id(pool, i));
  return out;
}

bool PoolSet::replica_healthy(const std::string& id) const {
  return parts_.health->state(id) == HealthState::kHealthy;
}

std::string PoolSet::start_failure(const std::string& id) const {
  if (parts_.supervisor == nullptr || replica_healthy(id)) return {};
  const std::optional<WorkerStatus> st = parts_.supervisor->status(id);
  if (!st) return {};
  const std::string last = st->last_exit.empty() ? "" : " (last: " + st->last_exit + ")";
  if (st->state == WorkerState::kFailed) return id + " is crash-looping" + last;
  if (st->crashes >= kStartCrashes && !st->last_recovery) {
    return id + " crashed " + std::to_string(st->crashes) + " times without becoming ready" + last;
  }
  return {};
}

int PoolSet::in_flight(const std::string& id) const {
  for (const ReplicaSnapshot& r : parts_.router->snapshot()) {
    if (r.id == id) return r.outstanding;
  }
  return 0;
}

std::optional<std::pair<std::string, int>> PoolSet::endpoint(const std::string& id) const {
  const std::optional<ReplicaId> r = ReplicaId::parse(id);
  if (!r) return std::nullopt;
  std::optional<PoolConfig> p = pool(r->pool);
  if (p && (!p->endpoints.empty() || !p->dns.empty())) {
    for (const StaticReplica& r : static_replicas(*p)) {
      if (r.replica.id == id) return std::make_pair(r.replica.host, r.replica.port);
    }
    return std::nullopt;
  }
  std::optional<WorkerStatus> st = parts_.supervisor->status(id);
  if (!st || st->port == 0) return std::nullopt;
  return std::make_pair(std::string("127.0.0.1"), st->port);
}

Status PoolSet::sync_endpoints(const std::string& pool, const std::vector<std::string>& found) {
  SlotPlan plan;
  std::vector<std::string> before;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(pool);
    if (it == live_.end()) return make_error(ErrorCode::kNotFound, "no pool '" + pool + "'");
    if (it->second.config.dns.empty()) return make_error(ErrorCode::kInvalidArgument, "pool '" + pool + "' has no dns");
    before = it->second.config.endpoints;
    plan = plan_slots(before, found);
    if (plan.removed.empty() && plan.added.empty()) return Status();
    it->second.config.endpoints = plan.slots;
  }
  for (int i : plan.removed) {
    log::info("gateway: pool {}: {} left its DNS answer: draining {}", pool, before[static_cast<size_t>(i)], replica_id(pool, i));
    remove_replica(replica_id(pool, i));
  }
  for (int i : plan.added) {
    log::info("gateway: pool {}: {} found: replica {}", pool, plan.slots[static_cast<size_t>(i)], replica_id(pool, i));
    R1_RETURN_IF_ERROR(add_replica(pool, i, true));
  }
  return Status();
}

void PoolSet::set_config(const GatewayConfig& config) {
  std::lock_guard<std::mutex> lock(mu_);
  config_ = config;
}

GatewayConfig PoolSet::config() const {
  std::lock_guard<std::mutex> lock(mu_);
  return config_;
}

}  // namespace r1::gateway
