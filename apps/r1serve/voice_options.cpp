#include "voice_options.h"

#include "voice/asr/pocketsphinx_recognizer.h"
#include "voice/frontend/front_end.h"
#include "voice/tts/espeak/espeak_synthesizer.h"
#include "voice/tts/flite/flite_synthesizer.h"

namespace r1::app {

void add_voice_options(CLI::App* cmd, VoiceOptions& v, bool serve) {
  if (serve) {
    cmd->add_flag("--voice", v.enabled, "serve /v1/audio/transcriptions, /v1/audio/speech, /v1/audio/voices");
    cmd->add_option("--voice-threads", v.threads, "voice threads (transcription and synthesis)")->check(CLI::Range(1, 64));
    cmd->add_option("--voice-queue", v.queue, "voice requests waiting beyond the threads before 429")->check(CLI::Range(0, 4096));
    cmd->add_option("--max-upload-mb", v.max_upload_mb, "largest audio upload (MiB; larger: 413)")->check(CLI::Range(1, 1024));
  }
  cmd->add_option("--noise-suppression", v.noise_suppression, "WebRTC NS: off, low, moderate, high, very_high");
  cmd->add_option("--high-pass", v.high_pass, "WebRTC high-pass filter (true/false)");
  cmd->add_option("--agc", v.gain_control, "WebRTC automatic gain control, digital (true/false)");
  cmd->add_option("--vad", v.vad, "segment speech with the VAD, else one utterance (true/false)");
  cmd->add_option("--vad-hangover-ms", v.vad_hangover_ms, "silence that ends a speech segment")->check(CLI::Range(10, 5000));
  cmd->add_option("--max-audio-seconds", v.max_audio_seconds, "longest audio accepted")->check(CLI::Range(1.0, 86400.0));
  cmd->add_option("--espeak", v.espeak, "offer espeak-ng's voices, run as a child process (true/false)");
}

Result<server::AudioConfig> audio_config(const VoiceOptions& v) {
  server::AudioConfig c;
  c.threads = v.threads;
  c.queue = v.queue;
  c.decode.max_input_bytes = static_cast<size_t>(v.max_upload_mb) << 20;
  c.decode.max_seconds = v.max_audio_seconds;
  R1_ASSIGN_OR_RETURN(c.transcribe.front_end.noise_suppression, voice::parse_ns_level(v.noise_suppression));
  c.transcribe.front_end.high_pass = v.high_pass;
  c.transcribe.front_end.gain_control = v.gain_control;
  c.transcribe.vad.hangover_ms = v.vad_hangover_ms;
  c.transcribe.use_vad = v.vad;
  return c;
}

Result<server::AudioModels> load_audio_models(const VoiceOptions& v, bool recognizer, bool synthesizers) {
  server::AudioModels m;
  if (recognizer) {
    R1_ASSIGN_OR_RETURN(std::unique_ptr<voice::PocketsphinxModel> ps,
                        voice::PocketsphinxModel::load(voice::default_pocketsphinx_paths()));
    m.recognizer = std::move(ps);
  }
  if (synthesizers) {
    m.synthesizers.push_back(std::make_unique<voice::FliteSynthesizer>());
    if (v.espeak) {
      auto espeak = std::make_unique<voice::EspeakSynthesizer>();
      if (!espeak->voices().empty()) m.synthesizers.push_back(std::move(espeak));  // else not installed
    }
  }
  return m;
}

Result<std::shared_ptr<server::AudioService>> make_audio_service(const VoiceOptions& v) {
  R1_ASSIGN_OR_RETURN(server::AudioConfig config, audio_config(v));
  R1_ASSIGN_OR_RETURN(server::AudioModels models, load_audio_models(v, true, true));
  R1_ASSIGN_OR_RETURN(std::unique_ptr<server::AudioService> s, server::AudioService::create(config, std::move(models)));
  return std::shared_ptr<server::AudioService>(std::move(s));
}

}  // namespace r1::app
