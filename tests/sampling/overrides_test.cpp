// with_overrides: each field replaces exactly its own; absent fields keep
// the defaults; a seed also turns has_seed on.
#include "sampling/overrides.h"

#include <gtest/gtest.h>

namespace r1::sampling {
namespace {

SamplingParams defaults() {
  SamplingParams p;
  p.temperature = 0.6f;
  p.top_p = 0.95f;
  p.top_k = 40;
  p.min_p = 0.05f;
  p.repeat_penalty = 1.1f;
  p.repeat_last_n = 64;
  p.presence_penalty = 0.25f;
  p.frequency_penalty = 0.5f;
  p.logit_bias = {{7, -1.0f}};
  p.max_tokens = 33;
  p.stop = {"</s>"};
  return p;
}

void expect_same(const SamplingParams& a, const SamplingParams& b) {
  EXPECT_EQ(a.temperature, b.temperature);
  EXPECT_EQ(a.top_p, b.top_p);
  EXPECT_EQ(a.top_k, b.top_k);
  EXPECT_EQ(a.min_p, b.min_p);
  EXPECT_EQ(a.repeat_penalty, b.repeat_penalty);
  EXPECT_EQ(a.repeat_last_n, b.repeat_last_n);
  EXPECT_EQ(a.presence_penalty, b.presence_penalty);
  EXPECT_EQ(a.frequency_penalty, b.frequency_penalty);
  EXPECT_EQ(a.logit_bias, b.logit_bias);
  EXPECT_EQ(a.has_seed, b.has_seed);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.max_tokens, b.max_tokens);
  EXPECT_EQ(a.stop, b.stop);
}

TEST(SamplingOverrides, NoneKeepsTheDefaults) { expect_same(with_overrides(defaults(), {}), defaults()); }

TEST(SamplingOverrides, EachFieldReplacesOnlyItsOwn) {
  struct Case {
    const char* what;
    void (*set)(SamplingOverrides&);
    void (*want)(SamplingParams&);
  };
  const Case cases[] = {
      {"temperature", [](SamplingOverrides& o) { o.temperature = 0.0f; },
       [](SamplingParams& p) { p.temperature = 0.0f; }},
      {"top_p", [](SamplingOverrides& o) { o.top_p = 0.5f; }, [](SamplingParams& p) { p.top_p = 0.5f; }},
      {"top_k", [](SamplingOverrides& o) { o.top_k = 0; }, [](SamplingParams& p) { p.top_k = 0; }},
      {"min_p", [](SamplingOverrides& o) { o.min_p = 0.0f; }, [](SamplingParams& p) { p.min_p = 0.0f; }},
      {"repeat_penalty", [](SamplingOverrides& o) { o.repeat_penalty = 1.0f; },
       [](SamplingParams& p) { p.repeat_penalty = 1.0f; }},
      {"repeat_last_n", [](SamplingOverrides& o) { o.repeat_last_n = -1; },
       [](SamplingParams& p) { p.repeat_last_n = -1; }},
      {"presence_penalty", [](SamplingOverrides& o) { o.presence_penalty = 0.0f; },
       [](SamplingParams& p) { p.presence_penalty = 0.0f; }},
      {"frequency_penalty", [](SamplingOverrides& o) { o.frequency_penalty = 2.0f; },
       [](SamplingParams& p) { p.frequency_penalty = 2.0f; }},
      {"seed", [](SamplingOverrides& o) { o.seed = 0; },
       [](SamplingParams& p) {
         p.has_seed = true;
         p.seed = 0;
       }},
      {"logit_bias", [](SamplingOverrides& o) { o.logit_bias = {{1, 2.0f}, {3, -4.0f}}; },
       [](SamplingParams& p) { p.logit_bias = {{1, 2.0f}, {3, -4.0f}}; }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    SamplingOverrides o;
    c.set(o);
    SamplingParams want = defaults();
    c.want(want);
    expect_same(with_overrides(defaults(), o), want);
  }
}

}  // namespace
}  // namespace r1::sampling
