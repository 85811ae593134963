// voice_bench's corpus: the sentences, their speech by every TTS voice
// (synthesized once, kept at 16 kHz), the TTS timings taken while
// synthesizing (time to the first sink callback, synthesis RTF), and the
// noise the conditions mix in (white, babble) at a stated SNR.
//
// SNR is the power of the synthesized utterance (as the TTS gives it,
// before the bench's silence padding) over the noise's power; the noise
// covers the padding too. Every random draw has a fixed seed.
//
// Thread contract: single-threaded (the bench runs on one thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "voice/audio/pcm.h"

namespace r1::voice_bench {

using Clock = std::chrono::steady_clock;
// Milliseconds since t0 (every timing of the bench).
inline double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

using r1::voice::Pcm16;

struct Utterance {
  int sentence = 0;    // index into Corpus::sentences
  int voice = 0;       // index into Corpus::voices
  Pcm16 audio;         // 16 kHz mono, as synthesized
  double speech_end_s = 0;  // end of the last frame above -50 dBFS
};

// One synthesize() call's timing.
struct TtsSample {
  int round = 0;
  double first_chunk_ms = 0;  // call -> first sink callback
  double total_ms = 0;        // call -> return
  double audio_s = 0;         // at the voice's native rate
};

struct Corpus {
  std::vector<std::string> sentences;
  std::vector<std::string> voices;         // "slt", ..., "en-us" (espeak-ng)
  std::vector<Utterance> utterances;       // sentence-major: [s * voices + v]
  std::map<std::string, std::vector<TtsSample>> tts;  // by voice

  const Utterance& at(int sentence, int voice) const {
    return utterances[static_cast<size_t>(sentence) * voices.size() + static_cast<size_t>(voice)];
  }
};

// One line a sentence; blank lines and '#' comments skipped.
std::vector<std::string> load_sentences(const std::string& path);

inline bool is_espeak_voice(const std::string& v) { return v == "en-us" || v.rfind("en-", 0) == 0; }

// Synthesizes every sentence with every voice, in `rounds` rounds (round r
// takes the sentences with index % rounds == r, voices alternating within
// it), recording the TTS timing of each call. Exits on a synthesis error.
Corpus build_corpus(std::vector<std::string> sentences, std::vector<std::string> voices, int rounds);

enum class NoiseKind { kNone, kWhite, kBabble };
const char* noise_name(NoiseKind kind);

struct Mix {
  NoiseKind noise = NoiseKind::kNone;
  double snr_db = 0;
  double lead_s = 0.3;  // padding before the speech
  double tail_s = 0.3;  // and after it
};

// The utterance padded with silence and with the noise mixed in (clipped
// to int16). Seeds derive from the utterance and the mix.
Pcm16 mix_utterance(const Corpus& corpus, const Utterance& u, const Mix& mix);

// Mean power of int16 samples (0 for none).
double mean_power(const std::vector<int16_t>& samples);

}  // namespace r1::voice_bench
