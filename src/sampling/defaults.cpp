#include "sampling/defaults.h"

#include <cmath>
#include <limits>

#include "core/log.h"

namespace r1::sampling {
namespace {

void ignore(std::string_view key, double v) {
  log::warn("ignoring GGUF {} = {}: out of range", key, v);
}

// Applies an in-range float value of `key` to *field.
template <typename Pred>
void apply_float(const MetadataLookup& lookup, std::string_view key, Pred in_range,
                 float* field) {
  const std::optional<double> v = lookup(key);
  if (!v) return;
  const float f = static_cast<float>(*v);
  if (in_range(*v) && std::isfinite(f) && in_range(static_cast<double>(f))) {
    *field = f;
  } else {
    ignore(key, *v);
  }
}

void apply_int(const MetadataLookup& lookup, std::string_view key, int min_value, int* field) {
  const std::optional<double> v = lookup(key);
  if (!v) return;
  const bool ok = std::isfinite(*v) && *v == std::floor(*v) && *v >= min_value &&
                  *v <= std::numeric_limits<int>::max();
  if (ok) {
    *field = static_cast<int>(*v);
  } else {
    ignore(key, *v);
  }
}

}  // namespace

SamplingParams defaults_from_lookup(const MetadataLookup& lookup) {
  SamplingParams p;
  apply_float(lookup, kKeyTemp, [](double v) { return std::isfinite(v) && v >= 0; },
              &p.temperature);
  apply_float(lookup, kKeyTopP, [](double v) { return v > 0 && v <= 1; }, &p.top_p);
  apply_float(lookup, kKeyMinP, [](double v) { return v >= 0 && v <= 1; }, &p.min_p);
  apply_float(lookup, kKeyPenaltyRepeat, [](double v) { return std::isfinite(v) && v > 0; },
              &p.repeat_penalty);
  apply_int(lookup, kKeyTopK, 0, &p.top_k);
  apply_int(lookup, kKeyPenaltyLastN, -1, &p.repeat_last_n);
  return p;
}

}  // namespace r1::sampling
