#include "sampling/logit_ops.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "core/check.h"

namespace r1::sampling {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// The loops over the whole vocabulary, compiled for AVX-512, AVX2 and the
// baseline and picked at load time (ifunc). Without FP contraction
// (CMakeLists.txt) every clone computes bitwise the same values: the same
// operations in the same order, only more lanes at a time.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define R1_VOCAB_LOOP __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define R1_VOCAB_LOOP
#endif

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
R1_VOCAB_LOOP void exp_row(std::span<const float> in, float shift, float inv_t, float* out) {
  const size_t n = in.size();
  const float* src = in.data();
  for (size_t i = 0; i < n; ++i) out[i] = exp_nonpos((src[i] - shift) * inv_t);
}

// Sum in double with independent accumulators (no serial dependency).
R1_VOCAB_LOOP double sum_row(const float* v, size_t n) {
  double acc[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (size_t j = 0; j < 4; ++j) acc[j] += v[i + j];
  }
  for (; i < n; ++i) acc[0] += v[i];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

// Max over independent lanes (a single running max is a serial chain the
// compiler may not reorder); inputs are never NaN.
R1_VOCAB_LOOP float max_logit(std::span<const float> logits) {
  constexpr size_t kLanes = 16;
  float lane[kLanes];
  std::fill(lane, lane + kLanes, kNegInf);
  const size_t n = logits.size();
  const float* v = logits.data();
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t j = 0; j < kLanes; ++j) lane[j] = lane[j] < v[i + j] ? v[i + j] : lane[j];
  }
  float m = kNegInf;
  for (; i < n; ++i) m = std::max(m, v[i]);
  for (float l : lane) m = std::max(m, l);
  return m;
}

// bins[i] = min((max - logits[i]) * kBinsPerUnit, kBins - 1), truncated.
R1_VOCAB_LOOP void bin_row(std::span<const float> logits, float max, uint16_t* bins) {
  for (size_t i = 0; i < logits.size(); ++i) {
    const float f = std::min((max - logits[i]) * kBinsPerUnit, static_cast<float>(kBins - 1));
    bins[i] = static_cast<uint16_t>(f);
  }
}

inline bool any_in_bin(const uint16_t* bins, size_t n, uint16_t bin) {
  int hits = 0;
  for (size_t i = 0; i < n; ++i) hits |= bins[i] == bin ? 1 : 0;
  return hits != 0;
}

// w[i] = 0 unless bins[i] < boundary and logits[i] >= min_logit.
R1_VOCAB_LOOP void mask_row(std::span<const float> logits, const uint16_t* bins, uint16_t boundary,
                            float min_logit, float* w) {
  for (size_t i = 0; i < logits.size(); ++i) {
    const bool in = bins[i] < boundary && logits[i] >= min_logit;
    w[i] = in ? w[i] : 0.0f;
  }
}

// The index where u (in [0, 1)) lands in the cumulative weights (n > 0,
// weights >= 0); the last positive weight when rounding carries u past the
// end, index 0 when all are zero.
size_t pick_index(const float* w, size_t n, double u) {
  const double r = u * sum_row(w, n);
  // Skip whole blocks first so the serial cumulative sum stays short.
  constexpr size_t kBlock = 64;
  double cum = 0;
  size_t i = 0;
  while (n - i > kBlock) {
    const double block = sum_row(w + i, kBlock);
    if (cum + block > r) break;
    cum += block;
    i += kBlock;
  }
  size_t last_positive = n;
  for (; i < n; ++i) {
    if (w[i] <= 0.0f) continue;
    cum += w[i];
    last_positive = i;
    if (cum > r) return i;
  }
  if (last_positive < n) return last_positive;
  for (size_t j = n; j-- > 0;) {
    if (w[j] > 0.0f) return j;
  }
  return 0;
}

}  // namespace

