// URLs and "host:port" authorities of the HTTP clients and configs: one
// small, pure parser (Boost.URL only arrived in Boost 1.81; Debian 12 ships
// 1.74). It splits and checks; what a caller accepts beyond that (http
// only, a port required, no path) is the caller's rule, as is the option
// name its errors start with.
//
// Thread contract: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace r1::http {

struct Url {
  std::string scheme;     // lower case: "http"
  std::string host;       // without IPv6 brackets
  uint16_t port = 0;      // given, else the scheme's default (http 80, https 443), else 0
  bool has_port = false;  // the text named a port
  std::string target;     // "" or from the first '/' on: "/v1/x?y=1"
};

// The two halves of "host[:port]" or "[v6][:port]", unchecked.
struct Authority {
  std::string_view host;  // without brackets
  std::string_view port;  // "" when none given
  bool has_port = false;  // a ':' after the host (the port may still be empty)
};

// "scheme://host[:port][/target]". Errors (kInvalidArgument) name the part:
// "expected SCHEME://HOST[:PORT][/PATH]", "bad host in '...'", "empty port",
// "bad port '...'", "port must be 1..65535, got ...", "unclosed '[' in host",
// "junk after ']'", "bad character in path".
Result<Url> parse_url(std::string_view text);

// "host[:port]" or "[v6][:port]": split only (an unbracketed host may not
// hold ':', so "a:b:1" has the port "b:1").
Result<Authority> split_authority(std::string_view text);

// "1".."65535" in decimal digits: "empty port", "bad port '...'",
// "port must be 1..65535, got ...".
Result<uint16_t> parse_port(std::string_view text);

// Digits and exactly three dots ("127.0.0.1"): a shape check, the
// resolver has the last word.
bool is_numeric_ipv4(std::string_view host);
// RFC 1123 host name: letters, digits, '-' and '.', no "..", at most 253
// characters, not starting with '.' or '-' (IPv4 literals pass too).
bool is_dns_name(std::string_view host);

}  // namespace r1::http
