// FliteSynthesizer: English speech from flite 2.2, linked (flite's licence
// is BSD-like, fine for r1serve). Voices: slt (female), rms, awb, kal16
// (male, 16 kHz) and kal (male, 8 kHz diphone); audio comes at the voice's
// native rate (VoiceInfo::sample_rate), never resampled.
//
// How a call runs: the text (or SSML segments) is split into clauses
// (tts/text_split.h); a worker thread synthesizes them one by one with flite's
// streaming callback, and the calling thread feeds the sink from a
// ChunkQueue, so the first chunk comes once the first clause (at most
// `first_words` words) is analysed, ~2-20 ms. Leading silence of each
// clause is trimmed to 50 ms (flite starts every utterance with ~200 ms of
// pause). Rate is flite's duration_stretch, pitch its f0_shift, volume a
// gain on the samples (clipped), all set on the utterance, never on the
// shared voice. Cancel returns at once (the caller stops waiting; the
// worker stops at flite's next streaming callback, <= one chunk later).
//
// Thread contract: flite's voices are process-global, registered once
// (std::call_once) and then only read: every call builds its own utterance
// with its own features, so one FliteSynthesizer (or several) may
// synthesize from several threads at once; tests check that concurrent
// calls give the same samples as serial ones. The destructor waits for the
// workers of cancelled calls to wind down (one clause at most).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "voice/tts/speech_synthesizer.h"
#include "voice/tts/text_split.h"

namespace r1::voice {

struct FliteOptions {
  ClauseOptions clauses;
  int chunk_ms = 20;         // flite's streaming buffer: the chunk size
  int pad_ms = 50;           // silence kept where a clause's silence is trimmed
  double max_queued_s = 30;  // how far the worker may run ahead of the sink
};

class FliteSynthesizer final : public SpeechSynthesizer {
 public:
  explicit FliteSynthesizer(FliteOptions options = {});
  ~FliteSynthesizer() override;

  std::vector<VoiceInfo> voices() const override;
  Status synthesize(std::string_view text, const SynthesisParams& params, const AudioSink& sink,
                    const CancelToken& cancel) override;

  struct Workers;  // the count of running workers (flite_synthesizer.cpp)

 private:
  FliteOptions options_;
  std::shared_ptr<Workers> workers_;
};

}  // namespace r1::voice
