#include "gateway/config/replica_id.h"
#include "gateway/runtime/rollout_actions.h"

#include <algorithm>
#include <cmath>

#include "core/log.h"
#include "http/client/blocking_client.h"

namespace r1::gateway {
namespace {

Error smoke_error(const std::string& what) { return make_error(ErrorCode::kInternal, "smoke test: " + what); }

}  // namespace

Status smoke_request(const std::string& host, int port, Duration timeout) {
  r1::http::BlockingRequest req;
  req.method = "POST";
  req.host = host;
  req.port = static_cast<uint16_t>(port);
  req.target = "/api/predict";
  req.content_type = "application/json";
  req.body = R"({"prompt":"Hello","max_tokens":2,"temperature":0})";
  req.connect_timeout = req.total_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  Result<r1::http::BlockingResponse> res = r1::http::blocking_request(req);
  if (!res.ok()) {
    const std::string& why = res.error().message;
    return smoke_error(why == "connection closed" ? "no answer from " + host + ":" + std::to_string(port) : why);
  }
  if (res->status != 200) return smoke_error("POST /api/predict answered '" + res->status_line + "'");
  return Status();
}

PoolRolloutActions::PoolRolloutActions(PoolSet& pools, DefaultRouter& router, Duration smoke_timeout)
    : pools_(pools), router_(router), smoke_timeout_(smoke_timeout) {}

PoolConfig PoolRolloutActions::new_pool(const std::string& version, const std::string& model, int replicas) const {
  PoolConfig p;
  if (auto stable = pools_.pool(router_.stable())) p.args = stable->args;
  p.name = version;
  p.model = model;
  p.replicas = replicas;
  p.role = PoolRole::kPrimary;
  return p;
}

Status PoolRolloutActions::start_version(const std::string& version, const std::string& model, int replicas) {
  return pools_.add_pool(new_pool(version, model, replicas), true);
}

bool PoolRolloutActions::version_ready(const std::string& version) {
  const std::optional<PoolConfig> p = pools_.pool(version);
  const std::vector<std::string> ids = pools_.replica_ids(version);
  if (!p || ids.empty()) return false;
  return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) { return pools_.replica_healthy(id); });
}

Status PoolRolloutActions::smoke_test(const std::string& version) {
  for (const std::string& id : pools_.replica_ids(version)) {
    if (auto ep = pools_.endpoint(id)) {
      Status s = smoke_request(ep->first, ep->second, smoke_timeout_);
      if (s.ok()) log::info("rollout: smoke test of {} passed", id);
      return s;
    }
  }
  return smoke_error("no replica of " + version + " is listening");
}

void PoolRolloutActions::set_canary_weight(const std::string& version, int percent) {
  if (percent <= 0) {
    router_.clear_canary();
    return;
  }
  Status s = router_.set_canary(version, std::min(percent, 100));
  if (!s.ok()) log::warn("rollout: {}", s.error().to_string());
}

void PoolRolloutActions::switch_stable(const std::string& version) {
  Status s = router_.set_stable(version);
  if (!s.ok()) {
    log::warn("rollout: cannot switch to {}: {}", version, s.error().to_string());
    return;
  }
  router_.clear_canary();
  std::lock_guard<std::mutex> lock(mu_);
  partner_.clear();
}

void PoolRolloutActions::drain_and_stop(const std::string& version) {
  pools_.remove_pool(version);
  if (version != router_.stable()) router_.clear_canary();
}

Status PoolRolloutActions::start_replica(const std::string& version, const std::string& model, int index) {
  R1_RETURN_IF_ERROR(pools_.ensure_pool(new_pool(version, model, 0)));
  if (version != router_.stable()) {
    std::lock_guard<std::mutex> lock(mu_);
    partner_ = version;
  }
  return pools_.add_replica(version, index, /*routed=*/false);
}

bool PoolRolloutActions::replica_ready(const std::string& replica_id) {
  return pools_.replica_healthy(replica_id);
}

std::string PoolRolloutActions::version_failure(const std::string& version) {
  for (const std::string& id : pools_.replica_ids(version)) {
    if (std::string why = pools_.start_failure(id); !why.empty()) return why;
  }
  return {};
}

std::string PoolRolloutActions::replica_failure(const std::string& replica_id) {
  return pools_.start_failure(replica_id);
}

int PoolRolloutActions::routable_count(const std::string& version) const {
  int n = 0;
  for (const std::string& id : pools_.replica_ids(version)) n += pools_.routable(id) ? 1 : 0;
  return n;
}

// The non-stable version of a rolling rollout gets new / (new + old) of the
// traffic: its replicas and the stable ones share it about evenly.
void PoolRolloutActions::rebalance(const std::string& version) {
  const std::string stable = router_.stable();
  if (version == stable) return;
  const int n_new = routable_count(version);
  const int n_old = routable_count(stable);
  if (n_new == 0) {
    router_.clear_canary();
    return;
  }
  const int percent = n_old == 0 ? 100 : std::clamp(static_cast<int>(std::lround(100.0 * n_new / (n_new + n_old))), 1, 99);
  set_canary_weight(version, percent);
}

void PoolRolloutActions::rebalance_for(const std::string& replica_id) {
  const std::optional<ReplicaId> id = ReplicaId::parse(replica_id);
  std::string version = id ? id->pool : replica_id;
  if (version == router_.stable()) {
    std::lock_guard<std::mutex> lock(mu_);
    version = partner_;
  }
  if (!version.empty()) rebalance(version);
}

void PoolRolloutActions::set_replica_routable(const std::string& replica_id, bool routable) {
  pools_.set_routable(replica_id, routable);
  rebalance_for(replica_id);
}

int PoolRolloutActions::in_flight(const std::string& replica_id) { return pools_.in_flight(replica_id); }

void PoolRolloutActions::stop_replica(const std::string& replica_id) {
  pools_.remove_replica(replica_id);
  rebalance_for(replica_id);
}

}  // namespace r1::gateway
