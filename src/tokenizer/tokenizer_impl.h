// Internal state of Tokenizer (shared by tokenizer.cpp and
// tokenizer_load.cpp). Not part of the public API.
//
// Thread contract: immutable after construction.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/text/pre_tokenizer.h"
#include "tokenizer/token_table.h"
#include "tokenizer/tokenizer.h"

namespace r1::tokenizer {

struct TokenizerImpl {
  TokenTable table;
  std::vector<int32_t> token_types;   // raw GGUF types, one per token
  MergeRanks merges;                  // BPE
  std::unique_ptr<PreTokenizer> pre;  // BPE
  bool ignore_merges = false;         // llama3: whole-word tokens skip merging
  std::array<int32_t, 256> byte_tokens{};  // SPM <0xNN> ids, -1 if missing
  std::vector<std::string> pieces;         // token_to_piece cache
  std::vector<uint8_t> eog;                // per token: end-of-generation
  // CONTROL / USER_DEFINED / UNKNOWN tokens, longest text first.
  std::vector<int32_t> special_tokens;
};

}  // namespace r1::tokenizer
