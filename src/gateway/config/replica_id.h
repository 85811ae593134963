// ReplicaId: which replica of which pool, {pool, index}. Its text form
// "pool/index" is the key the router, the health checker, the supervisor
// and the metrics' `replica` label use; this is the one place that writes
// and reads it.
//
// Thread contract: a value type; pure functions.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace r1::gateway {

struct ReplicaId {
  std::string pool;
  int index = 0;  // >= 0

  std::string to_string() const;
  // "pool/index" (the last '/' splits; index decimal, < 10^6); nullopt for
  // anything else.
  static std::optional<ReplicaId> parse(std::string_view text);

  auto operator<=>(const ReplicaId&) const = default;
};

}  // namespace r1::gateway
