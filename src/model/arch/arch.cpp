#include "model/arch/arch.h"

#include <string>

#include "core/check.h"

namespace r1::model {
namespace {

// The deltas side by side, one row per architecture.
constexpr ArchSpec kSpecs[] = {
    // qwen2 (DeepSeek-R1-Distill-Qwen 1.5B..32B): biases on Q, K and V; NeoX RoPE.
    {.arch = Arch::kQwen2, .name = "qwen2", .qkv_bias = true, .qk_norm = false, .rope_neox = true,
     .rope_freqs_allowed = false},
    // llama (DeepSeek-R1-Distill-Llama 8B/70B): no biases; GPT-J style RoPE
    // pairs; Llama 3 frequency factors from the optional rope_freqs.weight.
    {.arch = Arch::kLlama, .name = "llama", .qkv_bias = false, .qk_norm = false, .rope_neox = false,
     .rope_freqs_allowed = true},
    // qwen3: no biases; per-head RMS norm of Q and K before RoPE; NeoX RoPE.
    {.arch = Arch::kQwen3, .name = "qwen3", .qkv_bias = false, .qk_norm = true, .rope_neox = true,
     .rope_freqs_allowed = false},
};

}  // namespace

const ArchSpec& arch_spec(Arch arch) {
  for (const ArchSpec& spec : kSpecs) {
    if (spec.arch == arch) return spec;
  }
  CHECK(false) << "unknown Arch " << static_cast<int>(arch);
  return kSpecs[0];
}

const ArchSpec* find_arch_spec(std::string_view name) {
  for (const ArchSpec& spec : kSpecs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string_view supported_arch_names() {
  static const std::string kNames = [] {
    std::string names;
    for (const ArchSpec& spec : kSpecs) names += (names.empty() ? "" : ", ") + std::string(spec.name);
    return names;
  }();
  return kNames;
}

}  // namespace r1::model
