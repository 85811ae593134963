// Byte-level BPE merging, following llama.cpp's llm_tokenizer_bpe_session:
// the lowest-rank adjacent pair merges first, ties go to the leftmost pair.
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/token_table.h"
#include "tokenizer/pair_merge.h"

namespace r1::tokenizer {
namespace {

// Merges by rank (lowest first) while both sides are tokens.
struct BpePolicy {
  const TokenTable& table;
  const MergeRanks& merges;
  std::string_view word;
  std::vector<int32_t> ids;  // per symbol: the token id of its text, -1 if none

  std::optional<int32_t> key(const std::vector<MergeSymbol>&, int left, int right) const {
    if (ids[left] < 0 || ids[right] < 0) return std::nullopt;
    const int32_t rank = merges.find(ids[left], ids[right]);
    return rank < 0 ? std::nullopt : std::optional<int32_t>(rank);
  }
  static bool first(int32_t a, int32_t b) { return a < b; }
  void merged(const std::vector<MergeSymbol>& syms, int left, int) {
    ids[left] = table.find(word.substr(syms[left].start, syms[left].n));
  }
};

}  // namespace

void bpe_encode_word(const TokenTable& table, const MergeRanks& merges, std::string_view word,
                     bool ignore_merges, std::vector<int32_t>& out) {
  if (word.empty()) return;
  if (ignore_merges) {
    const int32_t id = table.find(word);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  BpePolicy policy{table, merges, word, {}};
  PairMerger<int32_t, BpePolicy> merger(word, policy);
  for (const MergeSymbol& s : merger.symbols()) policy.ids.push_back(table.find(word.substr(s.start, s.n)));
  const std::vector<MergeSymbol>& syms = merger.run();
  for (size_t i = 0; i < syms.size(); ++i) {
    const MergeSymbol& s = syms[i];
    if (s.n == 0) continue;
    if (policy.ids[i] >= 0) {
      out.push_back(policy.ids[i]);
      continue;
    }
    const std::string_view piece = word.substr(s.start, s.n);
    // Not a token: llama.cpp falls back to single-byte tokens (rarely found).
    for (char c : piece) {
      const int32_t b = table.find(std::string_view(&c, 1));
      if (b >= 0) out.push_back(b);
    }
  }
}

}  // namespace r1::tokenizer
