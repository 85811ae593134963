// Decoder on bad input: every broken header and garbage byte pattern gets
// an Error with the right code and a message, never a crash.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "voice/audio/audio_test_util.h"
#include "voice/audio/decode.h"
#include "voice/audio/encode.h"

namespace r1::voice {
namespace {

using test::make_wav;
using test::WavSpec;

const std::string kPcm = test::int16_bytes(test::sine(16000, 440, 0.1).samples);

void expect_error(const std::string& bytes, ErrorCode code, const std::string& needle = "") {
  Result<DecodedAudio> r = decode_audio(bytes);
  ASSERT_FALSE(r.ok()) << "decoded " << r->pcm.samples.size() << " samples";
  EXPECT_EQ(r.error().code, code) << r.error().to_string();
  EXPECT_FALSE(r.error().message.empty());
  if (!needle.empty()) {
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
  }
}

TEST(BadAudioTest, EmptyInput) {
  expect_error("", ErrorCode::kInvalidArgument, "empty");
}

TEST(BadAudioTest, EveryTruncationOfAWavHeaderFails) {
  const std::string wav = make_wav({.data = kPcm});
  for (size_t n = 1; n <= 44; ++n) {
    SCOPED_TRACE(n);
    Result<DecodedAudio> r = decode_audio(wav.substr(0, n));
    ASSERT_FALSE(r.ok());
    EXPECT_FALSE(r.error().message.empty());
  }
  expect_error(wav.substr(0, 11), ErrorCode::kUnsupported);  // "RIFF" without "WAVE"
  expect_error(wav.substr(0, 30), ErrorCode::kCorrupt);
}

TEST(BadAudioTest, DataChunkLargerThanTheFile) {
  expect_error(make_wav({.data = kPcm, .declared_data = 1000000}), ErrorCode::kCorrupt, "declares 1000000 bytes");
  // A truncated file: the header is right, the bytes stop early.
  const std::string wav = make_wav({.data = kPcm});
  expect_error(wav.substr(0, wav.size() - 100), ErrorCode::kCorrupt, "truncated");
}

TEST(BadAudioTest, ZeroChannels) {
  expect_error(make_wav({.channels = 0, .data = kPcm}), ErrorCode::kCorrupt);
}

TEST(BadAudioTest, AbsurdRates) {
  Result<DecodedAudio> zero = decode_audio(make_wav({.rate = 0, .data = kPcm}));
  ASSERT_FALSE(zero.ok());
  EXPECT_TRUE(zero.error().code == ErrorCode::kCorrupt) << zero.error().to_string();
  expect_error(make_wav({.rate = 1000000000, .data = kPcm}), ErrorCode::kOutOfRange, "1000000000 Hz");
  expect_error(make_wav({.rate = 400, .data = kPcm}), ErrorCode::kOutOfRange, "400 Hz");
}

TEST(BadAudioTest, NonFiniteFloats) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (float bad : {nan, inf, -inf}) {
    std::vector<float> f(1000, 0.25f);
    f[777] = bad;
    expect_error(make_wav({.format_tag = 3, .bits = 32, .data = test::float_bytes(f)}), ErrorCode::kCorrupt,
                 "frame 777");
  }
  std::vector<float> stereo(2000, 0.1f);
  stereo[1001] = nan;  // frame 500, right channel
  expect_error(make_wav({.format_tag = 3, .channels = 2, .bits = 32, .data = test::float_bytes(stereo)}),
               ErrorCode::kCorrupt, "NaN");
}

// A real 3-hour WAV (1 kHz, 8-bit: 10.8 MB) is refused from its header
// under the default 2-hour limit.
TEST(BadAudioTest, ThreeHoursPastTheDefaultLimit) {
  const std::string wav = make_wav({.rate = 1000, .bits = 8, .data = std::string(3 * 3600 * 1000, '\x80')});
  expect_error(wav, ErrorCode::kOutOfRange, "10800 s long; the limit is 7200 s");
}

// A FLAC whose STREAMINFO claims 3 hours is refused before decoding.
TEST(BadAudioTest, FlacHeaderAnnouncingThreeHours) {
  std::string flac = *encode(test::sine(8000, 440, 0.2), AudioFormat::kFlac);
  ASSERT_EQ(flac.substr(0, 4), "fLaC");
  // STREAMINFO's 36-bit total sample count: low 4 bits of byte 21, bytes 22..25.
  const uint64_t total = 3ull * 3600 * 8000;
  flac[21] = static_cast<char>((static_cast<uint8_t>(flac[21]) & 0xF0) | ((total >> 32) & 0x0F));
  for (int i = 0; i < 4; ++i) flac[22 + i] = static_cast<char>((total >> (8 * (3 - i))) & 0xFF);
  expect_error(flac, ErrorCode::kOutOfRange, "10800 s long");
}

TEST(BadAudioTest, RandomBytes) {
  std::mt19937 rng(11);
  for (int round = 0; round < 200; ++round) {
    std::string bytes(1 + rng() % 4096, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    bytes[0] = 'X';  // no container starts with X
    expect_error(bytes, ErrorCode::kUnsupported, "unrecognized");
  }
}

// Garbage after each container's magic: an error with a message (or, if
// the library finds something in it, sane audio), never a crash.
TEST(BadAudioTest, GarbageAfterEveryMagic) {
  std::mt19937 rng(7);
  const std::vector<std::string> magics = {"RIFF\x24\x10\0\0WAVE", "RIFX\0\0\x10\x24WAVE", "RF64", "riff",
                                           "FORM\0\0\0\0AIFF", ".snd", "caff", "fLaC", "OggS", "ID3",
                                           "\xFF\xFB"};
  for (const std::string& magic : magics) {
    for (int round = 0; round < 30; ++round) {
      std::string bytes = magic + std::string(rng() % 2048, '\0');
      for (size_t i = magic.size(); i < bytes.size(); ++i) bytes[i] = static_cast<char>(rng());
      Result<DecodedAudio> r = decode_audio(bytes);
      if (r.ok()) {
        EXPECT_GT(r->pcm.samples.size(), 0u);
        EXPECT_GE(r->source_rate, 1000);
      } else {
        EXPECT_FALSE(r.error().message.empty());
      }
    }
  }
}

// Ogg Vorbis cut after its first page: the Vorbis guard rejects it
// before libsndfile (which would leak its vorbis_info on this path; the
// ASan run of this test checks that nothing leaks).
TEST(BadAudioTest, OggVorbisWithoutAllHeaders) {
  if (!test::have_sox()) GTEST_SKIP() << "sox is not installed";
  test_support::TempDir dir("voice_audio_vorbis");
  ASSERT_TRUE(test::sox("-n -r 8000 " + dir.file("v.ogg") + " synth 0.2 sine 440"));
  const std::string ogg = test::read_file(dir.file("v.ogg"));
  ASSERT_TRUE(decode_audio(ogg).ok());
  ASSERT_GT(ogg.size(), 28u);
  const auto segments = static_cast<uint8_t>(ogg[26]);
  size_t first_page = 27 + segments;
  for (size_t i = 0; i < segments; ++i) first_page += static_cast<uint8_t>(ogg[27 + i]);
  for (size_t cut : {first_page, first_page + 10, first_page + 200}) {
    expect_error(ogg.substr(0, cut), ErrorCode::kCorrupt, "Ogg Vorbis stream");
  }
}

TEST(BadAudioTest, NoSamples) {
  expect_error(make_wav({.data = ""}), ErrorCode::kInvalidArgument, "no samples");
}

}  // namespace
}  // namespace r1::voice
