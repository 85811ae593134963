// Speech recognition behind one interface. A RecognizerModel is what is
// loaded once (acoustic model, language model, dictionary); it makes
// SpeechRecognizer instances, one per stream. The shipped backend is
// pocketsphinx 0.8 (English); a neural backend (whisper.cpp, sherpa-onnx)
// would be another RecognizerModel with the same calls: feed 16 kHz frames,
// read partials, finish with words, times and confidences.
//
// Thread contract: RecognizerModel is immutable after load and create() is
// safe from any thread. A SpeechRecognizer belongs to one stream and is used
// from one thread, except cancel(), which any thread may call at any time:
// the feed() or finish() running then, and every later one until start(),
// returns recognition_cancelled() (kUnavailable).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace r1::voice {

struct RecognizedWord {
  std::string word;
  double start_s = 0;     // from the start of the utterance
  double end_s = 0;
  double confidence = 0;  // posterior probability 0..1 (the backend's own)
};

struct Recognition {
  std::string text;  // words joined by spaces; empty when nothing was heard
  std::vector<RecognizedWord> words;
  double confidence = 0;  // of the whole hypothesis, 0..1
};

struct RecognizerInfo {
  std::string id;        // model id, as GET /v1/models lists it
  std::string backend;   // "pocketsphinx"
  std::vector<std::string> languages;  // ISO-639-1: {"en"}
  bool partials = false;
  bool word_timings = false;
};

class SpeechRecognizer {
 public:
  virtual ~SpeechRecognizer() = default;
  // Begins an utterance (ends any open one, dropping it). Clears a cancel.
  virtual Status start() = 0;
  // 16 kHz mono samples of the open utterance, any count.
  virtual Status feed(std::span<const int16_t> samples) = 0;
  // The best hypothesis so far (may change; empty before any word).
  virtual std::string partial() = 0;
  // Ends the utterance: the final words.
  virtual Result<Recognition> finish() = 0;
  virtual void cancel() = 0;
  // Forgets what it adapted to (the channel: pocketsphinx's running cepstral
  // mean), so that the next utterance decodes as on a fresh instance. The
  // utterances of one stream share the adaptation; a new stream resets.
  virtual void reset() = 0;
};

class RecognizerModel {
 public:
  virtual ~RecognizerModel() = default;
  virtual const RecognizerInfo& info() const = 0;
  virtual Result<std::unique_ptr<SpeechRecognizer>> create() const = 0;
};

inline Error recognition_cancelled() { return make_error(ErrorCode::kUnavailable, "recognition cancelled"); }
inline bool is_recognition_cancelled(const Error& e) {
  return e.code == ErrorCode::kUnavailable && e.message == "recognition cancelled";
}

}  // namespace r1::voice
