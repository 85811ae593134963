#include "gateway/runtime/discovery.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <set>

#include "core/check.h"
#include "core/log.h"
#include "gateway/config/config.h"
#include "gateway/runtime/gateway_pools.h"

namespace r1::gateway {

Result<std::vector<std::string>> SystemResolver::ipv4(const std::string& name) const {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &list);
  if (rc == EAI_NONAME || rc == EAI_NODATA) return std::vector<std::string>{};
  if (rc != 0) return make_error(ErrorCode::kIo, "resolve " + name + ": " + gai_strerror(rc));
  std::set<std::string> found;
  for (const addrinfo* a = list; a != nullptr; a = a->ai_next) {
    char text[INET_ADDRSTRLEN] = {};
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
    if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr) found.insert(text);
  }
  ::freeaddrinfo(list);
  return std::vector<std::string>(found.begin(), found.end());
}

SlotPlan plan_slots(const std::vector<std::string>& slots, const std::vector<std::string>& found) {
  SlotPlan plan;
  plan.slots = slots;
  const std::set<std::string> wanted(found.begin(), found.end());
  std::vector<int> vacant;  // vacant before this round: reusable now
  for (size_t i = 0; i < plan.slots.size(); ++i) {
    std::string& s = plan.slots[i];
    if (s.empty()) {
      vacant.push_back(static_cast<int>(i));
    } else if (wanted.count(s) == 0) {
      s.clear();
      plan.removed.push_back(static_cast<int>(i));
    }
  }
  size_t next_vacant = 0;
  for (const std::string& address : wanted) {
    if (std::find(plan.slots.begin(), plan.slots.end(), address) != plan.slots.end()) continue;
    int index = 0;
    if (next_vacant < vacant.size()) {
      index = vacant[next_vacant++];
    } else {
      index = static_cast<int>(plan.slots.size());
      plan.slots.emplace_back();
    }
    plan.slots[static_cast<size_t>(index)] = address;
    plan.added.push_back(index);
  }
  return plan;
}

DnsDiscovery::~DnsDiscovery() { stop(); }

void DnsDiscovery::run_once() {
  for (const PoolConfig& pool : pools_.pools()) {
    if (pool.dns.empty()) continue;
    Result<StaticEndpoint> target = parse_endpoint(pool.dns, pool.name + ".dns", true);
    if (!target.ok()) continue;  // validated with the config
    Result<std::vector<std::string>> ips = resolver_.ipv4(target->host);
    const bool was_failing = std::find(failing_.begin(), failing_.end(), pool.name) != failing_.end();
    if (!ips.ok()) {
      if (!was_failing) log::warn("gateway: pool {}: {} (keeping its replicas)", pool.name, ips.error().message);
      if (!was_failing) failing_.push_back(pool.name);
      continue;
    }
    if (was_failing) failing_.erase(std::find(failing_.begin(), failing_.end(), pool.name));
    std::vector<std::string> found;
    for (const std::string& ip : *ips) found.push_back(ip + ":" + std::to_string(target->port));
    if (Status s = pools_.sync_endpoints(pool.name, found); !s.ok()) {
      log::warn("gateway: pool {}: {}", pool.name, s.error().message);
    }
  }
}

void DnsDiscovery::start() {
  thread_.start([this] {
    run_once();
    return pools_.config().discovery.interval;
  });
}

void DnsDiscovery::stop() { thread_.stop(); }

}  // namespace r1::gateway
