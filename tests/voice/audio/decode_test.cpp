// Decoder on good input: files written by sox (a tool we did not write),
// downmixing, metadata, raw PCM and the configurable limits.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "voice/audio/audio_test_util.h"
#include "voice/audio/decode.h"
#include "voice/audio/encode.h"

namespace r1::voice {
namespace {

using test::make_wav;
using test::sine;
using test::zero_crossing_hz;

struct SoxCase {
  std::string file;       // output name: the extension picks the format
  std::string options;    // sox output options
  int rate;
  int channels;
  std::string container;
  std::string codec;
  bool lossless;
};

TEST(DecodeTest, FilesWrittenBySox) {
  if (!test::have_sox()) GTEST_SKIP() << "sox is not installed (scripts/setup.d/40-voice.sh installs it)";
  test_support::TempDir dir("voice_audio_sox");
  const std::vector<SoxCase> cases = {
      {"s.wav", "-r 44100 -c 2 -b 16", 44100, 2, "wav", "Signed 16 bit PCM", true},
      {"s24.wav", "-r 48000 -c 2 -b 24", 48000, 2, "wav", "Signed 24 bit PCM", true},
      {"m.flac", "-r 22050 -c 1 -b 16", 22050, 1, "flac", "Signed 16 bit PCM", true},
      {"s.flac", "-r 8000 -c 2 -b 24", 8000, 2, "flac", "Signed 24 bit PCM", true},
      {"v.ogg", "-r 16000 -c 2", 16000, 2, "ogg", "Vorbis", false},
      {"f.wav", "-r 11025 -c 1 -e floating-point -b 32", 11025, 1, "wav", "32 bit float", true},
      {"a.aiff", "-r 16000 -c 1 -b 16", 16000, 1, "aiff", "Signed 16 bit PCM", true},
      {"u.au", "-r 8000 -c 1 -e u-law", 8000, 1, "au", "U-Law", false},
  };
  for (const SoxCase& c : cases) {
    SCOPED_TRACE(c.file);
    const std::string path = dir.file(c.file);
    ASSERT_TRUE(test::sox("-n " + c.options + " " + path + " synth 1 sine 440 vol 0.5"));
    Result<DecodedAudio> d = decode_audio(test::read_file(path));
    ASSERT_TRUE(d.ok()) << d.error().to_string();
    EXPECT_EQ(d->source_rate, c.rate);
    EXPECT_EQ(d->pcm.sample_rate, c.rate);
    EXPECT_EQ(d->source_channels, c.channels);
    EXPECT_EQ(d->container, c.container);
    EXPECT_EQ(d->codec, c.codec);
    if (c.lossless) {
      EXPECT_EQ(d->pcm.samples.size(), static_cast<size_t>(c.rate));
    }
    EXPECT_NEAR(d->seconds, 1.0, 0.02);
    EXPECT_NEAR(zero_crossing_hz(d->pcm.samples, c.rate, c.rate / 50), 440.0, 440.0 * 0.01);
  }
}

TEST(DecodeTest, DownmixAveragesChannels) {
  std::vector<int16_t> inter;
  const Pcm16 s = sine(16000, 300, 0.1);
  for (int16_t v : s.samples) {
    inter.push_back(1000);
    inter.push_back(3001);
    inter.push_back(v);
    inter.push_back(static_cast<int16_t>(-v));
  }
  // Four channels: mean = (1000 + 3001 + v - v) / 4 = 1000.25 -> 1000.
  Result<DecodedAudio> d =
      decode_audio(make_wav({.channels = 4, .rate = 16000, .data = test::int16_bytes(inter)}));
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  EXPECT_EQ(d->source_channels, 4);
  ASSERT_EQ(d->pcm.samples.size(), s.samples.size());
  for (int16_t v : d->pcm.samples) EXPECT_EQ(v, 1000);
}

TEST(DecodeTest, FloatWavIsScaledAndClipped) {
  const std::vector<float> f = {0.0f, 0.5f, -0.5f, 1.0f, -1.0f, 3.0f, -7.5f};
  Result<DecodedAudio> d = decode_audio(make_wav({.format_tag = 3, .bits = 32, .data = test::float_bytes(f)}));
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  EXPECT_EQ(d->pcm.samples, (std::vector<int16_t>{0, 16384, -16384, 32767, -32768, 32767, -32768}));
}

TEST(DecodeTest, RawPcm) {
  const std::vector<int16_t> inter = {100, 300, -32768, -32768, 32767, 32765, 7, 8};
  Result<DecodedAudio> stereo = decode_raw(test::int16_bytes(inter), {.sample_rate = 24000, .channels = 2});
  ASSERT_TRUE(stereo.ok()) << stereo.error().to_string();
  EXPECT_EQ(stereo->pcm.samples, (std::vector<int16_t>{200, -32768, 32766, 8}));
  EXPECT_EQ(stereo->pcm.sample_rate, 24000);
  EXPECT_EQ(stereo->source_channels, 2);
  EXPECT_EQ(stereo->container, "raw");
  EXPECT_DOUBLE_EQ(stereo->seconds, 4.0 / 24000);
  const Pcm16 s = sine(8000, 440, 0.5);
  Result<DecodedAudio> mono = decode_raw(test::int16_bytes(s.samples), {.sample_rate = 8000, .channels = 1});
  ASSERT_TRUE(mono.ok());
  EXPECT_EQ(mono->pcm.samples, s.samples);
}

TEST(DecodeTest, RawPcmBadArguments) {
  const std::string two_frames = test::int16_bytes({1, 2, 3, 4});
  struct Case {
    std::string bytes;
    RawPcmParams params;
    ErrorCode code;
  };
  const Case cases[] = {
      {"", {16000, 1}, ErrorCode::kInvalidArgument},
      {two_frames, {16000, 0}, ErrorCode::kInvalidArgument},
      {two_frames, {0, 1}, ErrorCode::kInvalidArgument},
      {two_frames, {999, 1}, ErrorCode::kOutOfRange},
      {two_frames, {1000000000, 1}, ErrorCode::kOutOfRange},
      {two_frames, {16000, 17}, ErrorCode::kOutOfRange},
      {two_frames, {16000, 3}, ErrorCode::kCorrupt},  // 8 bytes, 6-byte frames
      {two_frames + "x", {16000, 1}, ErrorCode::kCorrupt},
  };
  for (const Case& c : cases) {
    Result<DecodedAudio> r = decode_raw(c.bytes, c.params);
    ASSERT_FALSE(r.ok()) << c.params.sample_rate << " " << c.params.channels;
    EXPECT_EQ(r.error().code, c.code) << r.error().message;
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(DecodeTest, LimitsAreConfigurable) {
  const std::string wav = *encode(sine(16000, 440, 1.0), AudioFormat::kWav);
  ASSERT_TRUE(decode_audio(wav).ok());
  Result<DecodedAudio> big = decode_audio(wav, {.max_input_bytes = wav.size() - 1});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, ErrorCode::kOutOfRange);
  Result<DecodedAudio> longer = decode_audio(wav, {.max_seconds = 0.5});
  ASSERT_FALSE(longer.ok());
  EXPECT_EQ(longer.error().code, ErrorCode::kOutOfRange);
  EXPECT_NE(longer.error().message.find("limit is 0.5 s"), std::string::npos) << longer.error().message;
  Result<DecodedAudio> unlimited = decode_audio(wav, {.max_seconds = HUGE_VAL});
  ASSERT_TRUE(unlimited.ok());
  EXPECT_EQ(unlimited->pcm.samples.size(), 16000u);
  Result<DecodedAudio> rate = decode_audio(wav, {.min_rate = 22050});
  ASSERT_FALSE(rate.ok());
  EXPECT_EQ(rate.error().code, ErrorCode::kOutOfRange);
  const std::string stereo = make_wav({.channels = 2, .data = test::int16_bytes({1, 2, 3, 4})});
  Result<DecodedAudio> ch = decode_audio(stereo, {.max_channels = 1});
  ASSERT_FALSE(ch.ok());
  EXPECT_EQ(ch.error().code, ErrorCode::kOutOfRange);
}

// A streamed FLAC has no total in STREAMINFO, so only the read loop can
// stop it at the duration limit.
TEST(DecodeTest, DurationLimitHoldsWithoutAHeaderLength) {
  Result<StreamEncoder> enc = StreamEncoder::create(AudioFormat::kFlac, 8000);
  ASSERT_TRUE(enc.ok());
  const Pcm16 s = sine(8000, 440, 3.0);
  std::string flac = enc->append(s.samples);
  flac += enc->finish();
  ASSERT_TRUE(decode_audio(flac).ok());
  Result<DecodedAudio> r = decode_audio(flac, {.max_seconds = 1.0});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kOutOfRange);
  EXPECT_NE(r.error().message.find("limit is 1 s"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace r1::voice
