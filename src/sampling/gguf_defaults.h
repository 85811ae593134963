// defaults_from_lookup() over a GGUF file's metadata. Lives in the separate
// r1_sampling_gguf library so r1_sampling does not depend on r1_gguf.
//
// Thread contract: pure function (File is immutable).
#pragma once

#include "gguf/gguf.h"
#include "sampling/defaults.h"

namespace r1::sampling {

SamplingParams defaults_from_gguf(const gguf::File& file);

}  // namespace r1::sampling
