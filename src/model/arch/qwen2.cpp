// qwen2 (DeepSeek-R1-Distill-Qwen 1.5B..32B): biases on Q, K and V; NeoX RoPE.
#include "model/arch/arch.h"

namespace r1::model {

const ArchSpec& qwen2_spec() {
  static const ArchSpec kSpec{
      .arch = Arch::kQwen2,
      .name = "qwen2",
      .qkv_bias = true,
      .qk_norm = false,
      .rope_neox = true,
      .rope_freqs_allowed = false,
  };
  return kSpec;
}

}  // namespace r1::model
