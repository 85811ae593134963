#include "voice/tts/text_split.h"

#include <utility>

namespace r1::voice {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_clause_end(char c) {
  return c == '.' || c == '!' || c == '?' || c == ';' || c == ':' || c == ',';
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return std::string(s);
}

void push(std::vector<Clause>& out, std::string_view s, bool soft) {
  std::string t = trimmed(s);
  for (char& c : t) {
    if (is_blank(c)) c = ' ';
  }
  if (!t.empty()) out.push_back(Clause{std::move(t), soft});
}

std::vector<Clause> hard_split(std::string_view text) {
  std::vector<Clause> out;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool at_end = i + 1 == text.size() || is_blank(text[i + 1]);
    if (text[i] == '\n' || (is_clause_end(text[i]) && at_end)) {
      push(out, text.substr(start, i + 1 - start), false);
      start = i + 1;
    }
  }
  push(out, text.substr(start), false);
  return out;
}

void merge_short(std::vector<Clause>& clauses, size_t min_chars) {
  std::vector<Clause> out;
  for (Clause& c : clauses) {
    if (!out.empty() && out.back().text.size() < min_chars) {
      out.back().text += ' ' + c.text;
      out.back().soft_end = c.soft_end;
    } else {
      out.push_back(std::move(c));
    }
  }
  clauses = std::move(out);
}

// The cut for a clause longer than max: the last blank before it, or a
// UTF-8 character boundary at it.
size_t long_cut(const std::string& s, size_t max) {
  const size_t blank = s.rfind(' ', max);
  if (blank != std::string::npos && blank > 0) return blank;
  size_t cut = max;
  while (cut > 1 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

void split_long(std::vector<Clause>& clauses, size_t max_chars) {
  std::vector<Clause> out;
  for (Clause& c : clauses) {
    while (c.text.size() > max_chars) {
      const size_t cut = long_cut(c.text, max_chars);
      push(out, std::string_view(c.text).substr(0, cut), true);
      c.text = trimmed(std::string_view(c.text).substr(cut));
    }
    if (!c.text.empty()) out.push_back(std::move(c));
  }
  clauses = std::move(out);
}

void split_first(std::vector<Clause>& clauses, int first_words) {
  if (clauses.empty() || first_words <= 0) return;
  const std::string& t = clauses.front().text;
  int words = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] != ' ') continue;
    if (++words == first_words) {
      int rest = 1;
      for (size_t j = i + 1; j < t.size(); ++j) rest += t[j] == ' ' ? 1 : 0;
      if (rest < 3) return;  // a tail of one or two words: keep it whole
      Clause tail{t.substr(i + 1), clauses.front().soft_end};
      clauses.front() = Clause{t.substr(0, i), true};
      clauses.insert(clauses.begin() + 1, std::move(tail));
      return;
    }
  }
}

}  // namespace

std::vector<Clause> split_clauses(std::string_view text, const ClauseOptions& options) {
  std::vector<Clause> clauses = hard_split(text);
  merge_short(clauses, options.min_chars);
  split_long(clauses, options.max_chars > 0 ? options.max_chars : 1);
  split_first(clauses, options.first_words);
  return clauses;
}

}  // namespace r1::voice
