#include "sampling/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include "core/clock.h"
#include "random_logits.h"

namespace r1::sampling {
namespace {

using test::kInf;
using test::random_logits;

SamplingParams plain(float temperature, uint64_t seed = 1) {
  SamplingParams p;
  p.temperature = temperature;
  p.top_p = 1.0f;
  p.has_seed = true;
  p.seed = seed;
  return p;
}

std::vector<double> softmax(const std::vector<float>& logits, double temperature) {
  double m = -1e300;
  for (float l : logits) m = std::max(m, static_cast<double>(l));
  std::vector<double> p(logits.size());
  double z = 0;
  for (size_t i = 0; i < logits.size(); ++i) z += p[i] = std::exp((logits[i] - m) / temperature);
  for (double& x : p) x /= z;
  return p;
}

std::vector<int> histogram(Sampler* s, const std::vector<float>& logits, int n) {
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < n; ++i) ++counts[s->sample(logits)];
  return counts;
}

// Pearson chi-square of observed counts against expected probabilities.
double chi_square(const std::vector<int>& counts, const std::vector<double>& probs, int n) {
  double chi = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (probs[i] == 0) {
      EXPECT_EQ(counts[i], 0) << "token " << i << " has probability 0";
      continue;
    }
    const double e = probs[i] * n;
    chi += (counts[i] - e) * (counts[i] - e) / e;
  }
  return chi;
}

TEST(Sampler, GreedyIsExactArgmaxOfPenalizedLogits) {
  SamplingParams p = plain(0.0f);
  p.repeat_penalty = 2.0f;
  p.logit_bias = {{4, 0.15f}};
  Sampler s(p, 6);
  const std::vector<float> logits{1.0f, 3.0f, 2.9f, 2.0f, 2.8f, 3.0f};
  EXPECT_EQ(s.sample(logits), 1);  // tie 1 vs 5: lowest id
  s.accept(1);                     // 3.0 -> 1.5
  EXPECT_EQ(s.sample(logits), 5);
  s.accept(5);                     // 5 also 1.5; 4 is 2.8 + 0.15
  EXPECT_EQ(s.sample(logits), 4);
  std::vector<float> processed;
  s.process_logits(logits, &processed);
  EXPECT_FLOAT_EQ(processed[1], 1.5f);
  EXPECT_FLOAT_EQ(processed[4], 2.95f);
}

TEST(Sampler, TemperatureMatchesAnalyticSoftmax) {
  const std::vector<float> logits{1.0f, 0.5f, 0.0f, -0.5f, 2.0f, 1.5f, -1.0f, 0.2f};
  constexpr int kN = 200000;
  for (float t : {0.5f, 1.0f, 1.7f}) {
    Sampler s(plain(t, 42), static_cast<int32_t>(logits.size()));
    const std::vector<int> counts = histogram(&s, logits, kN);
    // 7 degrees of freedom: P(chi2 > 29.9) = 1e-4.
    EXPECT_LT(chi_square(counts, softmax(logits, t), kN), 29.9) << "t=" << t;
  }
}

TEST(Sampler, TopK1EqualsGreedy) {
  SamplingParams p = plain(1.5f, 3);
  p.top_k = 1;
  Sampler s(p, 1000);
  for (uint64_t i = 0; i < 50; ++i) {
    const std::vector<float> logits = random_logits(1000, 1.0f, i);
    const int32_t expect = static_cast<int32_t>(
        std::max_element(logits.begin(), logits.end()) - logits.begin());
    EXPECT_EQ(s.sample(logits), expect);
  }
}

// probabilities 0.5, 0.3, 0.15, 0.05
const std::vector<float> kFour{std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};

