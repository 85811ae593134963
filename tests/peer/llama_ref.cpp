// llama_ref: a thin reference driver over the prebuilt llama.cpp libraries,
// used only by the differential (peer) tests. It links the shared libraries
// shipped with node-llama-cpp at test time; no llama.cpp code is compiled in.
//
//   llama_ref eval -m M.gguf --tokens IDS.json --logits-out OUT.f32 [--threads N]
//                  [--flash-attn] [--no-repack] [--dump-dir DIR]
//       Teacher-forced logits for every position of IDS.json (a JSON array of
//       token ids), written as float32, n_tokens x n_vocab, row-major. Prints
//       the per-position argmax ids as a JSON array on stdout. Diagnostics:
//       --no-repack loads without the CPU "extra" (repacked weight) buffer
//       types; --dump-dir writes every F32 graph node (attn_norm-0, Qcur-0,
//       kqv_out-0, ffn_out-1, result_norm, ...) to DIR/NAME.f32.
//   llama_ref tokenize -m M.gguf --json-in FILE [--parse-special] [--add-bos]
//       FILE holds a JSON array of strings; prints a JSON array of id arrays.
//       --add-bos maps to llama_tokenize(add_special=true), which adds BOS
//       (and EOS) only where the vocabulary's add_bos/add_eos flags say so.
//
// Flash attention is DISABLED explicitly for eval (--flash-attn enables it,
// for diagnostics): the plain attention path
// (softmax over F32 KQ, F16 KV cache) is the closer match to a straightforward
// reference implementation, and it keeps results independent of the "auto"
// heuristic of the library version.
#include <ggml-backend.h>
#include <llama.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#ifndef R1_PEER_BINS_DIR
#error "R1_PEER_BINS_DIR must be defined"
#endif

namespace {

struct Args {
  std::string command;
  std::map<std::string, std::string> values;
  bool parse_special = false;
  bool add_bos = false;
  bool flash_attn = false;  // --flash-attn: diagnostics only
  bool no_repack = false;   // --no-repack: diagnostics only
};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "llama_ref: %s\n", msg.c_str());
  std::exit(2);
}

Args parse_args(int argc, char** argv) {
  if (argc < 2) {
    die("usage: llama_ref eval|tokenize -m MODEL ...");
  }
  Args args;
  args.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--parse-special") {
      args.parse_special = true;
    } else if (arg == "--add-bos") {
      args.add_bos = true;
    } else if (arg == "--flash-attn") {
      args.flash_attn = true;
    } else if (arg == "--no-repack") {
      args.no_repack = true;
    } else if (arg == "-m" || arg == "--tokens" || arg == "--logits-out" ||
               arg == "--threads" || arg == "--json-in" || arg == "--dump-dir") {
      if (i + 1 >= argc) {
        die("missing value for " + arg);
      }
      args.values[arg] = argv[++i];
    } else {
      die("unknown argument " + arg);
    }
  }
  return args;
}

std::string required(const Args& args, const std::string& key) {
  auto it = args.values.find(key);
  if (it == args.values.end()) {
    die("missing " + key);
  }
  return it->second;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    die("cannot open " + path);
  }
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    die("bad JSON in " + path + ": " + e.what());
  }
}

void quiet_log(ggml_log_level level, const char* text, void* /*user*/) {
  if (level == GGML_LOG_LEVEL_ERROR || level == GGML_LOG_LEVEL_WARN) {
    std::fputs(text, stderr);
  }
}

struct ModelDeleter {
  void operator()(llama_model* m) const { llama_model_free(m); }
};
struct ContextDeleter {
  void operator()(llama_context* c) const { llama_free(c); }
};
using ModelPtr = std::unique_ptr<llama_model, ModelDeleter>;
using ContextPtr = std::unique_ptr<llama_context, ContextDeleter>;

ModelPtr load_model(const std::string& path, bool vocab_only,
                    bool no_repack = false) {
  llama_model_params params = llama_model_default_params();
  params.vocab_only = vocab_only;
  params.use_extra_bufts = !no_repack;
  params.n_gpu_layers = 0;
  ModelPtr model(llama_model_load_from_file(path.c_str(), params));
  if (!model) {
    die("failed to load " + path);
  }
  return model;
}

std::vector<llama_token> tokenize_one(const llama_vocab* vocab,
                                      const std::string& text, bool add_special,
                                      bool parse_special) {
  const auto len = static_cast<int32_t>(text.size());
  std::vector<llama_token> out(text.size() + 8);
  int32_t n = llama_tokenize(vocab, text.data(), len, out.data(),
                             static_cast<int32_t>(out.size()), add_special,
                             parse_special);
  if (n < 0) {
    out.resize(static_cast<size_t>(-n));
    n = llama_tokenize(vocab, text.data(), len, out.data(),
                       static_cast<int32_t>(out.size()), add_special,
                       parse_special);
  }
  if (n < 0) {
    die("tokenize failed");
  }
  out.resize(static_cast<size_t>(n));
  return out;
}

int cmd_tokenize(const Args& args) {
  const nlohmann::json input = read_json(required(args, "--json-in"));
  if (!input.is_array()) {
    die("--json-in must hold a JSON array of strings");
  }
  ModelPtr model = load_model(required(args, "-m"), /*vocab_only=*/true);
  const llama_vocab* vocab = llama_model_get_vocab(model.get());
  nlohmann::json result = nlohmann::json::array();
  for (const auto& item : input) {
    result.push_back(tokenize_one(vocab, item.get<std::string>(), args.add_bos,
                                  args.parse_special));
  }
  std::cout << result.dump() << "\n";
  return 0;
}

