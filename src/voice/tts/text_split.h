// Splits text into clauses for clause-by-clause synthesis: the first audio
// comes after the first clause is analysed, not the whole text, and a
// cancel waits for at most one clause's analysis. Splits at . ! ? ; : ,
// (before a blank or the end) and at newlines; clauses shorter than
// min_chars join the next one; longer than max_chars split at a blank; the
// first clause is cut after first_words words so that the first audio is
// quick. A cut inside a phrase is marked soft_end (the synthesizer trims the
// pause it would add there).
//
// Thread contract: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace r1::voice {

struct Clause {
  std::string text;       // trimmed, non-empty
  bool soft_end = false;  // cut inside a phrase (no punctuation there)
};

struct ClauseOptions {
  size_t min_chars = 8;
  size_t max_chars = 160;
  int first_words = 5;  // 0: leave the first clause whole
};

std::vector<Clause> split_clauses(std::string_view text, const ClauseOptions& options = {});

}  // namespace r1::voice
