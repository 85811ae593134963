#include "sampling/logit_ops.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "core/check.h"

namespace r1::sampling {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Nucleus histogram: kBins bins of 1/kBinsPerUnit logit units below the
// maximum; the last bin also takes everything further down (and -inf).
constexpr int kBins = 1024;
constexpr float kBinsPerUnit = 16.0f;

// exp(x) for x <= 0 (Cephes' expf polynomial, ~1 ulp), 0 below -87; x is
// never NaN. Plain arithmetic and no branches, so loops over it vectorize
// (CMakeLists.txt builds this file with -O3 -fno-trapping-math for that).
inline float exp_nonpos(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to int
  const bool underflow = x < -87.0f;  // also -inf (inputs are never NaN)
  x = underflow ? -87.0f : x;
  const float n = (x * kLog2e + kRound) - kRound;
  const float r = x - n * kLn2Hi - n * kLn2Lo;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r * r + r + 1.0f;
  // 2^n, or 0 on underflow (a mask, not a branch).
  const int32_t keep = underflow ? 0 : -1;
  const int32_t bits = ((static_cast<int32_t>(n) + 127) << 23) & keep;
  return y * std::bit_cast<float>(bits);
}

// out[i] = exp((in[i] - shift) * inv_t), with in[i] <= shift.
void exp_row(std::span<const float> in, float shift, float inv_t, float* out) {
  const size_t n = in.size();
  const float* src = in.data();
  for (size_t i = 0; i < n; ++i) out[i] = exp_nonpos((src[i] - shift) * inv_t);
}

// Sum in double with independent accumulators (no serial dependency).
double sum_row(const float* v, size_t n) {
  double acc[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (size_t j = 0; j < 4; ++j) acc[j] += v[i + j];
  }
  for (; i < n; ++i) acc[0] += v[i];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

float max_logit(std::span<const float> logits) {
  float m = kNegInf;
  for (float l : logits) m = std::max(m, l);
  return m;
}

}  // namespace

void sanitize_logits(std::span<float> logits) {
  constexpr float kMax = std::numeric_limits<float>::max();
  for (float& l : logits) l = std::isnan(l) ? kNegInf : std::min(l, kMax);
}

void apply_logit_bias(std::span<const std::pair<int32_t, float>> bias, std::span<float> logits) {
  for (const auto& [id, b] : bias) {
    CHECK(id >= 0 && static_cast<size_t>(id) < logits.size()) << "logit_bias id " << id;
    logits[id] += b;
  }
}

void PenaltyWindow::push(int32_t token) {
  if (last_n_ == 0) return;
  ++counts_[token];
  if (last_n_ < 0) return;  // unbounded: no need to remember the order
  recent_.push_back(token);
  if (recent_.size() > static_cast<size_t>(last_n_)) {
    const int32_t old = recent_.front();
    recent_.pop_front();
    auto it = counts_.find(old);
    CHECK(it != counts_.end());
    if (--it->second == 0) counts_.erase(it);
  }
}

void PenaltyWindow::clear() {
  recent_.clear();
  counts_.clear();
}

void apply_penalties(const PenaltyParams& p, const std::unordered_map<int32_t, int>& counts,
                     std::span<float> logits) {
  if (p.repeat == 1.0f && p.presence == 0.0f && p.frequency == 0.0f) return;
  for (const auto& [id, count] : counts) {
    CHECK(id >= 0 && static_cast<size_t>(id) < logits.size()) << "history token " << id;
    if (count <= 0) continue;
    float& l = logits[id];
    l = l <= 0 ? l * p.repeat : l / p.repeat;
    l -= static_cast<float>(count) * p.frequency + p.presence;
  }
}

int32_t argmax(std::span<const float> logits) {
  int32_t best = -1;
  float best_logit = kNegInf;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (logits[i] > best_logit) {  // strict: ties keep the lowest id
      best_logit = logits[i];
      best = static_cast<int32_t>(i);
    }
  }
  return best;
}

double log_sum_exp(std::span<const float> logits) {
  const float m = max_logit(logits);
  if (m == kNegInf) return -std::numeric_limits<double>::infinity();
  constexpr size_t kChunk = 1024;
  float buf[kChunk];
  double sum = 0;
  for (size_t i = 0; i < logits.size(); i += kChunk) {
    const size_t n = std::min(kChunk, logits.size() - i);
    exp_row(logits.subspan(i, n), m, 1.0f, buf);
    sum += sum_row(buf, n);
  }
  return m + std::log(sum);
}

void select_top_k(std::span<const float> logits, int k, std::vector<Candidate>* out) {
  CHECK_GE(k, 0);
  out->clear();
  if (k == 0) return;
  out->reserve(static_cast<size_t>(k));
  // Heap ordered by ranks_before: its front is the worst of the kept ones.
  for (size_t i = 0; i < logits.size(); ++i) {
    const Candidate c{static_cast<int32_t>(i), logits[i]};
    if (c.logit == kNegInf) continue;
    if (out->size() < static_cast<size_t>(k)) {
      out->push_back(c);
      std::push_heap(out->begin(), out->end(), ranks_before);
    } else if (ranks_before(c, out->front())) {
      std::pop_heap(out->begin(), out->end(), ranks_before);
      out->back() = c;
      std::push_heap(out->begin(), out->end(), ranks_before);
    }
  }
  std::sort_heap(out->begin(), out->end(), ranks_before);
}

