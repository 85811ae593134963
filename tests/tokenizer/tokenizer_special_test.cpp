// Special tokens (R1 template text), BOS/EOG, the streaming decoder, error
// paths and a hand-computed BPE merge order.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "gguf/gguf.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/text/unicode.h"
#include "tokenizer_fixtures.h"

namespace r1::tokenizer {
namespace {

using testing::fixture_path;
using testing::ids_to_string;
using testing::load_fixture;

bool contains(const std::vector<int32_t>& ids, int32_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// The DeepSeek-R1-Distill-Qwen vocabulary: the Qwen2 vocab with ids
// 151643..151649 renamed, typed as the real GGUFs have them (convert_hf_to_gguf
// makes "<｜...｜>" / "<|...|>" CONTROL and <think>/</think> USER_DEFINED).
std::unique_ptr<Tokenizer> make_r1_tokenizer() {
  auto file = gguf::File::open(fixture_path("ggml-vocab-qwen2.gguf"));
  EXPECT_TRUE(file.ok());
  if (!file.ok()) return nullptr;
  auto vocab = load_vocab(**file);
  EXPECT_TRUE(vocab.ok());
  if (!vocab.ok()) return nullptr;
  Vocab v = std::move(vocab).value();
  const std::pair<const char*, TokenType> specials[] = {
      {"<｜end▁of▁sentence｜>", TokenType::kControl}, {"<｜User｜>", TokenType::kControl},
      {"<｜Assistant｜>", TokenType::kControl},       {"<｜begin▁of▁sentence｜>", TokenType::kControl},
      {"<|EOT|>", TokenType::kControl},              {"<think>", TokenType::kUserDefined},
      {"</think>", TokenType::kUserDefined}};
  for (int i = 0; i < 7; ++i) {
    v.tokens[151643 + i] = specials[i].first;
    v.token_types[151643 + i] = static_cast<int32_t>(specials[i].second);
  }
  v.pre_type = "deepseek-r1-qwen";
  v.bos_id = 151646;
  v.eos_id = 151643;
  v.add_bos = true;
  auto tok = Tokenizer::from_vocab(std::move(v));
  EXPECT_TRUE(tok.ok()) << (tok.ok() ? "" : tok.error().to_string());
  return tok.ok() ? std::move(tok).value() : nullptr;
}

const Tokenizer* r1_tokenizer() {
  static const std::unique_ptr<Tokenizer> tok = make_r1_tokenizer();
  return tok.get();
}

TEST(SpecialTokens, R1TemplateWithParseSpecial) {
  const Tokenizer* t = r1_tokenizer();
  ASSERT_NE(t, nullptr);
  const std::string text = "<｜User｜>hi<｜Assistant｜><think>\n";
  const auto hi = t->encode("hi");
  const auto nl = t->encode("\n");
  ASSERT_EQ(nl, std::vector<int32_t>{198});
  std::vector<int32_t> want = {151644};
  want.insert(want.end(), hi.begin(), hi.end());
  want.insert(want.end(), {151645, 151648, 198});
  EXPECT_EQ(t->encode(text, {.parse_special = true}), want);
  // With BOS (add_bos_token = true in R1 GGUFs).
  const auto with_bos = t->encode(text, {.add_bos = t->add_bos_default(), .parse_special = true});
  ASSERT_FALSE(with_bos.empty());
  EXPECT_EQ(with_bos.front(), 151646);
  EXPECT_EQ(with_bos.size(), want.size() + 1);
}

TEST(SpecialTokens, R1TemplateWithoutParseSpecial) {
  const Tokenizer* t = r1_tokenizer();
  ASSERT_NE(t, nullptr);
  const std::string text = "<｜User｜>hi<｜Assistant｜><think>\n";
  const auto ids = t->encode(text);
  // CONTROL tokens are plain text now: several ids, none of them special.
  EXPECT_FALSE(contains(ids, 151644)) << ids_to_string(ids);
  EXPECT_FALSE(contains(ids, 151645)) << ids_to_string(ids);
  EXPECT_GT(ids.size(), 8u);
  // USER_DEFINED <think> is still one token, as in llama.cpp / HF.
  EXPECT_TRUE(contains(ids, 151648)) << ids_to_string(ids);
  EXPECT_EQ(t->decode(ids), text);
  for (int32_t id : ids) EXPECT_FALSE(t->is_special(id)) << id;
}

TEST(SpecialTokens, R1MetadataAndDecode) {
  const Tokenizer* t = r1_tokenizer();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->bos_id(), 151646);
  EXPECT_EQ(t->eos_id(), 151643);
  EXPECT_EQ(t->eot_id(), 151643);  // <｜end▁of▁sentence｜>
  EXPECT_TRUE(t->is_eog(151643));
  EXPECT_FALSE(t->is_eog(151647));  // <|EOT|> is not end-of-generation in llama.cpp
  EXPECT_FALSE(t->is_eog(151649));
  EXPECT_EQ(t->find_token("</think>"), 151649);
  EXPECT_EQ(t->token_to_piece(151644), "<｜User｜>");
  EXPECT_EQ(t->token_type(151648), TokenType::kUserDefined);
  const std::string text =
      "<｜begin▁of▁sentence｜>sys<｜User｜>2+2?<｜Assistant｜><think>\nfour\n</think>\n\n4"
      "<｜end▁of▁sentence｜>";
  const auto ids = t->encode(text, {.parse_special = true});
  EXPECT_EQ(ids.front(), 151646);
  EXPECT_EQ(ids.back(), 151643);
  EXPECT_EQ(t->decode(ids), text);
  EXPECT_EQ(t->decode(ids, /*skip_special=*/true), "sys2+2?<think>\nfour\n</think>\n\n4");
}

TEST(SpecialTokens, QwenImStartLongestMatchFirst) {
  const Tokenizer* t = load_fixture("ggml-vocab-qwen2.gguf");
  ASSERT_NE(t, nullptr);
  const auto ids = t->encode("<|im_start|>user\nhi<|im_end|>\n", {.parse_special = true});
  ASSERT_GE(ids.size(), 5u);
  EXPECT_EQ(ids.front(), 151644);
  EXPECT_TRUE(contains(ids, 151645));
  const auto plain = t->encode("<|im_start|>user");
  EXPECT_FALSE(contains(plain, 151644));
  // Special text split across fragments is not special.
  EXPECT_FALSE(contains(t->encode("<|im_st art|>", {.parse_special = true}), 151644));
}

std::vector<std::string> stream_all(const Tokenizer& t, const std::vector<int32_t>& ids,
                                    StreamDecoderOptions opts = {}) {
  StreamDecoder dec(t, opts);
  std::vector<std::string> out;
  for (int32_t id : ids) out.push_back(dec.push(id));
  out.push_back(dec.flush());
  return out;
}

TEST(StreamDecoder, EmojiAndCjkNeverInvalidUtf8) {
  const Tokenizer* t = load_fixture("ggml-vocab-qwen2.gguf");
  ASSERT_NE(t, nullptr);
  const std::string text =
      "你好，世界！🦙🚀 😶‍🌫️ 👨‍👩‍👧‍👦 naïve café 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ꙮ 龘龘 — done";
  const auto ids = t->encode(text);
  // The test must exercise buffering: some token is an incomplete sequence.
  bool saw_partial = false;
  for (int32_t id : ids) saw_partial |= !utf8_is_valid(t->token_to_piece(id));
  ASSERT_TRUE(saw_partial);
  std::string joined;
  int empty_pushes = 0;
  const auto parts = stream_all(*t, ids);
  for (const std::string& p : parts) {
    EXPECT_TRUE(utf8_is_valid(p)) << p;
    empty_pushes += p.empty() ? 1 : 0;
    joined += p;
  }
  EXPECT_GT(empty_pushes, 0);
  EXPECT_EQ(joined, t->decode(ids));
  EXPECT_EQ(joined, text);
}

TEST(StreamDecoder, SpmByteFallbackTokens) {
  const Tokenizer* t = load_fixture("ggml-vocab-llama-spm.gguf");
  ASSERT_NE(t, nullptr);
  const std::string text = "Hi 🦙 ꙮ 𝔘 done";
  const auto ids = t->encode(text);
  int byte_tokens = 0;
  for (int32_t id : ids) byte_tokens += t->token_type(id) == TokenType::kByte ? 1 : 0;
  ASSERT_GE(byte_tokens, 4);
  std::string joined;
  for (const std::string& p : stream_all(*t, ids, {.strip_prefix_space = true})) {
    EXPECT_TRUE(utf8_is_valid(p));
    joined += p;
  }
  EXPECT_EQ(joined, text);
  EXPECT_EQ(joined, t->decode(ids));
}

TEST(StreamDecoder, InvalidBytesBecomeReplacementChar) {
  const Tokenizer* t = load_fixture("ggml-vocab-llama-spm.gguf");
  ASSERT_NE(t, nullptr);
  const int32_t lead = *t->find_token("<0xE4>");   // starts a 3-byte sequence
  const int32_t cont = *t->find_token("<0x80>");   // lone continuation byte
  const int32_t a = *t->find_token("a");
  StreamDecoder dec(*t);
  EXPECT_EQ(dec.push(lead), "");
  EXPECT_EQ(dec.pending_bytes(), 1u);
  EXPECT_EQ(dec.push(a), "\xEF\xBF\xBD" "a");  // the cut sequence is U+FFFD
  EXPECT_EQ(dec.push(cont), "\xEF\xBF\xBD");
  EXPECT_EQ(dec.push(lead), "");
  EXPECT_EQ(dec.flush(), "\xEF\xBF\xBD");
  EXPECT_EQ(dec.push(t->eos_id()), "</s>");
  StreamDecoder skip(*t, {.skip_special = true});
  EXPECT_EQ(skip.push(t->eos_id()), "");
}

gguf::Writer small_bpe_writer(const std::string& model, const std::string& pre) {
  gguf::Writer w;
  w.set_string("general.architecture", "qwen2");
  w.set_string("tokenizer.ggml.model", model);
  w.set_string("tokenizer.ggml.pre", pre);
  w.set_string_array("tokenizer.ggml.tokens", {"a", "b", "c", "ab", "bc", "abc", "<eos>"});
  w.set_i32_array("tokenizer.ggml.token_type", {1, 1, 1, 1, 1, 1, 3});
  w.set_string_array("tokenizer.ggml.merges", {"b c", "a b", "a bc"});
  w.set_u32("tokenizer.ggml.eos_token_id", 6);
  return w;
}

Result<std::unique_ptr<Tokenizer>> from_writer(const gguf::Writer& w, std::vector<uint8_t>& bytes) {
  bytes = w.to_bytes();
  R1_ASSIGN_OR_RETURN(auto file, gguf::File::parse(bytes, "mem.gguf"));
  return Tokenizer::from_gguf(*file);
}

TEST(TokenizerErrors, UnknownModelAndPreType) {
  std::vector<uint8_t> bytes;
  auto bad_model = from_writer(small_bpe_writer("bogus-model", "gpt2"), bytes);
  ASSERT_FALSE(bad_model.ok());
  EXPECT_EQ(bad_model.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(bad_model.error().message.find("bogus-model"), std::string::npos);
  auto bad_pre = from_writer(small_bpe_writer("gpt2", "bogus-pre"), bytes);
  ASSERT_FALSE(bad_pre.ok());
  EXPECT_EQ(bad_pre.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(bad_pre.error().message.find("bogus-pre"), std::string::npos);
  gguf::Writer no_tokens;
  no_tokens.set_string("tokenizer.ggml.model", "gpt2");
  auto missing = from_writer(no_tokens, bytes);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("tokenizer.ggml.tokens"), std::string::npos);
}

// Merge order by rank, hand-computed: "abc" -> a|b|c; rank 0 "b c" gives
// a|bc; rank 2 "a bc" gives abc. "abab" -> ab|ab via rank 1.
TEST(TokenizerBpe, HandComputedMergeOrder) {
  std::vector<uint8_t> bytes;
  auto tok = from_writer(small_bpe_writer("gpt2", "gpt2"), bytes);
  ASSERT_TRUE(tok.ok()) << tok.error().to_string();
  const Tokenizer& t = **tok;
  EXPECT_EQ(t.encode("abc"), (std::vector<int32_t>{5}));
  EXPECT_EQ(t.encode("abab"), (std::vector<int32_t>{3, 3}));
  EXPECT_EQ(t.encode("cab"), (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(t.encode("abcc"), (std::vector<int32_t>{5, 2}));
  EXPECT_EQ(t.encode("x<eos>", {.parse_special = true}), (std::vector<int32_t>{6}));  // 'x' has no token
  EXPECT_TRUE(t.is_eog(6));
  EXPECT_EQ(t.bos_id(), kNoToken);  // default 11 is out of range
}

// Invalid UTF-8 is not an error: like llama.cpp, each bad byte becomes U+FFFD
// (overlong forms are normalized) before BPE; SPM falls back to byte tokens.
TEST(TokenizerInput, InvalidUtf8) {
  const Tokenizer* bpe = load_fixture("ggml-vocab-qwen2.gguf");
  ASSERT_NE(bpe, nullptr);
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(bpe->decode(bpe->encode("abc\xE4\xB8")), "abc" + fffd + fffd);
  EXPECT_EQ(bpe->decode(bpe->encode("\xFF ok \x80")), fffd + " ok " + fffd);
  EXPECT_EQ(bpe->decode(bpe->encode("\xC0\x80x")), std::string("\0x", 2));
  const Tokenizer* spm = load_fixture("ggml-vocab-llama-spm.gguf");
  ASSERT_NE(spm, nullptr);
  EXPECT_EQ(spm->decode(spm->encode("a\xFF" "b")), "a\xFF" "b");
}

TEST(TokenizerCorpus, MultilingualRoundTrip) {
  const auto cases = testing::split_cases(
      testing::read_file(std::string(R1_SOURCE_DIR) + "/tests/tokenizer/corpus/multilingual.txt"));
  ASSERT_GE(cases.size(), 30u);
  for (const char* name : {"ggml-vocab-qwen2.gguf", "ggml-vocab-llama-bpe.gguf",
                           "ggml-vocab-deepseek-llm.gguf", "ggml-vocab-deepseek-coder.gguf"}) {
    const Tokenizer* t = load_fixture(name);
    ASSERT_NE(t, nullptr);
    for (const std::string& text : cases) {
      for (bool ps : {false, true}) {
        const auto ids = t->encode(text, {.parse_special = ps});
        EXPECT_EQ(t->decode(ids), text) << name << " parse_special=" << ps;
      }
    }
  }
}

// encode()/decode() share one immutable Tokenizer across threads.
TEST(TokenizerThreads, ConcurrentEncodeMatchesSerial) {
  const Tokenizer* t = r1_tokenizer();
  ASSERT_NE(t, nullptr);
  const auto cases = testing::split_cases(
      testing::read_file(std::string(R1_SOURCE_DIR) + "/tests/tokenizer/corpus/multilingual.txt"));
  std::vector<std::vector<int32_t>> serial;
  for (const auto& c : cases) serial.push_back(t->encode(c, {.parse_special = true}));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int rep = 0; rep < 5; ++rep) {
        for (size_t i = 0; i < cases.size(); ++i) {
          const auto ids = t->encode(cases[i], {.parse_special = true});
          if (ids != serial[i] || t->decode(ids) != cases[i]) ++mismatches[k];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace r1::tokenizer
