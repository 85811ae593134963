// Resampling keeps a sine's frequency and the signal's length, one shot or
// streamed in odd chunks; FrameSplitter cuts exact 10 ms frames.
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "voice/audio/audio_test_util.h"
#include "voice/audio/resample.h"

namespace r1::voice {
namespace {

using test::sine;
using test::zero_crossing_hz;

struct RatePair {
  int in;
  int out;
};

constexpr RatePair kPairs[] = {{8000, 16000},  {11025, 16000}, {22050, 16000}, {44100, 16000},
                               {48000, 16000}, {16000, 48000}, {16000, 22050}, {44100, 48000},
                               {48000, 8000},  {16000, 16000}};

size_t expected_length(size_t n, int in, int out) {
  return static_cast<size_t>(std::lround(static_cast<double>(n) * out / in));
}

TEST(ResampleTest, KeepsFrequencyAndLength) {
  for (const RatePair& p : kPairs) {
    for (double hz : {440.0, 1234.0}) {
      SCOPED_TRACE(std::to_string(p.in) + " -> " + std::to_string(p.out) + " at " + std::to_string(hz));
      const Pcm16 in = sine(p.in, hz, 1.0);
      Result<Pcm16> out = resample(in, p.out);
      ASSERT_TRUE(out.ok()) << out.error().to_string();
      EXPECT_EQ(out->sample_rate, p.out);
      EXPECT_NEAR(static_cast<double>(out->samples.size()), expected_length(in.samples.size(), p.in, p.out), 4);
      EXPECT_NEAR(zero_crossing_hz(out->samples, p.out, p.out / 100), hz, hz * 0.002);
    }
  }
}

TEST(ResampleTest, ToWorkFormat) {
  Result<Pcm16> out = to_work_format(sine(44100, 500, 0.5));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->sample_rate, kWorkRate);
  EXPECT_NEAR(static_cast<double>(out->samples.size()), 8000, 4);
}

TEST(ResampleTest, RejectsBadRates) {
  for (RatePair p : {RatePair{0, 16000}, RatePair{16000, 0}, RatePair{-1, 16000}, RatePair{16000, 500},
                     RatePair{1000000, 16000}}) {
    Pcm16 in = sine(16000, 440, 0.01);
    in.sample_rate = p.in;
    Result<Pcm16> r = resample(in, p.out);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_FALSE(Resampler::create(p.in, p.out).ok());
  }
}

TEST(ResampleTest, StreamingInOddChunksMatchesOneShot) {
  for (const RatePair& p : kPairs) {
    for (size_t chunk : {size_t{1}, size_t{7}, size_t{97}, size_t{1013}, size_t{4099}, size_t{20000}}) {
      SCOPED_TRACE(std::to_string(p.in) + " -> " + std::to_string(p.out) + " chunk " + std::to_string(chunk));
      const Pcm16 in = sine(p.in, 440, 0.5);
      const Pcm16 whole = *resample(in, p.out);
      Result<Resampler> r = Resampler::create(p.in, p.out);
      ASSERT_TRUE(r.ok());
      std::vector<int16_t> got;
      size_t ready_before_flush = 0;
      for (size_t at = 0; at < in.samples.size(); at += chunk) {
        const auto part = std::span<const int16_t>(in.samples).subspan(at, std::min(chunk, in.samples.size() - at));
        const std::vector<int16_t> out = r->feed(part);
        got.insert(got.end(), out.begin(), out.end());
      }
      ready_before_flush = got.size();
      const std::vector<int16_t> tail = r->flush();
      got.insert(got.end(), tail.begin(), tail.end());
      EXPECT_TRUE(r->flush().empty());
      EXPECT_TRUE(r->feed(in.samples).empty());
      // Output comes as input does, not all at flush.
      EXPECT_GT(ready_before_flush, whole.samples.size() * 9 / 10);
      ASSERT_NEAR(static_cast<double>(got.size()), static_cast<double>(whole.samples.size()), 2);
      int max_diff = 0;
      for (size_t i = 0; i < std::min(got.size(), whole.samples.size()); ++i) {
        max_diff = std::max(max_diff, std::abs(got[i] - whole.samples[i]));
      }
      EXPECT_LE(max_diff, 2);
    }
  }
}

TEST(FrameSplitterTest, ExactFramesWithCarryOver) {
  for (size_t total : {size_t{0}, size_t{1}, size_t{159}, size_t{160}, size_t{161}, size_t{1600}, size_t{12345}}) {
    for (size_t chunk : {size_t{1}, size_t{3}, size_t{160}, size_t{333}, size_t{4096}}) {
      SCOPED_TRACE(std::to_string(total) + " in chunks of " + std::to_string(chunk));
      std::vector<int16_t> ramp(total);
      std::iota(ramp.begin(), ramp.end(), int16_t{1});  // never 0: padding is visible
      FrameSplitter split;
      std::vector<int16_t> seen;
      size_t frames = 0;
      const auto on_frame = [&](Frame f) {
        ++frames;
        seen.insert(seen.end(), f.begin(), f.end());
      };
      for (size_t at = 0; at < total; at += chunk) {
        split.push(std::span<const int16_t>(ramp).subspan(at, std::min(chunk, total - at)), on_frame);
      }
      EXPECT_EQ(frames, total / kFrameSamples);
      EXPECT_EQ(split.buffered(), total % kFrameSamples);
      EXPECT_EQ(split.flush(on_frame), total % kFrameSamples != 0);
      EXPECT_FALSE(split.flush(on_frame));
      EXPECT_EQ(frames, (total + kFrameSamples - 1) / kFrameSamples);
      ASSERT_EQ(seen.size(), frames * kFrameSamples);
      for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], i < total ? ramp[i] : 0) << i;
    }
  }
}

}  // namespace
}  // namespace r1::voice
