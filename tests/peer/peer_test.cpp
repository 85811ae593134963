// Differential test of the forward pass: for each architecture preset and
// weight type, synthesize a model with `r1serve model synth`, run teacher-
// forced logits over a 128-token sequence through `r1serve eval` and through
// llama.cpp (`llama_ref eval`), and compare per position.
//
// Asserted: top-1 agreement >= 99% and min per-position cosine >= 0.999.
// Reported, not asserted: a noise floor, llama.cpp with flash attention vs
// without on the same model: how far llama.cpp moves from itself when only
// the attention kernel changes.
//
// Why the synthetic models are built "confident" (synth_tensors.cpp,
// kSuccessorWeight): with quantized weights, the activations are quantized
// too (Q8_0/Q8_1/Q8_K), and that step turns ulp-level differences between
// two correct implementations (summation order, fp16 rounding of K/V and of
// softmax weights) into ~0.5% differences in a layer's output: a flip of
// one element's rounding moves it by a whole step. From the first position
// where that happens in layer 0, every later position sees it through layer
// 1's attention, and logits differ by ~0.1. Purely random output rows put
// the top two of ~150k logits within 0.05 at ~12% of positions, so those
// differences flipped the argmax at 2-8 of 128 positions, both for us and
// for llama.cpp against itself. A trained model's top-1 usually leads by
// units, which the synthetic models now imitate.
//
// The token sequence is produced by llama.cpp's tokenizer (llama_ref
// tokenize) so that this test isolates the forward pass from tokenizer
// differences, which peer_tokenize_test covers separately.
#include "peer_util.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

namespace r1::peer {
namespace {

namespace fs = std::filesystem;

constexpr size_t kSeqLen = 128;
constexpr double kMinTop1 = 0.99;
constexpr double kMinCos = 0.999;
constexpr int kSeed = 1234;

// English + Chinese + code: 135-139 tokens in each vocab (no repeats).
constexpr const char* kParagraph =
    "The quick brown fox jumps over the lazy dog, then computes 12345 * 678 "
    "= 8369910 and writes it down.\n"
    "机器学习是人工智能的一个分支，它使计算机能够从数据中学习。今天天气很好，"
    "我们去公园散步吧。\n"
    "def fib(n: int) -> int:\n"
    "    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
    "for (int i = 0; i < 10; ++i) { std::printf(\"%d\\n\", i); }\n"
    "Finally, the answer is 42; let's verify it step by step.";

struct EvalCase {
  const char* preset;
  const char* type;        // weight type shown in reports
  const char* synth_type;  // value passed to `model synth --type`
  int n_layer = 0;         // 0: preset default
  int n_embd = 0;
};

std::string case_name(const EvalCase& c) {
  std::string name = std::string(c.preset) + "_" + c.type;
  if (c.n_layer != 0) {
    name += "_L" + std::to_string(c.n_layer) + "_E" + std::to_string(c.n_embd);
  }
  for (char& ch : name) {
    if (ch == '-') {
      ch = '_';
    }
  }
  return name;
}

void PrintTo(const EvalCase& c, std::ostream* os) { *os << case_name(c); }

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

fs::path synth_model(const EvalCase& c) {
  std::string args = std::string("--preset ") + c.preset + " --type " +
                     c.synth_type + " --seed " + std::to_string(kSeed);
  if (c.n_layer != 0) {
    args += " --n-layer " + std::to_string(c.n_layer) + " --n-embd " +
            std::to_string(c.n_embd);
  }
  return synth_cached("model_" + case_name(c), args);
}

// Tokenizes kParagraph with llama.cpp and cuts (or repeats) it to kSeqLen ids.
fs::path make_tokens(const fs::path& model, const std::string& name) {
  const fs::path in = work_dir() / (name + "_text.json");
  write_text(in, nlohmann::json::array({kParagraph}).dump());
  const std::string cmd = shell_quote(llama_ref_bin()) + " tokenize -m " +
                          shell_quote(model.string()) + " --json-in " +
                          shell_quote(in.string());
  const CommandResult r = run_command(cmd);
  if (r.exit_code != 0) {
    throw std::runtime_error("llama_ref tokenize failed: " + cmd);
  }
  const auto text_ids = parse_json_output(r.out).at(0).get<std::vector<int>>();
  if (text_ids.empty()) {
    throw std::runtime_error("empty tokenization");
  }
  std::vector<int> ids;
  while (ids.size() < kSeqLen) {
    ids.push_back(text_ids[ids.size() % text_ids.size()]);
  }
  const fs::path out = work_dir() / (name + "_tokens.json");
  write_text(out, nlohmann::json(ids).dump());
  return out;
}

struct EvalRun {
  std::vector<float> logits;
  double seconds = 0.0;
};

EvalRun run_eval(const std::string& bin, const fs::path& model,
                 const fs::path& tokens, const fs::path& out,
                 const std::string& extra_args = "") {
  fs::remove(out);
  const std::string cmd = shell_quote(bin) + " eval -m " +
                          shell_quote(model.string()) + " --tokens " +
                          shell_quote(tokens.string()) + " --logits-out " +
                          shell_quote(out.string()) + " --threads 2" +
                          extra_args;
  const auto t0 = std::chrono::steady_clock::now();
  const CommandResult r = run_command(cmd + " >/dev/null");
  EvalRun run;
  run.seconds = seconds_since(t0);
  if (r.exit_code != 0) {
    throw std::runtime_error("eval failed (" + std::to_string(r.exit_code) +
                             "): " + cmd);
  }
  run.logits = read_f32(out);
  return run;
}

std::string report_row(const std::string& name, const LogitStats& s,
                       const LogitStats& floor, const EvalRun& ours,
                       const EvalRun& ref) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "PEER_EVAL %-28s top1 %3zu/%zu (%6.2f%%)  cos min %.6f mean "
                "%.6f  max|d| %.3e (ref max|x| %.2f)  nonfinite %zu  "
                "t_ours %.2fs t_ref %.2fs",
                name.c_str(), s.top1_agree, s.n_pos, 100.0 * s.top1_rate(),
                s.min_cos, s.mean_cos, s.max_abs_diff, s.max_abs_ref,
                s.non_finite_rows, ours.seconds, ref.seconds);
  std::string row = buf;
  std::snprintf(buf, sizeof buf,
                "\n    noise floor, llama.cpp flash-attn vs not: top1 %zu/%zu "
                "cos min %.6f max|d| %.3e",
                floor.top1_agree, floor.n_pos, floor.min_cos,
                floor.max_abs_diff);
  row += buf;
  for (size_t i = 0; i < s.disagree_pos.size() && i < 8; ++i) {
    std::snprintf(buf, sizeof buf, "\n    top-1 differs at pos %zu (ref gap %.4g)",
                  s.disagree_pos[i], s.disagree_gap[i]);
    row += buf;
  }
  return row;
}

