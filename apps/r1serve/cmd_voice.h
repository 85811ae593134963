// `r1serve transcribe FILE...` (speech to text, as POST /v1/audio/
// transcriptions answers it) and `r1serve speak "text" -o out.wav` (text to
// speech). Both run the voice library in-process; no server is needed.
//
// Thread contract: called from main()'s thread only.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "voice_options.h"

namespace r1::app {

struct TranscribeConfig {
  std::vector<std::string> files;
  std::string format = "text";  // json | text | verbose_json | srt | vtt
  std::string language = "en";
  VoiceOptions voice;
};

struct SpeakConfig {
  std::string text;       // "-": read stdin
  std::string output = "out.wav";  // "-": stdout
  std::string format;     // "" : from the output's extension (wav if none)
  std::string voice = "slt";
  double speed = 1.0;
  double pitch = 0.0;     // semitones
  double volume = 1.0;
  bool ssml = false;
  bool list_voices = false;
  VoiceOptions options;
};

CLI::App* add_transcribe_command(CLI::App& app, TranscribeConfig& c);
int transcribe_command(const TranscribeConfig& c);
CLI::App* add_speak_command(CLI::App& app, SpeakConfig& c);
int speak_command(const SpeakConfig& c);

}  // namespace r1::app
