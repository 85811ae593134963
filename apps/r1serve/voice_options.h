// Voice options shared by `r1serve serve --voice`, `transcribe` and `speak`,
// declared once, and what they build: the audio service of the server, the
// recognizer and the synthesizers.
//
// Thread contract: called from main()'s thread only.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "server/audio/audio_service.h"

namespace r1::app {

struct VoiceOptions {
  bool enabled = false;          // serve: --voice
  int threads = 1;               // voice threads (serve)
  int queue = 16;                // voice requests waiting beyond them (serve)
  std::string noise_suppression = "moderate";  // off|low|moderate|high|very_high
  bool high_pass = true;
  bool gain_control = false;
  int vad_hangover_ms = 300;
  bool vad = true;               // segment by the VAD (false: one utterance)
  double max_audio_seconds = 3600;
  int64_t max_upload_mb = 25;
  bool espeak = true;            // offer espeak-ng's voices (a child process) when installed
};

// `serve` adds --voice and the server-only options; transcribe/speak the rest.
void add_voice_options(CLI::App* cmd, VoiceOptions& v, bool serve);

Result<server::AudioConfig> audio_config(const VoiceOptions& v);
// The recognizer and the synthesizers the options ask for.
Result<server::AudioModels> load_audio_models(const VoiceOptions& v, bool recognizer, bool synthesizers);
Result<std::shared_ptr<server::AudioService>> make_audio_service(const VoiceOptions& v);

}  // namespace r1::app
