// GGUF reader/writer: value round trips, exact writer bytes, the llama.cpp
// vocab fixtures, typed getters, open() errors and describe().
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gguf/gguf.h"
#include "gguf/inspect.h"
#include "gguf_bytes.h"
#include "support/temp_dir.h"

namespace r1::gguf {
namespace {

namespace fs = std::filesystem;
using testing::Bytes;

const std::string kVocabDir = std::string(R1_FIXTURES_DIR) + "/tokenizer/";

// A per-process scratch directory, removed at exit.
std::string temp_path(const std::string& name) { return test_support::scratch_path("r1_gguf_test", name); }

// The File views `bytes`: keep them alive while it is used.
std::shared_ptr<const File> parse_ok(const std::vector<uint8_t>& bytes) {
  auto f = File::parse(bytes, "mem.gguf");
  EXPECT_TRUE(f.ok()) << f.error().to_string();
  return f.ok() ? *f : nullptr;
}

Value scalar(ValueType t) {
  Value v;
  v.type = t;
  return v;
}

Value array_of(ValueType elem_type, std::vector<Value> elems) {
  Value v = scalar(ValueType::kArray);
  v.elem_type = elem_type;
  v.elems = std::move(elems);
  return v;
}

// Deep equality of two values (string contents, not views).
void expect_same(const Value& a, const Value& b, const std::string& where) {
  ASSERT_EQ(a.type, b.type) << where;
  switch (a.type) {
    case ValueType::kString: EXPECT_EQ(a.str, b.str) << where; break;
    case ValueType::kBool: EXPECT_EQ(a.b, b.b) << where; break;
    case ValueType::kF32: case ValueType::kF64: EXPECT_EQ(a.f, b.f) << where; break;
    case ValueType::kArray:
      ASSERT_EQ(a.elem_type, b.elem_type) << where;
      ASSERT_EQ(a.elems.size(), b.elems.size()) << where;
      for (size_t i = 0; i < a.elems.size(); ++i) {
        expect_same(a.elems[i], b.elems[i], where + "[" + std::to_string(i) + "]");
      }
      break;
    default: EXPECT_EQ(a.as_int(), b.as_int()) << where; EXPECT_EQ(a.u, b.u) << where;
  }
}

// The keys set by the typed Writer setters in EveryTypeRoundTrips.
void expect_fixed_keys(const File& f) {
  EXPECT_EQ(f.version(), 3u);
  ASSERT_EQ(f.metadata().size(), 17u);
  EXPECT_EQ(f.metadata()[0].key, "u32");
  EXPECT_EQ(f.get_int("u32").value(), 4000000000);
  EXPECT_EQ(f.get_int("i32").value(), -123456);
  EXPECT_FALSE(f.get_int("u64").ok());  // does not fit int64
  EXPECT_EQ(f.find("u64")->u, 18446744073709551615ull);
  EXPECT_EQ(f.get_float("f32").value(), static_cast<double>(1.5e-6f));
  EXPECT_TRUE(f.get_bool("bool").value());
  EXPECT_EQ(f.get_string("string").value(), std::string_view("h\xc3\xa9llo\0x", 8));
  EXPECT_EQ(f.get_string_array("strs").value(), (std::vector<std::string_view>{"a", "", "ccc"}));
  EXPECT_EQ(f.get_f32_array("f32s").value(), (std::vector<float>{0.25f, -1.0f}));
  EXPECT_EQ(f.get_i32_array("i32s").value(), (std::vector<int32_t>{-1, 2147483647}));
}

TEST(GgufValue, EveryTypeRoundTrips) {
  Writer w;
  w.set_u32("u32", 4000000000u);
  w.set_i32("i32", -123456);
  w.set_u64("u64", 18446744073709551615ull);
  w.set_f32("f32", 1.5e-6f);
  w.set_bool("bool", true);
  w.set_string("string", std::string("h\xc3\xa9llo\0x", 8));
  w.set_string_array("strs", {"a", "", "ccc"});
  w.set_f32_array("f32s", {0.25f, -1.0f});
  w.set_i32_array("i32s", {-1, 2147483647});
  Value u8 = scalar(ValueType::kU8), i8 = scalar(ValueType::kI8);
  Value u16 = scalar(ValueType::kU16), i16 = scalar(ValueType::kI16);
  Value i64 = scalar(ValueType::kI64), f64 = scalar(ValueType::kF64);
  u8.u = 255; i8.i = -128; u16.u = 65535; i16.i = -32768;
  i64.i = INT64_MIN; f64.f = 3.141592653589793;
  for (auto* v : {&u8, &i8, &u16, &i16, &i64, &f64}) w.set_value(value_type_name(v->type), *v);
  std::string transient = "nested";
  Value s = scalar(ValueType::kString);
  s.str = transient;  // set_value must copy it: the source is overwritten below
  Value nested = array_of(ValueType::kArray, {array_of(ValueType::kString, {s, s}),
                                               array_of(ValueType::kU8, {u8}),
                                               array_of(ValueType::kI64, {})});
  w.set_value("nested", nested);
  w.set_value("empty", array_of(ValueType::kBool, {}));
  transient.assign("XXXXXX");
  s.str = "nested";
  Value expected_nested = array_of(ValueType::kArray, {array_of(ValueType::kString, {s, s}),
                                                        array_of(ValueType::kU8, {u8}),
                                                        array_of(ValueType::kI64, {})});
  const std::vector<uint8_t> bytes = w.to_bytes();  // the File views it
  auto f = parse_ok(bytes);
  ASSERT_TRUE(f);
  expect_fixed_keys(*f);
  for (auto* v : {&u8, &i8, &u16, &i16, &i64, &f64}) {
    expect_same(*f->find(value_type_name(v->type)), *v, value_type_name(v->type));
  }
  expect_same(*f->find("nested"), expected_nested, "nested");
  expect_same(*f->find("empty"), array_of(ValueType::kBool, {}), "empty");
}

TEST(GgufWriter, BytesMatchHandBuiltLayout) {
  Writer w;
  w.set_u32("a", 7);
  w.set_string("a", "x");  // replaces in place
  w.set_bool("b", false);
  std::vector<uint8_t> t0(8 * 4), t1(34);
  for (size_t i = 0; i < t0.size(); ++i) t0[i] = static_cast<uint8_t>(i);
  for (size_t i = 0; i < t1.size(); ++i) t1[i] = static_cast<uint8_t>(200 + i);
  w.add_tensor("t0", DType::kF32, {4, 2}, t0);
  w.add_tensor("t1", DType::kQ8_0, {32}, t1);
  Bytes e;
  e.header(3, 2, 2).kv_str("a", "x").str("b").u32(7).u8(0);
  e.tensor("t0", {4, 2}, 0, 0).tensor("t1", {32}, 8, 32).pad(32);
  e.b.insert(e.b.end(), t0.begin(), t0.end());
  e.b.insert(e.b.end(), t1.begin(), t1.end());
  e.pad(32);
  EXPECT_EQ(w.to_bytes(), e.b);
  const std::string path = temp_path("hand.gguf");
  ASSERT_TRUE(w.write(path).ok());
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> disk((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(disk, e.b);
}

TEST(GgufWriter, TensorsRoundTripWithCustomAlignment) {
  Writer w;
  w.set_alignment(64);
  std::vector<std::vector<uint8_t>> payloads;
  struct T { const char* name; DType type; std::vector<int64_t> dims; size_t bytes; };
  std::vector<T> ts = {{"a", DType::kF32, {3}, 12},
                       {"b", DType::kQ4_K, {256, 2}, 2 * 144},
                       {"c", DType::kF16, {2, 3, 4, 5}, 240},
                       {"d", DType::kQ8_0, {64}, 68}};
  for (size_t k = 0; k < ts.size(); ++k) {
    std::vector<uint8_t> p(ts[k].bytes);
    for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i * 7 + k);
    payloads.push_back(p);
    w.add_tensor(ts[k].name, ts[k].type, ts[k].dims, p);
  }
  const std::string path = temp_path("tensors.gguf");
  ASSERT_TRUE(w.write(path).ok());
  auto f = File::open(path);
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  EXPECT_EQ((*f)->alignment(), 64u);
  EXPECT_EQ((*f)->data_offset() % 64, 0u);
  ASSERT_EQ((*f)->tensors().size(), ts.size());
  uint64_t expect_offset = 0;
  for (size_t k = 0; k < ts.size(); ++k) {
    const TensorInfo& t = (*f)->tensors()[k];
    EXPECT_EQ(t.name, ts[k].name);
    EXPECT_EQ(t.type, ts[k].type);
    EXPECT_EQ(t.type_id, static_cast<uint32_t>(ts[k].type));
    EXPECT_EQ(t.dims, ts[k].dims);
    EXPECT_EQ(t.offset, expect_offset);
    EXPECT_EQ(t.n_bytes, ts[k].bytes);
    EXPECT_EQ(std::vector<uint8_t>(t.data, t.data + t.n_bytes), payloads[k]);
    EXPECT_EQ((*f)->find_tensor(ts[k].name), &t);
    expect_offset += (ts[k].bytes + 63) / 64 * 64;
  }
  EXPECT_EQ((*f)->tensors()[2].n_elements(), 120);
  EXPECT_EQ((*f)->find_tensor("zzz"), nullptr);
  (*f)->advise_willneed();
}

TEST(GgufWriter, WriteToMissingDirectoryIsIoError) {
  Writer w;
  Status s = w.write("/nonexistent-dir-r1/x.gguf");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_NE(s.error().message.find("/nonexistent-dir-r1/x.gguf"), std::string::npos);
}

TEST(GgufWriterDeathTest, WrongTensorSizeChecks) {
  Writer w;
  EXPECT_DEATH(w.add_tensor("t", DType::kF32, {4}, std::vector<uint8_t>(15)), "byte size");
  EXPECT_DEATH(w.add_tensor("t", DType::kF32, {4, 0}, {}), "dim");
}

struct VocabFacts {
  const char* file;
  const char* model;
  const char* pre;
  size_t n_tokens;
  size_t n_merges;  // 0: no merges key
  int64_t bos;
  const char* token0;
};

TEST(GgufFixtures, VocabFilesHaveKnownValues) {
  const VocabFacts facts[] = {
      {"ggml-vocab-qwen2.gguf", "gpt2", "qwen2", 151936, 151387, 151643, "!"},
      {"ggml-vocab-llama-bpe.gguf", "gpt2", "llama-bpe", 128256, 280147, 128000, "!"},
      {"ggml-vocab-deepseek-llm.gguf", "gpt2", "deepseek-llm", 102400, 99757, 100000, "!"},
      {"ggml-vocab-deepseek-coder.gguf", "gpt2", "deepseek-coder", 32256, 31757, 32013, "!"},
      {"ggml-vocab-llama-spm.gguf", "llama", "default", 32000, 0, 1, "<unk>"},
  };
  for (const VocabFacts& v : facts) {
    SCOPED_TRACE(v.file);
    auto f = File::open(kVocabDir + v.file);
    ASSERT_TRUE(f.ok()) << f.error().to_string();
    const File& file = **f;
    EXPECT_EQ(file.version(), 3u);
    EXPECT_EQ(file.tensors().size(), 0u);
    EXPECT_EQ(file.alignment(), 32u);
    EXPECT_EQ(file.get_string("tokenizer.ggml.model").value(), v.model);
    EXPECT_EQ(file.get_string("tokenizer.ggml.pre").value(), v.pre);
    auto tokens = file.get_string_array("tokenizer.ggml.tokens");
    ASSERT_TRUE(tokens.ok()) << tokens.error().to_string();
    EXPECT_EQ(tokens->size(), v.n_tokens);
    EXPECT_EQ(tokens->front(), v.token0);
    EXPECT_EQ(file.get_i32_array("tokenizer.ggml.token_type")->size(), v.n_tokens);
    EXPECT_EQ(file.get_int("tokenizer.ggml.bos_token_id").value(), v.bos);
    if (v.n_merges > 0) {
      EXPECT_EQ(file.get_string_array("tokenizer.ggml.merges")->size(), v.n_merges);
    } else {
      EXPECT_EQ(file.find("tokenizer.ggml.merges"), nullptr);
      EXPECT_EQ(file.get_f32_array("tokenizer.ggml.scores")->size(), v.n_tokens);
    }
  }
}

TEST(GgufFixtures, Qwen2DetailsAndGetterErrors) {
  auto f = File::open(kVocabDir + "ggml-vocab-qwen2.gguf");
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  const File& file = **f;
  EXPECT_EQ(file.metadata().size(), 20u);
  EXPECT_EQ(file.get_string("general.architecture").value(), "qwen2");
  EXPECT_EQ(file.get_int("qwen2.context_length").value(), 32768);
  EXPECT_FLOAT_EQ(static_cast<float>(file.get_float("qwen2.rope.freq_base").value()), 1e6f);
  EXPECT_EQ(file.get_float("qwen2.block_count").value(), 32.0);  // any numeric
  EXPECT_EQ(file.get_string_array("tokenizer.ggml.merges")->at(0), "\xc4\xa0 \xc4\xa0");
  EXPECT_EQ(file.find_int("tokenizer.ggml.eos_token_id"), 151643);
  EXPECT_EQ(file.find_string("general.name"), "qwen2");
  EXPECT_EQ(file.find_string("qwen2.block_count"), std::nullopt);
  EXPECT_EQ(file.find_float("nope"), std::nullopt);
  EXPECT_NE(file.find_string("tokenizer.chat_template")->find("messages"), std::string::npos);

  auto missing = file.get_int("qwen2.nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("'qwen2.nope' not found"), std::string::npos);
  auto wrong = file.get_int("general.name");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("'general.name' has type string, expected an integer"),
            std::string::npos) << wrong.error().message;
  auto wrong_arr = file.get_string_array("tokenizer.ggml.token_type");
  ASSERT_FALSE(wrong_arr.ok());
  EXPECT_NE(wrong_arr.error().message.find("has type array of i32, expected array of string"),
            std::string::npos) << wrong_arr.error().message;
  EXPECT_FALSE(file.get_bool("general.name").ok());
  EXPECT_FALSE(file.get_i32_array("tokenizer.ggml.tokens").ok());
  EXPECT_FALSE(file.get_string("qwen2.block_count").ok());
}

// Its cost (a copy of 150k views) is bench/vocab_bench (BM_GgufTokenArray).
TEST(GgufFixtures, StringArrayHasEveryToken) {
  auto f = File::open(kVocabDir + "ggml-vocab-qwen2.gguf");
  ASSERT_TRUE(f.ok());
  ASSERT_EQ((*f)->get_string_array("tokenizer.ggml.tokens")->size(), 151936u);
}

TEST(GgufFixtures, CopyingAllKeysReproducesTheFile) {
  const std::string src = kVocabDir + "ggml-vocab-qwen2.gguf";
  auto f = File::open(src);
  ASSERT_TRUE(f.ok());
  Writer w;
  for (const KeyValue& kv : (*f)->metadata()) w.set_value(kv.key, kv.value);
  const std::string out = temp_path("qwen2-copy.gguf");
  ASSERT_TRUE(w.write(out).ok());
  auto g = File::open(out);
  ASSERT_TRUE(g.ok()) << g.error().to_string();
  ASSERT_EQ((*g)->metadata().size(), (*f)->metadata().size());
  for (size_t i = 0; i < (*f)->metadata().size(); ++i) {
    EXPECT_EQ((*g)->metadata()[i].key, (*f)->metadata()[i].key);
    expect_same((*g)->metadata()[i].value, (*f)->metadata()[i].value, (*f)->metadata()[i].key);
  }
  // Byte-identical to the file llama.cpp's tools wrote, plus end padding.
  std::ifstream a(src, std::ios::binary), b(out, std::ios::binary);
  std::vector<uint8_t> orig((std::istreambuf_iterator<char>(a)), {});
  std::vector<uint8_t> copy((std::istreambuf_iterator<char>(b)), {});
  ASSERT_EQ(copy.size(), (orig.size() + 31) / 32 * 32);
  EXPECT_TRUE(std::equal(orig.begin(), orig.end(), copy.begin()));
}

TEST(GgufOpen, MissingDirectoryAndEmptyFiles) {
  auto missing = File::open("/nonexistent-r1/none.gguf");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("/nonexistent-r1/none.gguf"), std::string::npos);

  auto dir = File::open(kVocabDir);
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(dir.error().message.find("not a regular file"), std::string::npos);

  const std::string empty = temp_path("empty.gguf");
  std::ofstream(empty).close();
  auto e = File::open(empty);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(e.error().message.find("empty file"), std::string::npos);

  const std::string text = temp_path("text.gguf");
  std::ofstream(text) << "hello world, not a model";
  auto t = File::open(text);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().to_string().find("corrupt: bad magic 0x6c6c6568"), std::string::npos)
      << t.error().to_string();
}

TEST(GgufInspect, DescribesMetadataAndTensors) {
  auto f = File::open(kVocabDir + "ggml-vocab-qwen2.gguf");
  ASSERT_TRUE(f.ok());
  std::string d = describe(**f, true);
  EXPECT_NE(d.find("GGUF version 3"), std::string::npos) << d;
  EXPECT_NE(d.find("20 metadata keys, 0 tensors"), std::string::npos) << d;
  EXPECT_NE(d.find("tokenizer.ggml.model (string) = \"gpt2\""), std::string::npos) << d;
  EXPECT_NE(d.find("tokenizer.ggml.tokens (array<string>) = [151936 strings: \"!\", \"\\\"\", ...]"),
            std::string::npos) << d;
  EXPECT_NE(d.find("qwen2.block_count (u32) = 32"), std::string::npos) << d;

  Writer w;
  w.set_string("general.architecture", "qwen2");
  w.set_i32_array("small", {1, 2, 3});
  w.add_tensor("token_embd.weight", DType::kQ8_0, {64, 3}, std::vector<uint8_t>(6 * 34));
  w.add_tensor("output_norm.weight", DType::kF32, {64}, std::vector<uint8_t>(256));
  w.add_tensor("blk.0.ffn_up.weight", DType::kQ8_0, {32}, std::vector<uint8_t>(34));
  const std::vector<uint8_t> bytes = w.to_bytes();  // the File views it
  auto g = parse_ok(bytes);
  ASSERT_TRUE(g);
  std::string t = describe(*g, true);
  EXPECT_NE(t.find("small (array<i32>) = [1, 2, 3]"), std::string::npos) << t;
  EXPECT_NE(t.find("token_embd.weight"), std::string::npos) << t;
  EXPECT_NE(t.find("[64, 3]"), std::string::npos) << t;
  EXPECT_NE(t.find("q8_0       2 tensors             238 bytes"), std::string::npos) << t;
  EXPECT_NE(t.find("total      3 tensors             494 bytes"), std::string::npos) << t;
  EXPECT_EQ(describe(*g, false).find("token_embd.weight"), std::string::npos);
}

}  // namespace
}  // namespace r1::gguf
