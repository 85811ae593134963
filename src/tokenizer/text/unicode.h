// UTF-8 helpers and the GPT-2 byte-to-unicode mapping used by byte-level BPE.
//
// Thread contract: pure functions over immutable static tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace r1::tokenizer {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Length of the UTF-8 sequence announced by its first byte (1 for
// continuation and invalid bytes, like llama.cpp's unicode_len_utf8).
size_t utf8_len_from_lead(uint8_t lead);

// Decodes one code point at `offset` leniently (overlong forms and surrogates
// are accepted as llama.cpp does); an invalid or truncated sequence yields
// U+FFFD and consumes one byte. Advances offset. Requires offset < s.size().
uint32_t utf8_decode_lenient(std::string_view s, size_t& offset);

void utf8_append(std::string& out, uint32_t cpt);

// Re-encodes `s` as strictly valid UTF-8: every invalid byte, surrogate or
// code point past U+10FFFF becomes U+FFFD (the text BPE pre-tokenizers see).
std::string utf8_sanitize(std::string_view s);

// Number of bytes at the end of `s` that form an incomplete (but so far
// valid) UTF-8 sequence; 0 if `s` ends on a code point boundary or the tail
// is already invalid.
size_t utf8_incomplete_tail(std::string_view s);

// True if `s` is strictly valid UTF-8 (no overlongs, surrogates, > U+10FFFF).
bool utf8_is_valid(std::string_view s);

// Copies `s`, replacing each byte that does not start a strictly valid
// sequence with U+FFFD.
std::string utf8_replace_invalid(std::string_view s);

// GPT-2 byte-level mapping: byte -> UTF-8 of its printable stand-in
// (e.g. ' ' -> "Ġ").
const std::string& byte_to_unicode(uint8_t byte);

// Inverse mapping by code point; -1 if cpt is not a stand-in.
int unicode_to_byte(uint32_t cpt);

// Applies byte_to_unicode to every byte of `s`.
std::string bytes_to_unicode_text(std::string_view s);

}  // namespace r1::tokenizer
