// The logit-transform and truncation steps of the sampler chain, as free
// functions so each step can be tested against its formula:
//
//   sanitize -> logit_bias -> penalties -> top_k -> top_p -> min_p
//            -> temperature -> sample from the softmax
//
// Everything here works on one vocabulary-sized logit row. Tokens whose
// logit is -inf are banned: they are never candidates.
//
// Thread contract: free functions are pure apart from their out-parameters;
// a PenaltyWindow or CandidateSelector is used by one thread at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

namespace r1::sampling {

struct Candidate {
  int32_t id = 0;
  float logit = 0;
};

// Logit descending, then id ascending: the one order used for ranking.
inline bool ranks_before(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// NaN becomes -inf (banned); +inf becomes the largest finite float.
void sanitize_logits(std::span<float> logits);

// Adds each bias to its token's logit. Ids must be in range (CHECK).
void apply_logit_bias(std::span<const std::pair<int32_t, float>> bias, std::span<float> logits);

struct PenaltyParams {
  float repeat = 1.0f;     // logit > 0: logit / repeat, else logit * repeat
  float presence = 0.0f;   // subtracted once if the token occurred
  float frequency = 0.0f;  // subtracted once per occurrence
};

// Occurrence counts of the last `last_n` accepted tokens (-1: all of them,
// 0: none).
class PenaltyWindow {
 public:
  explicit PenaltyWindow(int last_n) : last_n_(last_n) {}
  void push(int32_t token);
  void clear();
  const std::unordered_map<int32_t, int>& counts() const { return counts_; }

 private:
  int last_n_;
  std::deque<int32_t> recent_;
  std::unordered_map<int32_t, int> counts_;
};

// For every (token, count) with count > 0, as llama.cpp does:
//   logit = logit > 0 ? logit / repeat : logit * repeat
//   logit -= count * frequency + presence
void apply_penalties(const PenaltyParams& p, const std::unordered_map<int32_t, int>& counts,
                     std::span<float> logits);

// Highest logit, ties to the lowest id; -1 if every logit is -inf.
int32_t argmax(std::span<const float> logits);

// log(sum(exp(logits))), computed stably; -inf if every logit is -inf.
double log_sum_exp(std::span<const float> logits);

// The k best tokens (ranks_before order), banned ones excluded.
void select_top_k(std::span<const float> logits, int k, std::vector<Candidate>* out);

// On candidates in ranks_before order: keeps the shortest prefix whose
// softmax mass (over the candidates) reaches p.
void truncate_top_p(float p, std::vector<Candidate>* sorted);

// Keeps candidates with logit >= max_logit + log(min_p), i.e. probability at
// least min_p times the most likely one's. Order is preserved.
void filter_min_p(float min_p, std::vector<Candidate>* candidates);

// Samples from softmax(logit / temperature) over the candidates (temperature
// > 0, at least one candidate) by inverse CDF in the given order, u in [0, 1).
// `weights` is scratch space reused between calls.
int32_t sample_softmax(std::span<const Candidate> candidates, float temperature, double u,
                       std::vector<float>* weights);

struct TruncationParams {
  int top_k = 0;        // 0: off
  float top_p = 1.0f;   // 1: off
  float min_p = 0.0f;   // 0: off
};

// One draw: softmax(logit / temperature) over the truncated candidates, at
// u in [0, 1).
struct DrawParams {
  TruncationParams trunc;
  float temperature = 1.0f;  // > 0
  double u = 0;
};

// top_k -> top_p -> min_p over a full logit row, reusing buffers between
// calls. With top_p and no top_k it finds the nucleus without a full sort:
// a histogram of probability mass over logit bins locates the bin in which
// the cumulative mass reaches p, and only that bin is sorted.
class CandidateSelector {
 public:
  // select() + sample_softmax(); nucleus-only truncation (top_p < 1, no
  // top_k) takes the fused sample_top_p. -1 when every logit is -inf.
  int32_t draw(const DrawParams& p, std::span<const float> logits);
  // The candidate set, in an unspecified but deterministic order; empty only
  // when every logit is -inf.
  void select(const TruncationParams& p, std::span<const float> logits,
              std::vector<Candidate>* out);

 private:
  // draw() for top_p < 1 without top_k: select() + sample_softmax in one
  // masked pass over the row, without materializing the candidates: the
  // same candidate set and weights, drawn in vocabulary order.
  int32_t sample_top_p(const DrawParams& p, std::span<const float> logits);
  bool find_nucleus(float top_p, std::span<const float> logits);
  void select_top_p(float top_p, std::span<const float> logits, std::vector<Candidate>* out);
  void select_all(float min_p, std::span<const float> logits, std::vector<Candidate>* out);

  std::vector<float> exps_;
  std::vector<uint16_t> bin_of_;
  std::vector<double> bin_mass_;
  // find_nucleus's result: the row max, the boundary bin, its candidates
  // sorted, and how many of them are inside.
  float max_ = 0;
  uint16_t boundary_ = 0;
  std::vector<Candidate> edge_;
  size_t n_edge_in_ = 0;
  std::vector<Candidate> candidates_;  // draw()'s scratch
  std::vector<float> weights_;
};

}  // namespace r1::sampling