TEST(Sampler, TopPKeepsMinimalNucleus) {
  SamplingParams p = plain(1.0f, 5);
  p.top_p = 0.75f;  // 0.5 < 0.75 <= 0.8: {0, 1}
  Sampler s(p, 4);
  constexpr int kN = 40000;
  const std::vector<int> counts = histogram(&s, kFour, kN);
  EXPECT_EQ(counts[2] + counts[3], 0);
  // Renormalised over the nucleus: 0.625 / 0.375; 1 dof, P(chi2 > 15.1) = 1e-4.
  EXPECT_LT(chi_square(counts, {0.625, 0.375, 0, 0}, kN), 15.1);

  p.top_p = 0.85f;  // {0, 1, 2}
  Sampler s2(p, 4);
  const std::vector<int> counts2 = histogram(&s2, kFour, kN);
  EXPECT_EQ(counts2[3], 0);
  EXPECT_GT(counts2[2], 0);
}

TEST(Sampler, MinPDropsUnlikelyTokens) {
  SamplingParams p = plain(1.0f, 6);
  p.min_p = 0.2f;  // keeps p >= 0.1: {0, 1, 2}
  Sampler s(p, 4);
  constexpr int kN = 40000;
  const std::vector<int> counts = histogram(&s, kFour, kN);
  EXPECT_EQ(counts[3], 0);
  // 2 dof, P(chi2 > 18.4) = 1e-4.
  EXPECT_LT(chi_square(counts, {0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0}, kN), 18.4);
}

TEST(Sampler, TemperatureAppliesAfterTruncation) {
  // With top_k 2 the pair {0, 1} is reweighted by temperature 0.5:
  // 0.5^2 : 0.3^2.
  SamplingParams p = plain(0.5f, 8);
  p.top_k = 2;
  Sampler s(p, 4);
  constexpr int kN = 40000;
  const std::vector<int> counts = histogram(&s, kFour, kN);
  const double a = 0.25, b = 0.09;
  EXPECT_LT(chi_square(counts, {a / (a + b), b / (a + b), 0, 0}, kN), 15.1);
}

TEST(Sampler, PenaltiesChangeLogitsAsFormulas) {
  SamplingParams p = plain(1.0f);
  p.repeat_penalty = 1.3f;
  p.presence_penalty = 0.4f;
  p.frequency_penalty = 0.25f;
  p.repeat_last_n = 4;
  Sampler s(p, 5);
  const std::vector<float> logits{2.0f, -1.0f, 0.5f, 3.0f, 1.0f};
  for (int32_t t : {3, 0, 0, 1, 0}) s.accept(t);  // window: 0 0 1 0
  std::vector<float> out;
  s.process_logits(logits, &out);
  EXPECT_FLOAT_EQ(out[0], 2.0f / 1.3f - (3 * 0.25f + 0.4f));
  EXPECT_FLOAT_EQ(out[1], -1.0f * 1.3f - (0.25f + 0.4f));
  EXPECT_FLOAT_EQ(out[2], 0.5f);
  EXPECT_FLOAT_EQ(out[3], 3.0f);  // slid out of the window
  EXPECT_FLOAT_EQ(out[4], 1.0f);
  s.reset();
  s.process_logits(logits, &out);
  EXPECT_EQ(out, logits);
}

TEST(Sampler, NegInfBiasBansToken) {
  SamplingParams p = plain(0.0f);
  p.logit_bias = {{2, -kInf}};
  Sampler greedy(p, 4);
  const std::vector<float> logits{0.0f, 1.0f, 5.0f, 0.5f};
  EXPECT_EQ(greedy.sample(logits), 1);
  p.temperature = 2.0f;
  Sampler s(p, 4);
  const std::vector<int> counts = histogram(&s, logits, 5000);
  EXPECT_EQ(counts[2], 0);
  EXPECT_GT(counts[0], 0);
}

TEST(Sampler, AllBannedFallsBackToRawArgmax) {
  SamplingParams p = plain(1.0f);
  p.logit_bias = {{0, -kInf}, {1, -kInf}, {2, -kInf}};
  Sampler s(p, 3);
  EXPECT_EQ(s.sample(std::vector<float>{0.0f, 2.0f, 1.0f}), 1);
  SampleResult r;
  s.sample_with_logprobs(std::vector<float>{3.0f, 2.0f, 1.0f}, 2, &r);
  EXPECT_EQ(r.token, 0);
  EXPECT_EQ(r.logprob, 0.0f);
}

