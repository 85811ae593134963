// Shared helpers of the r1serve subcommands: option groups, model loading
// with a memory check, and one-line error reporting.
//
// Thread contract: called from main()'s thread only.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "app_config.h"
#include "core/result.h"
#include "gguf/gguf.h"
#include "model/weights.h"
#include "tokenizer/tokenizer.h"

namespace r1::app {

void add_model_options(CLI::App* cmd, ModelOptions& m);
void add_sampling_options(CLI::App* cmd, SamplingOptions& s);
void add_chat_options(CLI::App* cmd, ChatOptions& c);

// Remembers the parsed options of the chosen subcommand; print_config()
// writes them to stderr ("# r1serve run: key=value ...") once, when the
// command has validated its inputs (so a failing command prints only its
// one error line).
void remember_config(const CLI::App& cmd);
void print_config();

// Prints "error: <message>" (one line) to stderr; returns kExitError.
int report(const Error& e);

// Opens a GGUF file; a missing path or a non-regular file is kNotFound.
Result<std::shared_ptr<const gguf::File>> open_gguf(const std::string& path);

struct LoadedModel {
  std::shared_ptr<const gguf::File> file;
  std::shared_ptr<const model::Model> model;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer;
  double load_seconds = 0;
};

// Opens, validates and maps the model and its tokenizer. Fails with
// kResourceExhausted when weights + a KV cache of n_ctx positions exceed
// MemAvailable.
Result<LoadedModel> load_model(const std::string& path, int64_t n_ctx);
Result<std::shared_ptr<const tokenizer::Tokenizer>> load_tokenizer(const gguf::File& file);

// MemAvailable from /proc/meminfo in bytes; 0 when unknown.
uint64_t mem_available_bytes();

// <exe dir>/../assets/vocab when it exists, else the source tree's.
std::string default_vocab_dir();

// r1serve's cache dir: $R1SERVE_CACHE, else $XDG_CACHE_HOME/r1serve, else
// ~/.cache/r1serve.
Result<std::filesystem::path> cache_dir();

// The demo model of `preset` (kDemoType, kDemoSeed in cmd_serve.h) in the
// cache dir, synthesized on first use under a temporary name and renamed,
// so a crash never leaves a truncated model and concurrent callers are safe.
Result<std::string> ensure_demo_model(const std::string& preset);

}  // namespace r1::app
