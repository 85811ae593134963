// RecognizerModel over pocketsphinx 0.8 (Debian's libpocketsphinx3 and the
// pocketsphinx-en-us model): a continuous-speech HMM decoder with an n-gram
// language model, English only.
//
// What it can and cannot do (measured: docs/benchmarks/voice.md):
//   - clean, clearly spoken English (flite's voices): a few % WER;
//   - noise: WER climbs fast below ~20 dB SNR; the WebRTC NS front end
//     recovers part of it at 20 dB and little at 10 dB;
//   - accents and unusual voices (espeak-ng's formant voices) do badly;
//   - no Chinese or other languages (no such models exist offline here);
//   - no punctuation or casing: words come lower-case.
// Each instance loads its own decoder (~0.3 s, ~30 MB): the server keeps a
// pool (RecognizerPool) instead of loading one per request.
//
// Thread contract: as RecognizerModel / SpeechRecognizer.
#pragma once

#include <memory>
#include <string>

#include "voice/asr/speech_recognizer.h"

namespace r1::voice {

struct PocketsphinxPaths {
  std::string hmm;   // acoustic model directory
  std::string lm;    // language model (.lm.bin)
  std::string dict;  // pronunciation dictionary
};

// Debian's pocketsphinx-en-us under /usr/share/pocketsphinx/model/en-us, or
// R1_POCKETSPHINX_MODEL's directory with the same layout.
PocketsphinxPaths default_pocketsphinx_paths();

class PocketsphinxModel final : public RecognizerModel {
 public:
  // Checks the files and loads one decoder to prove they are usable.
  static Result<std::unique_ptr<PocketsphinxModel>> load(const PocketsphinxPaths& paths);

  const RecognizerInfo& info() const override { return info_; }
  Result<std::unique_ptr<SpeechRecognizer>> create() const override;

 private:
  explicit PocketsphinxModel(PocketsphinxPaths paths);
  const PocketsphinxPaths paths_;
  RecognizerInfo info_;
};

}  // namespace r1::voice
