#include "gateway/config/replica_id.h"

#include <charconv>

namespace r1::gateway {

std::string ReplicaId::to_string() const { return pool + "/" + std::to_string(index); }

std::optional<ReplicaId> ReplicaId::parse(std::string_view text) {
  const size_t slash = text.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  const std::string_view digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 6) return std::nullopt;
  int index = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (ec != std::errc() || end != digits.data() + digits.size() || index < 0) return std::nullopt;
  return ReplicaId{std::string(text.substr(0, slash)), index};
}

}  // namespace r1::gateway
