// Corrupt and hostile inputs: every one must give an Error naming the
// problem and the file, never a crash or an out-of-bounds read.
#include <gtest/gtest.h>

#include <string>

#include "gguf/gguf.h"
#include "gguf_bytes.h"

namespace r1::gguf {
namespace {

using testing::Bytes;

constexpr char kName[] = "bad.gguf";

// The File views `b`: callers keep it alive while the File is used.
Result<std::shared_ptr<const File>> parse(const std::vector<uint8_t>& b) {
  return File::parse(b, kName);
}

// A small valid file: 4 kvs (u32, string, string array, i32 array), then two
// f32 tensors; the file ends exactly at the end of the last tensor.
std::vector<uint8_t> small_valid_file() {
  Bytes x;
  x.header(3, 2, 4);
  x.kv_u32("general.alignment", 32);
  x.kv_str("general.architecture", "qwen2");
  x.str("tok").u32(9).u32(8).u64(3).str("a").str("bc").str("");
  x.str("ids").u32(9).u32(5).u64(2).u32(7).u32(0xffffffff);
  x.tensor("w", {4, 2}, 0, 0);
  x.tensor("b", {3}, 0, 32);
  x.pad(32);
  x.fill(32, 0x11);   // w: 32 bytes
  x.fill(12, 0x22);   // b: 12 bytes
  return x.b;
}

TEST(GgufCorrupt, SmallValidFileParses) {
  const std::vector<uint8_t> bytes = small_valid_file();  // the File views it
  auto f = parse(bytes);
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  EXPECT_EQ((*f)->tensors().size(), 2u);
  EXPECT_EQ((*f)->find_tensor("b")->data[0], 0x22);
  EXPECT_EQ((*f)->get_i32_array("ids").value(), (std::vector<int32_t>{7, -1}));
}

TEST(GgufCorrupt, TruncatedAtEveryByteIsAnError) {
  const std::vector<uint8_t> full = small_valid_file();
  for (size_t n = 0; n < full.size(); ++n) {
    // A fresh heap copy of exactly n bytes so ASan sees any overread.
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    auto f = parse(cut);
    ASSERT_FALSE(f.ok()) << "truncated at " << n;
    EXPECT_NE(f.error().message.find(kName), std::string::npos) << f.error().message;
    EXPECT_EQ(f.error().message.find('\n'), std::string::npos);
  }
}

struct Case {
  const char* what;
  std::vector<uint8_t> bytes;
  ErrorCode code;
  const char* substring;
};

std::vector<Case> header_cases() {
  std::vector<Case> c;
  c.push_back({"bad magic", Bytes().u32(0x46554746).u32(3).u64(0).u64(0).b,
               ErrorCode::kCorrupt, "bad magic 0x46554746"});
  c.push_back({"v1", Bytes().header(1, 0, 0).b, ErrorCode::kUnsupported, "version 1"});
  c.push_back({"v4", Bytes().header(4, 0, 0).b, ErrorCode::kUnsupported, "version 4"});
  c.push_back({"big endian", Bytes().header(0x03000000, 0, 0).b, ErrorCode::kUnsupported,
               "big-endian"});
  c.push_back({"huge n_kv", Bytes().header(3, 0, 1ull << 62).b, ErrorCode::kOutOfRange,
               "n_kv 4611686018427387904"});
  c.push_back({"huge n_tensors", Bytes().header(3, ~0ull, 0).b, ErrorCode::kOutOfRange,
               "n_tensors 18446744073709551615"});
  c.push_back({"n_kv too many for bytes", Bytes().header(3, 0, 2).kv_u32("a", 1).b,
               ErrorCode::kOutOfRange, "n_kv 2"});
  c.push_back({"huge array count",
               Bytes().header(3, 0, 1).str("arr").u32(9).u32(4).u64(1ull << 61).b,
               ErrorCode::kOutOfRange, "key 'arr' array count 2305843009213693952"});
  c.push_back({"string array count", Bytes().header(3, 0, 1).str("s").u32(9).u32(8).u64(3)
                                         .u64(0).u64(0).b,
               ErrorCode::kOutOfRange, "key 's' array count 3"});
  c.push_back({"huge string", Bytes().header(3, 0, 1).str("k").u32(8).u64(~0ull).fill(8, 0).b,
               ErrorCode::kCorrupt, "truncated: string value of key 'k'"});
  c.push_back({"huge key length", Bytes().header(3, 0, 1).u64(1ull << 40).fill(16, 'a').b,
               ErrorCode::kCorrupt, "key of metadata entry #0"});
  c.push_back({"unknown value type", Bytes().header(3, 0, 1).str("k").u32(13).u32(0).b,
               ErrorCode::kCorrupt, "key 'k' has unknown value type 13"});
  c.push_back({"unknown elem type", Bytes().header(3, 0, 1).str("k").u32(9).u32(77).u64(0).b,
               ErrorCode::kCorrupt, "unknown array element type 77"});
  c.push_back({"bad bool", Bytes().header(3, 0, 1).str("k").u32(7).u8(2).b, ErrorCode::kCorrupt,
               "key 'k' has bool byte 2"});
  c.push_back({"duplicate key",
               Bytes().header(3, 0, 2).kv_u32("dup", 1).kv_u32("dup", 2).b,
               ErrorCode::kCorrupt, "duplicate key 'dup'"});
  return c;
}

std::vector<Case> alignment_and_nesting_cases() {
  std::vector<Case> c;
  c.push_back({"alignment 0", Bytes().header(3, 0, 1).kv_u32("general.alignment", 0).b,
               ErrorCode::kCorrupt, "general.alignment 0 is not a nonzero power of two"});
  c.push_back({"alignment 48", Bytes().header(3, 0, 1).kv_u32("general.alignment", 48).b,
               ErrorCode::kCorrupt, "general.alignment 48"});
  c.push_back({"alignment string", Bytes().header(3, 0, 1).kv_str("general.alignment", "32").b,
               ErrorCode::kCorrupt, "general.alignment has type string, expected u32"});
  Bytes deep;
  deep.header(3, 0, 1).str("deep").u32(9);
  for (int i = 0; i < 20; ++i) deep.u32(9).u64(1);
  deep.u32(4).u64(0);
  Bytes many;  // 9M one-byte elements: within the file, beyond the element cap
  many.header(3, 0, 1).str("many").u32(9).u32(0).u64(9u << 20).fill(9u << 20, 0);
  c.push_back({"too many elements", many.b, ErrorCode::kResourceExhausted,
               "more than 8388608 array elements"});
  c.push_back({"nested too deep", deep.b, ErrorCode::kCorrupt, "nested deeper than 8"});
  return c;
}

// One f32 tensor with the given dims/type/offset; `data` bytes of payload.
std::vector<uint8_t> one_tensor(const std::vector<uint64_t>& dims, uint32_t type,
                                uint64_t offset, size_t data) {
  return Bytes().header(3, 1, 0).tensor("blk.0.attn_q.weight", dims, type, offset).pad(32)
      .fill(data, 0).b;
}

std::vector<Case> tensor_cases() {
  std::vector<Case> c;
  c.push_back({"past eof", one_tensor({16, 2}, 0, 0, 100), ErrorCode::kCorrupt,
               "tensor 'blk.0.attn_q.weight' data [96..224) ends past end of file (196 bytes)"});
  c.push_back({"offset past eof", one_tensor({4}, 0, 1ull << 62, 16), ErrorCode::kCorrupt,
               "starts past end of file"});
  c.push_back({"misaligned", one_tensor({4}, 0, 8, 64), ErrorCode::kCorrupt,
               "offset 8 is not a multiple of the alignment 32"});
  c.push_back({"unknown type", one_tensor({4}, 99, 0, 64), ErrorCode::kUnsupported,
               "tensor 'blk.0.attn_q.weight' has unknown ggml type 99"});
  c.push_back({"zero dim", one_tensor({4, 0}, 0, 0, 64), ErrorCode::kCorrupt,
               "tensor 'blk.0.attn_q.weight' dim[1] is zero"});
  c.push_back({"overflow dims", one_tensor({1ull << 32, 1ull << 32}, 0, 0, 64),
               ErrorCode::kOutOfRange, "dim[1] = 4294967296 overflows"});
  c.push_back({"dim > int64", one_tensor({1ull << 63}, 0, 0, 64), ErrorCode::kOutOfRange,
               "dim[0] = 9223372036854775808"});
  c.push_back({"byte size overflow", one_tensor({1ull << 62}, 0, 0, 64), ErrorCode::kOutOfRange,
               "byte size overflows"});
  c.push_back({"n_dims 0", one_tensor({}, 0, 0, 64), ErrorCode::kCorrupt, "has n_dims 0"});
  c.push_back({"n_dims 5", one_tensor({1, 1, 1, 1, 1}, 0, 0, 64), ErrorCode::kCorrupt,
               "has n_dims 5, expected 1..4"});
  c.push_back({"block size", one_tensor({100}, 12, 0, 1024), ErrorCode::kCorrupt,
               "dim[0] 100 is not a multiple of the q4_K block size 256"});
  c.push_back({"duplicate tensor",
               Bytes().header(3, 2, 0).tensor("t", {4}, 0, 0).tensor("t", {4}, 0, 32).pad(32)
                   .fill(64, 0).b,
               ErrorCode::kCorrupt, "duplicate tensor name 't'"});
  c.push_back({"overlap",
               Bytes().header(3, 2, 0).tensor("a", {16}, 0, 0).tensor("b", {4}, 0, 32).pad(32)
                   .fill(64, 0).b,
               ErrorCode::kCorrupt, "tensors 'a' and 'b' overlap"});
  c.push_back({"data section past eof", Bytes().header(3, 1, 0).tensor("t", {1}, 0, 0).b,
               ErrorCode::kCorrupt, "data section at offset 64 starts past end of file"});
  return c;
}

void expect_cases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto f = parse(c.bytes);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(error_code_name(f.error().code), std::string(error_code_name(c.code)))
        << f.error().to_string();
    EXPECT_NE(f.error().message.find(c.substring), std::string::npos) << f.error().message;
    EXPECT_NE(f.error().message.find("(bad.gguf)"), std::string::npos) << f.error().message;
    EXPECT_EQ(f.error().message.find('\n'), std::string::npos);
  }
}

TEST(GgufCorrupt, HeaderAndMetadata) { expect_cases(header_cases()); }
TEST(GgufCorrupt, AlignmentAndNesting) { expect_cases(alignment_and_nesting_cases()); }
TEST(GgufCorrupt, Tensors) { expect_cases(tensor_cases()); }

TEST(GgufCorrupt, NestingAtTheLimitIsAccepted) {
  Bytes b;
  b.header(3, 0, 1).str("deep").u32(9);
  for (int i = 0; i < 7; ++i) b.u32(9).u64(1);  // 8 arrays deep in total
  b.u32(4).u64(1).u32(42);
  auto f = parse(b.b);
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  const Value* v = (*f)->find("deep");
  for (int i = 0; i < 7; ++i) v = &v->elems.at(0);
  EXPECT_EQ(v->elems.at(0).u, 42u);
}

TEST(GgufCorrupt, VocabOnlyFileNeedsNoDataPadding) {
  // Like the llama.cpp vocab fixtures: no tensors, no padding at the end.
  const std::vector<uint8_t> bytes = Bytes().header(2, 0, 1).kv_str("k", "v").b;
  auto f = parse(bytes);
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  EXPECT_EQ((*f)->version(), 2u);
}

}  // namespace
}  // namespace r1::gguf
