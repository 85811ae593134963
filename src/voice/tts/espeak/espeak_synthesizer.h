// EspeakSynthesizer: speech in many languages from espeak-ng 1.51, run as a
// CHILD PROCESS (the `espeak-ng` program), never linked: espeak-ng is GPL-3
// and r1serve is not, and a separate program that we only feed text on
// stdin and read WAV from stdout is not a derived work. (Linking
// libespeak-ng would put r1serve under the GPL.)
//
// One call runs `espeak-ng --stdout -b 1 -v VOICE -s WPM -p PITCH -a 100`
// with the text on stdin (never on the command line), parses the WAV as it
// streams (wav_stream.h; 22050 Hz mono 16-bit) and passes samples to the
// sink as they arrive. SSML is parsed here (tts/ssml.h) and rendered segment
// by segment (a child per segment, silence for breaks), exactly as flite does,
// so both backends take the same subset; espeak's own SSML parser is not
// used. Rate: 175 words per minute times rate, clamped to espeak's 80..700
// (so rates below ~0.46 are as slow as espeak goes). Pitch: espeak's 0..99,
// 50 + 6 per semitone (measured: 4.2 a semitone gave only x1.28 for +6 st),
// clamped, so espeak reaches about -8..+8 st. Volume: a gain on the
// samples, clipped. Cancel (an eventfd woken by the CancelToken) SIGKILLs
// and reaps the child at once.
//
// Voices: parsed once from `espeak-ng --voices` (language code as the
// voice name, e.g. "en-us", "cmn-latn-pinyin": Mandarin from pinyin with
// tone digits; the plain "cmn" voice in 1.51 reads tone digits aloud). If
// the program is missing: no voices, and synthesize() is kUnavailable.
//
// Thread contract: safe from several threads at once (a child per call;
// the voice list is immutable after the constructor). The sink is called on
// the calling thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "voice/tts/speech_synthesizer.h"

namespace r1::voice {

struct EspeakOptions {
  std::string program = "espeak-ng";
  std::string default_voice = "en-us";
  std::chrono::milliseconds timeout{120000};  // per child; then it is killed
};

class EspeakSynthesizer final : public SpeechSynthesizer {
 public:
  explicit EspeakSynthesizer(EspeakOptions options = {});

  std::vector<VoiceInfo> voices() const override { return voices_; }
  Status synthesize(std::string_view text, const SynthesisParams& params, const AudioSink& sink,
                    const CancelToken& cancel) override;

  // Whether the constructor found the program and its voices; the error
  // otherwise.
  const Status& availability() const { return available_; }

 private:
  EspeakOptions options_;
  std::vector<VoiceInfo> voices_;  // the default voice first
  Status available_;
};

// Parses `espeak-ng --voices` output (exposed for tests).
std::vector<VoiceInfo> parse_espeak_voices(std::string_view listing);

// "en-gb-x-rp" -> "en-GB-x-rp", "cmn-latn-pinyin" -> "cmn-Latn-pinyin".
std::string bcp47_case(std::string_view tag);

}  // namespace r1::voice
