#include "tokenizer/vocab.h"

#include <string_view>

#include "gguf/gguf.h"

namespace r1::tokenizer {
namespace {

Result<std::optional<int32_t>> optional_id(const gguf::File& file, std::string_view key) {
  const gguf::Value* v = file.find(key);
  if (v == nullptr) return std::optional<int32_t>();
  const std::optional<int64_t> i = v->as_int();
  if (!i) {
    return make_error(ErrorCode::kCorrupt, std::string(key) + " is not an integer");
  }
  if (*i < 0 || *i > INT32_MAX) return std::optional<int32_t>();  // "none", as in llama.cpp
  return std::optional<int32_t>(static_cast<int32_t>(*i));
}

Result<std::optional<bool>> optional_bool(const gguf::File& file, std::string_view key) {
  if (file.find(key) == nullptr) return std::optional<bool>();
  R1_ASSIGN_OR_RETURN(const bool b, file.get_bool(key));
  return std::optional<bool>(b);
}

Status load_special(const gguf::File& file, Vocab& v) {
  R1_ASSIGN_OR_RETURN(v.bos_id, optional_id(file, "tokenizer.ggml.bos_token_id"));
  R1_ASSIGN_OR_RETURN(v.eos_id, optional_id(file, "tokenizer.ggml.eos_token_id"));
  R1_ASSIGN_OR_RETURN(v.unk_id, optional_id(file, "tokenizer.ggml.unknown_token_id"));
  R1_ASSIGN_OR_RETURN(v.pad_id, optional_id(file, "tokenizer.ggml.padding_token_id"));
  R1_ASSIGN_OR_RETURN(v.eot_id, optional_id(file, "tokenizer.ggml.eot_token_id"));
  R1_ASSIGN_OR_RETURN(v.eom_id, optional_id(file, "tokenizer.ggml.eom_token_id"));
  R1_ASSIGN_OR_RETURN(v.add_bos, optional_bool(file, "tokenizer.ggml.add_bos_token"));
  R1_ASSIGN_OR_RETURN(v.add_eos, optional_bool(file, "tokenizer.ggml.add_eos_token"));
  R1_ASSIGN_OR_RETURN(v.add_space_prefix, optional_bool(file, "tokenizer.ggml.add_space_prefix"));
  return Status::ok_status();
}

std::vector<std::string> to_strings(const std::vector<std::string_view>& views) {
  std::vector<std::string> out;
  out.reserve(views.size());
  for (std::string_view s : views) out.emplace_back(s);
  return out;
}

}  // namespace

Result<Vocab> load_vocab(const gguf::File& file) {
  Vocab v;
  R1_ASSIGN_OR_RETURN(const std::string_view model, file.get_string("tokenizer.ggml.model"));
  v.model = std::string(model);
  if (auto pre = file.find_string("tokenizer.ggml.pre")) v.pre_type = std::string(*pre);

  R1_ASSIGN_OR_RETURN(const auto tokens, file.get_string_array("tokenizer.ggml.tokens"));
  v.tokens = to_strings(tokens);
  const size_t n = v.tokens.size();
  if (file.find("tokenizer.ggml.scores") != nullptr) {
    R1_ASSIGN_OR_RETURN(v.scores, file.get_f32_array("tokenizer.ggml.scores"));
    if (v.scores.size() < n) {
      return make_error(ErrorCode::kCorrupt, "tokenizer.ggml.scores has fewer entries than tokens");
    }
  }
  if (file.find("tokenizer.ggml.token_type") != nullptr) {
    R1_ASSIGN_OR_RETURN(v.token_types, file.get_i32_array("tokenizer.ggml.token_type"));
    if (v.token_types.size() < n) {
      return make_error(ErrorCode::kCorrupt,
                        "tokenizer.ggml.token_type has fewer entries than tokens");
    }
  }
  if (file.find("tokenizer.ggml.merges") != nullptr) {
    R1_ASSIGN_OR_RETURN(const auto merges, file.get_string_array("tokenizer.ggml.merges"));
    v.merges = to_strings(merges);
  }
  R1_RETURN_IF_ERROR(load_special(file, v));
  return v;
}

}  // namespace r1::tokenizer
