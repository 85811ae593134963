// synth_model: presets, file types, hyperparameter metadata and the
// streaming write (gguf::Writer::write_streaming). Tensor plans and weights:
// synth_tensors.cpp; tokenizer metadata: synth_meta.cpp.
#include "model/synth/synth.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <thread>

#include "core/thread_pool.h"
#include "model/synth/synth_internal.h"

namespace r1::model {
namespace synth {
namespace {

Spec tiny(const std::string& name, const std::string& arch, Flavor flavor) {
  Spec s;
  s.preset = name;
  s.arch = arch;
  s.flavor = flavor;
  s.n_vocab = flavor == Flavor::kR1Llama ? 128256 : 151936;
  s.n_embd = 256;
  s.n_layer = 2;
  s.n_head = 4;
  s.n_head_kv = 2;
  s.head_dim = 64;
  s.n_ff = 512;
  s.n_ctx = 4096;
  s.rope_theta = flavor == Flavor::kR1Llama ? 500000.0f : flavor == Flavor::kQwen3 ? 1e6f : 10000.0f;
  s.rms_eps = flavor == Flavor::kR1Llama ? 1e-5f : 1e-6f;
  s.qkv_bias = arch == "qwen2";
  s.qk_norm = arch == "qwen3";
  s.llama3_rope = arch == "llama";
  return s;
}

std::vector<Spec> presets() {
  std::vector<Spec> out;
  Spec q = tiny("r1-distill-qwen-1.5b", "qwen2", Flavor::kR1Qwen);
  q.n_embd = 1536; q.n_layer = 28; q.n_head = 12; q.n_head_kv = 2; q.head_dim = 128;
  q.n_ff = 8960; q.n_ctx = 131072;
  out.push_back(q);
  Spec l = tiny("r1-distill-llama-8b", "llama", Flavor::kR1Llama);
  l.n_embd = 4096; l.n_layer = 32; l.n_head = 32; l.n_head_kv = 8; l.head_dim = 128;
  l.n_ff = 14336; l.n_ctx = 131072;
  out.push_back(l);
  Spec w = tiny("qwen3-8b", "qwen3", Flavor::kQwen3);
  w.n_embd = 4096; w.n_layer = 36; w.n_head = 32; w.n_head_kv = 8; w.head_dim = 128;
  w.n_ff = 12288; w.n_ctx = 40960;
  out.push_back(w);
  out.push_back(tiny("tiny-qwen2", "qwen2", Flavor::kR1Qwen));
  out.push_back(tiny("tiny-llama", "llama", Flavor::kR1Llama));
  out.push_back(tiny("tiny-qwen3", "qwen3", Flavor::kQwen3));
  return out;
}

struct FileTypeRow {
  const char* name;
  uint32_t ftype;
  DType base;
  bool k_mixed;
  bool k_small;
};

constexpr FileTypeRow kFileTypes[] = {
    {"q4_k_m", 15, DType::kQ4_K, true, false}, {"q5_k_m", 17, DType::kQ5_K, true, false},
    {"q6_k", 18, DType::kQ6_K, false, false},  {"q8_0", 7, DType::kQ8_0, false, false},
    {"f16", 1, DType::kF16, false, false},     {"bf16", 32, DType::kBF16, false, false},
    {"f32", 0, DType::kF32, false, false},     {"q4_0", 2, DType::kQ4_0, false, false},
    {"q4_1", 3, DType::kQ4_1, false, false},   {"q5_0", 8, DType::kQ5_0, false, false},
    {"q5_1", 9, DType::kQ5_1, false, false},   {"q4_k", 14, DType::kQ4_K, false, true},
    {"q5_k", 16, DType::kQ5_K, false, true},
};

Status check_shape(const Spec& s) {
  auto bad = [&](const std::string& what) {
    return Status(make_error(ErrorCode::kInvalidArgument, "synth: " + what));
  };
  if (s.n_embd <= 0 || s.n_layer <= 0 || s.n_head <= 0 || s.n_head_kv <= 0 || s.n_ff <= 0 ||
      s.n_ctx <= 0 || s.head_dim <= 0) {
    return bad("every dimension must be positive");
  }
  if (s.n_head % s.n_head_kv != 0) return bad("n_head must be a multiple of n_head_kv");
  if (s.head_dim % 2 != 0) return bad("head_dim must be even");
  constexpr int64_t kMaxDim = 1 << 20;
  if (s.n_embd > kMaxDim || s.n_ff > kMaxDim || s.n_layer > 1024 || s.n_head > 1024 ||
      s.head_dim > 4096 || s.n_ctx > (int64_t{1} << 24)) {
    return bad("dimension out of range");
  }
  return Status();
}

}  // namespace

Result<Spec> resolve_spec(const std::string& preset, const SynthOverrides& ov) {
  std::vector<Spec> all = presets();
  auto it = std::find_if(all.begin(), all.end(), [&](const Spec& s) { return s.preset == preset; });
  if (it == all.end()) {
    std::string names;
    for (const std::string& n : synth_preset_names()) names += (names.empty() ? "" : ", ") + n;
    return make_error(ErrorCode::kInvalidArgument,
                      "unknown preset '" + preset + "'; known: " + names);
  }
  Spec s = *it;
  bool head_dim_derived = s.arch != "qwen3";
  s.n_embd = ov.n_embd.value_or(s.n_embd);
  s.n_layer = ov.n_layer.value_or(s.n_layer);
  s.n_head = ov.n_head.value_or(s.n_head);
  s.n_head_kv = ov.n_head_kv.value_or(s.n_head_kv);
  s.n_ff = ov.n_ff.value_or(s.n_ff);
  s.n_ctx = ov.n_ctx.value_or(s.n_ctx);
  if (ov.head_dim) {
    s.head_dim = *ov.head_dim;
  } else if (head_dim_derived && s.n_head > 0) {
    s.head_dim = s.n_embd / s.n_head;
    if (s.n_embd % s.n_head != 0) {
      return make_error(ErrorCode::kInvalidArgument, "synth: n_embd must be a multiple of n_head");
    }
  }
  R1_RETURN_IF_ERROR(check_shape(s));
  return s;
}

Result<FileType> parse_file_type(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const FileTypeRow& r : kFileTypes) {
    if (lower == r.name) return FileType{r.name, r.ftype, r.base, r.k_mixed, r.k_small};
  }
  std::string names;
  for (const std::string& n : synth_file_type_names()) names += (names.empty() ? "" : ", ") + n;
  return make_error(ErrorCode::kInvalidArgument, "unknown file type '" + name + "'; known: " + names);
}

}  // namespace synth

