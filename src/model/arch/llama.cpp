// llama (DeepSeek-R1-Distill-Llama 8B/70B): no biases; GPT-J style RoPE pairs;
// Llama 3 frequency factors from the optional rope_freqs.weight.
#include "model/arch/arch.h"

namespace r1::model {

const ArchSpec& llama_spec() {
  static const ArchSpec kSpec{
      .arch = Arch::kLlama,
      .name = "llama",
      .qkv_bias = false,
      .qk_norm = false,
      .rope_neox = false,
      .rope_freqs_allowed = true,
  };
  return kSpec;
}

}  // namespace r1::model
