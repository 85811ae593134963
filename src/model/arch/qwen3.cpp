// qwen3: no biases; per-head RMS norm of Q and K before RoPE; NeoX RoPE.
#include "model/arch/arch.h"

namespace r1::model {

const ArchSpec& qwen3_spec() {
  static const ArchSpec kSpec{
      .arch = Arch::kQwen3,
      .name = "qwen3",
      .qkv_bias = false,
      .qk_norm = true,
      .rope_neox = true,
      .rope_freqs_allowed = false,
  };
  return kSpec;
}

}  // namespace r1::model
