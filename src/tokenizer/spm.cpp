// SentencePiece merging, following llama.cpp's llm_tokenizer_spm_session:
// the adjacent pair whose concatenation is the highest-scoring token merges
// first (ties to the leftmost); symbols that are not tokens at the end are
// re-split along their merge history, then fall back to byte tokens.
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>

#include "tokenizer/token_table.h"
#include "tokenizer/text/unicode.h"

namespace r1::tokenizer {
namespace {

struct Symbol {
  int prev;
  int next;
  uint32_t start;
  uint32_t n;
};

struct Bigram {
  int left;
  int right;
  float score;
  uint32_t size;
};

struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

class SpmSession {
 public:
  SpmSession(const TokenTable& table, const SpmParams& params, std::string_view text)
      : table_(table), params_(params), text_(text) {}

  void run(std::vector<int32_t>& out) {
    size_t off = 0;
    int index = 0;
    while (off < text_.size()) {
      const size_t len =
          std::min(text_.size() - off, utf8_len_from_lead(static_cast<uint8_t>(text_[off])));
      syms_.push_back(Symbol{index - 1, off + len == text_.size() ? -1 : index + 1,
                             static_cast<uint32_t>(off), static_cast<uint32_t>(len)});
      off += len;
      ++index;
    }
    for (int i = 1; i < static_cast<int>(syms_.size()); ++i) add_bigram(i - 1, i);
    while (!queue_.empty()) {
      const Bigram bg = queue_.top();
      queue_.pop();
      Symbol& l = syms_[bg.left];
      Symbol& r = syms_[bg.right];
      if (l.n == 0 || r.n == 0 || l.n + r.n != bg.size) continue;
      l.n += r.n;
      r.n = 0;
      l.next = r.next;
      if (r.next >= 0) syms_[r.next].prev = bg.left;
      add_bigram(l.prev, bg.left);
      add_bigram(bg.left, l.next);
    }
    if (syms_.empty()) return;
    for (int i = 0; i != -1; i = syms_[i].next) resegment(syms_[i].start, syms_[i].n, out);
  }

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
      const Symbol& l = syms_[it->second.first];
      const Symbol& r = syms_[it->second.second];
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

  void add_bigram(int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = syms_[left];
    const Symbol& r = syms_[right];
    const std::string_view text = piece(l.start, l.n + r.n);
    const int32_t id = table_.find(text);
    if (id < 0) return;
    queue_.push(Bigram{left, right, table_.score[id], l.n + r.n});
    rev_merge_[std::string(text)] = {left, right};
  }

  const TokenTable& table_;
  const SpmParams& params_;
  std::string_view text_;
  std::vector<Symbol> syms_;
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue_;
  std::unordered_map<std::string, std::pair<int, int>> rev_merge_;
};

}  // namespace

void spm_encode(const TokenTable& table, const SpmParams& params, std::string_view text,
                std::vector<int32_t>& out) {
  SpmSession session(table, params, text);
  session.run(out);
}

}  // namespace r1::tokenizer
