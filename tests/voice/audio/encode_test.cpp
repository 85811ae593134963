// Encoders: every format round trips through the decoder at the common
// rates; the streamed forms stream and decode back like the one-shot ones.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "voice/audio/decode.h"
#include "voice/audio/encode.h"
#include "voice/audio/resample.h"
#include "voice/audio/audio_test_util.h"

namespace r1::voice {
namespace {

using test::sine;
using test::zero_crossing_hz;

constexpr int kRates[] = {8000, 11025, 16000, 22050, 44100, 48000};
constexpr AudioFormat kFormats[] = {AudioFormat::kWav, AudioFormat::kPcm, AudioFormat::kFlac,
                                    AudioFormat::kOpus, AudioFormat::kMp3};

bool lossless(AudioFormat f) { return f == AudioFormat::kWav || f == AudioFormat::kPcm || f == AudioFormat::kFlac; }

const char* container_of(AudioFormat f) {
  switch (f) {
    case AudioFormat::kWav: return "wav";
    case AudioFormat::kPcm: return "raw";
    case AudioFormat::kFlac: return "flac";
    case AudioFormat::kOpus: return "ogg";
    case AudioFormat::kMp3: return "mp3";
  }
  return "";
}

Result<DecodedAudio> decode_as(AudioFormat f, const std::string& bytes, int rate) {
  if (f == AudioFormat::kPcm) return decode_raw(bytes, {.sample_rate = rate, .channels = 1});
  return decode_audio(bytes);
}

// Lossy codecs add delay and padding (Opus pre-skip is removed by the
// decoder; LAME's is removed by its tag): a few tens of ms at most.
void expect_like(const Pcm16& in, const DecodedAudio& out, AudioFormat f) {
  const int rate = encoded_rate(f, in.sample_rate);
  EXPECT_EQ(out.pcm.sample_rate, rate);
  EXPECT_EQ(out.source_rate, rate);
  EXPECT_EQ(out.source_channels, 1);
  EXPECT_EQ(out.container, container_of(f));
  if (lossless(f)) {
    EXPECT_EQ(out.pcm.samples, in.samples);
    return;
  }
  EXPECT_NEAR(out.seconds, in.seconds(), 0.06);
  EXPECT_NEAR(zero_crossing_hz(out.pcm.samples, rate, rate / 20), 440.0, 440.0 * 0.01);
}

TEST(AudioFormatTest, NamesAndContentTypes) {
  for (AudioFormat f : kFormats) {
    Result<AudioFormat> parsed = parse_audio_format(audio_format_name(f));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, f);
  }
  EXPECT_STREQ(content_type(AudioFormat::kWav), "audio/wav");
  EXPECT_STREQ(content_type(AudioFormat::kPcm), "audio/pcm");
  EXPECT_STREQ(content_type(AudioFormat::kFlac), "audio/flac");
  EXPECT_STREQ(content_type(AudioFormat::kOpus), "audio/ogg");
  EXPECT_STREQ(content_type(AudioFormat::kMp3), "audio/mpeg");
  for (const char* bad : {"aac", "WAV", "", "opus ", "ogg"}) {
    Result<AudioFormat> r = parse_audio_format(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("wav, pcm, flac, opus, mp3"), std::string::npos);
  }
}

TEST(AudioFormatTest, EncodedRates) {
  EXPECT_EQ(encoded_rate(AudioFormat::kOpus, 11025), 12000);
  EXPECT_EQ(encoded_rate(AudioFormat::kOpus, 22050), 24000);
  EXPECT_EQ(encoded_rate(AudioFormat::kOpus, 44100), 48000);
  EXPECT_EQ(encoded_rate(AudioFormat::kOpus, 96000), 48000);
  EXPECT_EQ(encoded_rate(AudioFormat::kOpus, 16000), 16000);
  EXPECT_EQ(encoded_rate(AudioFormat::kMp3, 44100), 44100);
  EXPECT_EQ(encoded_rate(AudioFormat::kFlac, 44100), 44100);
}

TEST(EncodeTest, EveryFormatRoundTripsAtEveryRate) {
  for (AudioFormat f : kFormats) {
    for (int rate : kRates) {
      SCOPED_TRACE(std::string(audio_format_name(f)) + " at " + std::to_string(rate));
      const Pcm16 in = sine(rate, 440.0, 0.5);
      Result<std::string> bytes = encode(in, f);
      ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
      Result<DecodedAudio> out = decode_as(f, *bytes, encoded_rate(f, rate));
      ASSERT_TRUE(out.ok()) << out.error().to_string();
      expect_like(in, *out, f);
    }
  }
}

TEST(EncodeTest, RejectsRatesOutsideTheRange) {
  for (int rate : {0, -8000, 999, 400000}) {
    Pcm16 p = sine(8000, 440, 0.01);
    p.sample_rate = rate;
    for (AudioFormat f : kFormats) {
      Result<std::string> r = encode(p, f);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    }
    EXPECT_FALSE(StreamEncoder::create(AudioFormat::kWav, rate).ok());
  }
}

// Feeds pcm in uneven chunks; returns all bytes and how many came before finish().
struct Streamed {
  std::string bytes;
  size_t before_finish = 0;
};

Streamed stream(AudioFormat f, const Pcm16& pcm, const StreamEncoderOptions& opts = {}) {
  Result<StreamEncoder> enc = StreamEncoder::create(f, pcm.sample_rate, opts);
  CHECK(enc.ok()) << enc.error().to_string();
  Streamed s;
  const size_t chunks[] = {1, 37, 160, 997, 4099, 3};
  size_t at = 0;
  for (int i = 0; at < pcm.samples.size(); ++i) {
    const size_t n = std::min(chunks[i % 6], pcm.samples.size() - at);
    s.bytes += enc->append(std::span<const int16_t>(pcm.samples).subspan(at, n));
    at += n;
  }
  s.before_finish = s.bytes.size();
  s.bytes += enc->finish();
  EXPECT_TRUE(enc->finish().empty());
  EXPECT_TRUE(enc->append(pcm.samples).empty());
  return s;
}

TEST(StreamEncoderTest, WavMatchesOneShotApartFromSizes) {
  for (int rate : kRates) {
    const Pcm16 in = sine(rate, 440.0, 0.3);
    const std::string whole = *encode(in, AudioFormat::kWav);
    const Streamed s = stream(AudioFormat::kWav, in);
    ASSERT_EQ(s.bytes.size(), whole.size());
    EXPECT_EQ(s.before_finish, whole.size());  // nothing waits for finish
    EXPECT_EQ(s.bytes.substr(0, 4), whole.substr(0, 4));
    EXPECT_EQ(s.bytes.substr(4, 4), std::string(4, '\xFF'));
    EXPECT_EQ(s.bytes.substr(8, 32), whole.substr(8, 32));
    EXPECT_EQ(s.bytes.substr(40, 4), std::string(4, '\xFF'));
    EXPECT_EQ(s.bytes.substr(44), whole.substr(44));
    EXPECT_EQ(wav_header(rate, static_cast<uint32_t>(in.samples.size() * 2)), whole.substr(0, 44));
    Result<DecodedAudio> back = decode_audio(s.bytes);  // "unknown length" decodes to the end
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(back->pcm.samples, in.samples);
  }
}

TEST(StreamEncoderTest, PcmIsTheOneShotBytes) {
  const Pcm16 in = sine(22050, 440.0, 0.3);
  const Streamed s = stream(AudioFormat::kPcm, in);
  EXPECT_EQ(s.bytes, *encode(in, AudioFormat::kPcm));
  EXPECT_EQ(s.before_finish, s.bytes.size());
}

TEST(StreamEncoderTest, OpusStreamsPagesAndDecodesBack) {
  for (int rate : {16000, 22050, 48000}) {
    SCOPED_TRACE(rate);
    const Pcm16 in = sine(rate, 440.0, 2.0);
    const Streamed s = stream(AudioFormat::kOpus, in, {.ogg_page_latency_ms = 100});
    // Headers plus audio pages arrived before finish: more than the
    // two header pages, and most of the stream.
    EXPECT_GT(s.before_finish, s.bytes.size() / 2);
    Result<DecodedAudio> back = decode_audio(s.bytes);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(back->codec, "Opus");
    const DecodedAudio& d = *back;
    expect_like(in, d, AudioFormat::kOpus);
  }
}

TEST(StreamEncoderTest, FlacStreamsAndDecodesBackExactly) {
  const Pcm16 in = sine(16000, 440.0, 2.0);
  const Streamed s = stream(AudioFormat::kFlac, in);
  EXPECT_GT(s.before_finish, s.bytes.size() / 2);
  Result<DecodedAudio> back = decode_audio(s.bytes);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->pcm.samples, in.samples);
}

