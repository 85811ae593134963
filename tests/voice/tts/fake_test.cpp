// FakeSynthesizer: deterministic tones the server tests rely on.
#include "voice/tts/fake_synthesizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "audio_measure.h"

namespace r1::voice {
namespace {

TEST(FakeSynthesizer, OneToneAWordDeterministic) {
  FakeSynthesizer fake;
  SynthesisParams p;
  int chunks = 0;
  ASSERT_TRUE(fake.synthesize("one two three", p, [&](auto s, int rate) {
    ++chunks;
    EXPECT_EQ(rate, 16000);
    EXPECT_EQ(s.size(), 3200u);  // 150 ms tone + 50 ms gap
    return true;
  }, CancelToken()).ok());
  EXPECT_EQ(chunks, 3);
  Result<Pcm16> a = synthesize_all(fake, "same words", p);
  Result<Pcm16> b = synthesize_all(fake, "same words", p);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->samples, b->samples);
  EXPECT_NEAR(a->seconds(), 0.4, 1e-9);
}

TEST(FakeSynthesizer, HonoursRateVolumeSsmlAndErrors) {
  FakeSynthesizer fake;
  SynthesisParams p;
  p.rate = 2.0;
  p.volume = 0.5;
  Result<Pcm16> fast = synthesize_all(fake, "a b c d", p);
  ASSERT_TRUE(fast.ok());
  EXPECT_NEAR(fast->seconds(), 0.4, 0.01);
  p = {};
  Result<Pcm16> full = synthesize_all(fake, "a b c d", p);
  p.volume = 0.5;
  Result<Pcm16> half = synthesize_all(fake, "a b c d", p);
  EXPECT_NEAR(test::rms(half->samples) / test::rms(full->samples), 0.5, 0.01);
  p = {};
  p.ssml = true;
  Result<Pcm16> pause = synthesize_all(fake, "<speak>a<break time=\"1s\"/>b</speak>", p);
  ASSERT_TRUE(pause.ok());
  EXPECT_NEAR(pause->seconds(), 1.4, 0.01);
  p.voice = "nope";
  EXPECT_FALSE(synthesize_all(fake, "a", p).ok());
  EXPECT_EQ(fake.voices().size(), 2u);
}

TEST(FakeSynthesizer, CancelInterruptsTheWordDelay) {
  FakeOptions o;
  o.word_delay = std::chrono::milliseconds(200);
  FakeSynthesizer fake(o);
  CancelToken cancel;
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cancel.cancel();
  });
  const auto t0 = std::chrono::steady_clock::now();
  const Status s = fake.synthesize("a b c d e", SynthesisParams{}, [](auto, int) { return true; },
                                   cancel);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  t.join();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(is_cancelled(s.error()));
  EXPECT_LT(ms, 150);
}

}  // namespace
}  // namespace r1::voice
