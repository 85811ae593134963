// Helpers for the differential tests against llama.cpp: running the two CLIs,
// reading their outputs, and comparing logits.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace r1::peer {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // captured stdout; stderr is passed through
};

// Runs `command` through /bin/sh and captures its stdout.
CommandResult run_command(const std::string& command);

// Single-quotes `arg` for /bin/sh.
std::string shell_quote(const std::string& arg);

// Path of r1serve (env R1_PEER_SERVE_BIN overrides the built target) and of
// llama_ref (env R1_PEER_LLAMA_REF_BIN overrides).
std::string serve_bin();
std::string llama_ref_bin();

// Per-test scratch/cache directory under the build tree (created on demand).
std::filesystem::path work_dir();

// Runs `r1serve model synth ARGS -o work_dir()/NAME.gguf` unless that file
// exists and is newer than r1serve; returns the model path.
std::filesystem::path synth_cached(const std::string& name,
                                   const std::string& args);

// Parses a CLI's stdout as JSON: the whole text, or else its last non-empty
// line. Throws std::runtime_error when neither parses.
nlohmann::json parse_json_output(const std::string& out);

std::string read_text(const std::filesystem::path& path);
void write_text(const std::filesystem::path& path, const std::string& text);
std::vector<float> read_f32(const std::filesystem::path& path);

// Splits a ggml vocab test file: blocks separated by "\n__ggml_vocab_test__\n",
// the file ending with one separator.
std::vector<std::string> split_vocab_tests(const std::string& text);

struct LogitStats {
  size_t n_pos = 0;
  size_t n_vocab = 0;
  size_t top1_agree = 0;
  double min_cos = 1.0;
  double mean_cos = 0.0;
  double max_abs_diff = 0.0;
  double max_abs_ref = 0.0;  // scale of the reference logits
  size_t non_finite_rows = 0;  // rows whose cosine was NaN/inf
  std::vector<size_t> disagree_pos;
  std::vector<double> disagree_gap;  // ref logit gap between the two top-1s
  double top1_rate() const {
    return n_pos == 0 ? 0.0 : static_cast<double>(top1_agree) / n_pos;
  }
};

// Compares `ours` against `ref` (both n_pos x n_vocab row-major).
LogitStats compare_logits(const std::vector<float>& ours,
                          const std::vector<float>& ref, size_t n_vocab);

size_t argmax(const float* row, size_t n);

}  // namespace r1::peer
