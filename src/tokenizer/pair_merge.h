// The merge loop that llama.cpp's BPE and SentencePiece sessions share:
// the text is split into code points, kept as a linked list of symbols;
// adjacent pairs that may merge are queued with a key, the pair whose key
// comes first merges first (ties to the leftmost), and queue entries made
// stale by an earlier merge (a side merged away or grown) are skipped.
// BPE keys by merge rank (lowest first), SPM by token score (highest first).
//
// Thread contract: a PairMerger is used by one thread; the policy is borrowed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <queue>
#include <string_view>
#include <vector>

#include "tokenizer/text/unicode.h"

namespace r1::tokenizer {

struct MergeSymbol {
  int prev;
  int next;        // -1 at the ends
  uint32_t start;  // byte offset in the text
  uint32_t n;      // byte length; 0 once merged away
};

// Policy: std::optional<Key> key(const std::vector<MergeSymbol>&, int left,
// int right) (nullopt: the pair cannot merge); bool first(Key a, Key b)
// (a merges before b); void merged(const std::vector<MergeSymbol>&, int left,
// int right) (after the merge; `left` holds the joined text).
template <class Key, class Policy>
class PairMerger {
 public:
  PairMerger(std::string_view text, Policy& policy) : policy_(policy) {
    size_t off = 0;
    int index = 0;
    while (off < text.size()) {
      const size_t len = std::min(text.size() - off, utf8_len_from_lead(static_cast<uint8_t>(text[off])));
      syms_.push_back(MergeSymbol{index - 1, off + len == text.size() ? -1 : index + 1,
                                  static_cast<uint32_t>(off), static_cast<uint32_t>(len)});
      off += len;
      ++index;
    }
  }

  const std::vector<MergeSymbol>& symbols() const { return syms_; }

  // Merges until no queued pair is left; returns the symbols (merged-away
  // ones have n == 0; follow `next` from 0 for the survivors in order).
  const std::vector<MergeSymbol>& run() {
    for (int i = 1; i < static_cast<int>(syms_.size()); ++i) queue_pair(i - 1, i);
    while (!queue_.empty()) {
      const Pair p = queue_.top();
      queue_.pop();
      MergeSymbol& l = syms_[p.left];
      MergeSymbol& r = syms_[p.right];
      if (l.n == 0 || r.n == 0 || l.n + r.n != p.size) continue;  // stale
      l.n += r.n;
      r.n = 0;
      l.next = r.next;
      if (r.next >= 0) syms_[r.next].prev = p.left;
      policy_.merged(syms_, p.left, p.right);
      queue_pair(l.prev, p.left);
      queue_pair(p.left, l.next);
    }
    return syms_;
  }

 private:
  struct Pair {
    int left;
    int right;
    Key key;
    uint32_t size;  // byte length of the merged text when queued
  };
  struct Later {  // the priority queue's order: true if a merges after b
    Policy* policy;
    bool operator()(const Pair& a, const Pair& b) const {
      return policy->first(b.key, a.key) || (!policy->first(a.key, b.key) && a.left > b.left);
    }
  };

  void queue_pair(int left, int right) {
    if (left < 0 || right < 0) return;
    const std::optional<Key> key = policy_.key(syms_, left, right);
    if (key) queue_.push(Pair{left, right, *key, syms_[left].n + syms_[right].n});
  }

  Policy& policy_;
  std::vector<MergeSymbol> syms_;
  std::priority_queue<Pair, std::vector<Pair>, Later> queue_{Later{&policy_}};
};

}  // namespace r1::tokenizer
