// Byte-level BPE merging, following llama.cpp's llm_tokenizer_bpe_session:
// the lowest-rank adjacent pair merges first, ties go to the leftmost pair.
#include <algorithm>
#include <queue>
#include <string>

#include "tokenizer/token_table.h"
#include "tokenizer/text/unicode.h"

namespace r1::tokenizer {
namespace {

struct Symbol {
  int prev;
  int next;
  uint32_t start;  // byte offset in the word
  uint32_t n;      // byte length; 0 once merged away
  int32_t id;      // token id of the text, -1 if it is not a token
};

struct Bigram {
  int left;
  int right;
  int32_t rank;
  uint32_t size;  // byte length of the merged text when queued
};

struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

class WordMerger {
 public:
  WordMerger(const TokenTable& table, const MergeRanks& merges, std::string_view word)
      : table_(table), merges_(merges), word_(word) {}

  // Splits into code points, merges, and returns the surviving symbols.
  const std::vector<Symbol>& run() {
    size_t off = 0;
    int index = 0;
    while (off < word_.size()) {
      const size_t len = std::min(word_.size() - off, utf8_len_from_lead(static_cast<uint8_t>(word_[off])));
      syms_.push_back(Symbol{index - 1, off + len == word_.size() ? -1 : index + 1,
                             static_cast<uint32_t>(off), static_cast<uint32_t>(len),
                             table_.find(word_.substr(off, len))});
      off += len;
      ++index;
    }
    for (int i = 1; i < static_cast<int>(syms_.size()); ++i) add_bigram(i - 1, i);
    while (!queue_.empty()) {
      const Bigram bg = queue_.top();
      queue_.pop();
      Symbol& l = syms_[bg.left];
      Symbol& r = syms_[bg.right];
      // Stale if either side merged away or grew since it was queued.
      if (l.n == 0 || r.n == 0 || l.n + r.n != bg.size) continue;
      l.n += r.n;
      l.id = table_.find(word_.substr(l.start, l.n));
      r.n = 0;
      l.next = r.next;
      if (r.next >= 0) syms_[r.next].prev = bg.left;
      add_bigram(l.prev, bg.left);
      add_bigram(bg.left, l.next);
    }
    return syms_;
  }

 private:
  void add_bigram(int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = syms_[left];
    const Symbol& r = syms_[right];
    if (l.id < 0 || r.id < 0) return;
    const int32_t rank = merges_.find(l.id, r.id);
    if (rank < 0) return;
    queue_.push(Bigram{left, right, rank, l.n + r.n});
  }

  const TokenTable& table_;
  const MergeRanks& merges_;
  std::string_view word_;
  std::vector<Symbol> syms_;
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue_;
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
  WordMerger merger(table, merges, word);
  for (const Symbol& s : merger.run()) {
    if (s.n == 0) continue;
    if (s.id >= 0) {
      out.push_back(s.id);
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