// One file per case (overwritten each run), so that
// `cat build/tests/peer/work/eval_report/*` prints the whole table.
void write_report(const std::string& name, const std::string& row) {
  const fs::path dir = work_dir() / "eval_report";
  fs::create_directories(dir);
  write_text(dir / (name + ".txt"), row + "\n");
}

// Removes a case's files when it ends, pass or fail: the logits are
// 128 x n_vocab floats (~77 MB each, three per case) and the models up to
// 330 MB, so keeping them all would need ~12 GB of disk. Set
// R1_PEER_KEEP_FILES=1 to keep them for a debugging rerun.
class CaseFiles {
 public:
  explicit CaseFiles(std::vector<fs::path> paths) : paths_(std::move(paths)) {}
  ~CaseFiles() {
    if (std::getenv("R1_PEER_KEEP_FILES") != nullptr) {
      return;
    }
    std::error_code ec;
    for (const auto& p : paths_) {
      fs::remove(p, ec);
    }
  }
  CaseFiles(const CaseFiles&) = delete;
  CaseFiles& operator=(const CaseFiles&) = delete;

 private:
  std::vector<fs::path> paths_;
};

class PeerEval : public ::testing::TestWithParam<EvalCase> {};

TEST_P(PeerEval, LogitsMatchLlamaCpp) {
  const EvalCase& c = GetParam();
  const std::string name = case_name(c);
  fs::remove(work_dir() / "eval_report" / (name + ".txt"));
  const CaseFiles files({work_dir() / ("model_" + name + ".gguf"),
                         work_dir() / (name + "_ref.f32"),
                         work_dir() / (name + "_ref_fa.f32"),
                         work_dir() / (name + "_ours.f32")});
  const fs::path model = synth_model(c);
  const fs::path tokens = make_tokens(model, name);
  const EvalRun ref = run_eval(llama_ref_bin(), model, tokens,
                               work_dir() / (name + "_ref.f32"));
  const EvalRun ref_fa = run_eval(llama_ref_bin(), model, tokens,
                                  work_dir() / (name + "_ref_fa.f32"),
                                  " --flash-attn");
  const EvalRun ours =
      run_eval(serve_bin(), model, tokens, work_dir() / (name + "_ours.f32"));
  ASSERT_EQ(ref.logits.size() % kSeqLen, 0u);
  const size_t n_vocab = ref.logits.size() / kSeqLen;
  ASSERT_EQ(ours.logits.size(), ref.logits.size())
      << "logit file sizes differ (n_vocab " << n_vocab << ")";
  const LogitStats s = compare_logits(ours.logits, ref.logits, n_vocab);
  // Not asserted: shows how far llama.cpp moves from itself when only the
  // attention kernel changes, i.e. how decisive this model's logits are.
  const LogitStats floor = compare_logits(ref_fa.logits, ref.logits, n_vocab);
  const std::string row = report_row(name, s, floor, ours, ref);
  std::printf("%s\n", row.c_str());
  write_report(name, row);
  EXPECT_EQ(s.non_finite_rows, 0u);
  EXPECT_GE(s.top1_rate(), kMinTop1);
  EXPECT_GE(s.min_cos, kMinCos);
}

std::vector<EvalCase> all_cases() {
  static const char* kTypes[][2] = {
      {"f32", "f32"},     {"f16", "f16"},     {"bf16", "bf16"},
      {"q8_0", "q8_0"},   {"q4_0", "q4_0"},   {"q4_1", "q4_1"},
      {"q5_0", "q5_0"},   {"q5_1", "q5_1"},   {"q4_k", "q4_k_m"},
      {"q5_k", "q5_k_m"}, {"q6_k", "q6_k"}};
  std::vector<EvalCase> cases;
  for (const char* preset : {"tiny-qwen2", "tiny-llama", "tiny-qwen3"}) {
    for (const auto& t : kTypes) {
      cases.push_back({preset, t[0], t[1]});
    }
  }
  // A few deeper/wider shapes: 4 layers, hidden 512.
  cases.push_back({"tiny-qwen2", "q4_k", "q4_k_m", 4, 512});
  cases.push_back({"tiny-llama", "q8_0", "q8_0", 4, 512});
  cases.push_back({"tiny-qwen3", "q6_k", "q6_k", 4, 512});
  cases.push_back({"tiny-qwen2", "f16", "f16", 4, 512});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(
    Peer, PeerEval, ::testing::ValuesIn(all_cases()),
    [](const ::testing::TestParamInfo<EvalCase>& info) {
      return case_name(info.param);
    });

}  // namespace
}  // namespace r1::peer
