// Synthetic model metadata: the tokenizer copied from a vocab GGUF with the
// model family's special tokens.
#include <span>
#include <utility>

#include "model/synth/synth_internal.h"

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

}  // namespace

// The vocab's token list and types with the flavor's special tokens applied.
Result<std::pair<gguf::Value, gguf::Value>> special_tokens(const Spec& spec,
                                                           const gguf::File& vocab) {
  const gguf::Value* tokens = vocab.find("tokenizer.ggml.tokens");
  const gguf::Value* types = vocab.find("tokenizer.ggml.token_type");
  if (tokens == nullptr || types == nullptr || tokens->type != gguf::ValueType::kArray ||
      types->type != gguf::ValueType::kArray ||
      tokens->elem_type != gguf::ValueType::kString ||
      static_cast<int64_t>(tokens->elems.size()) != spec.n_vocab ||
      types->elems.size() != tokens->elems.size()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "vocab " + vocab.path() + " has no token list of " +
                          std::to_string(spec.n_vocab) + " tokens for preset " + spec.preset);
  }
  std::pair<gguf::Value, gguf::Value> out{*tokens, *types};
  for (const SpecialToken& t : flavor_meta(spec.flavor).tokens) {
    out.first.elems[static_cast<size_t>(t.id)].str = t.text;
    gguf::Value& ty = out.second.elems[static_cast<size_t>(t.id)];
    ty.type = types->elem_type;
    ty.i = t.type;
    ty.u = static_cast<uint64_t>(t.type);
  }
  return out;
}

Status add_tokenizer_meta(const Spec& spec, const gguf::File& vocab, gguf::Writer& meta) {
  R1_ASSIGN_OR_RETURN(auto special, special_tokens(spec, vocab));
  for (const gguf::KeyValue& kv : vocab.metadata()) {
    if (kv.key.rfind("tokenizer.", 0) != 0) continue;
    if (kv.key == "tokenizer.ggml.tokens") {
      meta.set_value(kv.key, special.first);
    } else if (kv.key == "tokenizer.ggml.token_type") {
      meta.set_value(kv.key, special.second);
    } else {
      meta.set_value(kv.key, kv.value);
    }
  }
  const FlavorMeta fm = flavor_meta(spec.flavor);
  meta.set_string("tokenizer.ggml.pre", fm.pre);
  meta.set_u32("tokenizer.ggml.bos_token_id", fm.bos);
  meta.set_u32("tokenizer.ggml.eos_token_id", fm.eos);
  meta.set_u32("tokenizer.ggml.padding_token_id", fm.eos);
  meta.set_bool("tokenizer.ggml.add_bos_token", fm.add_bos);
  meta.set_bool("tokenizer.ggml.add_eos_token", false);
  meta.set_string("tokenizer.chat_template", std::string(fm.chat_template));
  return Status();
}

}  // namespace r1::model::synth
