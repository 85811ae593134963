// SwitchableHealthChecker: the gateway runtime's HealthChecker. It forwards
// to an ActiveHealthChecker and keeps the targets and callbacks, so a config
// reload can replace the checker (new interval, timeout, thresholds) without
// losing a target: the new checker probes every known target from
// kUnknown; router health is left as it was until its first transitions.
//
// Thread contract: all methods are safe from any thread. Callbacks run on
// the current inner checker's thread with no lock held (as health.h).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "gateway/policy/health.h"

namespace r1::gateway {

class SwitchableHealthChecker final : public HealthChecker {
 public:
  SwitchableHealthChecker(const Clock& clock, Prober& prober, HealthConfig options);
  ~SwitchableHealthChecker() override;  // stop()

  void add_target(const HealthTarget& target) override;
  void remove_target(const std::string& id) override;
  HealthState state(const std::string& id) const override;
  void set_callbacks(HealthCallbacks callbacks) override;

  // Starts probing (the inner checker's thread).
  void start();
  void stop();
  // Replaces the inner checker with one using `options`.
  void set_options(HealthConfig options);

 private:
  const Clock& clock_;
  Prober& prober_;
  mutable std::mutex mu_;
  std::shared_ptr<ActiveHealthChecker> current_;
  std::map<std::string, HealthTarget> targets_;
  HealthCallbacks callbacks_;
  bool started_ = false;
};

}  // namespace r1::gateway
