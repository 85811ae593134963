#include "sampling/logit_ops.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "random_logits.h"

namespace r1::sampling {
namespace {

using test::kInf;
using test::random_logits;

// Reference: every non-banned token, fully sorted.
std::vector<Candidate> sorted_all(const std::vector<float>& logits) {
  std::vector<Candidate> all;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (logits[i] != -kInf) all.push_back({static_cast<int32_t>(i), logits[i]});
  }
  std::sort(all.begin(), all.end(), ranks_before);
  return all;
}

std::vector<int32_t> ids_sorted(const std::vector<Candidate>& c) {
  std::vector<int32_t> ids;
  for (const Candidate& x : c) ids.push_back(x.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(LogitOps, SanitizeBansNanAndClampsInf) {
  std::vector<float> v{1.0f, std::nanf(""), kInf, -kInf};
  sanitize_logits(v);
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[1], -kInf);
  EXPECT_EQ(v[2], std::numeric_limits<float>::max());
  EXPECT_EQ(v[3], -kInf);
}

TEST(LogitOps, LogitBiasAdds) {
  std::vector<float> v{1, 2, 3};
  const std::vector<std::pair<int32_t, float>> bias{{0, 0.5f}, {2, -kInf}, {0, 1.0f}};
  apply_logit_bias(bias, v);
  EXPECT_FLOAT_EQ(v[0], 2.5f);
  EXPECT_EQ(v[1], 2.0f);
  EXPECT_EQ(v[2], -kInf);
}

TEST(LogitOps, PenaltyWindowKeepsLastN) {
  PenaltyWindow w(3);
  for (int32_t t : {5, 5, 7, 5, 9}) w.push(t);  // window: 7 5 9
  EXPECT_EQ(w.counts().size(), 3u);
  EXPECT_EQ(w.counts().at(5), 1);
  EXPECT_EQ(w.counts().at(7), 1);
  EXPECT_EQ(w.counts().at(9), 1);
  PenaltyWindow all(-1);
  for (int32_t t : {5, 5, 7, 5, 9}) all.push(t);
  EXPECT_EQ(all.counts().at(5), 3);
  PenaltyWindow none(0);
  none.push(1);
  EXPECT_TRUE(none.counts().empty());
  w.clear();
  EXPECT_TRUE(w.counts().empty());
}

TEST(LogitOps, PenaltiesFollowFormula) {
  std::vector<float> v{2.0f, -2.0f, 1.0f, 0.0f};
  const std::unordered_map<int32_t, int> counts{{0, 2}, {1, 1}, {3, 1}};
  const PenaltyParams p{1.5f, 0.3f, 0.2f};
  apply_penalties(p, counts, v);
  EXPECT_FLOAT_EQ(v[0], 2.0f / 1.5f - (2 * 0.2f + 0.3f));
  EXPECT_FLOAT_EQ(v[1], -2.0f * 1.5f - (0.2f + 0.3f));
  EXPECT_FLOAT_EQ(v[2], 1.0f);  // not in history
  EXPECT_FLOAT_EQ(v[3], 0.0f * 1.5f - 0.5f);
}

TEST(LogitOps, ArgmaxTiesToLowestId) {
  EXPECT_EQ(argmax(std::vector<float>{1, 3, 3, 2}), 1);
  EXPECT_EQ(argmax(std::vector<float>{-kInf, -kInf}), -1);
  EXPECT_EQ(argmax(std::vector<float>{-kInf, -5}), 1);
}

TEST(LogitOps, LogSumExpMatchesNaive) {
  const std::vector<float> v{0.5f, -1.0f, 2.0f, -kInf};
  double naive = 0;
  for (float x : v) naive += std::exp(static_cast<double>(x));
  EXPECT_NEAR(log_sum_exp(v), std::log(naive), 1e-6);
  EXPECT_EQ(log_sum_exp(std::vector<float>{-kInf}), -std::numeric_limits<double>::infinity());
}

TEST(LogitOps, LogSumExpAccurateOverRange) {
  // log(1 + e^x) exercises the internal exp over the whole used range.
  for (float x = -90.0f; x <= 0.0f; x += 0.37f) {
    const double want = std::log1p(std::exp(static_cast<double>(x)));
    EXPECT_NEAR(log_sum_exp(std::vector<float>{0.0f, x}), want, 2e-7 + 1e-6 * want) << x;
  }
}

TEST(LogitOps, TopKMatchesFullSort) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::vector<float> v = random_logits(3000, 2.0f, seed);
    for (size_t i = 0; i < v.size(); i += 7) v[i] = std::round(v[i]);  // ties
    v[3] = -kInf;
    const std::vector<Candidate> ref = sorted_all(v);
    for (int k : {1, 5, 40, 1000, 5000}) {
      std::vector<Candidate> got;
      select_top_k(v, k, &got);
      const size_t expect_n = std::min<size_t>(k, ref.size());
      ASSERT_EQ(got.size(), expect_n);
      for (size_t i = 0; i < expect_n; ++i) {
        EXPECT_EQ(got[i].id, ref[i].id) << "k=" << k << " i=" << i;
      }
    }
  }
}

