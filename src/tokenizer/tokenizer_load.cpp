// Tokenizer construction: index building, special-token detection and the
// piece cache, following llama_vocab::impl::load.
#include <algorithm>
#include <cstdio>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/text/unicode.h"

namespace r1::tokenizer {
namespace {

uint8_t attr_from_type(int32_t type) {
  switch (static_cast<TokenType>(type)) {
    case TokenType::kNormal: return kAttrNormal;
    case TokenType::kUnknown: return kAttrUnknown;
    case TokenType::kControl: return kAttrControl;
    case TokenType::kUserDefined: return kAttrUserDefined;
    case TokenType::kUnused: return kAttrUnused;
    case TokenType::kByte: return kAttrByte;
    default: return kAttrUndefined;
  }
}

// Token texts that end generation (llama.cpp's list, restricted to texts
// plausible in the supported vocabularies), in EOT-preference order.
constexpr std::string_view kEogTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
    "<EOT>", "_<EOT>", "<|end_of_text|>", "<｜end▁of▁sentence｜>", "<|eom_id|>",
    "</s>", "<end_of_utterance>", "<eos>"};
constexpr std::string_view kEotTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
    "<EOT>", "_<EOT>", "<|end_of_text|>", "<｜end▁of▁sentence｜>"};
// FIM pad / repo / file-separator tokens are end-of-generation too.
constexpr std::string_view kFimEogTexts[] = {
    "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<|fim_repo|>", "<|repo_name|>",
    "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>"};

int32_t valid_or_none(std::optional<int32_t> id, int32_t fallback, int32_t n) {
  const int32_t v = id.value_or(fallback);
  return v >= 0 && v < n ? v : kNoToken;
}

int parse_hex_byte(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  unsigned v = 0;
  if (std::sscanf(std::string(text.substr(3, 2)).c_str(), "%2x", &v) != 1) return -1;
  return static_cast<int>(v);
}

std::string make_piece(const TokenTable& t, int32_t id, TokenizerKind kind) {
  const std::string& text = t.text[id];
  const uint8_t attr = t.attr[id];
  if (attr & (kAttrControl | kAttrUnknown | kAttrUserDefined)) return text;
  if (attr & kAttrNormal) {
    std::string out;
    if (kind == TokenizerKind::kSpm) {
      for (size_t i = 0; i < text.size(); ++i) {
        if (text.compare(i, 3, "\xE2\x96\x81") == 0) {
          out.push_back(' ');
          i += 2;
        } else {
          out.push_back(text[i]);
        }
      }
      return out;
    }
    size_t off = 0;
    while (off < text.size()) {
      const size_t start = off;
      const int b = unicode_to_byte(utf8_decode_lenient(text, off));
      if (b >= 0) out.push_back(static_cast<char>(b));
      else out.append(text, start, off - start);  // not a stand-in: keep as is
    }
    return out;
  }
  if (attr & kAttrByte) {
    const int b = parse_hex_byte(text);
    return b >= 0 ? std::string(1, static_cast<char>(b)) : std::string();
  }
  return std::string();  // unused / undefined tokens render as nothing
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<TokenizerImpl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const gguf::File& file) {
  R1_ASSIGN_OR_RETURN(Vocab vocab, load_vocab(file));
  auto tok = from_vocab(std::move(vocab));
  if (!tok.ok()) {
    return make_error(tok.error().code, tok.error().message + " (" + file.path() + ")");
  }
  return tok;
}

namespace {

Status build_table(Vocab& v, TokenizerImpl& impl) {
  const size_t n = v.tokens.size();
  if (n == 0) return make_error(ErrorCode::kCorrupt, "tokenizer.ggml.tokens is empty");
  if (n > static_cast<size_t>(INT32_MAX)) {
    return make_error(ErrorCode::kOutOfRange, "too many tokens");
  }
  TokenTable& t = impl.table;
  t.text = std::move(v.tokens);
  t.score.assign(n, 0.0f);
  if (!v.scores.empty()) std::copy_n(v.scores.begin(), std::min(n, v.scores.size()), t.score.begin());
  impl.token_types.assign(n, static_cast<int32_t>(TokenType::kNormal));
  if (!v.token_types.empty()) {
    std::copy_n(v.token_types.begin(), std::min(n, v.token_types.size()), impl.token_types.begin());
  }
  t.attr.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (t.text[i].empty()) t.text[i] = "[EMPTY_" + std::to_string(i) + "]";
    t.attr[i] = attr_from_type(impl.token_types[i]);
  }
  t.index.build(t.text);
  return Status::ok_status();
}

}  // namespace

