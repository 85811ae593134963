#include "http/key.h"

#include <gtest/gtest.h>

namespace r1::http {
namespace {

TEST(Key, SameKey) {
  EXPECT_TRUE(same_key("", ""));
  EXPECT_TRUE(same_key("sk-abc", "sk-abc"));
  EXPECT_FALSE(same_key("sk-abc", "sk-abd"));
  EXPECT_FALSE(same_key("sk-abc", "sk-ab"));
  EXPECT_FALSE(same_key("xk-abc", "sk-abc"));
  EXPECT_FALSE(same_key(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(Key, Bearer) {
  EXPECT_EQ(bearer_token("Bearer k1"), "k1");
  EXPECT_EQ(bearer_token("Bearer "), "");
  EXPECT_EQ(bearer_token("bearer k1"), "");
  EXPECT_EQ(bearer_token("Basic k1"), "");
  EXPECT_EQ(bearer_token(""), "");
  const std::vector<std::string> keys = {"k1", "k2"};
  EXPECT_TRUE(bearer_matches("Bearer k2", keys));
  EXPECT_FALSE(bearer_matches("Bearer k3", keys));
  EXPECT_FALSE(bearer_matches("Bearer ", keys));
  EXPECT_FALSE(bearer_matches("k1", keys));
  EXPECT_TRUE(bearer_matches("Bearer admin", std::string_view("admin")));
  EXPECT_FALSE(bearer_matches("Bearer admin2", std::string_view("admin")));
  EXPECT_FALSE(bearer_matches("Bearer ", std::string_view("")));
}

}  // namespace
}  // namespace r1::http
