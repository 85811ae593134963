// `r1serve tokenize` and `r1serve eval` (teacher-forced logits).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common.h"
#include "engine/generate.h"

namespace r1::app {

CLI::App* add_tokenize_command(CLI::App& app, TokenizeConfig& c) {
  CLI::App* cmd = app.add_subcommand("tokenize", "print token ids as JSON");
  cmd->add_option("-m,--model", c.model, "GGUF model (or vocab) file")->required();
  cmd->add_flag("--parse-special", c.parse_special, "match special token texts");
  cmd->add_flag("--add-bos", c.add_bos, "prepend BOS");
  cmd->add_option("--json-in", c.json_in, "JSON array of strings; prints an array of id arrays");
  cmd->add_option("text", c.text, "text to tokenize");
  return cmd;
}

CLI::App* add_eval_command(CLI::App& app, EvalConfig& c) {
  CLI::App* cmd = app.add_subcommand("eval", "teacher-forced logits of a token sequence");
  cmd->add_option("-m,--model", c.model, "GGUF model file")->required();
  cmd->add_option("--tokens", c.tokens, "JSON array of token ids")->required();
  cmd->add_option("--logits-out", c.logits_out, "float32 logits [n_tokens, n_vocab]")->required();
  cmd->add_option("-t,--threads", c.threads, "threads (0: all cores)")->check(CLI::Range(0, 1024));
  return cmd;
}

namespace {

Result<nlohmann::json> read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error(ErrorCode::kInvalidArgument, "invalid JSON in " + path);
  return j;
}

Result<std::vector<std::string>> read_texts(const std::string& path) {
  R1_ASSIGN_OR_RETURN(nlohmann::json j, read_json(path));
  std::vector<std::string> out;
  if (!j.is_array()) return make_error(ErrorCode::kInvalidArgument, path + ": expected a JSON array of strings");
  for (const nlohmann::json& e : j) {
    if (!e.is_string()) return make_error(ErrorCode::kInvalidArgument, path + ": expected a JSON array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<std::vector<int32_t>> read_ids(const std::string& path) {
  R1_ASSIGN_OR_RETURN(nlohmann::json j, read_json(path));
  std::vector<int32_t> out;
  if (!j.is_array()) return make_error(ErrorCode::kInvalidArgument, path + ": expected a JSON array of token ids");
  for (const nlohmann::json& e : j) {
    if (!e.is_number_integer() || e.get<int64_t>() < 0 || e.get<int64_t>() > INT32_MAX) {
      return make_error(ErrorCode::kInvalidArgument, path + ": expected a JSON array of token ids");
    }
    out.push_back(static_cast<int32_t>(e.get<int64_t>()));
  }
  if (out.empty()) return make_error(ErrorCode::kInvalidArgument, path + ": no tokens");
  return out;
}

Status write_logits(const std::string& path, const std::vector<float>& logits) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return make_error(ErrorCode::kIo, "cannot create " + path);
  // x86-64 and aarch64 Linux are little-endian: floats go out as they are.
  size_t n = std::fwrite(logits.data(), sizeof(float), logits.size(), f);
  bool ok = n == logits.size() && std::fclose(f) == 0;
  if (!ok) return make_error(ErrorCode::kIo, "write failed: " + path);
  return Status();
}

}  // namespace

int tokenize_command(const TokenizeConfig& c) {
  Result<std::shared_ptr<const gguf::File>> file = open_gguf(c.model);
  if (!file.ok()) return report(file.error());
  Result<std::shared_ptr<const tokenizer::Tokenizer>> tok = load_tokenizer(**file);
  if (!tok.ok()) return report(tok.error());
  print_config();
  tokenizer::EncodeOptions opts{c.add_bos, c.parse_special};
  nlohmann::json out;
  if (!c.json_in.empty()) {
    Result<std::vector<std::string>> texts = read_texts(c.json_in);
    if (!texts.ok()) return report(texts.error());
    out = nlohmann::json::array();
    for (const std::string& t : *texts) out.push_back((*tok)->encode(t, opts));
  } else {
    out = (*tok)->encode(c.text, opts);
  }
  std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return kExitOk;
}

int eval_command(const EvalConfig& c) {
  Result<std::vector<int32_t>> ids = read_ids(c.tokens);
  if (!ids.ok()) return report(ids.error());
  const auto n = static_cast<int64_t>(ids->size());
  Result<LoadedModel> loaded = load_model(c.model, n);
  if (!loaded.ok()) return report(loaded.error());
  engine::SessionOptions so;
  so.n_ctx = n;
  so.n_threads = c.threads;
  so.max_batch = 512;
  Result<std::unique_ptr<engine::Session>> session =
      engine::Session::create(loaded->model, loaded->tokenizer, so);
  if (!session.ok()) return report(session.error());
  print_config();
  Result<std::vector<float>> logits = (*session)->score(*ids);
  if (!logits.ok()) return report(logits.error());
  Status st = write_logits(c.logits_out, *logits);
  if (!st.ok()) return report(st.error());
  const size_t n_vocab = logits->size() / ids->size();
  nlohmann::json argmax = nlohmann::json::array();
  for (size_t i = 0; i < ids->size(); ++i) {
    const float* row = logits->data() + i * n_vocab;
    argmax.push_back(std::max_element(row, row + n_vocab) - row);
  }
  std::printf("%s\n", argmax.dump().c_str());
  return kExitOk;
}

}  // namespace r1::app
