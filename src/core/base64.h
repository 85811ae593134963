// Base64 (RFC 4648, standard alphabet, '=' padding): audio inside JSON
// events (speech.audio.delta; the Realtime API's audio appends).
//
// Thread contract: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace r1 {

std::string base64_encode(std::string_view bytes);
// Strict: only the alphabet, padding at the end, length a multiple of 4.
Result<std::string> base64_decode(std::string_view text);

}  // namespace r1
