#include "tokenizer/text/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <optional>
#include <utility>

namespace r1::tokenizer {
namespace {

// The regexes are llama.cpp's (llm_tokenizer_bpe), which in turn come from
// the models' tokenizer.json files; (?i:...) is spelled out case by case.
constexpr const char* kContractions =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

struct RuleSet {
  std::string name;
  std::vector<std::string> regexes;
};

std::string llama3_regex(const char* digits) {
  return std::string(kContractions) + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}" + digits +
         "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
}

constexpr const char* kGpt2 =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";

constexpr const char* kDeepseekLlmLetters =
    "\\s?["
    "A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}\\x{1C4}"
    "-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}"
    "\\x{386}\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}"
    "\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-"
    "\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-"
    "\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}\\x{1F20}-"
    "\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}\\x{1F5F}-"
    "\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}\\x{1FC6}"
    "-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-"
    "\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-"
    "\\x{211D}\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}"
    "\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}"
    "\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}"
    "-\\x{A69B}\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-"
    "\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}\\x{FF41}-"
    "\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-"
    "\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}"
    "]+";

std::optional<RuleSet> rules_for(std::string_view pre) {
  if (pre.empty() || pre == "default") {
    return RuleSet{"default",
                   {"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2, "\\p{N}+", "[0-9][0-9][0-9]"}};
  }
  if (pre == "gpt2") return RuleSet{"gpt2", {kGpt2}};
  if (pre == "qwen2" || pre == "deepseek-r1-qwen") return RuleSet{"qwen2", {llama3_regex("")}};
  if (pre == "llama3" || pre == "llama-v3" || pre == "llama-bpe") {
    return RuleSet{"llama3", {llama3_regex("{1,3}")}};
  }
  if (pre == "deepseek-llm") {
    return RuleSet{"deepseek-llm",
                   {"[\r\n]", kDeepseekLlmLetters, "\\s?[!-/:-~！-／：-～‘-‟　-。]+", "\\s+$",
                    "[一-龥ࠀ-一가-퟿]+", "\\p{N}+"}};
  }
  if (pre == "deepseek-coder") {
    return RuleSet{"deepseek-coder",
                   {"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}"}};
  }
  if (pre == "deepseek-v3") {
    return RuleSet{"deepseek-v3",
                   {"\\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+",
                    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?"
                    "[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"}};
  }
  return std::nullopt;
}

// Adapts a llama.cpp regex to PCRE2 so that it matches what llama.cpp's
// std::regex emulation matches:
//  * llama.cpp counts U+0085 (NEL) as whitespace; PCRE2's UCP \s does not,
//    so \s gains \x{85} and \S loses it.
//  * For regexes without \p{..} llama.cpp replaces every non-ASCII
//    whitespace character by U+000B before matching, so a class spelled with
//    non-ASCII literals (e.g. U+3000-U+3002) never matches whitespace there;
//    such classes get a (?![\s\x{85}]) guard.
std::string adapt_regex(std::string_view re) {
  const bool uses_categories = re.find("\\p{") != std::string_view::npos;
  std::string out;
  bool in_class = false;
  bool class_non_ascii = false;
  size_t class_start = 0;
  for (size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      const char e = re[++i];
      if (e == 's') out += in_class ? "\\s\\x{85}" : "[\\s\\x{85}]";
      else if (e == 'S' && !in_class) out += "[^\\s\\x{85}]";
      else out += std::string{c, e};
      if (in_class && e == 'x') class_non_ascii = true;  // \x{..} code point
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      class_non_ascii = false;
      class_start = out.size();
    } else if (in_class && c == ']') {
      in_class = false;
      if (class_non_ascii && !uses_categories) {
        out.insert(class_start, "(?:(?![\\s\\x{85}])");
        out += "])";
        continue;
      }
    } else if (in_class && (static_cast<uint8_t>(c) & 0x80) != 0) {
      class_non_ascii = true;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

struct PreTokenizer::Regex {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Regex() { pcre2_code_free(code); }
};

PreTokenizer::~PreTokenizer() = default;

Result<std::unique_ptr<PreTokenizer>> PreTokenizer::create(std::string_view pre_type) {
  std::optional<RuleSet> rules = rules_for(pre_type);
  if (!rules) {
    return make_error(ErrorCode::kUnsupported,
                      "unknown BPE pre-tokenizer type '" + std::string(pre_type) + "'");
  }
  std::unique_ptr<PreTokenizer> pt(new PreTokenizer());
  pt->rules_name_ = rules->name;
  for (const std::string& original : rules->regexes) {
    const std::string pattern = adapt_regex(original);
    int err = 0;
    PCRE2_SIZE err_off = 0;
    auto re = std::make_unique<Regex>();
    re->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                             PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY | PCRE2_NO_UTF_CHECK,
                             &err, &err_off, nullptr);
    if (re->code == nullptr) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof(msg));
      return make_error(ErrorCode::kInternal, "pre-tokenizer regex failed to compile: " +
                                                  std::string(reinterpret_cast<char*>(msg)));
    }
    re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
    pt->regexes_.push_back(std::move(re));
  }
  return pt;
}

namespace {

// Splits `frag` by one regex: every match and every gap becomes a piece.
void split_fragment(pcre2_code* code, bool jit, pcre2_match_data* md, std::string_view frag,
                    std::vector<std::string_view>& out) {
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(frag.data());
  size_t pos = 0;
  size_t gap_start = 0;
  while (pos < frag.size()) {
    int rc = jit ? pcre2_jit_match(code, subject, frag.size(), pos, 0, md, nullptr)
                 : PCRE2_ERROR_JIT_STACKLIMIT;
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
      rc = pcre2_match(code, subject, frag.size(), pos, PCRE2_NO_JIT | PCRE2_NO_UTF_CHECK, md,
                       nullptr);
    }
    if (rc < 0) break;  // no further match (or a match-limit error: keep the rest whole)
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const size_t b = ov[0];
    const size_t e = ov[1];
    if (e == b) {  // empty match: step one code point (the regexes here never do this)
      pos = b + 1;
      while (pos < frag.size() && (static_cast<uint8_t>(frag[pos]) & 0xC0) == 0x80) ++pos;
      continue;
    }
    if (b > gap_start) out.push_back(frag.substr(gap_start, b - gap_start));
    out.push_back(frag.substr(b, e - b));
    pos = gap_start = e;
  }
  if (gap_start < frag.size()) out.push_back(frag.substr(gap_start));
}

}  // namespace

std::vector<std::string_view> PreTokenizer::split(std::string_view text) const {
  std::vector<std::string_view> cur;
  if (text.empty()) return cur;
  cur.push_back(text);
  std::vector<std::string_view> next;
  pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
  for (const auto& re : regexes_) {
    next.clear();
    next.reserve(cur.size() * 2);
    for (std::string_view frag : cur) split_fragment(re->code, re->jit, md, frag, next);
    cur.swap(next);
  }
  pcre2_match_data_free(md);
  return cur;
}

}  // namespace r1::tokenizer
