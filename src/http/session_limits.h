// The limits and timeouts of a server session (http/session.h), apart so
// that configuration structs can hold them without Beast's headers.
//
// Thread contract: a value type.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace r1::http {

struct SessionLimits {
  uint64_t body_limit = 1 << 20;   // bytes; larger bodies: 413
  // Routes whose target starts with upload_prefix (the audio uploads) take
  // bodies up to upload_body_limit instead; empty prefix: none.
  std::string upload_prefix;
  uint64_t upload_body_limit = 0;
  uint32_t header_limit = 16 << 10;  // bytes; larger headers: 431
  std::chrono::milliseconds idle_timeout{60'000};  // waiting for a request's header
  std::chrono::milliseconds read_timeout{30'000};  // reading its body
  std::chrono::milliseconds write_timeout{30'000};  // each write to the client
  std::chrono::milliseconds linger_timeout{1'000};  // after the half-close

  uint64_t body_limit_for(std::string_view target) const {
    const bool upload = !upload_prefix.empty() && target.substr(0, upload_prefix.size()) == upload_prefix;
    return upload ? upload_body_limit : body_limit;
  }
};

}  // namespace r1::http
