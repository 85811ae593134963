// Tokenizer: text <-> token ids for GGUF vocabularies, mirroring llama.cpp's
// llama-vocab behaviour for byte-level BPE (tokenizer.ggml.model "gpt2";
// pre-tokenizers qwen2 / deepseek-r1-qwen, llama3 / llama-bpe, deepseek-llm,
// deepseek-coder, deepseek-v3, gpt2, default) and SentencePiece ("llama").
//
// Special tokens: CONTROL and UNKNOWN tokens are matched in the text only
// when EncodeOptions::parse_special is set; USER_DEFINED tokens are always
// matched first (as llama.cpp and HF tokenizers do). Matching is longest
// token first.
//
// Thread contract: immutable after from_gguf()/from_vocab(); encode(),
// decode() and all getters are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tokenizer/vocab.h"

namespace r1::gguf {
class File;
}

namespace r1::tokenizer {

struct TokenizerImpl;  // internal (tokenizer_impl.h)

struct EncodeOptions {
  bool add_bos = false;        // prepend BOS (callers usually pass add_bos_default())
  bool parse_special = false;  // match CONTROL token texts ("<｜User｜>") as single ids
};

class Tokenizer {
 public:
  // Errors: missing/malformed tokenizer.ggml.* keys, an unknown model
  // ("unknown tokenizer model 'x'") or pre type ("unknown BPE pre-tokenizer
  // type 'x'").
  static Result<std::unique_ptr<Tokenizer>> from_gguf(const gguf::File& file);
  static Result<std::unique_ptr<Tokenizer>> from_vocab(Vocab vocab);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  std::vector<int32_t> encode(std::string_view text, const EncodeOptions& opts = {}) const;

  // The bytes this token stands for: byte-level BPE and SPM "▁" undone,
  // <0xNN> byte tokens as one byte, CONTROL/USER_DEFINED tokens as their
  // text. May be an incomplete UTF-8 sequence. Empty for an invalid id.
  const std::string& token_to_piece(int32_t id) const;
  // The token's raw vocabulary string ("Ġhello", "<think>").
  const std::string& token_text(int32_t id) const;

  // Concatenated pieces. skip_special drops CONTROL/UNKNOWN tokens (BOS,
  // EOS, <｜User｜>). For SPM the prefix space of the first token is removed.
  // No clean-up of spaces: decode(encode(x)) == x for BPE.
  std::string decode(std::span<const int32_t> ids, bool skip_special = false) const;

  int32_t n_vocab() const;
  TokenizerKind kind() const { return kind_; }
  std::string_view pre_type() const { return pre_type_; }  // as read (empty -> "default")
  bool add_bos_default() const { return add_bos_; }
  bool add_space_prefix() const { return add_space_prefix_; }

  int32_t bos_id() const { return bos_id_; }  // kNoToken (-1) when absent
  int32_t eos_id() const { return eos_id_; }
  int32_t eot_id() const { return eot_id_; }
  int32_t unk_id() const { return unk_id_; }
  int32_t pad_id() const { return pad_id_; }
  // End-of-generation: EOS, EOT, EOM and texts llama.cpp treats as such
  // (<|im_end|>, <|endoftext|>, <｜end▁of▁sentence｜>, <|eot_id|>, ...).
  bool is_eog(int32_t id) const;
  const std::vector<int32_t>& eog_ids() const { return eog_ids_; }
  // CONTROL or UNKNOWN: not text, skipped by decode(skip_special).
  bool is_special(int32_t id) const;
  TokenType token_type(int32_t id) const;  // as in the GGUF (kUndefined for bad ids)

  // Exact vocabulary lookup of a token string ("<think>", "Ġthe").
  std::optional<int32_t> find_token(std::string_view text) const;

 private:
  explicit Tokenizer(std::unique_ptr<TokenizerImpl> impl);

  std::unique_ptr<TokenizerImpl> impl_;
  TokenizerKind kind_ = TokenizerKind::kBpe;
  std::string pre_type_;
  bool add_bos_ = false;
  bool add_space_prefix_ = false;
  int32_t bos_id_ = kNoToken;
  int32_t eos_id_ = kNoToken;
  int32_t eot_id_ = kNoToken;
  int32_t unk_id_ = kNoToken;
  int32_t pad_id_ = kNoToken;
  std::vector<int32_t> eog_ids_;
};

}  // namespace r1::tokenizer