// --dump-dir: every F32 graph node is written to DIR/NAME.f32 (ne0 x ne1
// rows of f32), for locating where two implementations diverge.
bool dump_node(ggml_tensor* t, bool ask, void* user) {
  if (ask) {
    return true;
  }
  if (t->type != GGML_TYPE_F32 || !ggml_is_contiguous(t)) {
    return true;
  }
  const auto& dir = *static_cast<const std::string*>(user);
  std::vector<float> data(static_cast<size_t>(ggml_nelements(t)));
  ggml_backend_tensor_get(t, data.data(), 0, ggml_nbytes(t));
  std::ofstream out(dir + "/" + t->name + ".f32", std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()),
            static_cast<std::streamsize>(ggml_nbytes(t)));
  return true;
}

ContextPtr make_context(llama_model* model, uint32_t n_tokens, int threads,
                        bool flash_attn, const std::string* dump_dir) {
  llama_context_params params = llama_context_default_params();
  if (dump_dir != nullptr) {
    params.cb_eval = dump_node;
    params.cb_eval_user_data = const_cast<std::string*>(dump_dir);
  }
  const uint32_t n = n_tokens < 256 ? 256 : n_tokens;
  params.n_ctx = n;
  params.n_batch = n;
  params.n_ubatch = n;
  params.n_seq_max = 1;
  params.n_threads = threads;
  params.n_threads_batch = threads;
  params.flash_attn_type = flash_attn ? LLAMA_FLASH_ATTN_TYPE_ENABLED
                                      : LLAMA_FLASH_ATTN_TYPE_DISABLED;
  params.no_perf = true;
  ContextPtr ctx(llama_init_from_model(model, params));
  if (!ctx) {
    die("failed to create context");
  }
  return ctx;
}

std::vector<llama_token> read_tokens(const std::string& path) {
  const nlohmann::json j = read_json(path);
  if (!j.is_array() || j.empty()) {
    die("--tokens must hold a non-empty JSON array of ids");
  }
  return j.get<std::vector<llama_token>>();
}

// Decodes all tokens in one batch and returns n_tokens x n_vocab logits.
std::vector<float> teacher_forced_logits(llama_context* ctx,
                                         const std::vector<llama_token>& ids,
                                         int32_t n_vocab) {
  const auto n = static_cast<int32_t>(ids.size());
  llama_batch batch = llama_batch_init(n, 0, 1);
  for (int32_t i = 0; i < n; ++i) {
    batch.token[i] = ids[static_cast<size_t>(i)];
    batch.pos[i] = i;
    batch.n_seq_id[i] = 1;
    batch.seq_id[i][0] = 0;
    batch.logits[i] = 1;
  }
  batch.n_tokens = n;
  const int32_t rc = llama_decode(ctx, batch);
  llama_batch_free(batch);
  if (rc != 0) {
    die("llama_decode failed: " + std::to_string(rc));
  }
  std::vector<float> out(static_cast<size_t>(n) * static_cast<size_t>(n_vocab));
  for (int32_t i = 0; i < n; ++i) {
    const float* row = llama_get_logits_ith(ctx, i);
    if (row == nullptr) {
      die("no logits for position " + std::to_string(i));
    }
    std::copy(row, row + n_vocab,
              out.begin() + static_cast<std::ptrdiff_t>(i) * n_vocab);
  }
  return out;
}

nlohmann::json argmax_rows(const std::vector<float>& logits, int32_t n_vocab) {
  nlohmann::json ids = nlohmann::json::array();
  const size_t rows = logits.size() / static_cast<size_t>(n_vocab);
  for (size_t r = 0; r < rows; ++r) {
    const float* row = logits.data() + r * static_cast<size_t>(n_vocab);
    int32_t best = 0;
    for (int32_t v = 1; v < n_vocab; ++v) {
      if (row[v] > row[best]) {
        best = v;
      }
    }
    ids.push_back(best);
  }
  return ids;
}

int cmd_eval(const Args& args) {
  const std::vector<llama_token> ids = read_tokens(required(args, "--tokens"));
  const std::string out_path = required(args, "--logits-out");
  const auto threads_it = args.values.find("--threads");
  const int threads =
      threads_it == args.values.end() ? 2 : std::stoi(threads_it->second);
  ModelPtr model =
      load_model(required(args, "-m"), /*vocab_only=*/false, args.no_repack);
  const int32_t n_vocab =
      llama_vocab_n_tokens(llama_model_get_vocab(model.get()));
  for (llama_token t : ids) {
    if (t < 0 || t >= n_vocab) {
      die("token id out of range: " + std::to_string(t));
    }
  }
  const auto dump_it = args.values.find("--dump-dir");
  const std::string* dump_dir =
      dump_it == args.values.end() ? nullptr : &dump_it->second;
  ContextPtr ctx =
      make_context(model.get(), static_cast<uint32_t>(ids.size()), threads,
                   args.flash_attn, dump_dir);
  const std::vector<float> logits = teacher_forced_logits(ctx.get(), ids, n_vocab);
  std::ofstream out(out_path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(logits.data()),
            static_cast<std::streamsize>(logits.size() * sizeof(float)));
  if (!out) {
    die("cannot write " + out_path);
  }
  std::cout << argmax_rows(logits, n_vocab).dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  llama_log_set(quiet_log, nullptr);
  ggml_backend_load_all_from_path(R1_PEER_BINS_DIR);
  llama_backend_init();
  int rc = 2;
  if (args.command == "eval") {
    rc = cmd_eval(args);
  } else if (args.command == "tokenize") {
    rc = cmd_tokenize(args);
  } else {
    die("unknown command " + args.command);
  }
  llama_backend_free();
  return rc;
}
