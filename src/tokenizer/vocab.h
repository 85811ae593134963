// Vocab: the raw tokenizer description read from GGUF metadata
// (tokenizer.ggml.*), before any index is built. Tokenizer::from_vocab turns
// it into a usable tokenizer; load_vocab() fills it from a gguf::File.
//
// Thread contract: plain value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace r1::gguf {
class File;
}

namespace r1::tokenizer {

// GGUF token types (tokenizer.ggml.token_type).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

enum class TokenizerKind {
  kBpe,  // tokenizer.ggml.model "gpt2": byte-level BPE
  kSpm,  // tokenizer.ggml.model "llama": SentencePiece
};

inline constexpr int32_t kNoToken = -1;

struct Vocab {
  std::string model;     // tokenizer.ggml.model ("gpt2", "llama")
  std::string pre_type;  // tokenizer.ggml.pre (empty: "default")
  std::vector<std::string> tokens;
  std::vector<float> scores;          // empty: all 0
  std::vector<int32_t> token_types;   // empty: all normal
  std::vector<std::string> merges;    // BPE only, "left right"
  // Special ids from metadata; nullopt means "use the model's default".
  std::optional<int32_t> bos_id, eos_id, unk_id, pad_id, eot_id, eom_id;
  std::optional<bool> add_bos, add_eos, add_space_prefix;
};

// Reads tokenizer.ggml.* from a GGUF file. Errors name the missing or
// malformed key; the model and pre type are validated by Tokenizer.
Result<Vocab> load_vocab(const gguf::File& file);

}  // namespace r1::tokenizer
