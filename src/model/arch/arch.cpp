#include "model/arch/arch.h"

#include "core/check.h"

namespace r1::model {

const ArchSpec& arch_spec(Arch arch) {
  switch (arch) {
    case Arch::kQwen2: return qwen2_spec();
    case Arch::kLlama: return llama_spec();
    case Arch::kQwen3: return qwen3_spec();
  }
  CHECK(false) << "unknown Arch " << static_cast<int>(arch);
  return qwen2_spec();
}

const ArchSpec* find_arch_spec(std::string_view name) {
  for (const ArchSpec* spec : {&qwen2_spec(), &llama_spec(), &qwen3_spec()}) {
    if (spec->name == name) return spec;
  }
  return nullptr;
}

std::string_view supported_arch_names() { return "qwen2, llama, qwen3"; }

}  // namespace r1::model
