// The WebRTC front end over real signals: each stage does what it is for
// (NS lowers stationary noise, more at higher levels; HPF removes hum; AEC
// removes a delayed echo of the far end; AGC lifts a quiet voice), and
// configuration errors are clear.
#include <gtest/gtest.h>

#include <span>

#include "../support_audio.h"
#include "voice/frontend/front_end.h"

namespace r1::voice {
namespace {

using test::rms;

FrontEndConfig all_off() {
  FrontEndConfig c;
  c.high_pass = false;
  c.noise_suppression = NsLevel::kOff;
  return c;
}

std::vector<int16_t> process(FrontEnd& fe, std::vector<int16_t> s) {
  s.resize(s.size() / kFrameSamples * kFrameSamples);
  for (size_t i = 0; i < s.size(); i += kFrameSamples) {
    EXPECT_TRUE(fe.process_capture(std::span<int16_t, kFrameSamples>(s.data() + i, kFrameSamples)).ok());
  }
  return s;
}

// RMS of the last `seconds` (after the adaptive stages have settled).
double tail_rms(const std::vector<int16_t>& s, double seconds) {
  const size_t n = std::min(s.size(), static_cast<size_t>(seconds * kWorkRate));
  return rms(s.data() + s.size() - n, n);
}

TEST(FrontEndLevels, NamesRoundTripAndBadNamesAreListed) {
  for (const char* n : {"off", "low", "moderate", "high", "very_high"}) EXPECT_TRUE(parse_ns_level(n).ok()) << n;
  for (const char* n : {"off", "low", "moderate", "high"}) EXPECT_TRUE(parse_aec_level(n).ok()) << n;
  const auto bad = parse_ns_level("loud");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("very_high"), std::string::npos);
  EXPECT_FALSE(parse_aec_level("very_high").ok());
  EXPECT_NE(describe(FrontEndConfig{}).find("ns=moderate"), std::string::npos);
}

TEST(FrontEnd, AllStagesOffIsAPassThrough) {
  auto fe = make_front_end(all_off());
  ASSERT_TRUE(fe.ok());
  const std::vector<int16_t> in = test::white_noise(16000, 0.1, 1);
  EXPECT_EQ(process(**fe, in), std::vector<int16_t>(in.begin(), in.begin() + 16000));
}

TEST(FrontEnd, NoiseSuppressionLowersStationaryNoiseMoreAtHigherLevels) {
  const std::vector<int16_t> noise = test::white_noise(3 * kWorkRate, 0.05, 7);
  double previous = tail_rms(noise, 1.0);
  for (NsLevel level : {NsLevel::kLow, NsLevel::kModerate, NsLevel::kHigh, NsLevel::kVeryHigh}) {
    FrontEndConfig c = all_off();
    c.noise_suppression = level;
    auto fe = make_front_end(c);
    ASSERT_TRUE(fe.ok());
    const double out = tail_rms(process(**fe, noise), 1.0);
    EXPECT_LT(out, previous) << static_cast<int>(level);
    previous = out;
  }
  EXPECT_LT(previous, tail_rms(noise, 1.0) / 4);  // very_high: at least -12 dB
}

TEST(FrontEnd, HighPassFilterRemovesHumAndKeepsSpeechBand) {
  FrontEndConfig c = all_off();
  c.high_pass = true;
  for (double hz : {30.0, 50.0}) {
    auto fe = make_front_end(c);
    ASSERT_TRUE(fe.ok());
    const std::vector<int16_t> hum = test::tone(hz, 2.0, 0.3);
    EXPECT_LT(tail_rms(process(**fe, hum), 1.0), tail_rms(hum, 1.0) / 2) << hz;
  }
  auto fe = make_front_end(c);
  const std::vector<int16_t> voice_band = test::tone(1000, 2.0, 0.3);
  EXPECT_GT(tail_rms(process(**fe, voice_band), 1.0), tail_rms(voice_band, 1.0) * 0.9);
}

TEST(FrontEnd, EchoCancellerRemovesADelayedEchoOfTheFarEnd) {
  FrontEndConfig c = all_off();
  c.echo_cancellation = AecLevel::kModerate;
  c.stream_delay_ms = 40;
  auto fe = make_front_end(c);
  ASSERT_TRUE(fe.ok());
  // Far end: noise bursts (speech-like on/off); the capture hears it 40 ms
  // later at half amplitude.
  std::vector<int16_t> far = test::white_noise(6 * kWorkRate, 0.1, 3);
  for (size_t i = 0; i < far.size(); ++i) far[i] = static_cast<int16_t>(far[i] * ((i / 4000) % 2));
  const size_t delay = 40 * kWorkRate / 1000;
  std::vector<int16_t> capture(far.size(), 0);
  for (size_t i = delay; i < far.size(); ++i) capture[i] = static_cast<int16_t>(far[i - delay] / 2);
  std::vector<int16_t> out = capture;
  for (size_t i = 0; i < far.size(); i += kFrameSamples) {
    ASSERT_TRUE((*fe)->add_far_end(std::span<const int16_t, kFrameSamples>(far.data() + i, kFrameSamples)).ok());
    ASSERT_TRUE((*fe)->process_capture(std::span<int16_t, kFrameSamples>(out.data() + i, kFrameSamples)).ok());
  }
  EXPECT_LT(tail_rms(out, 2.0), tail_rms(capture, 2.0) / 4);  // at least 12 dB of echo gone
}

TEST(FrontEnd, GainControlLiftsAQuietSignal) {
  FrontEndConfig c = all_off();
  c.gain_control = true;
  auto fe = make_front_end(c);
  ASSERT_TRUE(fe.ok());
  std::vector<int16_t> quiet = test::tone(440, 4.0, 0.01);
  for (size_t i = 0; i < quiet.size(); ++i) quiet[i] = static_cast<int16_t>(quiet[i] * ((i / 3200) % 2));
  EXPECT_GT(tail_rms(process(**fe, quiet), 1.0), tail_rms(quiet, 1.0) * 1.5);
}

TEST(FrontEnd, BadConfigurationsAreErrors) {
  FrontEndConfig c;
  c.agc_target_dbfs = 40;
  EXPECT_FALSE(make_front_end(c).ok());
  c = FrontEndConfig{};
  c.stream_delay_ms = -1;
  EXPECT_FALSE(make_front_end(c).ok());
}

TEST(FrontEnd, CleanRecordingKeepsLengthAndNeeds16kHz) {
  Pcm16 audio{kWorkRate, test::white_noise(16000 + 77, 0.05, 5)};
  auto out = clean_recording(audio, FrontEndConfig{});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->samples.size(), audio.samples.size());
  EXPECT_LT(rms(out->samples), rms(audio.samples));
  audio.sample_rate = 8000;
  EXPECT_FALSE(clean_recording(audio, FrontEndConfig{}).ok());
}

}  // namespace
}  // namespace r1::voice
