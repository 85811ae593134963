// Model-provided sampling defaults (GGUF `general.sampling.*`, the keys
// llama.cpp reads), over R1's recommended temperature 0.6 and top_p 0.95.
// This part needs no GGUF code: it reads through a lookup function, so it
// can be fed by a gguf::File (see gguf_defaults.h) or by a fake.
//
// Thread contract: pure functions.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "sampling/sampler.h"

namespace r1::sampling {

inline constexpr std::string_view kKeyTemp = "general.sampling.temp";
inline constexpr std::string_view kKeyTopP = "general.sampling.top_p";
inline constexpr std::string_view kKeyTopK = "general.sampling.top_k";
inline constexpr std::string_view kKeyMinP = "general.sampling.min_p";
inline constexpr std::string_view kKeyPenaltyRepeat = "general.sampling.penalty_repeat";
inline constexpr std::string_view kKeyPenaltyLastN = "general.sampling.penalty_last_n";

// Numeric value of a metadata key, nullopt when absent or not numeric.
using MetadataLookup = std::function<std::optional<double>(std::string_view key)>;

// SamplingParams{} with each present key applied. A value outside its
// field's valid range (NaN, negative temperature, ...) is ignored with a
// warning, so the result always passes validate().
SamplingParams defaults_from_lookup(const MetadataLookup& lookup);

}  // namespace r1::sampling
