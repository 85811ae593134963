// The engine tests' model: tiny-qwen2 (Q8_0, the repository's vocabulary)
// synthesized into a scratch file and loaded; the file is removed at once
// (the loaded model keeps its mapping). Empty pointers, with a test
// failure recorded, when any step fails.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "gguf/gguf.h"
#include "model/synth/synth.h"
#include "model/weights.h"
#include "support/temp_dir.h"
#include "tokenizer/tokenizer.h"

namespace r1::engine::test {

struct TinyModel {
  std::shared_ptr<const model::Model> model;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer;
};

inline TinyModel load_tiny_model() {
  test_support::TempDir dir("r1_engine_model");
  const std::string path = dir.file("tiny-qwen2.gguf");
  model::SynthParams p{.preset = "tiny-qwen2", .file_type = "q8_0"};
  p.vocab_path = R1_SOURCE_DIR "/assets/vocab";
  p.n_threads = 2;
  const Status st = model::synth_model(p, path);
  EXPECT_TRUE(st.ok()) << st.error().to_string();
  auto file = gguf::File::open(path);
  EXPECT_TRUE(file.ok());
  if (!st.ok() || !file.ok()) return {};
  auto m = model::Model::load(*file);
  EXPECT_TRUE(m.ok()) << m.error().to_string();
  auto tok = tokenizer::Tokenizer::from_gguf(**file);
  EXPECT_TRUE(tok.ok());
  if (!m.ok() || !tok.ok()) return {};
  return TinyModel{*m, std::move(*tok)};
}

// A suite sharing the tiny model: loaded before its first test, released
// after its last. model_ and tok_ point at the shared pointers (the
// sessions and schedulers the tests create take copies).
class TinyModelSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TinyModel tiny = load_tiny_model();
    ASSERT_TRUE(tiny.model && tiny.tokenizer);
    model_ = new std::shared_ptr<const model::Model>(tiny.model);
    tok_ = new std::shared_ptr<const tokenizer::Tokenizer>(tiny.tokenizer);
  }
  static void TearDownTestSuite() {
    delete model_;
    delete tok_;
    model_ = nullptr;
    tok_ = nullptr;
  }

  static inline std::shared_ptr<const model::Model>* model_ = nullptr;
  static inline std::shared_ptr<const tokenizer::Tokenizer>* tok_ = nullptr;
};

}  // namespace r1::engine::test
