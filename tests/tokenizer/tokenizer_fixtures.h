// Shared helpers for the tokenizer tests: fixture paths, loading the
// vocab-only GGUFs (cached per process) and reading llama.cpp's
// .inp/.out test vectors.
#pragma once

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

namespace r1::tokenizer::testing {

inline std::string fixture_path(const std::string& name) {
  return std::string(R1_FIXTURES_DIR) + "/tokenizer/" + name;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Splits a .inp file on "\n__ggml_vocab_test__\n" (the file ends with one).
inline std::vector<std::string> split_cases(const std::string& content) {
  static const std::string kSep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> cases;
  size_t start = 0;
  for (size_t pos = content.find(kSep); pos != std::string::npos;
       pos = content.find(kSep, start)) {
    cases.push_back(content.substr(start, pos - start));
    start = pos + kSep.size();
  }
  if (start < content.size()) cases.push_back(content.substr(start));
  return cases;
}

inline std::vector<std::vector<int32_t>> read_expected(const std::string& path) {
  std::vector<std::vector<int32_t>> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<int32_t> ids;
    int32_t id = 0;
    while (ls >> id) ids.push_back(id);
    out.push_back(std::move(ids));
  }
  return out;
}

struct LoadedVocab {
  std::shared_ptr<const gguf::File> file;
  std::unique_ptr<Tokenizer> tok;
};

// Loads (once per process) a fixture vocab; fails the test on error.
inline const Tokenizer* load_fixture(const std::string& name) {
  static std::map<std::string, LoadedVocab> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second.tok.get();
  auto file = gguf::File::open(fixture_path(name));
  if (!file.ok()) {
    ADD_FAILURE() << file.error().to_string();
    return nullptr;
  }
  auto tok = Tokenizer::from_gguf(**file);
  if (!tok.ok()) {
    ADD_FAILURE() << tok.error().to_string();
    return nullptr;
  }
  LoadedVocab& lv = cache[name];
  lv.file = std::move(file).value();
  lv.tok = std::move(tok).value();
  return lv.tok.get();
}

inline std::string ids_to_string(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += (s.empty() ? "" : " ") + std::to_string(id);
  return s;
}

}  // namespace r1::tokenizer::testing
