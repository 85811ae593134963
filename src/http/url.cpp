#include "http/url.h"

#include <cctype>
#include <charconv>

namespace r1::http {
namespace {

Error bad(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }

bool scheme_char(char ch) {
  return std::isalnum(static_cast<unsigned char>(ch)) || ch == '+' || ch == '-' || ch == '.';
}

// Lower-cased scheme of "scheme://...", or "" when the text has none.
std::string scheme_of(std::string_view text) {
  const size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return "";
  if (!std::isalpha(static_cast<unsigned char>(text[0]))) return "";
  std::string scheme;
  for (const char ch : text.substr(0, sep)) {
    if (!scheme_char(ch)) return "";
    scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return scheme;
}

uint16_t default_port(std::string_view scheme) {
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  return 0;
}

// No user info, spaces, controls or delimiters in a host.
bool plain_host(std::string_view host) {
  if (host.empty()) return false;
  for (const char ch : host) {
    const auto u = static_cast<unsigned char>(ch);
    if (u <= 0x20 || u == 0x7f || ch == '@' || ch == '/' || ch == '?' || ch == '#' || ch == '[' ||
        ch == ']') {
      return false;
    }
  }
  return true;
}

bool plain_target(std::string_view target) {
  for (const char ch : target) {
    const auto u = static_cast<unsigned char>(ch);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

}  // namespace

Result<uint16_t> parse_port(std::string_view text) {
  if (text.empty()) return bad("empty port");
  if (text.size() > 5 || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return bad("bad port '" + std::string(text) + "'");
  }
  unsigned value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value < 1 || value > 65535) return bad("port must be 1..65535, got " + std::string(text));
  return static_cast<uint16_t>(value);
}

Result<Authority> split_authority(std::string_view text) {
  Authority a;
  std::string_view after;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("unclosed '[' in host");
    a.host = text.substr(1, close - 1);
    after = text.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return bad("junk after ']'");
  } else {
    const size_t colon = text.find(':');
    a.host = text.substr(0, colon);
    if (colon != std::string_view::npos) after = text.substr(colon);
  }
  a.has_port = !after.empty();
  if (a.has_port) a.port = after.substr(1);
  return a;
}

Result<Url> parse_url(std::string_view text) {
  Url url;
  url.scheme = scheme_of(text);
  if (url.scheme.empty()) return bad("expected SCHEME://HOST[:PORT][/PATH]");
  const std::string_view rest = text.substr(text.find("://") + 3);
  const size_t slash = rest.find('/');
  R1_ASSIGN_OR_RETURN(const Authority a, split_authority(rest.substr(0, slash)));
  if (!plain_host(a.host)) return bad("bad host in '" + std::string(text) + "'");
  url.host = std::string(a.host);
  url.has_port = a.has_port;
  url.port = default_port(url.scheme);
  if (a.has_port) {
    R1_ASSIGN_OR_RETURN(url.port, parse_port(a.port));
  }
  if (slash != std::string_view::npos) url.target = std::string(rest.substr(slash));
  if (!plain_target(url.target)) return bad("bad character in path");
  return url;
}

bool is_numeric_ipv4(std::string_view host) {
  int dots = 0;
  for (const char ch : host) {
    if (ch == '.') {
      ++dots;
    } else if (!std::isdigit(static_cast<unsigned char>(ch))) {
      return false;
    }
  }
  return dots == 3;
}

bool is_dns_name(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.front() == '-') return false;
  for (const char ch : host) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '.') return false;
  }
  return host.find("..") == std::string_view::npos;
}

}  // namespace r1::http
