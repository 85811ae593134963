// Prober: one health probe of one target. HttpProber sends GET <path> with
// http::blocking_request (http/client.h) and reads only the status line,
// with the probe's timeout as the one deadline covering connect, send and
// receive.
//
// Thread contract: HttpProber is stateless; probe() may run concurrently.
#pragma once

#include <string>

#include "core/clock.h"

namespace r1::gateway {

struct HealthTarget {
  std::string id;               // replica id, e.g. "r1-7b/0"
  std::string host = "127.0.0.1";  // numeric IPv4 (loopback in practice)
  int port = 0;
  std::string path = "/ready";
};

struct ProbeResult {
  bool answered = false;  // an HTTP status line came back (liveness)
  int status = 0;         // HTTP status when answered
  std::string error;      // why not answered: "connect: Connection refused", "timeout"
  bool ready() const { return answered && status >= 200 && status < 300; }
};

class Prober {
 public:
  virtual ~Prober() = default;
  virtual ProbeResult probe(const HealthTarget& target, Duration timeout) = 0;
};

class HttpProber final : public Prober {
 public:
  ProbeResult probe(const HealthTarget& target, Duration timeout) override;
};

// Binds 127.0.0.1:0, reads the port the kernel chose and closes the socket.
// Racy by nature (another process may take it before the worker binds), so
// callers treat a bind failure in the worker as a crash and retry.
int find_free_port();

}  // namespace r1::gateway
