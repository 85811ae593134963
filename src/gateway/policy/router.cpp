#include "gateway/policy/router.h"

#include <algorithm>
#include <utility>


namespace r1::gateway {
namespace {

uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

constexpr uint64_t kCanarySalt = 0x6a09e667f3bcc909ULL;

}  // namespace

uint64_t stable_hash(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

bool in_canary_share(std::string_view session_key, int percent) {
  const uint64_t slot = mix64(stable_hash(session_key) ^ kCanarySalt) % 10000;
  return slot < static_cast<uint64_t>(std::clamp(percent, 0, 100)) * 100;
}

Status DefaultRouter::add_version(const std::string& name, PoolRole role,
                                  std::unique_ptr<CircuitBreaker> breaker,
                                  std::unique_ptr<OutlierDetector> outlier) {
  CHECK(breaker != nullptr && outlier != nullptr);
  std::lock_guard<std::mutex> lock(mu_);
  if (find_version(name) != nullptr) {
    return make_error(ErrorCode::kInvalidArgument, "version '" + name + "' already added");
  }
  auto v = std::make_unique<Version>();
  v->name = name;
  v->role = role;
  v->breaker = std::move(breaker);
  v->outlier = std::move(outlier);
  versions_.push_back(std::move(v));
  return Status();
}

Status DefaultRouter::add_replica(const std::string& version, const ReplicaInfo& replica) {
  std::lock_guard<std::mutex> lock(mu_);
  Version* v = find_version(version);
  if (v == nullptr) return make_error(ErrorCode::kNotFound, "no version '" + version + "'");
  Version* other = nullptr;
  if (find_replica(replica.id, &other) != nullptr) {
    return make_error(ErrorCode::kInvalidArgument, "replica '" + replica.id + "' already added");
  }
  v->replicas.push_back(Replica{replica, false, 0, next_incarnation_++});
  v->outlier->add_replica(replica.id);
  return Status();
}

Status DefaultRouter::remove_replica(const std::string& replica_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Version* v = nullptr;
  if (find_replica(replica_id, &v) == nullptr) {
    return make_error(ErrorCode::kNotFound, "no replica '" + replica_id + "'");
  }
  auto& rs = v->replicas;
  rs.erase(std::remove_if(rs.begin(), rs.end(), [&](const Replica& r) { return r.info.id == replica_id; }),
           rs.end());
  v->outlier->remove_replica(replica_id);
  return Status();
}

Status DefaultRouter::set_endpoint(const std::string& replica_id, const std::string& host, int port) {
  std::lock_guard<std::mutex> lock(mu_);
  Version* v = nullptr;
  Replica* r = find_replica(replica_id, &v);
  if (r == nullptr) return make_error(ErrorCode::kNotFound, "no replica '" + replica_id + "'");
  r->info.host = host;
  r->info.port = port;
  r->healthy = false;
  r->outstanding = 0;
  r->incarnation = next_incarnation_++;
  return Status();
}

void DefaultRouter::set_healthy(const std::string& replica_id, bool healthy) {
  std::lock_guard<std::mutex> lock(mu_);
  Version* v = nullptr;
  if (Replica* r = find_replica(replica_id, &v)) r->healthy = healthy;
}

Status DefaultRouter::set_canary(const std::string& version, int percent) {
  if (percent < 0 || percent > 100) {
    return make_error(ErrorCode::kInvalidArgument, "canary percent must be in [0, 100]");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (find_version(version) == nullptr) return make_error(ErrorCode::kNotFound, "no version '" + version + "'");
  canary_ = version;
  canary_percent_ = percent;
  return Status();
}

std::pair<std::string, int> DefaultRouter::canary() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {canary_, canary_.empty() ? 0 : canary_percent_};
}

void DefaultRouter::clear_canary() {
  std::lock_guard<std::mutex> lock(mu_);
  canary_.clear();
  canary_percent_ = 0;
}

DefaultRouter::Version* DefaultRouter::find_version(const std::string& name) {
  for (auto& v : versions_) {
    if (v->name == name) return v.get();
  }
  return nullptr;
}

DefaultRouter::Replica* DefaultRouter::find_replica(const std::string& id, Version** version) {
  for (auto& v : versions_) {
    for (Replica& r : v->replicas) {
      if (r.info.id != id) continue;
      *version = v.get();
      return &r;
    }
  }
  return nullptr;
}

// canary (when chosen) -> stable -> backups, without repeats.
std::vector<DefaultRouter::Version*> DefaultRouter::version_order(bool canary) {
  std::vector<Version*> order;
  if (canary) order.push_back(find_version(canary_));
  for (auto& v : versions_) {
    if (v->role == PoolRole::kPrimary && v->name != canary_) {
      order.push_back(v.get());
      break;
    }
  }
  for (auto& v : versions_) {
    if (v->role == PoolRole::kBackup && v->name != canary_) order.push_back(v.get());
  }
  return order;
}

std::vector<DefaultRouter::Replica*> DefaultRouter::routable(Version& v) const {
  std::vector<Replica*> out;
  for (Replica& r : v.replicas) {
    if (r.healthy && !v.outlier->is_ejected(r.info.id)) out.push_back(&r);
  }
  return out;
}

DefaultRouter::Replica* DefaultRouter::choose(std::vector<Replica*>& candidates,
                                              const std::string& session_key) {
  if (!session_key.empty()) {
    const uint64_t key = stable_hash(session_key);
    auto score = [&](const Replica* r) { return mix64(key ^ stable_hash(r->info.id)); };
    return *std::max_element(candidates.begin(), candidates.end(),
                             [&](const Replica* a, const Replica* b) { return score(a) < score(b); });
  }
  int least = candidates.front()->outstanding;
  for (const Replica* r : candidates) least = std::min(least, r->outstanding);
  std::vector<Replica*> ties;
  for (Replica* r : candidates) {
    if (r->outstanding == least) ties.push_back(r);
  }
  return ties[round_robin_++ % ties.size()];
}

Result<RouteDecision> DefaultRouter::pick(const RouteRequest& request) {
  const std::string split_key = request.session_key.empty()
                                    ? "anonymous-" + std::to_string(anonymous_.fetch_add(1))
                                    : request.session_key;
  std::lock_guard<std::mutex> lock(mu_);
  const bool canary = !canary_.empty() && in_canary_share(split_key, canary_percent_);
  const std::vector<Version*> order = version_order(canary);
  size_t refused = order.size();  // the first version whose breaker refused
  for (size_t i = 0; i < order.size(); ++i) {
    Version& v = *order[i];
    std::vector<Replica*> candidates = routable(v);
    if (candidates.empty()) continue;
    const BreakerTicket ticket = v.breaker->try_acquire();
    if (!ticket.allowed) {
      if (refused == order.size()) refused = i;
      continue;
    }
    Replica* r = choose(candidates, request.session_key);
    ++r->outstanding;
    return RouteDecision{v.name, r->info, v.name == canary_, i != 0, ticket, r->incarnation};
  }
  // Fail open: no version can take the request but one whose breaker is
  // open has healthy replicas. Refusing would be a certain failure; the
  // breaker is there to move traffic to another version, not to drop it.
  if (refused < order.size()) {
    Version& v = *order[refused];
    std::vector<Replica*> candidates = routable(v);
    Replica* r = choose(candidates, request.session_key);
    ++r->outstanding;
    return RouteDecision{v.name, r->info, v.name == canary_, refused != 0, BreakerTicket::bypass(),
                         r->incarnation};
  }
  return make_error(ErrorCode::kResourceExhausted, "no healthy replica can serve the request");
}

namespace {

struct OutcomeMapping {
  bool record = false;  // kCancelled is recorded nowhere
  Outcome breaker = Outcome::kSuccess;
  ReplicaOutcome replica = ReplicaOutcome::kSuccess;
};

OutcomeMapping map_outcome(RequestOutcome outcome) {
  switch (outcome) {
    case RequestOutcome::kSuccess:
    case RequestOutcome::kClientError: return {true, Outcome::kSuccess, ReplicaOutcome::kSuccess};
    case RequestOutcome::kServerError: return {true, Outcome::kError, ReplicaOutcome::kServerError};
    case RequestOutcome::kConnectFailure: return {true, Outcome::kError, ReplicaOutcome::kConnectFailure};
    case RequestOutcome::kTimeout: return {true, Outcome::kTimeout, ReplicaOutcome::kServerError};
    case RequestOutcome::kCancelled: return {};
  }
  return {};
}

}  // namespace

void DefaultRouter::release(const RouteDecision& decision, RequestOutcome outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  Version* v = find_version(decision.version);
  if (v == nullptr) return;
  Version* owner = nullptr;
  Replica* r = find_replica(decision.replica.id, &owner);
  // A pick from before a respawn (older incarnation) counts for the version
  // only: the new process is not to blame for the old one's errors.
  const bool current = r != nullptr && owner == v && r->incarnation == decision.incarnation;
  if (current) {
    CHECK(r->outstanding > 0) << "release without pick: " << decision.replica.id;
    --r->outstanding;
  }
  const OutcomeMapping m = map_outcome(outcome);
  if (!m.record) return;
  v->breaker->record(decision.ticket, m.breaker);
  if (current) v->outlier->record(decision.replica.id, m.replica);
}

Status DefaultRouter::set_stable(const std::string& version) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find_if(versions_.begin(), versions_.end(), [&](const auto& v) { return v->name == version; });
  if (it == versions_.end()) return make_error(ErrorCode::kNotFound, "no version '" + version + "'");
  (*it)->role = PoolRole::kPrimary;
  std::rotate(versions_.begin(), it, it + 1);
  return Status();
}

std::string DefaultRouter::stable() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& v : versions_) {
    if (v->role == PoolRole::kPrimary) return v->name;
  }
  return "";
}