TEST(Sampler, SeedReproducibleDifferentSeedsDiffer) {
  auto run = [](uint64_t seed) {
    SamplingParams p;  // R1 defaults: temperature 0.6, top_p 0.95
    p.has_seed = true;
    p.seed = seed;
    Sampler s(p, 2000);
    std::vector<int32_t> out;
    for (uint64_t i = 0; i < 200; ++i) {
      const int32_t t = s.sample(random_logits(2000, 1.5f, i));
      s.accept(t);
      out.push_back(t);
    }
    return out;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(Sampler, ResetRestartsRng) {
  Sampler s(plain(1.0f, 99), 500);
  const std::vector<float> logits = random_logits(500, 1.0f, 1);
  std::vector<int32_t> a, b;
  for (int i = 0; i < 50; ++i) a.push_back(s.sample(logits));
  s.reset();
  for (int i = 0; i < 50; ++i) b.push_back(s.sample(logits));
  EXPECT_EQ(a, b);
}

TEST(Sampler, UnseededSamplersReportTheirSeed) {
  SamplingParams p = plain(1.0f);
  p.has_seed = false;
  Sampler a(p, 10);
  p.has_seed = true;
  p.seed = a.seed();
  Sampler b(p, 10);
  const std::vector<float> logits = random_logits(10, 1.0f, 2);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.sample(logits), b.sample(logits));
}

TEST(Sampler, LogprobsConsistent) {
  SamplingParams p = plain(0.8f, 11);
  p.top_k = 20;
  p.logit_bias = {{3, 1.5f}};
  Sampler s(p, 300);
  for (uint64_t i = 0; i < 30; ++i) {
    const std::vector<float> logits = random_logits(300, 2.0f, i);
    std::vector<float> processed;
    s.process_logits(logits, &processed);
    SampleResult r;
    s.sample_with_logprobs(logits, 5, &r);
    const std::vector<double> probs = softmax(processed, 1.0);
    EXPECT_NEAR(r.logprob, std::log(probs[r.token]), 1e-4);
    ASSERT_EQ(r.top.size(), 5u);
    double mass = 0;
    for (size_t k = 0; k < r.top.size(); ++k) {
      EXPECT_NEAR(r.top[k].logprob, std::log(probs[r.top[k].id]), 1e-4);
      if (k > 0) {
        EXPECT_GE(r.top[k - 1].logprob, r.top[k].logprob);
      }
      mass += std::exp(r.top[k].logprob);
    }
    EXPECT_LE(mass, 1.0 + 1e-5);
    EXPECT_EQ(r.top[0].id, std::max_element(processed.begin(), processed.end()) -
                               processed.begin());
    s.accept(r.token);
  }
  SampleResult r;
  s.sample_with_logprobs(random_logits(300, 1.0f, 77), 0, &r);
  EXPECT_TRUE(r.top.empty());
  s.sample_with_logprobs(random_logits(300, 1.0f, 78), 1000, &r);
  EXPECT_EQ(r.top.size(), 300u);
  double total = 0;
  for (const TokenLogprob& t : r.top) total += std::exp(t.logprob);
  EXPECT_NEAR(total, 1.0, 1e-4);
}

Status validate_one(void (*mutate)(SamplingParams*)) {
  SamplingParams p;
  mutate(&p);
  return validate(p, 100);
}

TEST(Sampler, ValidationErrors) {
  EXPECT_TRUE(validate(SamplingParams{}).ok());
  const std::vector<std::pair<std::string, void (*)(SamplingParams*)>> cases{
      {"temperature", [](SamplingParams* p) { p->temperature = std::nanf(""); }},
      {"temperature", [](SamplingParams* p) { p->temperature = -0.1f; }},
      {"temperature", [](SamplingParams* p) { p->temperature = kInf; }},
      {"top_p", [](SamplingParams* p) { p->top_p = 0.0f; }},
      {"top_p", [](SamplingParams* p) { p->top_p = 1.01f; }},
      {"top_p", [](SamplingParams* p) { p->top_p = std::nanf(""); }},
      {"top_k", [](SamplingParams* p) { p->top_k = -1; }},
      {"min_p", [](SamplingParams* p) { p->min_p = -0.01f; }},
      {"min_p", [](SamplingParams* p) { p->min_p = 1.5f; }},
      {"repeat_penalty", [](SamplingParams* p) { p->repeat_penalty = 0.0f; }},
      {"repeat_last_n", [](SamplingParams* p) { p->repeat_last_n = -2; }},
      {"presence_penalty", [](SamplingParams* p) { p->presence_penalty = kInf; }},
      {"frequency_penalty", [](SamplingParams* p) { p->frequency_penalty = std::nanf(""); }},
      {"logit_bias", [](SamplingParams* p) { p->logit_bias = {{100, 1.0f}}; }},
      {"logit_bias", [](SamplingParams* p) { p->logit_bias = {{-1, 1.0f}}; }},
      {"logit_bias", [](SamplingParams* p) { p->logit_bias = {{1, kInf}}; }},
      {"max_tokens", [](SamplingParams* p) { p->max_tokens = 0; }},
      {"stop", [](SamplingParams* p) { p->stop = {""}; }},
      {"stop", [](SamplingParams* p) { p->stop = std::vector<std::string>(17, "x"); }},
      {"stop", [](SamplingParams* p) { p->stop = {std::string(300, 'x')}; }},
  };
  for (const auto& [field, mutate] : cases) {
    const Status st = validate_one(mutate);
    ASSERT_FALSE(st.ok()) << field;
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(st.error().message.find(field), std::string::npos) << st.error().message;
  }
  SamplingParams ok;
  ok.temperature = 0.0f;
  ok.top_p = 1.0f;
  ok.min_p = 1.0f;
  ok.logit_bias = {{99, -kInf}};
  ok.repeat_last_n = -1;
  ok.stop = {"</s>"};
  EXPECT_TRUE(validate(ok, 100).ok());
}

double time_sample_ms(const SamplingParams& p, const std::vector<float>& logits) {
  Sampler s(p, static_cast<int32_t>(logits.size()));
  s.sample(logits);  // warm buffers
  constexpr int kIters = 30;
  const auto t0 = SteadyClock::now();
  for (int i = 0; i < kIters; ++i) s.accept(s.sample(logits));
  return seconds_since(t0) * 1e3 / kIters;
}

TEST(Sampler, SpeedOn152kVocab) {
  constexpr size_t kVocab = 151936;  // Qwen2 / R1-distill vocab
  std::vector<float> peaked_logits = random_logits(kVocab, 2.5f, 1);
  for (int i = 0; i < 5; ++i) peaked_logits[1000 * i + 17] = 14.0f - i;
  const std::vector<float>& peaked = peaked_logits;
  const std::vector<float> flat = random_logits(kVocab, 1.0f, 2);
  SamplingParams r1;  // temperature 0.6, top_p 0.95
  r1.has_seed = true;
  SamplingParams topk = r1;
  topk.top_k = 40;
  SamplingParams full = plain(1.0f);
  SamplingParams greedy = plain(0.0f);
  SamplingParams minp = plain(1.0f);
  minp.min_p = 0.05f;
  double worst = 0;
  for (const auto& [name, p] : std::vector<std::pair<const char*, SamplingParams>>{
           {"r1 defaults", r1}, {"top_k 40", topk}, {"full softmax", full},
           {"greedy", greedy}, {"min_p", minp}}) {
    for (const auto& [dist, logits] : {std::pair{"peaked", &peaked}, std::pair{"flat", &flat}}) {
      const double ms = time_sample_ms(p, *logits);
      worst = std::max(worst, ms);
      std::printf("sample() %-12s %-6s logits: %.3f ms\n", name, dist, ms);
    }
  }
  EXPECT_LT(worst, 100.0);  // loose: only catches pathological slowdowns
}

}  // namespace
}  // namespace r1::sampling
