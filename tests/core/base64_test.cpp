// Base64 against RFC 4648's test vectors, round trips of every length and
// byte value, and the strict decoder's refusals.
#include <gtest/gtest.h>

#include <random>

#include "core/base64.h"

namespace r1 {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},
                                                          {"foo", "Zm9v"},  {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                          {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, coded] : vectors) {
    EXPECT_EQ(base64_encode(plain), coded);
    auto back = base64_decode(coded);
    ASSERT_TRUE(back.ok()) << coded;
    EXPECT_EQ(*back, plain);
  }
}

TEST(Base64, RoundTripsEveryLengthAndByte) {
  std::mt19937 rng(11);
  for (size_t n = 0; n < 300; ++n) {
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
    auto back = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(back.ok()) << n;
    EXPECT_EQ(*back, bytes) << n;
  }
}

TEST(Base64, StrictDecoderRefusesMalformedText) {
  for (const char* bad : {"Zg=", "Zm9v!A==", "Z===", "Zg==Zg==", "A=A=", "AB=C", "====", "Zm9\n"}) {
    EXPECT_FALSE(base64_decode(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace r1
