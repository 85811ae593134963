#include "peer_util.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace r1::peer {

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  std::array<char, 65536> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    result.out.append(buf.data(), n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return result;
}

std::string shell_quote(const std::string& arg) {
  std::string quoted = "'";
  for (char c : arg) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

namespace {
std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}
}  // namespace

std::string serve_bin() { return env_or("R1_PEER_SERVE_BIN", R1_SERVE_BIN); }

std::string llama_ref_bin() {
  return env_or("R1_PEER_LLAMA_REF_BIN", R1_LLAMA_REF_BIN);
}

std::filesystem::path work_dir() {
  std::filesystem::path dir = R1_PEER_WORK_DIR;
  std::filesystem::create_directories(dir);
  return dir;
}

std::filesystem::path synth_cached(const std::string& name,
                                   const std::string& args) {
  namespace fs = std::filesystem;
  const fs::path path = work_dir() / (name + ".gguf");
  std::error_code ec;
  const auto bin_time = fs::last_write_time(serve_bin(), ec);
  if (!ec && fs::exists(path) && fs::last_write_time(path) > bin_time) {
    return path;
  }
  // A file of its own per process: tests run in parallel may synthesize the
  // same model at once; each renames a whole file into place.
  const fs::path tmp = path.string() + ".tmp." + std::to_string(getpid());
  const std::string cmd = shell_quote(serve_bin()) + " model synth " + args +
                          " --threads 2 -o " + shell_quote(tmp.string());
  const CommandResult r = run_command(cmd + " >&2");
  if (r.exit_code != 0) {
    throw std::runtime_error("synth failed (" + std::to_string(r.exit_code) +
                             "): " + cmd);
  }
  fs::rename(tmp, path);
  return path;
}

nlohmann::json parse_json_output(const std::string& out) {
  auto whole = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (!whole.is_discarded()) {
    return whole;
  }
  std::istringstream lines(out);
  std::string line;
  std::string last;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) {
      last = line;
    }
  }
  auto tail = nlohmann::json::parse(last, nullptr, false);
  if (tail.is_discarded()) {
    throw std::runtime_error("output is not JSON: " + out.substr(0, 200));
  }
  return tail;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot open " + path.string());
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) {
    throw std::runtime_error("cannot write " + path.string());
  }
}

std::vector<float> read_f32(const std::filesystem::path& path) {
  const std::string bytes = read_text(path);
  if (bytes.size() % sizeof(float) != 0) {
    throw std::runtime_error("size of " + path.string() + " is not 4k");
  }
  std::vector<float> values(bytes.size() / sizeof(float));
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(values.data()));
  return values;
}

std::vector<std::string> split_vocab_tests(const std::string& text) {
  static const std::string kSep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> blocks;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find(kSep, start);
    if (end == std::string::npos) {
      blocks.push_back(text.substr(start));  // no trailing separator
      break;
    }
    blocks.push_back(text.substr(start, end - start));
    start = end + kSep.size();
  }
  return blocks;
}

size_t argmax(const float* row, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i) {
    if (row[i] > row[best]) {
      best = i;
    }
  }
  return best;
}

namespace {
// Cosine of one row pair; also folds the row into the abs-diff maxima.
double row_cosine(const float* a, const float* b, size_t n, LogitStats& s) {
  double dot = 0.0;
  double na = 0.0;
  double nb = 0.0;
  for (size_t v = 0; v < n; ++v) {
    dot += static_cast<double>(a[v]) * b[v];
    na += static_cast<double>(a[v]) * a[v];
    nb += static_cast<double>(b[v]) * b[v];
    s.max_abs_diff = std::max(s.max_abs_diff, std::fabs(double(a[v]) - b[v]));
    s.max_abs_ref = std::max(s.max_abs_ref, std::fabs(double(b[v])));
  }
  if (na == 0.0 || nb == 0.0) {
    return na == nb ? 1.0 : 0.0;
  }
  return dot / (std::sqrt(na) * std::sqrt(nb));
}
}  // namespace

LogitStats compare_logits(const std::vector<float>& ours,
                          const std::vector<float>& ref, size_t n_vocab) {
  LogitStats s;
  s.n_vocab = n_vocab;
  if (n_vocab == 0 || ours.size() != ref.size() || ref.size() % n_vocab != 0) {
    throw std::runtime_error("logit shapes differ: " +
                             std::to_string(ours.size()) + " vs " +
                             std::to_string(ref.size()));
  }
  s.n_pos = ref.size() / n_vocab;
  double sum_cos = 0.0;
  for (size_t p = 0; p < s.n_pos; ++p) {
    const float* a = ours.data() + p * n_vocab;
    const float* b = ref.data() + p * n_vocab;
    double cos = row_cosine(a, b, n_vocab, s);
    if (!std::isfinite(cos)) {
      ++s.non_finite_rows;  // NaN/inf logits count as the worst cosine
      cos = -1.0;
    }
    sum_cos += cos;
    s.min_cos = std::min(s.min_cos, cos);
    const size_t ta = argmax(a, n_vocab);
    const size_t tb = argmax(b, n_vocab);
    if (ta == tb) {
      ++s.top1_agree;
    } else {
      s.disagree_pos.push_back(p);
      s.disagree_gap.push_back(double(b[tb]) - b[ta]);
    }
  }
  s.mean_cos = s.n_pos == 0 ? 0.0 : sum_cos / s.n_pos;
  return s;
}

}  // namespace r1::peer
