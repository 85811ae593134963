// Active health checking: GET <path> (default /ready) on each replica every
// interval, with a timeout.
//
// Readiness (routing): a probe passes on a 2xx answer. A new target is
// kUnknown (not routable) and in its startup phase, like a Kubernetes
// startup probe: probed every `startup_interval` instead of `interval`,
// failures only keep it kUnknown. Its first pass makes it kHealthy at once
// (fast start, as in Envoy) and ends the phase; so does `startup_grace`
// without a pass, after which `unhealthy_threshold` failures in a row make
// it kUnhealthy (probed every `interval`). A healthy target needs `unhealthy_threshold` failures in a row
// to go unhealthy; an unhealthy one `healthy_threshold` passes in a row to
// come back. Every change fires on_transition.
//
// Liveness (restarts): only a probe that gets no HTTP answer at all
// (refused, reset, timeout) is a liveness failure -- a 503 while the model
// loads is alive. Failures don't count until the target first answered or
// startup_grace has passed since add_target(). Each run of
// `liveness_restart_after` unanswered probes fires on_liveness_failure once
// (the supervisor kills and respawns).
//
// Thread contract: all public methods are safe from any thread. Callbacks run
// on the probing thread (the checker's own thread after start(), or the
// caller of run_due()) with no lock held; they may call back into the
// checker. Probes run sequentially, so a slow target delays the others by
// at most `timeout`.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/periodic_thread.h"
#include "gateway/policy/http_probe.h"

namespace r1::gateway {

enum class HealthState { kUnknown, kHealthy, kUnhealthy };
const char* health_state_name(HealthState state);

// The health checker's settings (gateway YAML `health:`), declared once.
struct HealthConfig {
  Duration interval = std::chrono::seconds(30);  // >= 100ms
  // Until a replica's first passing probe (starting, restarted; kUnknown):
  // probe this often so it is routed within a fraction of a second of
  // being ready. >= 50ms; the checker uses at most `interval`.
  Duration startup_interval = std::chrono::milliseconds(250);
  Duration timeout = std::chrono::seconds(2);    // < interval
  int healthy_threshold = 2;     // successes to go unhealthy -> healthy
  int unhealthy_threshold = 3;   // failures to go healthy -> unhealthy
  int liveness_restart_after = 3;  // consecutive no-answer probes -> restart
  Duration startup_grace = std::chrono::seconds(120);  // no liveness kills before first answer
  std::string path = "/ready";   // what the gateway's prober requests
};

struct HealthTransition {
  std::string id;
  HealthState from = HealthState::kUnknown;
  HealthState to = HealthState::kUnknown;
  ProbeResult last;  // the probe that caused it
};

struct HealthCallbacks {
  std::function<void(const HealthTransition&)> on_transition;
  std::function<void(const std::string& id, const ProbeResult& last)> on_liveness_failure;
};

class HealthChecker {
 public:
  virtual ~HealthChecker() = default;
  // Adds or replaces (state back to kUnknown) the target with target.id.
  virtual void add_target(const HealthTarget& target) = 0;
  virtual void remove_target(const std::string& id) = 0;
  // kUnknown for ids not known.
  virtual HealthState state(const std::string& id) const = 0;
  virtual void set_callbacks(HealthCallbacks callbacks) = 0;
};

class ActiveHealthChecker final : public HealthChecker {
 public:
  ActiveHealthChecker(const Clock& clock, Prober& prober, HealthConfig options);
  ~ActiveHealthChecker() override;  // stop()

  void add_target(const HealthTarget& target) override;
  void remove_target(const std::string& id) override;
  HealthState state(const std::string& id) const override;
  void set_callbacks(HealthCallbacks callbacks) override;

  // Probes every target that is due now; returns the time until the next
  // one is due (interval when there are none). The thread's body; tests call
  // it directly with a FakeClock and a fake Prober.
  Duration run_due();

  // A thread calling run_due() until stop(). Needs a real clock.
  void start();
  void stop();

 private:
  struct Entry {
    HealthTarget target;
    uint64_t generation = 0;
    HealthState state = HealthState::kUnknown;
    TimePoint added_at{};
    TimePoint next_probe{};
    bool ever_answered = false;
    bool ever_passed = false;
    int passes = 0, failures = 0, unanswered = 0;
  };
  struct Due {
    HealthTarget target;
    uint64_t generation;
    TimePoint due_at;
  };
  struct Fired {
    std::optional<HealthTransition> transition;
    std::optional<ProbeResult> liveness;
    std::string id;
  };
  Fired apply(Entry& e, const ProbeResult& r, TimePoint t) const;
  // Never passed, within startup_grace of add_target().
  bool starting(const Entry& e, TimePoint t) const;

  const Clock& clock_;
  Prober& prober_;
  const HealthConfig options_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  uint64_t next_generation_ = 1;
  HealthCallbacks callbacks_;
  PeriodicThread thread_;  // last: joined before the rest is destroyed
};

}  // namespace r1::gateway
