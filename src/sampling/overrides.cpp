#include "sampling/overrides.h"

namespace r1::sampling {

SamplingParams with_overrides(SamplingParams p, const SamplingOverrides& o) {
  if (o.temperature) p.temperature = *o.temperature;
  if (o.top_p) p.top_p = *o.top_p;
  if (o.top_k) p.top_k = *o.top_k;
  if (o.min_p) p.min_p = *o.min_p;
  if (o.presence_penalty) p.presence_penalty = *o.presence_penalty;
  if (o.frequency_penalty) p.frequency_penalty = *o.frequency_penalty;
  if (o.repeat_penalty) p.repeat_penalty = *o.repeat_penalty;
  if (o.repeat_last_n) p.repeat_last_n = *o.repeat_last_n;
  if (o.seed) {
    p.has_seed = true;
    p.seed = *o.seed;
  }
  if (!o.logit_bias.empty()) p.logit_bias = o.logit_bias;
  return p;
}

}  // namespace r1::sampling
