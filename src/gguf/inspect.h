// Human-readable summary of a GGUF file, for `r1serve model inspect`.
//
// Thread contract: pure function of an immutable File.
#pragma once

#include <string>

#include "gguf/gguf.h"

namespace r1::gguf {

// Version, counts, alignment, every metadata entry (long arrays abbreviated
// as `[151936 strings: "!", "\"", ...]`), and with show_tensors a table of
// tensors (name, type, dims, bytes); always the total size by tensor type.
std::string describe(const File& file, bool show_tensors);

// One value as text: strings quoted and escaped, arrays abbreviated past
// max_elems elements.
std::string format_value(const Value& v, size_t max_elems = 8);

}  // namespace r1::gguf
