// Word error rate, as speech recognition is scored: the word-level edit
// distance (substitutions + deletions + insertions) between a reference
// and a hypothesis over the reference's word count. Words are compared
// lower-case with punctuation dropped ("Hello, world." == "hello world").
// A corpus's WER sums edits and reference words over its utterances.
//
// Thread contract: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace r1::voice {

std::vector<std::string> normalized_words(const std::string& text);

struct WerCount {
  size_t edits = 0;
  size_t reference_words = 0;
  double rate() const { return reference_words ? static_cast<double>(edits) / reference_words : 0.0; }
  WerCount& operator+=(const WerCount& o) {
    edits += o.edits;
    reference_words += o.reference_words;
    return *this;
  }
};

WerCount word_errors(const std::string& reference, const std::string& hypothesis);
inline double word_error_rate(const std::string& reference, const std::string& hypothesis) {
  const WerCount c = word_errors(reference, hypothesis);
  return c.reference_words ? c.rate() : (normalized_words(hypothesis).empty() ? 0.0 : 1.0);
}

}  // namespace r1::voice
