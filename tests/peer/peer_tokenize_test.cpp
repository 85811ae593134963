// Differential tokenizer test: for every fixture vocabulary, `r1serve
// tokenize` and llama.cpp (`llama_ref tokenize`) must produce identical ids
// on the fixture inputs and on the multilingual corpora, with and without
// --parse-special.
#include "peer_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace r1::peer {
namespace {

namespace fs = std::filesystem;

struct TokCase {
  std::string vocab;   // file name under fixtures/tokenizer, or a synth preset
  std::string corpus;  // "fixture", "multilingual" or "peer"
};

void PrintTo(const TokCase& c, std::ostream* os) {
  *os << c.vocab << "/" << c.corpus;
}

fs::path fixtures_dir() { return fs::path(R1_FIXTURES_DIR) / "tokenizer"; }

bool is_preset(const TokCase& c) { return c.vocab.starts_with("tiny-"); }

// The fixture vocab file, or a (cached) q8_0 model of the preset: those carry
// the R1 distills' added tokens (<｜User｜>, <think>, ...).
fs::path vocab_path(const TokCase& c) {
  if (!is_preset(c)) {
    return fixtures_dir() / c.vocab;
  }
  std::string name = "model_" + c.vocab + "_q8_0";
  std::replace(name.begin(), name.end(), '-', '_');
  return synth_cached(name, "--preset " + c.vocab + " --type q8_0 --seed 1234");
}

fs::path corpus_path(const TokCase& c) {
  if (c.corpus == "fixture") {
    const std::string base = is_preset(c) ? "ggml-vocab-qwen2.gguf" : c.vocab;
    return fixtures_dir() / (base + ".inp");
  }
  if (c.corpus == "multilingual") {
    return fs::path(R1_SOURCE_DIR) / "tests/tokenizer/corpus/multilingual.txt";
  }
  return fs::path(R1_SOURCE_DIR) / "tests/peer/corpus.txt";
}

nlohmann::json tokenize_with(const std::string& bin, const fs::path& vocab,
                             const fs::path& input, bool parse_special) {
  std::string cmd = shell_quote(bin) + " tokenize -m " +
                    shell_quote(vocab.string()) + " --json-in " +
                    shell_quote(input.string());
  if (parse_special) {
    cmd += " --parse-special";
  }
  const CommandResult r = run_command(cmd);
  if (r.exit_code != 0) {
    throw std::runtime_error("tokenize failed (" +
                             std::to_string(r.exit_code) + "): " + cmd);
  }
  return parse_json_output(r.out);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \r");
  if (begin == std::string::npos) {
    return "";
  }
  return s.substr(begin, s.find_last_not_of(" \r") + 1 - begin);
}

// Escapes control and non-ASCII bytes so mismatching inputs print legibly.
std::string printable(const std::string& s, size_t max_len = 80) {
  std::string out;
  for (unsigned char ch : s.substr(0, max_len)) {
    if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (ch < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return s.size() > max_len ? out + "..." : out;
}

// Compares one mode; returns the number of mismatching strings.
size_t compare_mode(const TokCase& c, const std::vector<std::string>& texts,
                    const fs::path& input, bool parse_special) {
  const fs::path vocab = vocab_path(c);
  const auto ours = tokenize_with(serve_bin(), vocab, input, parse_special);
  const auto ref = tokenize_with(llama_ref_bin(), vocab, input, parse_special);
  EXPECT_EQ(ours.size(), texts.size());
  EXPECT_EQ(ref.size(), texts.size());
  const size_t n = std::min({ours.size(), ref.size(), texts.size()});
  size_t mismatches = 0;
  size_t n_tokens = 0;
  for (size_t i = 0; i < n; ++i) {
    n_tokens += ref[i].size();
    if (ours[i] == ref[i]) {
      continue;
    }
    if (++mismatches <= 5) {
      ADD_FAILURE() << c.vocab << " [" << c.corpus
                    << (parse_special ? ", parse-special" : "") << "] #" << i
                    << " \"" << printable(texts[i]) << "\"\n  ours "
                    << ours[i].dump() << "\n  ref  " << ref[i].dump();
    }
  }
  std::printf("PEER_TOK %-32s %-12s %-13s strings %3zu tokens %6zu "
              "mismatches %zu\n",
              c.vocab.c_str(), c.corpus.c_str(),
              parse_special ? "parse-special" : "plain", n, n_tokens,
              mismatches);
  return mismatches;
}

class PeerTokenize : public ::testing::TestWithParam<TokCase> {};

TEST_P(PeerTokenize, IdsMatchLlamaCpp) {
  const TokCase& c = GetParam();
  const fs::path source = corpus_path(c);
  if (!fs::exists(source)) {
    GTEST_SKIP() << "corpus not present: " << source;
  }
  const std::vector<std::string> texts = split_vocab_tests(read_text(source));
  ASSERT_FALSE(texts.empty());
  std::string stem = c.vocab + "_" + c.corpus + "_input.json";
  const fs::path input = work_dir() / stem;
  write_text(input, nlohmann::json(texts).dump());
  EXPECT_EQ(compare_mode(c, texts, input, /*parse_special=*/false), 0u);
  EXPECT_EQ(compare_mode(c, texts, input, /*parse_special=*/true), 0u);
}

// Sanity check of the peer itself: llama_ref reproduces the fixture .out ids
// (no BOS, no special parsing), so disagreements above are r1serve's.
class PeerSelfCheck : public ::testing::TestWithParam<TokCase> {};

TEST_P(PeerSelfCheck, LlamaRefMatchesFixtureOut) {
  const TokCase& c = GetParam();
  const auto texts = split_vocab_tests(read_text(corpus_path(c)));
  const auto lines = split_lines(read_text(fixtures_dir() / (c.vocab + ".out")));
  const fs::path input = work_dir() / (c.vocab + "_selfcheck_input.json");
  write_text(input, nlohmann::json(texts).dump());
  const auto ref =
      tokenize_with(llama_ref_bin(), fixtures_dir() / c.vocab, input, false);
  ASSERT_EQ(ref.size(), texts.size());
  ASSERT_GE(lines.size(), texts.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    std::string joined;
    for (const auto& id : ref[i]) {
      joined += (joined.empty() ? "" : " ") + std::to_string(id.get<int>());
    }
    const std::string want = trim(lines[i]);
    if (joined != want) {
      ++mismatches;
      ADD_FAILURE() << c.vocab << " #" << i << " llama_ref " << joined
                    << " fixture " << want;
    }
  }
  std::printf("PEER_SELF %-32s strings %3zu mismatches %zu\n", c.vocab.c_str(),
              texts.size(), mismatches);
}

std::vector<TokCase> all_tok_cases() {
  std::vector<std::string> vocabs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fixtures_dir(), ec)) {
    if (entry.path().extension() == ".gguf") {
      vocabs.push_back(entry.path().filename().string());
    }
  }
  std::sort(vocabs.begin(), vocabs.end());
  for (const char* preset : {"tiny-qwen2", "tiny-llama", "tiny-qwen3"}) {
    vocabs.emplace_back(preset);
  }
  std::vector<TokCase> cases;
  for (const auto& v : vocabs) {
    for (const char* corpus : {"fixture", "multilingual", "peer"}) {
      cases.push_back({v, corpus});
    }
  }
  return cases;
}

std::string tok_case_name(const ::testing::TestParamInfo<TokCase>& info) {
  std::string name = info.param.vocab + "_" + info.param.corpus;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) {
      ch = '_';
    }
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Peer, PeerTokenize,
                         ::testing::ValuesIn(all_tok_cases()), tok_case_name);

std::vector<TokCase> fixture_cases() {
  std::vector<TokCase> cases;
  for (const TokCase& c : all_tok_cases()) {
    if (c.corpus == "fixture" && !is_preset(c)) {
      cases.push_back(c);
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Peer, PeerSelfCheck,
                         ::testing::ValuesIn(fixture_cases()), tok_case_name);

}  // namespace
}  // namespace r1::peer