bool DefaultRouter::has_version(const std::string& version) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& v : versions_) {
    if (v->name == version) return true;
  }
  return false;
}

Status DefaultRouter::set_policies(const std::string& version, std::unique_ptr<CircuitBreaker> breaker,
                                   std::unique_ptr<OutlierDetector> outlier) {
  CHECK(breaker != nullptr && outlier != nullptr);
  std::lock_guard<std::mutex> lock(mu_);
  Version* v = find_version(version);
  if (v == nullptr) return make_error(ErrorCode::kNotFound, "no version '" + version + "'");
  for (const Replica& r : v->replicas) outlier->add_replica(r.info.id);
  retired_breakers_.push_back(std::exchange(v->breaker, std::move(breaker)));
  retired_outliers_.push_back(std::exchange(v->outlier, std::move(outlier)));
  return Status();
}

std::vector<ReplicaSnapshot> DefaultRouter::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ReplicaSnapshot> out;
  for (const auto& v : versions_) {
    for (const Replica& r : v->replicas) {
      out.push_back(ReplicaSnapshot{v->name, r.info.id, r.healthy, v->outlier->is_ejected(r.info.id),
                                    r.outstanding});
    }
  }
  return out;
}

const CircuitBreaker* DefaultRouter::breaker(const std::string& version) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& v : versions_) {
    if (v->name == version) return v->breaker.get();
  }
  return nullptr;
}

std::unique_ptr<DefaultRouter> make_router(const GatewayConfig& config, const Clock& clock) {
  auto router = std::make_unique<DefaultRouter>();
  for (const PoolConfig& pool : config.pools) {
    Status s = router->add_version(pool.name, pool.role,
                                   std::make_unique<WindowBreaker>(clock, config.breaker),
                                   std::make_unique<ConsecutiveOutlierDetector>(clock, config.outlier));
    CHECK(s.ok()) << "pool names are validated unique: " << pool.name;
  }
  return router;
}

}  // namespace r1::gateway
