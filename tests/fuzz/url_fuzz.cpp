// libFuzzer entry: the URL and authority parsers (src/http/url.h) over
// arbitrary bytes must return a value or an error with a message, never
// crash, hang or throw. A parsed URL is rebuilt from its parts and must
// parse back to the same parts. Seeds: tests/fuzz/corpus/url/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/check.h"
#include "http/url.h"

namespace {

using r1::http::Url;

std::string rebuild(const Url& u) {
  const bool v6 = u.host.find(':') != std::string::npos;
  std::string text = u.scheme + "://" + (v6 ? "[" + u.host + "]" : u.host);
  if (u.has_port) text += ":" + std::to_string(u.port);
  return text + u.target;
}

void check_url(std::string_view text) {
  const r1::Result<Url> u = r1::http::parse_url(text);
  if (!u.ok()) {
    CHECK(!u.error().message.empty());
    return;
  }
  CHECK(!u->scheme.empty() && !u->host.empty());
  CHECK(!u->has_port || u->port != 0);
  CHECK(u->target.empty() || u->target.front() == '/');
  const r1::Result<Url> again = r1::http::parse_url(rebuild(*u));
  CHECK(again.ok()) << rebuild(*u);
  CHECK(again->scheme == u->scheme && again->host == u->host && again->port == u->port &&
        again->has_port == u->has_port && again->target == u->target);
}

void check_authority(std::string_view text) {
  const r1::Result<r1::http::Authority> a = r1::http::split_authority(text);
  if (!a.ok()) {
    CHECK(!a.error().message.empty());
    return;
  }
  CHECK(a->has_port || a->port.empty());
  const r1::Result<uint16_t> port = r1::http::parse_port(a->port);
  CHECK(port.ok() ? *port != 0 : !port.error().message.empty());
  (void)r1::http::is_dns_name(a->host);
  (void)r1::http::is_numeric_ipv4(a->host);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_url(text);
  check_authority(text);
  return 0;
}
