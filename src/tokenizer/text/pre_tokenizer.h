// PreTokenizer: splits text into words with the regex cascade of a BPE
// pre-tokenizer type (tokenizer.ggml.pre), like llama.cpp's
// unicode_regex_split: each regex in turn splits every current fragment into
// its matches and the gaps between them. Regexes run under PCRE2 with UTF and
// UCP, so \p{L}, \p{N}, \s are Unicode-aware.
//
// Thread contract: immutable after create(); split() is thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace r1::tokenizer {

class PreTokenizer {
 public:
  // Known types: default, gpt2, qwen2, deepseek-r1-qwen, llama3, llama-v3,
  // llama-bpe, deepseek-llm, deepseek-coder, deepseek-v3. Unknown types
  // return kUnsupported naming the type.
  static Result<std::unique_ptr<PreTokenizer>> create(std::string_view pre_type);
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // `text` must be valid UTF-8 (see utf8_sanitize). Returns the words as
  // views into text, in order, covering it exactly.
  std::vector<std::string_view> split(std::string_view text) const;

  // Canonical name of the rule set ("qwen2", "llama3", ...).
  const std::string& rules_name() const { return rules_name_; }

 private:
  struct Regex;
  PreTokenizer() = default;
  std::string rules_name_;
  std::vector<std::unique_ptr<Regex>> regexes_;
};

}  // namespace r1::tokenizer
