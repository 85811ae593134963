// DNS discovery for `dns:` pools (Kubernetes headless Services): every
// IPv4 address the name resolves to is a replica at the pool's port.
//
// DnsDiscovery re-resolves each live dns pool every discovery.interval
// (read from the PoolSet's config, so a reload changes it) through a
// Resolver and hands the sorted address list to PoolSet::sync_endpoints:
// new addresses become replicas (health-checked before they are routed),
// vanished ones are drained and removed, unchanged ones stay untouched. A
// failed lookup (no answer, SERVFAIL) keeps the replicas it had; a name
// with no addresses (NXDOMAIN, a Service scaled to zero) has none.
//
// plan_slots() is the pure part: replica index i serves slots[i], so a
// replica keeps its id while its address stays.
//
// Thread contract: SystemResolver is stateless (any thread). DnsDiscovery's
// start()/stop()/run_once() are called by the owner; its thread only calls
// the resolver and the PoolSet (thread-safe).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "core/clock.h"
#include "core/periodic_thread.h"

namespace r1::gateway {

class PoolSet;

class Resolver {
 public:
  virtual ~Resolver() = default;
  // Sorted, unique dotted-quad IPv4 addresses of `name`; empty when the
  // name has none; an error when the lookup itself failed.
  virtual Result<std::vector<std::string>> ipv4(const std::string& name) const = 0;
};

// getaddrinfo(3): /etc/hosts, then DNS, as nsswitch.conf says.
class SystemResolver final : public Resolver {
 public:
  Result<std::vector<std::string>> ipv4(const std::string& name) const override;
};

// `slots` (""= vacant) after the addresses in `found` ("IP:PORT") are
// applied: kept addresses keep their slot, vanished ones leave theirs
// vacant, new ones take a slot that was vacant before (lowest first) or a
// new one at the end.
struct SlotPlan {
  std::vector<std::string> slots;
  std::vector<int> removed;  // slot indices whose address vanished
  std::vector<int> added;    // slot indices given a new address
};
SlotPlan plan_slots(const std::vector<std::string>& slots, const std::vector<std::string>& found);

class DnsDiscovery {
 public:
  DnsDiscovery(PoolSet& pools, const Resolver& resolver) : pools_(pools), resolver_(resolver) {}
  ~DnsDiscovery();  // stop()

  // Resolves every dns pool once, now.
  void run_once();
  // A thread calling run_once() every discovery.interval until stop().
  void start();
  void stop();

 private:
  PoolSet& pools_;
  const Resolver& resolver_;
  std::vector<std::string> failing_;  // pools whose last lookup failed (logged once)
  PeriodicThread thread_;  // last: joined before the rest is destroyed
};

}  // namespace r1::gateway
