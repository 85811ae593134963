// The sampling fields a request (OpenAI / llama.cpp names) or a command
// line may set, declared once for the server and the CLI: absent fields keep
// the defaults (the model's general.sampling.*, else R1's).
//
// Thread contract: value types and a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "sampling/sampler.h"

namespace r1::sampling {

struct SamplingOverrides {
  std::optional<float> temperature;
  std::optional<float> top_p;
  std::optional<int> top_k;
  std::optional<float> min_p;
  std::optional<float> presence_penalty;
  std::optional<float> frequency_penalty;
  std::optional<float> repeat_penalty;
  std::optional<int> repeat_last_n;
  std::optional<uint64_t> seed;
  std::vector<std::pair<int32_t, float>> logit_bias;  // token id -> bias; empty: the defaults'
};

// `defaults` with every field `o` sets replaced (a seed also sets has_seed).
// Unvalidated: call validate() on the result.
SamplingParams with_overrides(SamplingParams defaults, const SamplingOverrides& o);

}  // namespace r1::sampling
