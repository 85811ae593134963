// Synthetic model metadata: the tokenizer copied from a vocab GGUF with the
// model family's special tokens, and the GGUF header serialization used by
// the streaming writer.
#include <cstring>
#include <span>

#include "model/synth_internal.h"

namespace r1::model::synth {

extern const std::string_view kR1ChatTemplate;
extern const std::string_view kQwen3ChatTemplate;

namespace {

constexpr int32_t kControl = 3;
constexpr int32_t kUserDefined = 4;

struct SpecialToken {
  int32_t id;
  const char* text;
  int32_t type;
};

// DeepSeek-R1 distill (Qwen base) special tokens.
constexpr SpecialToken kR1QwenTokens[] = {
    {151643, "<｜end▁of▁sentence｜>", kControl}, {151644, "<｜User｜>", kControl},
    {151645, "<｜Assistant｜>", kControl},       {151646, "<｜begin▁of▁sentence｜>", kControl},
    {151647, "<|EOT|>", kControl},              {151648, "<think>", kUserDefined},
    {151649, "</think>", kUserDefined},
};

constexpr SpecialToken kR1LlamaTokens[] = {
    {128000, "<｜begin▁of▁sentence｜>", kControl}, {128001, "<｜end▁of▁sentence｜>", kControl},
    {128011, "<｜User｜>", kControl},               {128012, "<｜Assistant｜>", kControl},
    {128013, "<think>", kUserDefined},             {128014, "</think>", kUserDefined},
};

constexpr SpecialToken kQwen3Tokens[] = {
    {151643, "<|endoftext|>", kControl},        {151644, "<|im_start|>", kControl},
    {151645, "<|im_end|>", kControl},           {151646, "<|object_ref_start|>", kControl},
    {151647, "<|object_ref_end|>", kControl},   {151648, "<|box_start|>", kControl},
    {151649, "<|box_end|>", kControl},          {151650, "<|quad_start|>", kControl},
    {151651, "<|quad_end|>", kControl},         {151652, "<|vision_start|>", kControl},
    {151653, "<|vision_end|>", kControl},       {151654, "<|vision_pad|>", kControl},
    {151655, "<|image_pad|>", kControl},        {151656, "<|video_pad|>", kControl},
    {151657, "<tool_call>", kUserDefined},      {151658, "</tool_call>", kUserDefined},
    {151659, "<|fim_prefix|>", kUserDefined},   {151660, "<|fim_middle|>", kUserDefined},
    {151661, "<|fim_suffix|>", kUserDefined},   {151662, "<|fim_pad|>", kUserDefined},
    {151663, "<|repo_name|>", kUserDefined},    {151664, "<|file_sep|>", kUserDefined},
    {151665, "<tool_response>", kUserDefined},  {151666, "</tool_response>", kUserDefined},
    {151667, "<think>", kUserDefined},          {151668, "</think>", kUserDefined},
};

struct FlavorMeta {
  std::span<const SpecialToken> tokens;
  const char* pre;
  uint32_t bos;
  uint32_t eos;
  bool add_bos;
  std::string_view chat_template;
};

FlavorMeta flavor_meta(Flavor f) {
  switch (f) {
    case Flavor::kR1Qwen:
      return {kR1QwenTokens, "deepseek-r1-qwen", 151646, 151643, true, kR1ChatTemplate};
    case Flavor::kR1Llama:
      return {kR1LlamaTokens, "llama-bpe", 128000, 128001, true, kR1ChatTemplate};
    case Flavor::kQwen3:
      return {kQwen3Tokens, "qwen2", 151643, 151645, false, kQwen3ChatTemplate};
  }
  return {kR1QwenTokens, "deepseek-r1-qwen", 151646, 151643, true, kR1ChatTemplate};
}

template <typename T>
void put_raw(std::vector<uint8_t>& out, T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.insert(out.end(), b, b + sizeof(T));
}

void put_string(std::vector<uint8_t>& out, std::string_view s) {
  put_raw<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

void put_payload(std::vector<uint8_t>& out, const gguf::Value& v) {
  using gguf::ValueType;
  switch (v.type) {
    case ValueType::kU8: put_raw<uint8_t>(out, static_cast<uint8_t>(v.u)); break;
    case ValueType::kI8: put_raw<int8_t>(out, static_cast<int8_t>(v.i)); break;
    case ValueType::kU16: put_raw<uint16_t>(out, static_cast<uint16_t>(v.u)); break;
    case ValueType::kI16: put_raw<int16_t>(out, static_cast<int16_t>(v.i)); break;
    case ValueType::kU32: put_raw<uint32_t>(out, static_cast<uint32_t>(v.u)); break;
    case ValueType::kI32: put_raw<int32_t>(out, static_cast<int32_t>(v.i)); break;
    case ValueType::kU64: put_raw<uint64_t>(out, v.u); break;
    case ValueType::kI64: put_raw<int64_t>(out, v.i); break;
    case ValueType::kF32: put_raw<float>(out, static_cast<float>(v.f)); break;
    case ValueType::kF64: put_raw<double>(out, v.f); break;
    case ValueType::kBool: put_raw<uint8_t>(out, v.b ? 1 : 0); break;
    case ValueType::kString: put_string(out, v.str); break;
    case ValueType::kArray:
      put_raw<uint32_t>(out, static_cast<uint32_t>(v.elem_type));
      put_raw<uint64_t>(out, v.elems.size());
      for (const gguf::Value& e : v.elems) put_payload(out, e);
      break;
  }
}

}  // namespace

std::string_view MetaBuilder::own(std::string s) {
  arena_.push_back(std::move(s));
  return arena_.back();
}

gguf::Value* MetaBuilder::find(const std::string& key) {
  for (auto& [k, v] : kvs_) {
    if (k == key) return &v;
  }
  return nullptr;
}

void MetaBuilder::set(const std::string& key, gguf::Value v) {
  if (gguf::Value* old = find(key)) {
    *old = std::move(v);
  } else {
    kvs_.emplace_back(key, std::move(v));
  }
}

void MetaBuilder::set_string(const std::string& key, const std::string& s) {
  gguf::Value v;
  v.type = gguf::ValueType::kString;
  v.str = own(s);
  set(key, std::move(v));
}

void MetaBuilder::set_u32(const std::string& key, uint32_t x) {
  gguf::Value v;
  v.type = gguf::ValueType::kU32;
  v.u = x;
  set(key, std::move(v));
}

void MetaBuilder::set_f32(const std::string& key, float x) {
  gguf::Value v;
  v.type = gguf::ValueType::kF32;
  v.f = x;
  set(key, std::move(v));
}

void MetaBuilder::set_bool(const std::string& key, bool x) {
  gguf::Value v;
  v.type = gguf::ValueType::kBool;
  v.b = x;
  set(key, std::move(v));
}

Status add_tokenizer_meta(const Spec& spec, const gguf::File& vocab, MetaBuilder& meta) {
  for (const gguf::KeyValue& kv : vocab.metadata()) {
    if (kv.key.rfind("tokenizer.", 0) == 0) meta.set(kv.key, kv.value);
  }
  gguf::Value* tokens = meta.find("tokenizer.ggml.tokens");
  gguf::Value* types = meta.find("tokenizer.ggml.token_type");
  if (tokens == nullptr || types == nullptr || tokens->type != gguf::ValueType::kArray ||
      types->type != gguf::ValueType::kArray ||
      tokens->elem_type != gguf::ValueType::kString ||
      static_cast<int64_t>(tokens->elems.size()) != spec.n_vocab ||
      types->elems.size() != tokens->elems.size()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "vocab " + vocab.path() + " has no token list of " +
                          std::to_string(spec.n_vocab) + " tokens for preset " + spec.preset);
  }
  const FlavorMeta fm = flavor_meta(spec.flavor);
  for (const SpecialToken& t : fm.tokens) {
    tokens->elems[static_cast<size_t>(t.id)].str = t.text;
    gguf::Value& ty = types->elems[static_cast<size_t>(t.id)];
    ty.type = types->elem_type;
    ty.i = t.type;
    ty.u = static_cast<uint64_t>(t.type);
  }
  meta.set_string("tokenizer.ggml.pre", fm.pre);
  meta.set_u32("tokenizer.ggml.bos_token_id", fm.bos);
  meta.set_u32("tokenizer.ggml.eos_token_id", fm.eos);
  meta.set_u32("tokenizer.ggml.padding_token_id", fm.eos);
  meta.set_bool("tokenizer.ggml.add_bos_token", fm.add_bos);
  meta.set_bool("tokenizer.ggml.add_eos_token", false);
  meta.set_string("tokenizer.chat_template", std::string(fm.chat_template));
  return Status();
}

std::vector<uint8_t> serialize_header(const MetaBuilder& meta,
                                      const std::vector<TensorPlan>& tensors) {
  std::vector<uint8_t> out;
  put_raw<uint32_t>(out, gguf::kMagic);
  put_raw<uint32_t>(out, 3);
  put_raw<uint64_t>(out, tensors.size());
  put_raw<uint64_t>(out, meta.kvs().size());
  for (const auto& [key, v] : meta.kvs()) {
    put_string(out, key);
    put_raw<uint32_t>(out, static_cast<uint32_t>(v.type));
    put_payload(out, v);
  }
  for (const TensorPlan& t : tensors) {
    put_string(out, t.name);
    put_raw<uint32_t>(out, static_cast<uint32_t>(t.dims.size()));
    for (int64_t d : t.dims) put_raw<uint64_t>(out, static_cast<uint64_t>(d));
    put_raw<uint32_t>(out, static_cast<uint32_t>(t.type));
    put_raw<uint64_t>(out, t.offset);
  }
  while (out.size() % gguf::kDefaultAlignment != 0) out.push_back(0);
  return out;
}

}  // namespace r1::model::synth
