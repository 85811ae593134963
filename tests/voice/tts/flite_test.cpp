// FliteSynthesizer against real flite: every voice, rate, pitch, volume,
// SSML, streaming latency, cancellation, concurrency, errors.
#include "voice/tts/flite/flite_synthesizer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "audio_measure.h"

namespace r1::voice {
namespace {

using Clock = std::chrono::steady_clock;
using test::rms;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

class FliteTest : public ::testing::Test {
 protected:
  static FliteSynthesizer& synth() {
    static FliteSynthesizer s;
    return s;
  }
  static Pcm16 speak(const std::string& text, SynthesisParams p) {
    Result<Pcm16> pcm = synthesize_all(synth(), text, p);
    EXPECT_TRUE(pcm.ok()) << (pcm.ok() ? "" : pcm.error().to_string());
    return pcm.ok() ? *pcm : Pcm16{};
  }
  static SynthesisParams with(const std::string& voice, double rate = 1.0, double pitch = 0.0) {
    SynthesisParams p;
    p.voice = voice;
    p.rate = rate;
    p.pitch = pitch;
    return p;
  }
};

TEST_F(FliteTest, ListsTheFiveVoices) {
  const std::vector<VoiceInfo> voices = synth().voices();
  ASSERT_EQ(voices.size(), 5u);
  for (const VoiceInfo& v : voices) {
    EXPECT_EQ(v.backend, "flite");
    EXPECT_EQ(v.language, "en-US");
    EXPECT_EQ(v.sample_rate, v.name == "kal" ? 8000 : 16000) << v.name;
  }
}

TEST_F(FliteTest, EveryVoiceSpeaksPlausibleAudio) {
  const std::vector<std::string> texts = {
      "Hello world.", "The quick brown fox jumps over the lazy dog.",
      "Please call Stella, and ask her to bring these things with her from the store."};
  for (const VoiceInfo& v : synth().voices()) {
    for (const std::string& text : texts) {
      const Pcm16 pcm = speak(text, with(v.name));
      const int words = test::word_count(text);
      EXPECT_EQ(pcm.sample_rate, v.sample_rate);
      EXPECT_GT(rms(pcm.samples), 500) << v.name << ": " << text;
      // flite speaks ~3.5 words a second: 0.2 s a word is the floor
      EXPECT_GE(pcm.seconds(), 0.2 * words) << v.name << ": " << text;
      EXPECT_LE(pcm.seconds(), 1.0 * words + 0.5) << v.name << ": " << text;
    }
  }
}

TEST_F(FliteTest, RateScalesDuration) {
  const std::string text = "Speech synthesis should follow the requested speaking rate closely.";
  for (const std::string voice : {"slt", "rms", "kal16", "kal"}) {
    const double d1 = speak(text, with(voice, 1.0)).seconds();
    const double d2 = speak(text, with(voice, 2.0)).seconds();
    const double dh = speak(text, with(voice, 0.5)).seconds();
    std::printf("[ rate     ] %-6s 0.5x %.2fs  1x %.2fs  2x %.2fs\n", voice.c_str(), dh, d1, d2);
    EXPECT_GT(d2 / d1, 0.4) << voice;
    EXPECT_LT(d2 / d1, 0.65) << voice;
    EXPECT_GT(dh / d1, 1.6) << voice;
    EXPECT_LT(dh / d1, 2.4) << voice;
  }
}

TEST_F(FliteTest, PitchMovesTheFundamental) {
  const std::string text = "We were away a year ago, and we really are glad to be home.";
  for (const std::string voice : {"slt", "rms", "awb", "kal16"}) {
    const double f0 = test::median_f0(speak(text, with(voice, 1.0, 0)));
    const double up = test::median_f0(speak(text, with(voice, 1.0, 6)));
    const double down = test::median_f0(speak(text, with(voice, 1.0, -6)));
    std::printf("[ pitch    ] %-6s -6st %.0f Hz  0 %.0f Hz  +6st %.0f Hz\n", voice.c_str(), down, f0,
                up);
    ASSERT_GT(f0, 50) << voice;
    EXPECT_GT(up / f0, 1.2) << voice;  // 6 semitones: x1.41
    EXPECT_LT(up / f0, 1.7) << voice;
    EXPECT_LT(down / f0, 1 / 1.2) << voice;
    EXPECT_GT(down / f0, 1 / 1.7) << voice;
  }
}

TEST_F(FliteTest, VolumeScalesRms) {
  for (const std::string voice : {"slt", "kal"}) {
    SynthesisParams p = with(voice);
    const Pcm16 full = speak("Volume is a plain gain on the samples.", p);
    p.volume = 0.5;
    const Pcm16 half = speak("Volume is a plain gain on the samples.", p);
    p.volume = 0;
    const Pcm16 mute = speak("Volume is a plain gain on the samples.", p);
    // (clustergen voices excite with noise: runs differ a little)
    ASSERT_NEAR(full.seconds(), half.seconds(), 0.02);
    EXPECT_NEAR(rms(half.samples) / rms(full.samples), 0.5, 0.05) << voice;
    EXPECT_EQ(rms(mute.samples), 0) << voice;
  }
}

TEST_F(FliteTest, SsmlBreakInsertsSilence) {
  SynthesisParams p = with("slt");
  p.ssml = true;
  for (int ms : {500, 1200}) {
    const std::string doc = "<speak>Hello there <break time=\"" + std::to_string(ms) +
                            "ms\"/> and goodbye</speak>";
    const Pcm16 pcm = speak(doc, p);
    EXPECT_GE(test::longest_silence_s(pcm), ms / 1000.0 - 0.05) << doc;
  }
}

TEST_F(FliteTest, SsmlProsodyRateAppliesToItsSpan) {
  SynthesisParams p = with("kal16");
  p.ssml = true;
  auto doc = [](const char* rate) {
    return std::string("<speak>One two three. <prosody rate=\"") + rate +
           "\">four five six seven eight</prosody> nine ten.</speak>";
  };
  const double normal = speak(doc("100%"), p).seconds();
  const double slow = speak(doc("50%"), p).seconds();
  const double fast = speak(doc("x-fast"), p).seconds();
  const double span = speak("four five six seven eight", with("kal16")).seconds();
  EXPECT_GT(slow - normal, 0.6 * span);
  EXPECT_LT(slow - normal, 1.5 * span);
  EXPECT_GT(normal - fast, 0.15 * span);
  EXPECT_LT(normal - fast, 0.75 * span);
}

TEST_F(FliteTest, FirstChunkIsQuick) {
  const std::string text = "Hello there, this is a normal sentence for the latency test.";
  for (const VoiceInfo& v : synth().voices()) {
    std::vector<double> firsts;
    for (int i = 0; i < 5; ++i) {
      const Clock::time_point t0 = Clock::now();
      double first = -1;
      const AudioSink sink = [&](std::span<const int16_t>, int) {
        if (first < 0) first = ms_since(t0);
        return true;
      };
      ASSERT_TRUE(synth().synthesize(text, with(v.name), sink, CancelToken()).ok());
      firsts.push_back(first);
    }
    std::sort(firsts.begin(), firsts.end());
    std::printf("[ latency  ] %-6s first chunk median %.2f ms (min %.2f, max %.2f)\n",
                v.name.c_str(), firsts[2], firsts[0], firsts[4]);
    EXPECT_LE(firsts[2], 500) << v.name;  // the target is 20 ms; the machine is shared
  }
}

std::string long_text() {
  std::string text;
  for (int i = 0; i < 30; ++i) text += "This sentence is here to make a long text that takes a while. ";
  return text;
}

TEST_F(FliteTest, CancelFromAnotherThreadStopsAtOnce) {
  for (const VoiceInfo& v : synth().voices()) {
    CancelToken cancel;
    std::atomic<int> chunks{0}, late{0};
    std::atomic<bool> cancel_returned{false};
    const AudioSink sink = [&](std::span<const int16_t>, int) {
      if (cancel_returned.load()) ++late;
      ++chunks;
      return true;
    };
    Clock::time_point cancelled_at;
    std::thread canceller([&] {
      while (chunks.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      cancelled_at = Clock::now();
      cancel.cancel();
      cancel_returned = true;
    });
    const Status s = synth().synthesize(long_text(), with(v.name), sink, cancel);
    const Clock::time_point returned = Clock::now();
    canceller.join();
    const double ms = std::chrono::duration<double, std::milli>(returned - cancelled_at).count();
    std::printf("[ cancel   ] %-6s returned %.3f ms after cancel(), %d chunks\n", v.name.c_str(), ms,
                chunks.load());
    ASSERT_FALSE(s.ok());
    EXPECT_TRUE(is_cancelled(s.error())) << s.error().to_string();
    EXPECT_LE(ms, 50) << v.name;  // the target is 10 ms; the machine is shared
    EXPECT_EQ(late.load(), 0) << v.name;
  }
}

TEST_F(FliteTest, CancelBeforeTheCallReturnsCancelled) {
  CancelToken cancel;
  cancel.cancel();
  const Status s = synth().synthesize("Never spoken.", with("slt"), [](auto, int) { return true; },
                                      cancel);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(is_cancelled(s.error()));
}

TEST_F(FliteTest, SinkReturningFalseStops) {
  for (const std::string voice : {"slt", "kal"}) {
    int chunks = 0;
    const Status s = synth().synthesize(long_text(), with(voice),
                                        [&](auto, int) { return ++chunks < 3; }, CancelToken());
    EXPECT_TRUE(s.ok());
    EXPECT_EQ(chunks, 3) << voice;
  }
}

TEST_F(FliteTest, ConcurrentCallsGiveTheSerialAudio) {
  struct Job {
    std::string text;
    SynthesisParams params;
    Pcm16 serial;
  };
  std::vector<Job> jobs = {
      {"The first thread reads this sentence aloud, twice over.", with("slt", 1.0, 0), {}},
      {"A second voice, faster and higher, speaks at the same time.", with("slt", 1.7, 4), {}},
      {"And the diphone voice joins in with a slower rate.", with("kal16", 0.7, -3), {}}};
  // Diphone voices are deterministic: concurrent audio must be the same
  // samples. Clustergen voices excite with noise (rand()): the same length
  // and level.
  std::vector<bool> exact;
  for (Job& j : jobs) {
    j.serial = speak(j.text, j.params);
    exact.push_back(speak(j.text, j.params).samples == j.serial.samples);
  }
  EXPECT_TRUE(exact[2]) << "kal16 should be deterministic";
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (size_t k = 0; k < jobs.size(); ++k) {
    threads.emplace_back([&, k] {
      const Job& j = jobs[k];
      for (int i = 0; i < 3; ++i) {
        Result<Pcm16> pcm = synthesize_all(synth(), j.text, j.params);
        if (!pcm.ok()) {
          ++mismatches;
        } else if (exact[k] ? pcm->samples != j.serial.samples
                            : std::abs(pcm->seconds() - j.serial.seconds()) > 0.02 ||
                                  std::abs(rms(pcm->samples) / rms(j.serial.samples) - 1) > 0.1) {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_F(FliteTest, BadRequestsAreInvalidArgument) {
  auto code = [](const std::string& text, const SynthesisParams& p) {
    const Status s = synth().synthesize(text, p, [](auto, int) { return true; }, CancelToken());
    return s.ok() ? std::string("ok") : std::string(error_code_name(s.error().code));
  };
  const std::string bad = error_code_name(ErrorCode::kInvalidArgument);
  EXPECT_EQ(code("Hi.", with("nobody")), bad);
  EXPECT_EQ(code("Hi.", with("slt", 4.5)), bad);
  EXPECT_EQ(code("Hi.", with("slt", 0.2)), bad);
  EXPECT_EQ(code("Hi.", with("slt", std::nan(""))), bad);
  EXPECT_EQ(code("Hi.", with("slt", 1.0, 12.5)), bad);
  SynthesisParams loud = with("slt");
  loud.volume = 4.5;
  EXPECT_EQ(code("Hi.", loud), bad);
  EXPECT_EQ(code("", with("slt")), bad);
  EXPECT_EQ(code(" \n\t ", with("slt")), bad);
  EXPECT_EQ(code(std::string(4097, 'a'), with("slt")), bad);
  SynthesisParams small = with("slt");
  small.max_text_bytes = 10;
  EXPECT_EQ(code("This is more than ten bytes.", small), bad);
  SynthesisParams ssml = with("slt");
  ssml.ssml = true;
  EXPECT_EQ(code("<speak>unclosed", ssml), bad);
  EXPECT_EQ(code("Hi.", with("")), "ok");  // the default voice
}

TEST_F(FliteTest, OddTextDoesNotHurt) {
  const std::vector<std::string> texts = {
      "Caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d \xe4\xbd\xa0\xe5\xa5\xbd.", "...!!!???,,,",
      "1234567890 $3.50 at 10:30pm on 2024-01-02", "tab\tand\x01" "control\x7f bytes",
      "\xff\xfe\xfd"};
  for (const std::string& text : texts) {
    const Status s = synth().synthesize(text, with("slt"), [](auto, int) { return true; },
                                        CancelToken());
    EXPECT_TRUE(s.ok()) << text;
  }
}

TEST(FliteLifetime, DestroyRightAfterCancel) {
  for (int i = 0; i < 3; ++i) {
    FliteSynthesizer s;
    CancelToken cancel;
    int chunks = 0;
    SynthesisParams p;
    p.voice = "awb";
    const Status st = s.synthesize(long_text(), p, [&](auto, int) {
      if (++chunks == 2) cancel.cancel();
      return true;
    }, cancel);
    EXPECT_FALSE(st.ok());
  }  // the destructor waits for the stopped worker
}

}  // namespace
}  // namespace r1::voice
