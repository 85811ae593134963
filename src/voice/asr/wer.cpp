#include "voice/asr/wer.h"

#include <algorithm>
#include <cctype>

namespace r1::voice {

std::vector<std::string> normalized_words(const std::string& text) {
  std::vector<std::string> words;
  std::string w;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '\'') {
      w += static_cast<char>(std::tolower(u));
    } else if (!w.empty()) {
      words.push_back(w);
      w.clear();
    }
  }
  if (!w.empty()) words.push_back(w);
  return words;
}

WerCount word_errors(const std::string& ref, const std::string& hyp) {
  const std::vector<std::string> r = normalized_words(ref), h = normalized_words(hyp);
  std::vector<size_t> prev(h.size() + 1), cur(h.size() + 1);
  for (size_t j = 0; j <= h.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= r.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= h.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r[i - 1] == h[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return WerCount{prev[h.size()], r.size()};
}

}  // namespace r1::voice