std::vector<std::string> synth_preset_names() {
  std::vector<std::string> out;
  for (const synth::Spec& s : synth::presets()) out.push_back(s.preset);
  return out;
}

std::vector<std::string> synth_file_type_names() {
  std::vector<std::string> out;
  for (const synth::FileTypeRow& r : synth::kFileTypes) out.emplace_back(r.name);
  return out;
}

namespace {

using synth::Spec;

void add_hparams(const Spec& s, const synth::FileType& ft, gguf::Writer& m) {
  const std::string a = s.arch + ".";
  m.set_string("general.architecture", s.arch);
  m.set_string("general.name", "synthetic " + s.preset);
  m.set_u32("general.file_type", ft.llama_ftype);
  m.set_u32("general.quantization_version", 2);
  m.set_u32(a + "context_length", static_cast<uint32_t>(s.n_ctx));
  m.set_u32(a + "embedding_length", static_cast<uint32_t>(s.n_embd));
  m.set_u32(a + "block_count", static_cast<uint32_t>(s.n_layer));
  m.set_u32(a + "feed_forward_length", static_cast<uint32_t>(s.n_ff));
  m.set_u32(a + "attention.head_count", static_cast<uint32_t>(s.n_head));
  m.set_u32(a + "attention.head_count_kv", static_cast<uint32_t>(s.n_head_kv));
  m.set_f32(a + "rope.freq_base", s.rope_theta);
  m.set_f32(a + "attention.layer_norm_rms_epsilon", s.rms_eps);
  if (s.arch == "llama") {
    m.set_u32(a + "vocab_size", static_cast<uint32_t>(s.n_vocab));
    m.set_u32(a + "rope.dimension_count", static_cast<uint32_t>(s.head_dim));
  }
  if (s.arch == "qwen3" || s.head_dim * s.n_head != s.n_embd) {
    m.set_u32(a + "attention.key_length", static_cast<uint32_t>(s.head_dim));
    m.set_u32(a + "attention.value_length", static_cast<uint32_t>(s.head_dim));
  }
}

Result<std::string> vocab_file(const Spec& s, const std::string& path) {
  if (path.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "synth: no vocab path given");
  }
  std::error_code ec;
  std::string file = path;
  if (std::filesystem::is_directory(path, ec)) {
    const char* name = s.arch == "llama" ? "ggml-vocab-llama-bpe.gguf" : "ggml-vocab-qwen2.gguf";
    file = (std::filesystem::path(path) / name).string();
  }
  if (!std::filesystem::is_regular_file(file, ec)) {
    return make_error(ErrorCode::kNotFound, "vocab file not found: " + file);
  }
  return file;
}

int thread_count(const SynthParams& p) {
  return p.n_threads > 0 ? p.n_threads
                         : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace

Status synth_validate(const SynthParams& params) {
  R1_ASSIGN_OR_RETURN(synth::Spec spec, synth::resolve_spec(params.preset, params.overrides));
  R1_RETURN_IF_ERROR(synth::parse_file_type(params.file_type));
  R1_RETURN_IF_ERROR(vocab_file(spec, params.vocab_path));
  return Status();
}

Status synth_model(const SynthParams& params, const std::string& out_path) {
  R1_ASSIGN_OR_RETURN(synth::Spec spec, synth::resolve_spec(params.preset, params.overrides));
  R1_ASSIGN_OR_RETURN(synth::FileType ft, synth::parse_file_type(params.file_type));
  R1_ASSIGN_OR_RETURN(std::string vocab_path, vocab_file(spec, params.vocab_path));
  R1_ASSIGN_OR_RETURN(std::shared_ptr<const gguf::File> vocab, gguf::File::open(vocab_path));

  gguf::Writer w;
  add_hparams(spec, ft, w);
  R1_RETURN_IF_ERROR(synth::add_tokenizer_meta(spec, *vocab, w));
  const std::vector<synth::TensorPlan> plan = synth::plan_tensors(spec, ft);
  for (const synth::TensorPlan& t : plan) w.add_tensor_info(t.name, t.type, t.dims);

  ThreadPool pool(thread_count(params));
  auto produce = [&](size_t i) -> Result<std::vector<uint8_t>> {
    std::vector<uint8_t> bytes;
    synth::generate_tensor(plan[i], spec, params.seed, pool, &bytes);
    return bytes;
  };
  return w.write_streaming(out_path, produce);
}

}  // namespace r1::model
