#include "gateway/policy/http_probe.h"

#include "http/client/blocking_client.h"

namespace r1::gateway {

ProbeResult HttpProber::probe(const HealthTarget& target, Duration timeout) {
  http::BlockingRequest r;
  r.host = target.host;
  r.port = static_cast<uint16_t>(target.port);
  r.target = target.path;
  r.user_agent = "r1-gateway-health";
  r.connect_timeout = r.total_timeout = timeout;
  r.status_only = true;
  const Result<http::BlockingResponse> res = http::blocking_request(r);
  if (!res.ok()) return ProbeResult{false, 0, res.error().message};
  return ProbeResult{true, res->status, ""};
}

int find_free_port() { return http::find_free_port(); }

}  // namespace r1::gateway
