// SentencePiece merging, following llama.cpp's llm_tokenizer_spm_session:
// the adjacent pair whose concatenation is the highest-scoring token merges
// first (ties to the leftmost); symbols that are not tokens at the end are
// re-split along their merge history, then fall back to byte tokens.
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "tokenizer/token_table.h"
#include "tokenizer/pair_merge.h"

namespace r1::tokenizer {
namespace {

class SpmSession {
 public:
  SpmSession(const TokenTable& table, const SpmParams& params, std::string_view text)
      : table_(table), params_(params), text_(text) {}

  void run(std::vector<int32_t>& out) {
    PairMerger<float, SpmSession> merger(text_, *this);
    syms_ = &merger.run();
    if (syms_->empty()) return;
    for (int i = 0; i != -1; i = (*syms_)[i].next) resegment((*syms_)[i].start, (*syms_)[i].n, out);
  }

  // The PairMerger policy: merge where the joined text is a token, highest
  // score first; each merge is recorded for resegment().
  std::optional<float> key(const std::vector<MergeSymbol>& syms, int left, int right) {
    const MergeSymbol& l = syms[left];
    const MergeSymbol& r = syms[right];
    const std::string_view text = piece(l.start, l.n + r.n);
    const int32_t id = table_.find(text);
    if (id < 0) return std::nullopt;
    rev_merge_[std::string(text)] = {left, right};
    return table_.score[id];
  }
  static bool first(float a, float b) { return a > b; }
  void merged(const std::vector<MergeSymbol>&, int, int) {}

 private:
  std::string_view piece(uint32_t start, uint32_t n) const { return text_.substr(start, n); }

  void resegment(uint32_t start, uint32_t n, std::vector<int32_t>& out) {
    const std::string_view text = piece(start, n);
    const int32_t id = table_.find(text);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
    // Merged symbols are always tokens, so in practice only unmerged code
    // points get here. Like llama.cpp, re-split along the recorded merge
    // (using the symbols' current extents), else fall back to bytes.
    auto it = rev_merge_.find(std::string(text));
    if (it != rev_merge_.end()) {
      const MergeSymbol& l = (*syms_)[it->second.first];
      const MergeSymbol& r = (*syms_)[it->second.second];
      if (!(l.start == start && l.n == n)) {  // guard against self-recursion
        resegment(l.start, l.n, out);
        resegment(r.start, r.n, out);
        return;
      }
    }
    for (char c : text) {
      const int32_t b = params_.byte_tokens[static_cast<uint8_t>(c)];
      out.push_back(b >= 0 ? b : params_.unk_id);
    }
  }

  const TokenTable& table_;
  const SpmParams& params_;
  std::string_view text_;
  const std::vector<MergeSymbol>* syms_ = nullptr;  // the merger's, during run()
  std::unordered_map<std::string, std::pair<int, int>> rev_merge_;
};

}  // namespace

void spm_encode(const TokenTable& table, const SpmParams& params, std::string_view text,
                std::vector<int32_t>& out) {
  SpmSession session(table, params, text);
  session.run(out);
}

}  // namespace r1::tokenizer
