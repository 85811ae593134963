// Per-architecture deltas. The forward pass is one function for all
// architectures; what differs between qwen2, llama and qwen3 is small and
// listed here, one ArchSpec per architecture, side by side in one table
// (arch.cpp).
//
// Thread contract: immutable static tables; safe from any thread.
#pragma once

#include <span>
#include <string_view>

namespace r1::model {

enum class Arch { kQwen2, kLlama, kQwen3 };

struct ArchSpec {
  Arch arch;
  std::string_view name;      // general.architecture and key prefix: "qwen2"
  bool qkv_bias;              // blk.N.attn_{q,k,v}.bias exist (qwen2)
  bool qk_norm;               // blk.N.attn_{q,k}_norm.weight: per-head RMS norm (qwen3)
  bool rope_neox;             // NeoX pairs (i, i + n_rot/2) vs GPT-J pairs (2i, 2i+1)
  bool rope_freqs_allowed;    // optional rope_freqs.weight (llama3 frequency factors)
};

// The spec of an architecture.
const ArchSpec& arch_spec(Arch arch);
// The spec whose name is `name`, or nullptr when unsupported.
const ArchSpec* find_arch_spec(std::string_view name);
// "qwen2, llama, qwen3" for error messages.
std::string_view supported_arch_names();

}  // namespace r1::model
