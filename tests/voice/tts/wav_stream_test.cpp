// The incremental WAV reader: whole and byte-by-byte feeds, streaming
// sizes, and malformed headers.
#include "voice/tts/espeak/wav_stream.h"

#include <gtest/gtest.h>

#include <cstring>

namespace r1::voice {
namespace {

void put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
void tag(std::vector<uint8_t>& b, const char* t) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(t[i]));
}

struct Header {
  uint16_t format = 1, channels = 1, bits = 16;
  uint32_t rate = 22050, data_size = 0x7FFFFFFF;
  bool extra_chunk = false;
};

std::vector<uint8_t> wav(const Header& h, const std::vector<int16_t>& samples) {
  std::vector<uint8_t> b;
  tag(b, "RIFF");
  put32(b, 0x7FFFFFFF);
  tag(b, "WAVE");
  if (h.extra_chunk) {
    tag(b, "LIST");
    put32(b, 3);
    for (uint8_t x : {1, 2, 3, 0}) b.push_back(x);  // odd size: padded
  }
  tag(b, "fmt ");
  put32(b, 16);
  put16(b, h.format);
  put16(b, h.channels);
  put32(b, h.rate);
  put32(b, h.rate * 2);
  put16(b, 2);
  put16(b, h.bits);
  tag(b, "data");
  put32(b, h.data_size);
  for (int16_t s : samples) put16(b, static_cast<uint16_t>(s));
  return b;
}

std::vector<int16_t> read_all(const std::vector<uint8_t>& bytes, size_t step, Status* status) {
  WavStreamParser p;
  std::vector<int16_t> out;
  for (size_t i = 0; i < bytes.size(); i += step) {
    const Status s = p.feed(std::span(bytes).subspan(i, std::min(step, bytes.size() - i)), out);
    if (!s.ok()) {
      *status = s;
      return out;
    }
  }
  *status = p.finish();
  return out;
}

TEST(WavStream, ReadsWholeAndInPieces) {
  const std::vector<int16_t> samples = {0, 1, -1, 32767, -32768, 1234, -4321};
  for (bool extra : {false, true}) {
    Header h;
    h.extra_chunk = extra;
    const std::vector<uint8_t> bytes = wav(h, samples);
    for (size_t step : {1u, 2u, 3u, 7u, 1000u}) {
      Status s;
      EXPECT_EQ(read_all(bytes, step, &s), samples) << step;
      EXPECT_TRUE(s.ok());
    }
  }
}

TEST(WavStream, HonoursARealDataSize) {
  Header h;
  h.data_size = 6;  // three samples; the rest is trailing junk
  Status s;
  EXPECT_EQ(read_all(wav(h, {1, 2, 3, 4, 5}), 2, &s), (std::vector<int16_t>{1, 2, 3}));
  EXPECT_TRUE(s.ok());
}

TEST(WavStream, RejectsBadHeaders) {
  auto error = [](const Header& h) {
    Status s;
    read_all(wav(h, {1, 2}), 5, &s);
    return s.ok() ? std::string() : s.error().message;
  };
  Header h;
  h.channels = 2;
  EXPECT_NE(error(h).find("mono"), std::string::npos);
  h = {};
  h.bits = 8;
  EXPECT_NE(error(h).find("16"), std::string::npos);
  h = {};
  h.format = 3;
  EXPECT_NE(error(h).find("PCM"), std::string::npos);
  h = {};
  h.rate = 5;
  EXPECT_NE(error(h).find("rate"), std::string::npos);
  h = {};
  h.rate = 0xFFFFFFFF;
  EXPECT_NE(error(h).find("rate"), std::string::npos);

  Status s;
  read_all(std::vector<uint8_t>{'R', 'I', 'F', 'X', 0, 0, 0, 0, 'W', 'A', 'V', 'E'}, 4, &s);
  EXPECT_FALSE(s.ok());
  read_all(std::vector<uint8_t>{'R', 'I', 'F', 'F'}, 4, &s);  // ends inside the header
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("inside the header"), std::string::npos);
  std::vector<uint8_t> no_data = wav(Header{}, {});
  no_data.resize(12);
  for (int i = 0; i < 600; ++i) {  // junk chunks past the 4 KiB header bound
    tag(no_data, "junk");
    put32(no_data, 0);
  }
  read_all(no_data, 64, &s);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kCorrupt);
  std::vector<uint8_t> huge = wav(Header{}, {});
  huge.resize(12);
  tag(huge, "junk");
  put32(huge, 0xFFFFFFF0);
  read_all(huge, 64, &s);
  EXPECT_FALSE(s.ok());
  std::vector<uint8_t> data_first = wav(Header{}, {});
  data_first.resize(12);
  tag(data_first, "data");
  put32(data_first, 0);
  read_all(data_first, 64, &s);
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace r1::voice