namespace {

struct Defaults {
  int32_t bos, eos, unk;
  bool add_bos, add_space_prefix;
};

// Marks the tokens whose text is in `texts` as end-of-generation and CONTROL
// (llama.cpp overrides the type of such tokens). Returns the first found in
// `eot_order`, or kNoToken.
int32_t detect_eog(TokenizerImpl& impl) {
  TokenTable& t = impl.table;
  auto mark = [&](std::string_view text) {
    const int32_t id = t.find(text);
    if (id < 0) return;
    impl.eog[id] = 1;
    t.attr[id] |= kAttrControl;
  };
  for (std::string_view s : kFimEogTexts) mark(s);
  for (std::string_view s : kEogTexts) mark(s);
  for (std::string_view s : kEotTexts) {
    if (const int32_t id = t.find(s); id >= 0) return id;
  }
  return kNoToken;
}

void build_specials(TokenizerImpl& impl) {
  const TokenTable& t = impl.table;
  for (int32_t id = 0; id < t.size(); ++id) {
    if (t.attr[id] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) {
      impl.special_tokens.push_back(id);
    }
  }
  std::stable_sort(impl.special_tokens.begin(), impl.special_tokens.end(),
                   [&](int32_t a, int32_t b) { return t.text[a].size() > t.text[b].size(); });
}

void build_byte_tokens(TokenizerImpl& impl) {
  impl.byte_tokens.fill(kNoToken);
  for (int b = 0; b < 256; ++b) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
    int32_t id = impl.table.find(hex);
    const char raw = static_cast<char>(b);
    if (id < 0) id = impl.table.find(std::string_view(&raw, 1));
    impl.byte_tokens[b] = id;
  }
}

}  // namespace

namespace {

// Model type, pre-tokenizer and llama.cpp's per-model defaults.
Result<Defaults> setup_model(const Vocab& v, TokenizerImpl& impl, TokenizerKind& kind) {
  if (v.model == "gpt2") {
    kind = TokenizerKind::kBpe;
    if (v.merges.empty()) {
      return make_error(ErrorCode::kCorrupt, "BPE vocabulary without tokenizer.ggml.merges");
    }
    R1_ASSIGN_OR_RETURN(impl.pre, PreTokenizer::create(v.pre_type));
    const bool llama3 = impl.pre->rules_name() == "llama3";
    impl.ignore_merges = llama3;
    return Defaults{11, 11, kNoToken, llama3, false};
  }
  if (v.model == "llama") {
    kind = TokenizerKind::kSpm;
    return Defaults{1, 2, 0, true, true};
  }
  return make_error(ErrorCode::kUnsupported, "unknown tokenizer model '" + v.model + "'");
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_vocab(Vocab v) {
  auto impl = std::make_unique<TokenizerImpl>();
  TokenizerKind kind = TokenizerKind::kBpe;
  R1_ASSIGN_OR_RETURN(const Defaults d, setup_model(v, *impl, kind));
  R1_RETURN_IF_ERROR(build_table(v, *impl));
  impl->merges.build(v.merges, impl->table);
  const int32_t n = impl->table.size();

  std::unique_ptr<Tokenizer> tok(new Tokenizer(std::move(impl)));
  TokenizerImpl& m = *tok->impl_;
  tok->kind_ = kind;
  tok->pre_type_ = v.pre_type.empty() ? "default" : v.pre_type;
  tok->bos_id_ = valid_or_none(v.bos_id, d.bos, n);
  tok->eos_id_ = valid_or_none(v.eos_id, d.eos, n);
  tok->unk_id_ = valid_or_none(v.unk_id, d.unk, n);
  tok->pad_id_ = valid_or_none(v.pad_id, kNoToken, n);
  tok->add_bos_ = v.add_bos.value_or(d.add_bos);
  tok->add_space_prefix_ = v.add_space_prefix.value_or(d.add_space_prefix);

  m.eog.assign(n, 0);
  const int32_t detected_eot = detect_eog(m);
  tok->eot_id_ = valid_or_none(v.eot_id, detected_eot, n);
  const int32_t eom = valid_or_none(v.eom_id, kNoToken, n);
  for (int32_t id : {tok->eos_id_, tok->eot_id_, eom}) {
    if (id >= 0) m.eog[id] = 1;
  }
  for (int32_t id = 0; id < n; ++id) {
    if (m.eog[id]) tok->eog_ids_.push_back(id);
  }
  build_specials(m);
  build_byte_tokens(m);
  m.pieces.reserve(n);
  for (int32_t id = 0; id < n; ++id) m.pieces.push_back(make_piece(m.table, id, kind));
  return tok;
}

}  // namespace r1::tokenizer
