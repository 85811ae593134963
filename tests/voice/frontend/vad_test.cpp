// The VAD over real speech (flite) and silence/noise: events at the right
// times, the energy gate, the pre-roll, the hangover and flush.
#include <gtest/gtest.h>

#include "../support_audio.h"
#include "voice/frontend/vad.h"
#include "voice/tts/flite/flite_synthesizer.h"

namespace r1::voice {
namespace {

std::vector<int16_t> speech(const std::string& text, double gain = 1.0) {
  FliteSynthesizer flite;
  SynthesisParams p;
  p.voice = "slt";
  p.volume = gain;
  auto pcm = synthesize_all(flite, text, p);
  EXPECT_TRUE(pcm.ok());
  EXPECT_EQ(pcm->sample_rate, kWorkRate);
  return pcm->samples;
}

std::vector<VadEvent> run(VoiceActivityDetector& vad, std::vector<int16_t> s) {
  s.resize((s.size() + kFrameSamples - 1) / kFrameSamples * kFrameSamples, 0);
  std::vector<VadEvent> events;
  for (size_t i = 0; i < s.size(); i += kFrameSamples) {
    const VadStep step = vad.feed(Frame(s.data() + i, kFrameSamples));
    if (step.event) events.push_back(*step.event);
  }
  if (auto e = vad.flush()) events.push_back(*e);
  return events;
}

TEST(Vad, SilenceAndQuietNoiseGiveNoEvents) {
  auto vad = VoiceActivityDetector::create({});
  ASSERT_TRUE(vad.ok());
  EXPECT_TRUE(run(**vad, test::silence(2.0)).empty());
  EXPECT_TRUE(run(**vad, test::white_noise(2 * kWorkRate, 0.0005, 1)).empty());  // ~-66 dBFS
}

TEST(Vad, TwoUtterancesGiveTwoSpeechSegmentsAtTheirTimes) {
  const std::vector<int16_t> a = speech("The quick brown fox jumps over the lazy dog.");
  const std::vector<int16_t> b = speech("Please call me tomorrow morning.");
  std::vector<int16_t> s = test::silence(1.0);
  test::append(s, a);
  test::append(s, test::silence(1.5));
  const double b_start = s.size() / static_cast<double>(kWorkRate);
  test::append(s, b);
  test::append(s, test::silence(1.0));
  VadConfig config;
  auto vad = VoiceActivityDetector::create(config);
  ASSERT_TRUE(vad.ok());
  const std::vector<VadEvent> ev = run(**vad, s);
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0].type, VadEventType::kSpeechStart);
  EXPECT_EQ(ev[1].type, VadEventType::kSpeechEnd);
  EXPECT_EQ(ev[2].type, VadEventType::kSpeechStart);
  EXPECT_EQ(ev[3].type, VadEventType::kSpeechEnd);
  // flite pads each utterance with a little silence: starts within 300 ms
  // after the clip begins, ends before the clip ends.
  EXPECT_GE(ev[0].at_ms, 1000);
  EXPECT_LE(ev[0].at_ms, 1300);
  EXPECT_LE(ev[1].at_ms, 1000 + static_cast<int64_t>(a.size() * 1000 / kWorkRate));
  EXPECT_GE(ev[2].at_ms, static_cast<int64_t>(b_start * 1000));
  EXPECT_LE(ev[2].at_ms, static_cast<int64_t>(b_start * 1000) + 300);
  EXPECT_GT(ev[1].at_ms - ev[0].at_ms, 1000);  // the first sentence lasts > 1 s
}

TEST(Vad, EnergyGateIgnoresSpeechBelowIt) {
  VadConfig config;
  config.energy_gate_dbfs = -30;
  auto vad = VoiceActivityDetector::create(config);
  ASSERT_TRUE(vad.ok());
  std::vector<int16_t> s = test::silence(0.5);
  test::append(s, speech("This sentence is spoken very quietly.", 0.02));
  EXPECT_TRUE(run(**vad, s).empty());
}

TEST(Vad, PrerollHoldsTheAudioBeforeTheStartAndHangoverDelaysTheEnd) {
  for (int hangover : {100, 300, 600}) {
    VadConfig config;
    config.preroll_ms = 200;
    config.hangover_ms = hangover;
    auto vad = VoiceActivityDetector::create(config);
    ASSERT_TRUE(vad.ok());
    std::vector<int16_t> s = test::silence(1.0);
    test::append(s, speech("Hello there, how are you?"));
    test::append(s, test::silence(1.0));
    s.resize(s.size() / kFrameSamples * kFrameSamples);
    int64_t end_emitted_at = -1, end_at = -1;
    int starts = 0;
    for (size_t i = 0; i < s.size(); i += kFrameSamples) {
      const VadStep step = (*vad)->feed(Frame(s.data() + i, kFrameSamples));
      if (step.event && step.event->type == VadEventType::kSpeechStart && starts++ == 0) {
        // After 1 s of silence the pre-roll is full (a later start after a
        // short pause holds only that pause).
        EXPECT_EQ((*vad)->take_preroll().size(), static_cast<size_t>((200 + config.start_ms) * kWorkRate / 1000));
        EXPECT_TRUE((*vad)->take_preroll().empty());
      }
      if (step.event && step.event->type == VadEventType::kSpeechEnd) {
        end_emitted_at = (*vad)->now_ms();
        end_at = step.event->at_ms;
      }
    }
    ASSERT_GE(end_at, 0) << hangover;
    EXPECT_EQ(end_emitted_at - end_at, hangover);
  }
}

TEST(Vad, FlushEndsAnOpenSegmentAndBadConfigIsAnError) {
  auto vad = VoiceActivityDetector::create({});
  ASSERT_TRUE(vad.ok());
  const std::vector<VadEvent> ev = run(**vad, speech("Speech that runs to the very end"));
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().type, VadEventType::kSpeechEnd);
  VadConfig bad;
  bad.hangover_ms = 0;
  EXPECT_FALSE(VoiceActivityDetector::create(bad).ok());
  bad = VadConfig{};
  bad.preroll_ms = 5000;
  EXPECT_FALSE(VoiceActivityDetector::create(bad).ok());
}

TEST(Vad, FrameLevelIsDbfs) {
  const std::vector<int16_t> full = test::tone(1000, 0.01, 1.0);
  EXPECT_NEAR(frame_dbfs(Frame(full.data(), kFrameSamples)), -3.0, 0.2);
  const std::vector<int16_t> zero(kFrameSamples, 0);
  EXPECT_EQ(frame_dbfs(Frame(zero.data(), kFrameSamples)), -120.0);
}

}  // namespace
}  // namespace r1::voice
