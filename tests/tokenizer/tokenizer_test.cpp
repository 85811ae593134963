// Tokenizer against llama.cpp's test vectors for the five fixture vocabs,
// plus round trips and the qwen2 vocab's metadata.
#include <gtest/gtest.h>

#include <cstdio>

#include "tokenizer/tokenizer.h"
#include "tokenizer_fixtures.h"

namespace r1::tokenizer {
namespace {

using testing::fixture_path;
using testing::ids_to_string;
using testing::load_fixture;

class VocabVectors : public ::testing::TestWithParam<const char*> {};

TEST_P(VocabVectors, MatchesLlamaCppTestVectors) {
  const std::string name = GetParam();
  const Tokenizer* tok = load_fixture(name);
  ASSERT_NE(tok, nullptr);
  const auto cases = testing::split_cases(testing::read_file(fixture_path(name + ".inp")));
  const auto expected = testing::read_expected(fixture_path(name + ".out"));
  ASSERT_EQ(cases.size(), expected.size()) << name;
  ASSERT_GT(cases.size(), 30u);
  size_t matched = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::vector<int32_t> got = tok->encode(cases[i]);
    if (got == expected[i]) {
      ++matched;
    } else {
      ADD_FAILURE() << name << " case " << i << " '" << cases[i] << "'\n  want "
                    << ids_to_string(expected[i]) << "\n  got  " << ids_to_string(got);
    }
  }
  std::printf("[ vectors  ] %s: %zu/%zu matched\n", name.c_str(), matched, cases.size());
  EXPECT_EQ(matched, cases.size());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, VocabVectors,
                         ::testing::Values("ggml-vocab-qwen2.gguf", "ggml-vocab-llama-bpe.gguf",
                                           "ggml-vocab-deepseek-llm.gguf",
                                           "ggml-vocab-deepseek-coder.gguf",
                                           "ggml-vocab-llama-spm.gguf"));

class RoundTrip : public ::testing::TestWithParam<const char*> {};

// decode(encode(x)) == x for every fixture input (BPE is lossless on valid
// UTF-8; SPM drops the prefix space it added).
TEST_P(RoundTrip, DecodeEncodeIsIdentity) {
  const std::string name = GetParam();
  const Tokenizer* tok = load_fixture(name);
  ASSERT_NE(tok, nullptr);
  const auto cases = testing::split_cases(testing::read_file(fixture_path(name + ".inp")));
  for (const std::string& text : cases) {
    const auto ids = tok->encode(text);
    EXPECT_EQ(tok->decode(ids), text) << name << ": " << ids_to_string(ids);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RoundTrip,
                         ::testing::Values("ggml-vocab-qwen2.gguf", "ggml-vocab-llama-bpe.gguf",
                                           "ggml-vocab-deepseek-llm.gguf",
                                           "ggml-vocab-deepseek-coder.gguf"));

class CorpusVsLlamaCpp : public ::testing::TestWithParam<const char*> {};

// tests/tokenizer/corpus: multilingual, code, emoji and chat-template cases
// with llama.cpp's ids, without and with special-token parsing.
TEST_P(CorpusVsLlamaCpp, MatchesRecordedIds) {
  const std::string vocab = GetParam();
  const Tokenizer* tok = load_fixture("ggml-vocab-" + vocab + ".gguf");
  ASSERT_NE(tok, nullptr);
  const std::string dir = std::string(R1_SOURCE_DIR) + "/tests/tokenizer/corpus/";
  const auto cases = testing::split_cases(testing::read_file(dir + "multilingual.txt"));
  for (bool special : {false, true}) {
    const auto expected = testing::read_expected(
        dir + "multilingual." + vocab + (special ? ".special" : "") + ".out");
    ASSERT_EQ(cases.size(), expected.size());
    size_t matched = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
      const auto got = tok->encode(cases[i], {.parse_special = special});
      matched += got == expected[i] ? 1 : 0;
      EXPECT_EQ(ids_to_string(got), ids_to_string(expected[i]))
          << vocab << " case " << i << " parse_special=" << special;
    }
    std::printf("[ corpus   ] %s parse_special=%d: %zu/%zu matched\n", vocab.c_str(), special,
                matched, cases.size());
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CorpusVsLlamaCpp,
                         ::testing::Values("qwen2", "llama-bpe", "deepseek-llm", "deepseek-coder",
                                           "llama-spm"));

// The load time is bench/vocab_bench (BM_TokenizerFromGgufQwen2).
TEST(TokenizerLoad, Qwen2Metadata) {
  auto file = gguf::File::open(fixture_path("ggml-vocab-qwen2.gguf"));
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  auto tok = Tokenizer::from_gguf(**file);
  ASSERT_TRUE(tok.ok()) << tok.error().to_string();
  const Tokenizer& t = **tok;
  EXPECT_EQ(t.n_vocab(), 151936);
  EXPECT_EQ(t.kind(), TokenizerKind::kBpe);
  EXPECT_EQ(t.pre_type(), "qwen2");
  EXPECT_FALSE(t.add_bos_default());
  EXPECT_EQ(t.eos_id(), 151643);
  EXPECT_EQ(t.eot_id(), 151645);  // <|im_end|>
  EXPECT_TRUE(t.is_eog(151643));
  EXPECT_TRUE(t.is_eog(151645));
  EXPECT_FALSE(t.is_eog(151644));
  EXPECT_EQ(t.find_token("<|im_start|>"), 151644);
  EXPECT_EQ(t.find_token("Hello"), 9707);
  EXPECT_FALSE(t.find_token("no such token at all").has_value());
  EXPECT_EQ(t.token_to_piece(220), " ");  // "Ġ"
  EXPECT_EQ(t.token_text(220), "\xC4\xA0");
  EXPECT_EQ(t.token_to_piece(151644), "<|im_start|>");
  EXPECT_TRUE(t.is_special(151644));
  EXPECT_EQ(t.token_type(151644), TokenType::kControl);
  EXPECT_EQ(t.token_to_piece(-1), "");
}

TEST(TokenizerLoad, SpmMetadata) {
  const Tokenizer* t = load_fixture("ggml-vocab-llama-spm.gguf");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->kind(), TokenizerKind::kSpm);
  EXPECT_TRUE(t->add_bos_default());
  EXPECT_TRUE(t->add_space_prefix());
  EXPECT_EQ(t->bos_id(), 1);
  EXPECT_EQ(t->eos_id(), 2);
  EXPECT_EQ(t->unk_id(), 0);
  EXPECT_TRUE(t->is_eog(2));
  // "Hello world" -> "▁Hello ▁world"; with BOS.
  const auto ids = t->encode("Hello world", {.add_bos = true});
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(t->decode(ids, /*skip_special=*/true), " Hello world");  // llama.cpp keeps it after BOS
  EXPECT_EQ(t->decode(std::vector<int32_t>(ids.begin() + 1, ids.end())), "Hello world");
  // Byte fallback: U+10FFFF is not in the vocab -> four <0xNN> byte tokens.
  const auto bytes = t->encode("\xF4\x8F\xBF\xBF");
  ASSERT_EQ(bytes.size(), 5u);  // "▁" + 4 bytes
  EXPECT_EQ(t->token_text(bytes[1]), "<0xF4>");
  EXPECT_EQ(t->token_to_piece(bytes[1]), "\xF4");
}

TEST(TokenizerLoad, Llama3AddsBosByDefault) {
  const Tokenizer* t = load_fixture("ggml-vocab-llama-bpe.gguf");
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->add_bos_default());
  EXPECT_EQ(t->bos_id(), 128000);
  EXPECT_EQ(t->eot_id(), 128009);  // <|eot_id|>
  EXPECT_TRUE(t->is_eog(128001));
  EXPECT_TRUE(t->is_eog(128009));
  const auto ids = t->encode("Hello", {.add_bos = t->add_bos_default()});
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], 128000);
}

}  // namespace
}  // namespace r1::tokenizer
