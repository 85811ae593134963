#include "voice/tts/ssml.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <span>
#include <utility>

namespace r1::voice {
namespace {

constexpr size_t kMaxAttributes = 16;

struct Prosody {
  double rate = 1.0, pitch = 0.0, volume = 1.0;
  bool operator==(const Prosody&) const = default;
};

struct Element {
  std::string name;
  size_t at = 0;  // byte offset of its '<'
  Prosody prosody;
};

struct Attribute {
  std::string name, value;
};

struct Keyword {
  std::string_view name;
  double value;
};

constexpr Keyword kRateWords[] = {{"x-slow", 0.5}, {"slow", 0.75}, {"medium", 1.0},
                                  {"fast", 1.5},   {"x-fast", 2.0}, {"default", 1.0}};
constexpr Keyword kPitchWords[] = {{"x-low", -8}, {"low", -4},   {"medium", 0},
                                   {"high", 4},   {"x-high", 8}, {"default", 0}};
constexpr Keyword kVolumeWords[] = {{"silent", 0}, {"x-soft", 0.25}, {"soft", 0.5}, {"medium", 1},
                                    {"loud", 1.5}, {"x-loud", 2},    {"default", 1}};
constexpr Keyword kStrengthMs[] = {{"none", 0},     {"x-weak", 100}, {"weak", 200},
                                   {"medium", 400}, {"strong", 700}, {"x-strong", 1000}};

std::optional<double> keyword(std::span<const Keyword> words, std::string_view s) {
  for (const Keyword& k : words) {
    if (k.name == s) return k.value;
  }
  return std::nullopt;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// [+-]?digits[.digits]: strict (no inf, nan, exponents, blanks).
std::optional<double> parse_number(std::string_view s) {
  if (s.empty() || s.size() > 32) return std::nullopt;
  size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
  size_t digits = 0, dots = 0;
  for (size_t j = i; j < s.size(); ++j) {
    if (s[j] >= '0' && s[j] <= '9') {
      ++digits;
    } else if (s[j] == '.' && dots == 0) {
      ++dots;
    } else {
      return std::nullopt;
    }
  }
  if (digits == 0) return std::nullopt;
  double v = 0;
  const char* b = s.data() + (s[0] == '+' ? 1 : 0);
  const auto r = std::from_chars(b, s.data() + s.size(), v);
  if (r.ec != std::errc() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int> parse_break_time(std::string_view s) {
  double scale = 0;
  if (ends_with(s, "ms")) {
    s.remove_suffix(2);
    scale = 1;
  } else if (ends_with(s, "s")) {
    s.remove_suffix(1);
    scale = 1000;
  } else {
    return std::nullopt;
  }
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) return std::nullopt;
  const std::optional<double> v = parse_number(s);
  if (!v) return std::nullopt;
  return static_cast<int>(std::lround(std::min(*v * scale, double{kMaxBreakMs})));
}

std::optional<double> parse_rate(std::string_view s, double parent) {
  if (std::optional<double> k = keyword(kRateWords, s)) return *k;
  double scale = 1;
  if (ends_with(s, "%")) {
    s.remove_suffix(1);
    scale = 0.01;
  }
  if (!s.empty() && s[0] == '-') return std::nullopt;
  const std::optional<double> v = parse_number(s);
  if (!v) return std::nullopt;
  return parent * *v * scale;
}

std::optional<double> parse_pitch(std::string_view s, double parent) {
  if (std::optional<double> k = keyword(kPitchWords, s)) return *k;
  const bool sign = !s.empty() && (s[0] == '+' || s[0] == '-');
  if (ends_with(s, "st")) {
    s.remove_suffix(2);
    const std::optional<double> v = parse_number(s);
    return v ? std::optional<double>(parent + *v) : std::nullopt;
  }
  if (!ends_with(s, "%")) return std::nullopt;
  s.remove_suffix(1);
  const std::optional<double> v = parse_number(s);
  if (!v) return std::nullopt;
  const double ratio = sign ? 1.0 + *v / 100.0 : *v / 100.0;
  if (ratio <= 0) return parent - 12.0;  // at or below zero Hz: the lowest
  return parent + 12.0 * std::log2(ratio);
}

std::optional<double> parse_volume(std::string_view s, double parent) {
  if (std::optional<double> k = keyword(kVolumeWords, s)) return *k;
  if (!ends_with(s, "dB") || s.empty() || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  s.remove_suffix(2);
  const std::optional<double> v = parse_number(s);
  if (!v) return std::nullopt;
  return parent * std::pow(10.0, std::clamp(*v, -200.0, 200.0) / 20.0);
}

Prosody clamped(Prosody p) {
  p.rate = std::clamp(p.rate, 0.25, 4.0);
  p.pitch = std::clamp(p.pitch, -12.0, 12.0);
  p.volume = std::clamp(p.volume, 0.0, 4.0);
  return p;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::optional<std::string> decode_entity(std::string_view name) {
  if (name == "amp") return "&";
  if (name == "lt") return "<";
  if (name == "gt") return ">";
  if (name == "quot") return "\"";
  if (name == "apos") return "'";
  if (name.size() < 2 || name[0] != '#') return std::nullopt;
  const bool hex = name[1] == 'x' || name[1] == 'X';
  const std::string_view digits = name.substr(hex ? 2 : 1);
  uint32_t cp = 0;
  if (digits.empty() || digits.size() > 8) return std::nullopt;
  const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return std::nullopt;
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  std::string out;
  append_utf8(out, cp);
  return out;
}

class Parser {
 public:
  Parser(std::string_view in, const SsmlLimits& limits) : in_(in), limits_(limits) {}

  Result<std::vector<SsmlSegment>> run() {
    if (in_.size() > limits_.max_bytes) {
      return fail(limits_.max_bytes, "document longer than " + std::to_string(limits_.max_bytes) +
                                         " bytes");
    }
    while (pos_ < in_.size()) {
      const char c = in_[pos_];
      if (c == '<') {
        R1_RETURN_IF_ERROR(markup());
      } else if (c == '&') {
        R1_RETURN_IF_ERROR(entity_in_text());
      } else {
        R1_RETURN_IF_ERROR(text_char(c, pos_));
        ++pos_;
      }
    }
    if (!stack_.empty()) {
      return fail(stack_.back().at, "<" + stack_.back().name + "> is never closed");
    }
    return std::move(out_);
  }

 private:
  Error fail(size_t at, const std::string& what) const {
    return make_error(ErrorCode::kInvalidArgument,
                      "ssml: " + what + " at byte " + std::to_string(at));
  }

  Prosody prosody() const { return stack_.empty() ? Prosody{} : stack_.back().prosody; }

  Status text_char(char c, size_t at) {
    if (root_closed_ && !is_space(c)) return fail(at, "text after </speak>");
    if (static_cast<unsigned char>(c) < 0x20 || c == ' ') {
      // Control characters read as blanks; a run of blanks with a newline
      // collapses to '\n' (a clause boundary for the synthesizers).
      space_ = (c == '\n' || space_ == '\n') ? '\n' : ' ';
      return {};
    }
    const Prosody p = prosody();
    if (out_.empty() || out_.back().break_ms > 0 || !same(out_.back(), p)) {
      R1_RETURN_IF_ERROR(new_segment(at, p));
    } else if (space_ != 0 && !out_.back().text.empty()) {
      out_.back().text += space_;
    }
    space_ = 0;
    out_.back().text += c;
    return {};
  }

  static bool same(const SsmlSegment& s, const Prosody& p) {
    return s.rate == p.rate && s.pitch == p.pitch && s.volume == p.volume;
  }

  Status new_segment(size_t at, const Prosody& p) {
    if (out_.size() >= limits_.max_segments) {
      return fail(at, "more than " + std::to_string(limits_.max_segments) + " segments");
    }
    SsmlSegment s;
    s.rate = p.rate;
    s.pitch = p.pitch;
    s.volume = p.volume;
    out_.push_back(std::move(s));
    space_ = 0;
    return {};
  }

  Status add_break(size_t at, int ms) {
    if (ms <= 0) return {};
    if (out_.empty()) R1_RETURN_IF_ERROR(new_segment(at, prosody()));
    out_.back().break_ms = std::min(out_.back().break_ms + ms, kMaxBreakMs);
    return {};
  }

  Status entity_in_text() {
    const size_t at = pos_;
    R1_ASSIGN_OR_RETURN(std::string decoded, entity());
    for (char c : decoded) R1_RETURN_IF_ERROR(text_char(c, at));
    return {};
  }

  // At '&': decodes through ';'.
  Result<std::string> entity() {
    const size_t at = pos_;
    const size_t semi = in_.find(';', pos_);
    if (semi == std::string_view::npos || semi - pos_ > 12) return fail(at, "'&' without ';'");
    const std::optional<std::string> d = decode_entity(in_.substr(pos_ + 1, semi - pos_ - 1));
    if (!d) return fail(at, "unknown entity '" + std::string(in_.substr(pos_, semi - pos_ + 1)) + "'");
    pos_ = semi + 1;
    return *d;
  }

  bool starts(std::string_view s) const { return in_.substr(pos_).starts_with(s); }

  Status skip_to(std::string_view end, const char* what) {
    const size_t at = pos_;
    const size_t e = in_.find(end, pos_);
    if (e == std::string_view::npos) return fail(at, std::string("unterminated ") + what);
    pos_ = e + end.size();
    return {};
  }

  Status markup() {
    if (starts("<!--")) return skip_to("-->", "comment");
    if (starts("<?")) return skip_to("?>", "processing instruction");
    if (starts("<![CDATA[")) {
      const size_t at = pos_;
      const size_t start = pos_ + 9;
      R1_RETURN_IF_ERROR(skip_to("]]>", "CDATA section"));
      for (size_t i = start; i + 3 < pos_; ++i) R1_RETURN_IF_ERROR(text_char(in_[i], at));
      return {};
    }
    if (starts("<!")) return fail(pos_, "unsupported declaration (<!DOCTYPE ...>)");
    if (root_closed_) return fail(pos_, "markup after </speak>");
    return starts("</") ? end_tag() : start_tag();
  }

  Result<std::string> name() {
    const size_t b = pos_;
    if (pos_ >= in_.size() || !is_name_start(in_[pos_])) return fail(pos_, "expected a tag name");
    while (pos_ < in_.size() && is_name_char(in_[pos_])) ++pos_;
    if (pos_ - b > 64) return fail(b, "tag name too long");
    return std::string(in_.substr(b, pos_ - b));
  }

  void skip_space() {
    while (pos_ < in_.size() && is_space(in_[pos_])) ++pos_;
  }

  Result<Attribute> attribute() {
    Attribute a;
    R1_ASSIGN_OR_RETURN(a.name, name());
    skip_space();
    if (pos_ >= in_.size() || in_[pos_] != '=') return fail(pos_, "expected '=' after " + a.name);
    ++pos_;
    skip_space();
    if (pos_ >= in_.size() || (in_[pos_] != '"' && in_[pos_] != '\'')) {
      return fail(pos_, "expected a quoted value for " + a.name);
    }
    const char quote = in_[pos_++];
    while (pos_ < in_.size() && in_[pos_] != quote) {
      if (in_[pos_] == '<') return fail(pos_, "'<' in an attribute value");
      if (in_[pos_] == '&') {
        R1_ASSIGN_OR_RETURN(std::string d, entity());
        a.value += d;
      } else {
        a.value += in_[pos_++];
      }
    }
    if (pos_ >= in_.size()) return fail(pos_, "unterminated attribute value");
    ++pos_;
    return a;
  }

  Status start_tag() {
    const size_t at = pos_++;
    R1_ASSIGN_OR_RETURN(std::string tag, name());
    std::vector<Attribute> attrs;
    for (;;) {
      const size_t before = pos_;
      skip_space();
      if (pos_ >= in_.size()) return fail(at, "unterminated <" + tag + ">");
      if (in_[pos_] == '>' || starts("/>")) break;
      if (pos_ == before) return fail(pos_, "expected a blank before an attribute");
      R1_ASSIGN_OR_RETURN(Attribute a, attribute());
      for (const Attribute& o : attrs) {
        if (o.name == a.name) return fail(before, "duplicate attribute " + a.name);
      }
      if (attrs.size() >= kMaxAttributes) return fail(before, "too many attributes");
      attrs.push_back(std::move(a));
    }
    const bool empty = in_[pos_] == '/';
    pos_ += empty ? 2 : 1;
    return open(Element{tag, at, prosody()}, attrs, empty);
  }

  static const std::string* find(const std::vector<Attribute>& attrs, std::string_view n) {
    for (const Attribute& a : attrs) {
      if (a.name == n) return &a.value;
    }
    return nullptr;
  }

  Result<int> break_ms(const Element& e, const std::vector<Attribute>& attrs) const {
    if (const std::string* t = find(attrs, "time")) {
      const std::optional<int> ms = parse_break_time(*t);
      if (!ms) return fail(e.at, "bad break time '" + *t + "' (want 300ms or 1.5s)");
      return *ms;
    }
    const std::string* s = find(attrs, "strength");
    if (!s) return static_cast<int>(keyword(kStrengthMs, "medium").value_or(0));
    const std::optional<double> ms = keyword(kStrengthMs, *s);
    if (!ms) return fail(e.at, "bad break strength '" + *s + "'");
    return static_cast<int>(*ms);
  }

  Status apply_prosody(Element& e, const std::vector<Attribute>& attrs) const {
    using Parse = std::optional<double> (*)(std::string_view, double);
    const std::pair<const char*, std::pair<Parse, double Prosody::*>> fields[] = {
        {"rate", {parse_rate, &Prosody::rate}},
        {"pitch", {parse_pitch, &Prosody::pitch}},
        {"volume", {parse_volume, &Prosody::volume}}};
    for (const auto& [attr, how] : fields) {
      const std::string* v = find(attrs, attr);
      if (!v) continue;
      const std::optional<double> x = how.first(*v, e.prosody.*how.second);
      if (!x) return fail(e.at, std::string("bad prosody ") + attr + " '" + *v + "'");
      e.prosody.*how.second = *x;
    }
    e.prosody = clamped(e.prosody);
    return {};
  }

  Status open(Element e, const std::vector<Attribute>& attrs, bool empty) {
    if (static_cast<int>(stack_.size()) >= limits_.max_depth) {
      return fail(e.at, "nesting deeper than " + std::to_string(limits_.max_depth));
    }
    if (e.name == "speak") {
      if (seen_root_ || !stack_.empty() || !out_.empty()) {
        return fail(e.at, "<speak> must be the root, once");
      }
      seen_root_ = true;
    } else if (e.name == "break") {
      R1_ASSIGN_OR_RETURN(int ms, break_ms(e, attrs));
      R1_RETURN_IF_ERROR(add_break(e.at, ms));
    } else if (e.name == "prosody") {
      R1_RETURN_IF_ERROR(apply_prosody(e, attrs));
    }
    stack_.push_back(std::move(e));
    return empty ? close(stack_.back().at) : Status{};
  }

  Status close(size_t at) {
    const Element e = std::move(stack_.back());
    stack_.pop_back();
    if (e.name == "s") return add_break(at, kSentenceBreakMs);
    if (e.name == "p") return add_break(at, kParagraphBreakMs);
    if (e.name == "speak") root_closed_ = true;
    return {};
  }

  Status end_tag() {
    const size_t at = pos_;
    pos_ += 2;
    R1_ASSIGN_OR_RETURN(std::string tag, name());
    skip_space();
    if (pos_ >= in_.size() || in_[pos_] != '>') return fail(at, "unterminated </" + tag + ">");
    ++pos_;
    if (stack_.empty()) return fail(at, "</" + tag + "> closes nothing");
    if (stack_.back().name != tag) {
      return fail(at, "</" + tag + "> closes <" + stack_.back().name + "> (opened at byte " +
                          std::to_string(stack_.back().at) + ")");
    }
    return close(at);
  }

  std::string_view in_;
  const SsmlLimits& limits_;
  size_t pos_ = 0;
  std::vector<Element> stack_;
  std::vector<SsmlSegment> out_;
  char space_ = 0;  // a pending blank: 0, ' ' or '\n'
  bool seen_root_ = false;
  bool root_closed_ = false;
};

}  // namespace

Result<std::vector<SsmlSegment>> parse_ssml(std::string_view markup, const SsmlLimits& limits) {
  return Parser(markup, limits).run();
}

std::vector<SsmlSegment> plain_segments(std::string_view text) {
  SsmlSegment s;
  char space = 0;
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == ' ') {
      space = (c == '\n' || space == '\n') ? '\n' : ' ';
      continue;
    }
    if (space != 0 && !s.text.empty()) s.text += space;
    space = 0;
    s.text += c;
  }
  if (s.text.empty()) return {};
  return {std::move(s)};
}

}  // namespace r1::voice