void truncate_top_p(float p, std::vector<Candidate>* sorted) {
  if (p >= 1.0f || sorted->empty()) return;
  const float m = (*sorted)[0].logit;
  double total = 0;
  for (const Candidate& c : *sorted) total += exp_nonpos(c.logit - m);
  const double target = p * total;
  double cum = 0;
  for (size_t i = 0; i < sorted->size(); ++i) {
    cum += exp_nonpos((*sorted)[i].logit - m);
    if (cum >= target) {
      sorted->resize(i + 1);
      return;
    }
  }
}

void filter_min_p(float min_p, std::vector<Candidate>* candidates) {
  if (min_p <= 0.0f || candidates->empty()) return;
  float m = kNegInf;
  for (const Candidate& c : *candidates) m = std::max(m, c.logit);
  const float threshold = m + std::log(min_p);
  std::erase_if(*candidates, [&](const Candidate& c) { return c.logit < threshold; });
}

int32_t sample_softmax(std::span<const Candidate> candidates, float temperature, double u,
                       std::vector<float>* weights) {
  CHECK(!candidates.empty());
  CHECK(temperature > 0.0f) << temperature;
  float m = kNegInf;
  for (const Candidate& c : candidates) m = std::max(m, c.logit);
  weights->resize(candidates.size());
  float* w = weights->data();
  const float inv_t = 1.0f / temperature;
  for (size_t i = 0; i < candidates.size(); ++i) {
    w[i] = exp_nonpos((candidates[i].logit - m) * inv_t);
  }
  const double total = sum_row(w, candidates.size());
  const double r = u * total;
  // Skip whole blocks first so the serial cumulative sum stays short.
  constexpr size_t kBlock = 64;
  const size_t n = candidates.size();
  double cum = 0;
  size_t i = 0;
  while (n - i > kBlock) {
    const double block = sum_row(w + i, kBlock);
    if (cum + block > r) break;
    cum += block;
    i += kBlock;
  }
  int32_t last_positive = -1;
  for (; i < n; ++i) {
    if (w[i] <= 0.0f) continue;
    cum += w[i];
    last_positive = candidates[i].id;
    if (cum > r) return candidates[i].id;
  }
  if (last_positive >= 0) return last_positive;  // rounding: r landed at the end
  for (size_t j = n; j-- > 0;) {
    if (w[j] > 0.0f) return candidates[j].id;
  }
  return candidates[0].id;
}

void CandidateSelector::select(const TruncationParams& p, std::span<const float> logits,
                               std::vector<Candidate>* out) {
  out->clear();
  const bool use_top_k = p.top_k > 0 && static_cast<size_t>(p.top_k) < logits.size();
  if (use_top_k) {
    select_top_k(logits, p.top_k, out);
    truncate_top_p(p.top_p, out);
    filter_min_p(p.min_p, out);
  } else if (p.top_p < 1.0f) {
    select_top_p(p.top_p, logits, out);
    filter_min_p(p.min_p, out);
  } else {
    select_all(p.min_p, logits, out);
  }
}

void CandidateSelector::select_all(float min_p, std::span<const float> logits,
                                   std::vector<Candidate>* out) {
  float threshold = kNegInf;
  if (min_p > 0.0f) threshold = max_logit(logits) + std::log(min_p);
  for (size_t i = 0; i < logits.size(); ++i) {
    if (logits[i] != kNegInf && logits[i] >= threshold) {
      out->push_back({static_cast<int32_t>(i), logits[i]});
    }
  }
}

void CandidateSelector::select_top_p(float top_p, std::span<const float> logits,
                                     std::vector<Candidate>* out) {
  const float m = max_logit(logits);
  if (m == kNegInf) return;
  const size_t n = logits.size();
  bin_of_.resize(n);
  exps_.resize(n);
  exp_row(logits, m, 1.0f, exps_.data());
  for (size_t i = 0; i < n; ++i) {
    const float f = std::min((m - logits[i]) * kBinsPerUnit, static_cast<float>(kBins - 1));
    bin_of_[i] = static_cast<uint16_t>(f);
  }
  // kLanes interleaved histograms: neighbours in the same bin do not wait on
  // each other's additions.
  constexpr size_t kLanes = 4;
  bin_mass_.assign(kBins * kLanes, 0.0);
  for (size_t i = 0; i < n; ++i) bin_mass_[(i % kLanes) * kBins + bin_of_[i]] += exps_[i];
  for (size_t lane = 1; lane < kLanes; ++lane) {
    for (int b = 0; b < kBins; ++b) bin_mass_[b] += bin_mass_[lane * kBins + b];
  }
  bin_mass_.resize(kBins);
  double total = 0;
  for (double mass : bin_mass_) total += mass;
  const double target = top_p * total;
  // The boundary bin is the first whose cumulative mass reaches the target.
  int boundary = 0;
  double before = 0;
  while (boundary < kBins - 1 && before + bin_mass_[boundary] < target) {
    before += bin_mass_[boundary++];
  }
  boundary_.clear();
  for (size_t i = 0; i < n; ++i) {
    if (logits[i] == kNegInf) continue;
    const Candidate c{static_cast<int32_t>(i), logits[i]};
    if (bin_of_[i] < boundary) {
      out->push_back(c);
    } else if (bin_of_[i] == boundary) {
      boundary_.push_back(c);
    }
  }
  std::sort(boundary_.begin(), boundary_.end(), ranks_before);
  double cum = before;
  for (const Candidate& c : boundary_) {
    out->push_back(c);
    cum += exps_[c.id];
    if (cum >= target) break;
  }
}

}  // namespace r1::sampling
