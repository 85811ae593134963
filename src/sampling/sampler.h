// Sampling parameters and the per-sequence sampler.
//
// The chain follows llama.cpp's common default order:
//   logit_bias -> penalties (repeat/presence/frequency over the last
//   repeat_last_n accepted tokens) -> top_k -> top_p -> min_p ->
//   temperature -> sample from the softmax with a seeded RNG.
// temperature == 0 is greedy: the exact argmax of the biased and penalised
// logits, ties to the lowest id (top_k/top_p/min_p cannot change it).
//
// Randomness: std::mt19937_64 (fully specified by the standard) and an
// explicit 53-bit conversion to a double in [0, 1), one draw per non-greedy
// sample, so the same seed and logits give the same tokens everywhere.
//
// Logprobs follow OpenAI: log-softmax over the biased and penalised logits
// of the whole vocabulary, before truncation and temperature.
//
// Thread contract: SamplingParams and validate() are plain values / pure.
// A Sampler holds one sequence's state (RNG, penalty history) and is used
// by one thread at a time.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "sampling/logit_ops.h"

namespace r1::sampling {

inline constexpr float kR1Temperature = 0.6f;  // DeepSeek-R1's recommendation
inline constexpr float kR1TopP = 0.95f;
inline constexpr size_t kMaxStopStrings = 16;
inline constexpr size_t kMaxStopLength = 256;   // bytes
inline constexpr size_t kMaxLogitBias = 4096;   // entries

struct SamplingParams {
  float temperature = kR1Temperature;  // 0: greedy
  float top_p = kR1TopP;               // (0, 1]; 1: off
  int top_k = 0;                       // 0: off
  float min_p = 0.0f;                  // [0, 1]; 0: off
  float repeat_penalty = 1.0f;         // > 0; 1: off
  int repeat_last_n = 64;              // -1: whole history, 0: no penalties
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  std::vector<std::pair<int32_t, float>> logit_bias;  // -inf bans a token
  bool has_seed = false;  // false: the Sampler seeds from std::random_device
  uint64_t seed = 0;
  int max_tokens = -1;  // -1: unlimited (the engine's context bounds it)
  std::vector<std::string> stop;
};

// Range checks, each error naming the field and the value. With n_vocab > 0
// also checks that logit_bias ids are in [0, n_vocab).
Status validate(const SamplingParams& p, int32_t n_vocab = 0);

struct TokenLogprob {
  int32_t id = 0;
  float logprob = 0;
};

struct SampleResult {
  int32_t token = -1;
  float logprob = 0;               // of `token`
  std::vector<TokenLogprob> top;   // the top_n most likely, best first
};

class Sampler {
 public:
  // `params` must pass validate(params, n_vocab) (CHECKed).
  Sampler(const SamplingParams& params, int32_t n_vocab);

  // Picks the next token from one row of n_vocab logits. Does not record
  // it: call accept() with the token actually appended to the sequence.
  // If every token is banned (-inf after bias), returns the argmax of the
  // raw logits, or 0 if those are all -inf/NaN too.
  int32_t sample(std::span<const float> logits);
  // sample() plus the chosen token's logprob and the top_n alternatives.
  // top_n is clamped to [0, n_vocab].
  void sample_with_logprobs(std::span<const float> logits, int top_n, SampleResult* out);

  // Records a token of the sequence (prompt or generated) for penalties.
  void accept(int32_t token);
  // Forgets the penalty history and restarts the RNG from the seed.
  void reset();

  // The seed in use (the drawn one when params had none).
  uint64_t seed() const { return seed_; }
  const SamplingParams& params() const { return params_; }
  int32_t n_vocab() const { return n_vocab_; }

  // The transform steps: sanitize, logit_bias, penalties. `out` gets
  // n_vocab processed logits.
  void process_logits(std::span<const float> logits, std::vector<float>* out) const;

 private:
  int32_t pick(std::span<const float> raw);
  double next_uniform();

  SamplingParams params_;
  int32_t n_vocab_;
  uint64_t seed_;
  std::mt19937_64 rng_;
  PenaltyWindow window_;
  CandidateSelector selector_;
  std::vector<float> work_;
  std::vector<Candidate> candidates_;
};

}  // namespace r1::sampling
