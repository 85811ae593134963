// Streaming stop-string matching over detokenized text pieces.
//
// feed() appends a piece and returns the text that is safe to emit now. It
// holds back the longest suffix that is a prefix of some stop string, since
// the next piece may complete it. When a stop string occurs, the text before
// it is emitted, the stop string and everything after it are dropped, and
// the matcher is stopped (later feeds emit nothing). The occurrence chosen
// is the one that ends first in the text (on a tie, the longer one), so the
// result is the same however the text is split into pieces.
// finish() releases the held-back text at the end of generation.
//
// Works on bytes: pieces split inside a UTF-8 character are fine for
// matching, but assembling whole characters is the detokenizer's job.
//
// Thread contract: one sequence, one thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace r1::sampling {

class StopMatcher {
 public:
  struct Output {
    std::string text;     // safe to emit now
    bool stopped = false; // a stop string matched (now or earlier)
    int stop_index = -1;  // which one, when stopped
  };

  // Empty stop strings are ignored (validate() rejects them upstream).
  explicit StopMatcher(std::vector<std::string> stops);

  Output feed(std::string_view piece);
  // The held-back text (empty once stopped).
  std::string finish();

  bool stopped() const { return stop_index_ >= 0; }
  int stop_index() const { return stop_index_; }
  // Bytes currently held back.
  size_t held() const { return pending_.size(); }

 private:
  size_t longest_partial_suffix() const;

  std::vector<std::string> stops_;
  std::string pending_;
  int stop_index_ = -1;
};

}  // namespace r1::sampling
