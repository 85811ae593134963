#include "http/url.h"

#include <gtest/gtest.h>

namespace r1::http {
namespace {

TEST(Url, Parses) {
  Result<Url> u = parse_url("http://127.0.0.1:8080/v1/models?x=1");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_TRUE(u->has_port);
  EXPECT_EQ(u->target, "/v1/models?x=1");
  u = parse_url("HTTPS://example.test");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->port, 443);
  EXPECT_FALSE(u->has_port);
  EXPECT_EQ(u->target, "");
  u = parse_url("http://[::1]:9000/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9000);
  EXPECT_EQ(u->target, "/");
  u = parse_url("ws://h");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 0);
}

TEST(Url, ErrorsNameThePart) {
  const std::pair<const char*, const char*> cases[] = {
      {"127.0.0.1:80", "expected SCHEME://HOST[:PORT][/PATH]"},
      {"://h", "expected SCHEME://"},
      {"1http://h", "expected SCHEME://"},
      {"http://", "bad host in 'http://'"},
      {"http://u@h", "bad host"},
      {"http://h h", "bad host"},
      {"http://h:", "empty port"},
      {"http://h:8x", "bad port '8x'"},
      {"http://h:123456", "bad port '123456'"},
      {"http://h:0", "port must be 1..65535, got 0"},
      {"http://h:70000", "port must be 1..65535, got 70000"},
      {"http://h:1:2", "bad port '1:2'"},
      {"http://[::1", "unclosed '[' in host"},
      {"http://[::1]x", "junk after ']'"},
      {"http://h/a b", "bad character in path"},
      {"http://h/a\r\n", "bad character in path"},
  };
  for (const auto& [text, message] : cases) {
    Result<Url> u = parse_url(text);
    ASSERT_FALSE(u.ok()) << text;
    EXPECT_EQ(u.error().code, ErrorCode::kInvalidArgument) << text;
    EXPECT_NE(u.error().message.find(message), std::string::npos) << text << ": " << u.error().message;
  }
}

TEST(Url, Authority) {
  Result<Authority> a = split_authority("w.test:80");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "w.test");
  EXPECT_EQ(a->port, "80");
  EXPECT_TRUE(a->has_port);
  a = split_authority("w.test");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->has_port);
  a = split_authority("[fe80::1]:7");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "fe80::1");
  EXPECT_EQ(a->port, "7");
  a = split_authority("h:");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->has_port);
  EXPECT_EQ(a->port, "");
}

TEST(Url, Ports) {
  EXPECT_EQ(*parse_port("1"), 1);
  EXPECT_EQ(*parse_port("65535"), 65535);
  EXPECT_EQ(parse_port("").error().message, "empty port");
  EXPECT_EQ(parse_port("-1").error().message, "bad port '-1'");
  EXPECT_EQ(parse_port("65536").error().message, "port must be 1..65535, got 65536");
  EXPECT_EQ(parse_port("00000").error().message, "port must be 1..65535, got 00000");
}

TEST(Url, HostShapes) {
  EXPECT_TRUE(is_numeric_ipv4("127.0.0.1"));
  EXPECT_FALSE(is_numeric_ipv4("127.0.0"));
  EXPECT_FALSE(is_numeric_ipv4("a.b.c.d"));
  EXPECT_TRUE(is_dns_name("workers.test"));
  EXPECT_TRUE(is_dns_name("10.0.0.1"));
  EXPECT_FALSE(is_dns_name("w..test"));
  EXPECT_FALSE(is_dns_name("w_x"));
  EXPECT_FALSE(is_dns_name("-w"));
  EXPECT_FALSE(is_dns_name(""));
  EXPECT_FALSE(is_dns_name(std::string(254, 'a')));
}

}  // namespace
}  // namespace r1::http
