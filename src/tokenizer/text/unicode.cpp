#include "tokenizer/text/unicode.h"

#include <array>

#include "core/check.h"

namespace r1::tokenizer {
namespace {

bool is_cont(std::string_view s, size_t i) {
  return i < s.size() && (static_cast<uint8_t>(s[i]) & 0xC0) == 0x80;
}

struct ByteTables {
  std::array<std::string, 256> to_unicode;
  std::array<int, 512> from_cpt;  // stand-ins are all < 512

  ByteTables() {
    from_cpt.fill(-1);
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) ||
                             (b >= 0xAE && b <= 0xFF);
      const uint32_t cpt = printable ? static_cast<uint32_t>(b) : 256u + n++;
      utf8_append(to_unicode[b], cpt);
      from_cpt[cpt] = b;
    }
  }
};

const ByteTables& tables() {
  static const ByteTables t;
  return t;
}

}  // namespace

size_t utf8_len_from_lead(uint8_t lead) {
  static constexpr size_t kLookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLookup[lead >> 4];
}

uint32_t utf8_decode_lenient(std::string_view s, size_t& offset) {
  CHECK_LT(offset, s.size());
  const size_t at = offset;
  const auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(s[at + k])); };
  const uint32_t c0 = b(0);
  uint32_t cpt = kReplacementChar;
  size_t len = 1;
  if ((c0 & 0x80) == 0) {
    cpt = c0;
  } else if ((c0 & 0x40) != 0) {
    if ((c0 & 0x20) == 0) {
      if (is_cont(s, at + 1)) {
        cpt = ((c0 & 0x1F) << 6) | (b(1) & 0x3F);
        len = 2;
      }
    } else if ((c0 & 0x10) == 0) {
      if (is_cont(s, at + 1) && is_cont(s, at + 2)) {
        cpt = ((c0 & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
        len = 3;
      }
    } else if ((c0 & 0x08) == 0) {
      if (is_cont(s, at + 1) && is_cont(s, at + 2) && is_cont(s, at + 3)) {
        cpt = ((c0 & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
        len = 4;
      }
    }
  }
  offset = at + len;
  return cpt;
}

void utf8_append(std::string& out, uint32_t cpt) {
  if (cpt < 0x80) {
    out.push_back(static_cast<char>(cpt));
  } else if (cpt < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cpt >> 6)));
    out.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  } else if (cpt < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cpt >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | ((cpt >> 18) & 0x07)));
    out.push_back(static_cast<char>(0x80 | ((cpt >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  }
}

std::string utf8_sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    // Invalid bytes become U+FFFD; overlong forms are normalized, as in
    // llama.cpp. Surrogates and code points past U+10FFFF (which llama.cpp
    // passes through) also become U+FFFD so that PCRE2 always sees valid UTF-8.
    uint32_t cpt = utf8_decode_lenient(s, i);
    if ((cpt >= 0xD800 && cpt <= 0xDFFF) || cpt > 0x10FFFF) cpt = kReplacementChar;
    utf8_append(out, cpt);
  }
  return out;
}

size_t utf8_incomplete_tail(std::string_view s) {
  // Look back at most 3 bytes for a lead byte whose sequence is cut short.
  const size_t n = s.size();
  for (size_t k = 1; k <= 3 && k <= n; ++k) {
    const auto c = static_cast<uint8_t>(s[n - k]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking
    if ((c & 0x80) == 0) return 0;     // ASCII: complete
    size_t need = 0;
    if ((c & 0xE0) == 0xC0) need = 2;
    else if ((c & 0xF0) == 0xE0) need = 3;
    else if ((c & 0xF8) == 0xF0) need = 4;
    else return 0;  // invalid lead byte
    return need > k ? k : 0;
  }
  return 0;
}

namespace {

// Length of the strictly valid UTF-8 sequence at s[i], or 0 if invalid.
size_t strict_seq_len(std::string_view s, size_t i) {
  const auto c = static_cast<uint8_t>(s[i]);
  size_t len = 0;
  uint32_t cpt = 0;
  uint32_t min = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) { len = 2; cpt = c & 0x1F; min = 0x80; }
  else if ((c & 0xF0) == 0xE0) { len = 3; cpt = c & 0x0F; min = 0x800; }
  else if ((c & 0xF8) == 0xF0) { len = 4; cpt = c & 0x07; min = 0x10000; }
  else return 0;
  for (size_t k = 1; k < len; ++k) {
    if (!is_cont(s, i + k)) return 0;
    cpt = (cpt << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3F);
  }
  if (cpt < min || cpt > 0x10FFFF || (cpt >= 0xD800 && cpt <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

bool utf8_is_valid(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t len = strict_seq_len(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string utf8_replace_invalid(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t len = strict_seq_len(s, i);
    if (len == 0) {
      utf8_append(out, kReplacementChar);
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

const std::string& byte_to_unicode(uint8_t byte) { return tables().to_unicode[byte]; }

int unicode_to_byte(uint32_t cpt) {
  return cpt < tables().from_cpt.size() ? tables().from_cpt[cpt] : -1;
}

std::string bytes_to_unicode_text(std::string_view s) {
  std::string out;
  out.reserve(s.size() * 2);
  for (char c : s) out += byte_to_unicode(static_cast<uint8_t>(c));
  return out;
}

}  // namespace r1::tokenizer
