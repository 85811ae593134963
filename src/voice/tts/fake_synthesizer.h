// FakeSynthesizer: a deterministic stand-in backend for tests of the server
// and the CLI (never for tests of synthesis itself). Each word becomes one
// sine tone of 150 ms / rate at a frequency from the word's hash (200..550
// Hz, times 2^(pitch/12)), amplitude 8000 * volume (clipped), then 50 ms /
// rate of silence; one chunk per word, at 16 kHz. SSML is parsed like the
// real backends (breaks are silence, prosody applies). `word_delay` makes
// each word take that long to "synthesize" (cancel interrupts the wait), to
// test streaming and cancellation.
//
// Thread contract: safe from several threads at once (no mutable state).
#pragma once

#include <chrono>
#include <string_view>
#include <vector>

#include "voice/tts/speech_synthesizer.h"

namespace r1::voice {

struct FakeOptions {
  std::chrono::milliseconds word_delay{0};
  int sample_rate = kWorkRate;
};

class FakeSynthesizer final : public SpeechSynthesizer {
 public:
  explicit FakeSynthesizer(FakeOptions options = {}) : options_(options) {}

  // "fake" (en-US, female) and "fake-cmn" (cmn, male).
  std::vector<VoiceInfo> voices() const override;
  Status synthesize(std::string_view text, const SynthesisParams& params, const AudioSink& sink,
                    const CancelToken& cancel) override;

 private:
  FakeOptions options_;
};

}  // namespace r1::voice
