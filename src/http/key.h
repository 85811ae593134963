// API key checks: a constant-time comparison and the "Authorization:
// Bearer <key>" check of the server's API keys and the gateway's admin key.
//
// Thread contract: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace r1::http {

// True when a == b. The time taken depends on the lengths only, not on
// where the bytes differ (no early exit), so a caller cannot find a key
// byte by byte from response times.
bool same_key(std::string_view a, std::string_view b);

// The key of "Bearer <key>" (the scheme is case-sensitive, one space), or
// "" when `authorization` is not of that form or the key is empty.
std::string_view bearer_token(std::string_view authorization);

// True when `authorization` is "Bearer <k>" for one of `keys` (each
// compared in constant time, all of them every time).
bool bearer_matches(std::string_view authorization, const std::vector<std::string>& keys);
bool bearer_matches(std::string_view authorization, std::string_view key);

}  // namespace r1::http
