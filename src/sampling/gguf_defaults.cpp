#include "sampling/gguf_defaults.h"

namespace r1::sampling {

SamplingParams defaults_from_gguf(const gguf::File& file) {
  return defaults_from_lookup([&file](std::string_view key) { return file.find_float(key); });
}

}  // namespace r1::sampling
