// TokenTable: the id <-> text index shared by the BPE and SPM algorithms.
// Internal to the tokenizer module.
//
// Thread contract: immutable after construction; share freely.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace r1::tokenizer {

// Token attribute bits, derived from GGUF token types (as llama.cpp does).
enum TokenAttr : uint8_t {
  kAttrUndefined = 0,
  kAttrNormal = 1 << 0,
  kAttrUnknown = 1 << 1,
  kAttrControl = 1 << 2,
  kAttrUserDefined = 1 << 3,
  kAttrUnused = 1 << 4,
  kAttrByte = 1 << 5,
};

// Open-addressing hash index from token text to id; the texts live in the
// owning vector (no copies). Duplicate texts resolve to the last id, as in
// llama.cpp.
class TextIndex {
 public:
  void build(const std::vector<std::string>& texts);
  int32_t find(const std::vector<std::string>& texts, std::string_view s) const;

 private:
  struct Slot {
    uint32_t tag;  // high hash bits, to skip most string compares
    int32_t id;    // -1 = empty
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

struct TokenTable {
  std::vector<std::string> text;
  std::vector<float> score;
  std::vector<uint8_t> attr;
  TextIndex index;

  int32_t find(std::string_view s) const { return index.find(text, s); }
  int32_t size() const { return static_cast<int32_t>(text.size()); }
};

// BPE merge ranks keyed by the token ids of both halves.
class MergeRanks {
 public:
  // Merge strings are "left right"; entries whose halves are not tokens are
  // skipped (they could never apply to token symbols).
  void build(const std::vector<std::string>& merges, const TokenTable& table);
  // Rank of merging left+right, or -1.
  int32_t find(int32_t left, int32_t right) const;
  size_t size() const { return count_; }

 private:
  struct Slot {
    uint64_t key;
    int32_t rank;
  };
  static constexpr uint64_t kEmpty = ~0ull;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t count_ = 0;
};

// Byte-level BPE of one pre-tokenized word whose bytes are already mapped to
// their GPT-2 unicode stand-ins. With ignore_merges a word that is itself a
// token is emitted whole (llama3). Appends ids to out.
void bpe_encode_word(const TokenTable& table, const MergeRanks& merges, std::string_view word,
                     bool ignore_merges, std::vector<int32_t>& out);

struct SpmParams {
  const int32_t* byte_tokens = nullptr;  // 256 ids, -1 where missing
  int32_t unk_id = -1;
};

// SentencePiece (llama.cpp llm_tokenizer_spm) over text whose spaces are
// already replaced with U+2581. Appends ids to out.
void spm_encode(const TokenTable& table, const SpmParams& params, std::string_view text,
                std::vector<int32_t>& out);

}  // namespace r1::tokenizer
