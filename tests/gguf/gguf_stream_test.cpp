// gguf::Writer::write_streaming: tensors declared by shape and produced one
// at a time. Round trips through File::open, byte equality with the
// in-memory writer, alignment, and failures that must leave no file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gguf/gguf.h"

namespace r1::gguf {
namespace {

namespace fs = std::filesystem;

struct Decl {
  const char* name;
  DType type;
  std::vector<int64_t> dims;
  size_t n_bytes;  // expected from the dtype
};

// Odd sizes so every tensor but the last needs padding.
const std::vector<Decl> kDecls = {{"a", DType::kF32, {3}, 12},
                                  {"b", DType::kQ4_K, {256, 2}, 2 * 144},
                                  {"c", DType::kF16, {2, 3, 4, 5}, 240},
                                  {"d", DType::kQ8_0, {64}, 68}};

std::vector<uint8_t> payload(size_t k) {
  std::vector<uint8_t> p(kDecls[k].n_bytes);
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i * 13 + k + 1);
  return p;
}

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

class GgufStream : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("r1_gguf_stream_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // Nothing but `keep` (if given) is left in the directory.
  void expect_only(const std::string& keep) const {
    for (const auto& e : fs::directory_iterator(dir_)) {
      EXPECT_EQ(e.path().filename().string(), keep) << "left behind: " << e.path();
    }
  }

  fs::path dir_;
};

Writer declared(uint32_t alignment) {
  Writer w;
  w.set_alignment(alignment);
  w.set_string("general.name", "stream");
  for (const Decl& d : kDecls) w.add_tensor_info(d.name, d.type, d.dims);
  return w;
}

TEST_F(GgufStream, SizesComeFromTheDtype) {
  Writer w = declared(32);
  ASSERT_EQ(w.n_tensors(), kDecls.size());
  for (size_t k = 0; k < kDecls.size(); ++k) EXPECT_EQ(w.tensor_bytes(k), kDecls[k].n_bytes);
}

TEST_F(GgufStream, RoundTripMatchesInMemoryWriter) {
  Writer w = declared(64);
  std::vector<size_t> calls;
  Status s = w.write_streaming(path("m.gguf"), [&](size_t i) -> Result<std::vector<uint8_t>> {
    calls.push_back(i);
    return payload(i);
  });
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(calls, (std::vector<size_t>{0, 1, 2, 3}));
  expect_only("m.gguf");

  Writer mem;
  mem.set_alignment(64);
  mem.set_string("general.name", "stream");
  for (size_t k = 0; k < kDecls.size(); ++k) {
    mem.add_tensor(kDecls[k].name, kDecls[k].type, kDecls[k].dims, payload(k));
  }
  EXPECT_EQ(read_all(path("m.gguf")), mem.to_bytes());

  auto f = File::open(path("m.gguf"));
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  EXPECT_EQ((*f)->alignment(), 64u);
  EXPECT_EQ((*f)->data_offset() % 64, 0u);
  EXPECT_EQ((*f)->file_size() % 64, 0u);
  ASSERT_EQ((*f)->tensors().size(), kDecls.size());
  for (size_t k = 0; k < kDecls.size(); ++k) {
    const TensorInfo& t = (*f)->tensors()[k];
    EXPECT_EQ(t.name, kDecls[k].name);
    EXPECT_EQ(t.type, kDecls[k].type);
    EXPECT_EQ(t.dims, kDecls[k].dims);
    EXPECT_EQ(t.offset % 64, 0u) << t.name;
    EXPECT_EQ(std::vector<uint8_t>(t.data, t.data + t.n_bytes), payload(k)) << t.name;
  }
}

TEST_F(GgufStream, StoredAndProducedTensorsMix) {
  Writer w;
  w.add_tensor("stored", DType::kF32, {5}, std::vector<uint8_t>(20, 0xab));
  w.add_tensor_info("made", DType::kF32, {3});
  std::vector<size_t> calls;
  Status s = w.write_streaming(path("mix.gguf"), [&](size_t i) -> Result<std::vector<uint8_t>> {
    calls.push_back(i);
    return std::vector<uint8_t>(12, 0xcd);
  });
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(calls, std::vector<size_t>{1});
  auto f = File::open(path("mix.gguf"));
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  const TensorInfo* made = (*f)->find_tensor("made");
  ASSERT_NE(made, nullptr);
  EXPECT_EQ(made->offset, 32u);
  EXPECT_EQ(std::vector<uint8_t>(made->data, made->data + 12), std::vector<uint8_t>(12, 0xcd));
}

TEST_F(GgufStream, WrongSizeIsErrorAndLeavesNoFile) {
  for (int delta : {-1, 1}) {
    Writer w = declared(32);
    Status s = w.write_streaming(path("bad.gguf"), [&](size_t i) -> Result<std::vector<uint8_t>> {
      std::vector<uint8_t> p = payload(i);
      if (i == 2) p.resize(static_cast<size_t>(static_cast<int>(p.size()) + delta));
      return p;
    });
    ASSERT_FALSE(s.ok()) << delta;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(s.error().message.find("tensor 'c'"), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find("expected 240"), std::string::npos) << s.error().message;
    expect_only("");
  }
}

TEST_F(GgufStream, ProducerErrorLeavesNoFileAndKeepsTheOldOne) {
  { std::ofstream(path("old.gguf")) << "previous"; }
  Writer w = declared(32);
  Status s = w.write_streaming(path("old.gguf"), [&](size_t i) -> Result<std::vector<uint8_t>> {
    if (i == 1) return make_error(ErrorCode::kResourceExhausted, "out of quantizer");
    return payload(i);
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(s.error().message.find("tensor 'b'"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("out of quantizer"), std::string::npos);
  expect_only("old.gguf");
  const std::vector<uint8_t> old = read_all(path("old.gguf"));
  EXPECT_EQ(std::string(old.begin(), old.end()), "previous");
}

TEST_F(GgufStream, MissingDirectoryIsIoErrorWithoutCallingProducer) {
  Writer w = declared(32);
  bool called = false;
  Status s = w.write_streaming(path("no/such/dir.gguf"), [&](size_t) -> Result<std::vector<uint8_t>> {
    called = true;
    return std::vector<uint8_t>{};
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_FALSE(called);
  expect_only("");
}

TEST(GgufStreamDeathTest, DeclaredTensorsNeedAProducer) {
  Writer w = declared(32);
  EXPECT_DEATH((void)w.to_bytes(), "use write_streaming");
  EXPECT_DEATH((void)w.write("/tmp/r1_never_written.gguf"), "use write_streaming");
  EXPECT_DEATH(w.add_tensor_info("a", DType::kF32, {4}), "duplicate tensor 'a'");
  EXPECT_DEATH(w.add_tensor_info("z", DType::kF32, {}), "n_dims");
}

}  // namespace
}  // namespace r1::gguf
