#include "sampling/defaults.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

namespace r1::sampling {
namespace {

MetadataLookup fake(std::map<std::string, double> kv) {
  return [kv = std::move(kv)](std::string_view key) -> std::optional<double> {
    auto it = kv.find(std::string(key));
    if (it == kv.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Defaults, R1RecommendationWhenAbsent) {
  const SamplingParams p = defaults_from_lookup(fake({}));
  EXPECT_FLOAT_EQ(p.temperature, 0.6f);
  EXPECT_FLOAT_EQ(p.top_p, 0.95f);
  EXPECT_EQ(p.top_k, 0);
  EXPECT_EQ(p.min_p, 0.0f);
  EXPECT_EQ(p.repeat_penalty, 1.0f);
  EXPECT_EQ(p.repeat_last_n, 64);
}

TEST(Defaults, ReadsGeneralSamplingKeys) {
  const SamplingParams p = defaults_from_lookup(fake({{"general.sampling.temp", 0.7},
                                                     {"general.sampling.top_p", 0.9},
                                                     {"general.sampling.top_k", 40},
                                                     {"general.sampling.min_p", 0.05},
                                                     {"general.sampling.penalty_repeat", 1.1},
                                                     {"general.sampling.penalty_last_n", 128}}));
  EXPECT_FLOAT_EQ(p.temperature, 0.7f);
  EXPECT_FLOAT_EQ(p.top_p, 0.9f);
  EXPECT_EQ(p.top_k, 40);
  EXPECT_FLOAT_EQ(p.min_p, 0.05f);
  EXPECT_FLOAT_EQ(p.repeat_penalty, 1.1f);
  EXPECT_EQ(p.repeat_last_n, 128);
  EXPECT_TRUE(validate(p).ok());
}

TEST(Defaults, IgnoresOutOfRangeValues) {
  const SamplingParams p = defaults_from_lookup(fake({{"general.sampling.temp", -1},
                                                     {"general.sampling.top_p", std::nan("")},
                                                     {"general.sampling.top_k", 2.5},
                                                     {"general.sampling.min_p", 3},
                                                     {"general.sampling.penalty_repeat", 0},
                                                     {"general.sampling.penalty_last_n", -5}}));
  EXPECT_FLOAT_EQ(p.temperature, 0.6f);
  EXPECT_FLOAT_EQ(p.top_p, 0.95f);
  EXPECT_EQ(p.top_k, 0);
  EXPECT_EQ(p.min_p, 0.0f);
  EXPECT_EQ(p.repeat_penalty, 1.0f);
  EXPECT_EQ(p.repeat_last_n, 64);
  const SamplingParams huge = defaults_from_lookup(fake({{"general.sampling.temp", 1e300}}));
  EXPECT_FLOAT_EQ(huge.temperature, 0.6f);
}

}  // namespace
}  // namespace r1::sampling