// MP3 is buffered until finish(): LAME's Xing/Info frame is written at
// close over the file's first frame, and decoders trust it.
TEST(StreamEncoderTest, Mp3BuffersUntilFinishAndDecodesBack) {
  const Pcm16 in = sine(24000, 440.0, 2.0);
  const Streamed s = stream(AudioFormat::kMp3, in);
  EXPECT_EQ(s.before_finish, 0u);
  EXPECT_EQ(s.bytes, *encode(in, AudioFormat::kMp3));
  Result<DecodedAudio> back = decode_audio(s.bytes);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->container, "mp3");
  EXPECT_NEAR(back->seconds, in.seconds(), 0.06);
  EXPECT_NEAR(zero_crossing_hz(back->pcm.samples, 24000, 2400), 440.0, 4.4);
}

TEST(StreamEncoderTest, EmptyStreamsAreValidFiles) {
  EXPECT_EQ(StreamEncoder::create(AudioFormat::kWav, 16000)->finish(), wav_header(16000, 0xFFFFFFFFu));
  EXPECT_EQ(StreamEncoder::create(AudioFormat::kPcm, 16000)->finish(), "");
  const std::string opus = StreamEncoder::create(AudioFormat::kOpus, 16000)->finish();
  EXPECT_EQ(opus.substr(0, 4), "OggS");
}

}  // namespace
}  // namespace r1::voice