R1_VOCAB_LOOP void sanitize_logits(std::span<float> logits) {
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
  // The maximum (vectorized), then its first index: ties keep the lowest id.
  const float m = max_logit(logits);
  if (m == kNegInf) return -1;
  const auto it = std::find(logits.begin(), logits.end(), m);
  return static_cast<int32_t>(it - logits.begin());
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
  return candidates[pick_index(w, candidates.size(), u)].id;
}

int32_t CandidateSelector::draw(const DrawParams& p, std::span<const float> logits) {
  const TruncationParams& t = p.trunc;
  const bool top_k = t.top_k > 0 && static_cast<size_t>(t.top_k) < logits.size();
  if (!top_k && t.top_p < 1.0f) return sample_top_p(p, logits);
  select(t, logits, &candidates_);
  return candidates_.empty() ? -1 : sample_softmax(candidates_, p.temperature, p.u, &weights_);
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

// Bins the row, finds the boundary bin and sorts it into edge_: the nucleus
// is every bin below the boundary plus edge_[0, n_edge_in_). Fills exps_
// (exp(logit - max)) and bin_of_. False when every logit is -inf.
bool CandidateSelector::find_nucleus(float top_p, std::span<const float> logits) {
  max_ = max_logit(logits);
  if (max_ == kNegInf) return false;
  const float m = max_;
  const size_t n = logits.size();
  bin_of_.resize(n);
  exps_.resize(n);
  exp_row(logits, m, 1.0f, exps_.data());
  bin_row(logits, m, bin_of_.data());
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
  boundary_ = static_cast<uint16_t>(boundary);
  edge_.clear();
  // Blocks without a boundary-bin member are skipped by a vectorized test.
  constexpr size_t kBlock = 64;
  for (size_t i0 = 0; i0 < n; i0 += kBlock) {
    const size_t i1 = std::min(n, i0 + kBlock);
    if (!any_in_bin(bin_of_.data() + i0, i1 - i0, boundary_)) continue;
    for (size_t i = i0; i < i1; ++i) {
      if (bin_of_[i] == boundary_ && logits[i] != kNegInf) edge_.push_back({static_cast<int32_t>(i), logits[i]});
    }
  }
  std::sort(edge_.begin(), edge_.end(), [](const Candidate& a, const Candidate& b) { return ranks_before(a, b); });
  n_edge_in_ = edge_.size();  // rounding: the target may be missed by a hair
  double cum = before;
  for (size_t j = 0; j < edge_.size(); ++j) {
    cum += exps_[static_cast<size_t>(edge_[j].id)];
    if (cum >= target) {
      n_edge_in_ = j + 1;
      break;
    }
  }
  return true;
}

void CandidateSelector::select_top_p(float top_p, std::span<const float> logits,
                                     std::vector<Candidate>* out) {
  if (!find_nucleus(top_p, logits)) return;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (bin_of_[i] < boundary_) out->push_back({static_cast<int32_t>(i), logits[i]});
  }
  out->insert(out->end(), edge_.begin(), edge_.begin() + static_cast<std::ptrdiff_t>(n_edge_in_));
}

int32_t CandidateSelector::sample_top_p(const DrawParams& p, std::span<const float> logits) {
  CHECK(p.temperature > 0.0f) << p.temperature;
  if (!find_nucleus(p.trunc.top_p, logits)) return -1;
  const float m = max_;
  const float min_logit = p.trunc.min_p > 0.0f ? m + std::log(p.trunc.min_p) : kNegInf;
  const float inv_t = 1.0f / p.temperature;
  const size_t n = logits.size();
  float* w = exps_.data();  // reused: exp(logit - max) is no longer needed
  // Weights of the whole bins below the boundary (branch-free, vectorized),
  // then of the boundary-bin members inside.
  exp_row(logits, m, inv_t, w);
  mask_row(logits, bin_of_.data(), boundary_, min_logit, w);
  for (size_t j = 0; j < n_edge_in_; ++j) {
    const Candidate& c = edge_[j];
    if (c.logit >= min_logit) w[c.id] = exp_nonpos((c.logit - m) * inv_t);
  }
  return static_cast<int32_t>(pick_index(w, n, p.u));
}

}  // namespace r1::sampling