TEST(LogitOps, TruncateTopPKeepsMinimalPrefix) {
  // probabilities 0.5, 0.3, 0.15, 0.05
  std::vector<Candidate> base{{0, std::log(0.5f)}, {1, std::log(0.3f)}, {2, std::log(0.15f)},
                              {3, std::log(0.05f)}};
  auto run = [&](float p) {
    std::vector<Candidate> c = base;
    truncate_top_p(p, &c);
    return c.size();
  };
  EXPECT_EQ(run(0.4f), 1u);
  EXPECT_EQ(run(0.75f), 2u);
  EXPECT_EQ(run(0.85f), 3u);
  EXPECT_EQ(run(0.99f), 4u);
  EXPECT_EQ(run(1.0f), 4u);
}

// The reference nucleus: full sort, then the shortest prefix reaching p.
std::vector<Candidate> reference_top_p(const std::vector<float>& v, float p) {
  std::vector<Candidate> all = sorted_all(v);
  truncate_top_p(p, &all);
  return all;
}

TEST(LogitOps, BucketedTopPMatchesFullSort) {
  CandidateSelector selector;
  int checked = 0;
  for (uint64_t seed = 0; seed < 12; ++seed) {
    for (float scale : {0.05f, 1.0f, 3.0f, 10.0f}) {
      std::vector<float> v = random_logits(20000, scale, seed);
      for (size_t i = 0; i < v.size(); i += 11) v[i] = std::round(v[i] * 4) / 4;  // ties
      v[seed] = -kInf;
      if (seed % 3 == 0) v[100] = 40.0f;  // one dominant token
      for (float p : {0.05f, 0.5f, 0.9f, 0.95f, 0.999f}) {
        std::vector<Candidate> got;
        selector.select({0, p, 0.0f}, v, &got);
        const std::vector<Candidate> ref = reference_top_p(v, p);
        ASSERT_EQ(ids_sorted(got), ids_sorted(ref)) << "seed=" << seed << " scale=" << scale
                                                    << " p=" << p;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 12 * 4 * 5);
}

TEST(LogitOps, MinPKeepsRelativeProbability) {
  // probabilities 0.5, 0.3, 0.15, 0.05: min_p 0.2 keeps p >= 0.1.
  std::vector<Candidate> c{{3, std::log(0.05f)}, {0, std::log(0.5f)}, {2, std::log(0.15f)},
                           {1, std::log(0.3f)}};
  filter_min_p(0.2f, &c);
  EXPECT_EQ(ids_sorted(c), (std::vector<int32_t>{0, 1, 2}));
  filter_min_p(1.0f, &c);
  EXPECT_EQ(ids_sorted(c), (std::vector<int32_t>{0}));
}

TEST(LogitOps, SelectorChainMatchesReference) {
  CandidateSelector selector;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    const std::vector<float> v = random_logits(5000, 2.0f, seed + 100);
    for (const TruncationParams& tp :
         {TruncationParams{40, 0.9f, 0.05f}, TruncationParams{0, 0.9f, 0.05f},
          TruncationParams{0, 1.0f, 0.05f}, TruncationParams{0, 1.0f, 0.0f},
          TruncationParams{200, 1.0f, 0.0f}, TruncationParams{6000, 0.5f, 0.0f}}) {
      std::vector<Candidate> ref = sorted_all(v);
      if (tp.top_k > 0 && static_cast<size_t>(tp.top_k) < ref.size()) ref.resize(tp.top_k);
      truncate_top_p(tp.top_p, &ref);
      filter_min_p(tp.min_p, &ref);
      std::vector<Candidate> got;
      selector.select(tp, v, &got);
      EXPECT_EQ(ids_sorted(got), ids_sorted(ref)) << "k=" << tp.top_k << " p=" << tp.top_p;
    }
  }
}

TEST(LogitOps, SelectorAllBannedIsEmpty) {
  CandidateSelector selector;
  const std::vector<float> v(100, -kInf);
  std::vector<Candidate> got;
  for (const TruncationParams& tp : {TruncationParams{5, 1.0f, 0.0f},
                                     TruncationParams{0, 0.9f, 0.0f},
                                     TruncationParams{0, 1.0f, 0.1f}}) {
    selector.select(tp, v, &got);
    EXPECT_TRUE(got.empty());
  }
}

TEST(LogitOps, SampleSoftmaxInverseCdf) {
  // weights 1, 2, 1 at temperature 1 (logits log 1, log 2, log 1).
  const std::vector<Candidate> c{{7, 0.0f}, {8, std::log(2.0f)}, {9, 0.0f}};
  std::vector<float> scratch;
  EXPECT_EQ(sample_softmax(c, 1.0f, 0.0, &scratch), 7);
  EXPECT_EQ(sample_softmax(c, 1.0f, 0.24, &scratch), 7);
  EXPECT_EQ(sample_softmax(c, 1.0f, 0.26, &scratch), 8);
  EXPECT_EQ(sample_softmax(c, 1.0f, 0.74, &scratch), 8);
  EXPECT_EQ(sample_softmax(c, 1.0f, 0.76, &scratch), 9);
  EXPECT_EQ(sample_softmax(c, 1.0f, 0.9999999, &scratch), 9);
}

TEST(LogitOps, SampleSoftmaxMatchesReferenceCdfOnLargeSets) {
  const std::vector<float> v = random_logits(5000, 1.5f, 9);
  std::vector<Candidate> c;
  for (size_t i = 0; i < v.size(); ++i) c.push_back({static_cast<int32_t>(i) * 3, v[i]});
  const double t = 0.7;
  // Reference CDF in double.
  double m = -1e300;
  for (const Candidate& x : c) m = std::max(m, static_cast<double>(x.logit));
  std::vector<double> cdf;
  double total = 0;
  for (const Candidate& x : c) cdf.push_back(total += std::exp((x.logit - m) / t));
  for (double& x : cdf) x /= total;
  std::vector<float> scratch;
  int checked = 0;
  for (double u = 0.0005; u < 1.0; u += 0.001) {
    const size_t k = std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
    const bool near_edge = std::abs(cdf[k] - u) < 1e-5 || (k > 0 && std::abs(cdf[k - 1] - u) < 1e-5);
    if (near_edge) continue;
    EXPECT_EQ(sample_softmax(c, static_cast<float>(t), u, &scratch), c[k].id) << u;
    ++checked;
  }
  EXPECT_GT(checked, 900);
}

// The fused nucleus draw equals select() + the inverse CDF of
// softmax(logit / t) over that set in vocabulary order (reference in double),
// with top_p, min_p, ties, -inf and a dominant token.
TEST(LogitOps, FusedTopPDrawMatchesSelectAndReferenceCdf) {
  CandidateSelector fused, plain;
  int checked = 0;
  for (uint64_t seed = 0; seed < 6; ++seed) {
    std::vector<float> v = random_logits(20000, seed % 2 == 0 ? 1.0f : 4.0f, seed);
    for (size_t i = 0; i < v.size(); i += 7) v[i] = std::round(v[i] * 2) / 2;  // ties
    v[seed + 3] = -kInf;
    if (seed == 4) v[123] = 30.0f;  // one dominant token
    for (const TruncationParams trunc : {TruncationParams{0, 0.9f, 0.0f}, TruncationParams{0, 0.95f, 0.05f},
                                         TruncationParams{0, 0.3f, 0.0f}}) {
      std::vector<Candidate> set;
      plain.select(trunc, v, &set);
      ASSERT_FALSE(set.empty());
      std::sort(set.begin(), set.end(), [](const Candidate& a, const Candidate& b) { return a.id < b.id; });
      const double t = 0.6, m = *std::max_element(v.begin(), v.end());
      std::vector<double> cdf;
      double total = 0;
      for (const Candidate& c : set) cdf.push_back(total += std::exp((c.logit - m) / t));
      for (double& x : cdf) x /= total;
      for (double u = 0.0005; u < 1.0; u += 0.01) {
        const size_t k = std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
        const bool near_edge = std::abs(cdf[k] - u) < 1e-5 || (k > 0 && std::abs(cdf[k - 1] - u) < 1e-5);
        if (near_edge) continue;
        EXPECT_EQ(fused.draw({trunc, static_cast<float>(t), u}, v), set[k].id)
            << "seed " << seed << " top_p " << trunc.top_p << " min_p " << trunc.min_p << " u " << u;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 1700);
  // Every logit -inf: no token.
  const std::vector<float> banned(64, -kInf);
  EXPECT_EQ(fused.draw({{0, 0.9f, 0.0f}, 0.6f, 0.5}, banned), -1);
}

}  // namespace
}  // namespace r1::sampling
