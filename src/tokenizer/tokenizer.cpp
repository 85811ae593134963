#include "tokenizer/tokenizer.h"

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/text/unicode.h"

namespace r1::tokenizer {
namespace {

// A piece of the input: raw text [off, off+len) or one special token.
struct Fragment {
  int32_t token;  // kNoToken for text
  size_t off;
  size_t len;
};

// Splits every text fragment at each occurrence of `special` (llama.cpp's
// tokenizer_st_partition for one token).
void partition_one(std::string_view text, std::string_view special, int32_t id,
                   std::vector<Fragment>& frags, std::vector<Fragment>& scratch) {
  scratch.clear();
  for (const Fragment& f : frags) {
    if (f.token != kNoToken) {
      scratch.push_back(f);
      continue;
    }
    size_t start = f.off;
    const size_t end = f.off + f.len;
    const std::string_view window = text.substr(0, end);
    for (size_t hit = window.find(special, start); hit != std::string_view::npos;
         hit = window.find(special, start)) {
      if (hit > start) scratch.push_back(Fragment{kNoToken, start, hit - start});
      scratch.push_back(Fragment{id, hit, special.size()});
      start = hit + special.size();
    }
    if (start < end) scratch.push_back(Fragment{kNoToken, start, end - start});
  }
  frags.swap(scratch);
}

std::vector<Fragment> partition(const TokenizerImpl& m, std::string_view text,
                                bool parse_special) {
  std::vector<Fragment> frags;
  if (text.empty()) return frags;
  frags.push_back(Fragment{kNoToken, 0, text.size()});
  bool present[256] = {};
  for (char c : text) present[static_cast<uint8_t>(c)] = true;
  std::vector<Fragment> scratch;
  for (int32_t id : m.special_tokens) {
    const uint8_t attr = m.table.attr[id];
    if (!parse_special && (attr & (kAttrControl | kAttrUnknown))) continue;
    const std::string& s = m.table.text[id];
    if (!present[static_cast<uint8_t>(s[0])] || text.find(s) == std::string_view::npos) continue;
    partition_one(text, s, id, frags, scratch);
  }
  return frags;
}

void encode_bpe_text(const TokenizerImpl& m, std::string_view raw, std::vector<int32_t>& out) {
  const std::string text = utf8_sanitize(raw);
  std::string word;
  for (std::string_view w : m.pre->split(text)) {
    word.clear();
    for (char c : w) word += byte_to_unicode(static_cast<uint8_t>(c));
    bpe_encode_word(m.table, m.merges, word, m.ignore_merges, out);
  }
}

void encode_spm_text(const TokenizerImpl& m, std::string_view raw, bool prefix_space,
                     int32_t unk_id, std::vector<int32_t>& out) {
  std::string text;
  text.reserve(raw.size() + 8);
  if (prefix_space) text += "\xE2\x96\x81";
  for (char c : raw) {
    if (c == ' ') text += "\xE2\x96\x81";
    else text.push_back(c);
  }
  const SpmParams params{m.byte_tokens.data(), unk_id};
  spm_encode(m.table, params, text, out);
}

const std::string& empty_string() {
  static const std::string kEmpty;
  return kEmpty;
}

}  // namespace

std::vector<int32_t> Tokenizer::encode(std::string_view text, const EncodeOptions& opts) const {
  const TokenizerImpl& m = *impl_;
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  if (opts.add_bos && bos_id_ != kNoToken) out.push_back(bos_id_);
  bool prev_special = true;  // SPM: the first text fragment gets the prefix space
  for (const Fragment& f : partition(m, text, opts.parse_special)) {
    if (f.token != kNoToken) {
      out.push_back(f.token);
      prev_special = true;
      continue;
    }
    const std::string_view piece = text.substr(f.off, f.len);
    if (kind_ == TokenizerKind::kBpe) {
      encode_bpe_text(m, piece, out);
    } else {
      encode_spm_text(m, piece, add_space_prefix_ && prev_special, unk_id_, out);
    }
    prev_special = false;
  }
  return out;
}

const std::string& Tokenizer::token_to_piece(int32_t id) const {
  if (id < 0 || id >= n_vocab()) return empty_string();
  return impl_->pieces[id];
}

const std::string& Tokenizer::token_text(int32_t id) const {
  if (id < 0 || id >= n_vocab()) return empty_string();
  return impl_->table.text[id];
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::string out;
  bool strip_space = add_space_prefix_;
  if (skip_special && !ids.empty() && ids.front() == bos_id_ && add_bos_) {
    strip_space = false;  // llama.cpp keeps the space after a removed BOS
    ids = ids.subspan(1);
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    const int32_t id = ids[i];
    if (skip_special && is_special(id)) {
      strip_space = false;
      continue;
    }
    std::string_view piece = token_to_piece(id);
    if (i == 0 && strip_space && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    strip_space = false;
    out.append(piece);
  }
  return out;
}

int32_t Tokenizer::n_vocab() const { return impl_->table.size(); }

bool Tokenizer::is_eog(int32_t id) const {
  return id >= 0 && id < n_vocab() && impl_->eog[id] != 0;
}

bool Tokenizer::is_special(int32_t id) const {
  return id >= 0 && id < n_vocab() && (impl_->table.attr[id] & (kAttrControl | kAttrUnknown)) != 0;
}

TokenType Tokenizer::token_type(int32_t id) const {
  if (id < 0 || id >= n_vocab()) return TokenType::kUndefined;
  return static_cast<TokenType>(impl_->token_types[id]);
}

std::optional<int32_t> Tokenizer::find_token(std::string_view text) const {
  const int32_t id = impl_->table.find(text);
  if (id < 0) return std::nullopt;
  return id;
}

}  // namespace r1::tokenizer
