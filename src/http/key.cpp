#include "http/key.h"

namespace r1::http {

bool same_key(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // volatile: the compiler may not turn the loop into an early-exit memcmp.
  volatile unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() || !authorization.starts_with(kBearer)) return {};
  return authorization.substr(kBearer.size());
}

bool bearer_matches(std::string_view authorization, const std::vector<std::string>& keys) {
  const std::string_view token = bearer_token(authorization);
  if (token.empty()) return false;
  bool ok = false;
  for (const std::string& k : keys) ok |= same_key(k, token);
  return ok;
}

bool bearer_matches(std::string_view authorization, std::string_view key) {
  const std::string_view token = bearer_token(authorization);
  return !token.empty() && same_key(key, token);
}

}  // namespace r1::http
