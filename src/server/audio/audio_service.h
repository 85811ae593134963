// The OpenAI audio endpoints of `r1serve serve`: POST /v1/audio/transcriptions
// (speech to text) and POST /v1/audio/speech (text to speech), over the voice
// library. Every request runs on the service's own voice threads (a
// WorkQueue), never on the transport's I/O threads or the engine's thread,
// so a long transcription or synthesis cannot stall text generation; when
// `threads` are busy and `queue` requests already wait, a new one gets 429.
//
// Thread contract: handle() is safe from any thread and returns at once; the
// answer goes out on the channel from a voice thread. The service owns its
// models; stop() (and the destructor) cancels the running requests and
// answers the queued ones 503.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/work_queue.h"
#include "server/http_types.h"
#include "voice/asr/recognizer_pool.h"
#include "voice/asr/transcriber.h"
#include "voice/audio/decode.h"
#include "voice/tts/speech_synthesizer.h"

namespace r1::server {

struct AudioConfig {
  int threads = 1;           // voice threads
  int queue = 16;            // requests waiting beyond them; more: 429
  int warm_recognizers = 1;  // loaded at start (each ~0.3 s)
  voice::DecodeLimits decode{25u << 20, 3600.0};  // 25 MiB, 1 hour
  voice::TranscribeParams transcribe;
  size_t max_input_chars = 4096;       // /v1/audio/speech `input`
  std::string default_voice = "slt";   // when `voice` names none of ours
  int retry_after_seconds = 1;
};

// What the service runs; it takes ownership. Either may be absent: its
// endpoint then answers 404 with the reason.
struct AudioModels {
  std::unique_ptr<voice::RecognizerModel> recognizer;
  std::vector<std::unique_ptr<voice::SpeechSynthesizer>> synthesizers;
};

// A voice the speech endpoint offers: its name, language, and who speaks it.
struct OfferedVoice {
  voice::VoiceInfo info;
  voice::SpeechSynthesizer* synthesizer = nullptr;
};

class AudioService {
 public:
  static Result<std::unique_ptr<AudioService>> create(const AudioConfig& config, AudioModels models);
  ~AudioService();

  // `path` is the request's path (no query): /v1/audio/transcriptions or
  // /v1/audio/speech; anything else under /v1/audio/ is 404.
  void handle(const std::string& path, const HttpRequest& request, std::shared_ptr<ResponseChannel> channel);
  // Model ids for GET /v1/models: the recognizer's and "tts-<backend>" ids.
  std::vector<std::string> model_ids() const;
  const std::vector<OfferedVoice>& voices() const { return voices_; }
  int64_t in_flight() const { return in_flight_.load(); }
  void stop();

 private:
  AudioService(const AudioConfig& config, AudioModels models);
  void run(const std::string& path, const HttpRequest& request, const std::shared_ptr<ResponseChannel>& channel,
           const voice::CancelToken& cancel);

  const AudioConfig config_;
  AudioModels models_;
  std::unique_ptr<voice::RecognizerPool> recognizers_;
  std::vector<OfferedVoice> voices_;
  std::mutex mu_;
  std::set<std::shared_ptr<voice::CancelToken>> running_;  // cancelled by stop()
  std::atomic<int64_t> in_flight_{0};
  std::unique_ptr<WorkQueue> work_;  // last: stopped and joined first
};

}  // namespace r1::server
