#include "cmd_voice.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "common.h"
#include "server/audio/speech.h"
#include "server/audio/transcription.h"
#include "voice/audio/decode.h"
#include "voice/audio/encode.h"
#include "voice/audio/resample.h"

namespace r1::app {
namespace {

Result<std::string> read_all(const std::string& path) {
  if (path == "-") return std::string(std::istreambuf_iterator<char>(std::cin), {});
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<server::TranscriptFormat> transcript_format(const std::string& f) {
  if (f == "json") return server::TranscriptFormat::kJson;
  if (f == "text") return server::TranscriptFormat::kText;
  if (f == "verbose_json") return server::TranscriptFormat::kVerboseJson;
  if (f == "srt") return server::TranscriptFormat::kSrt;
  if (f == "vtt") return server::TranscriptFormat::kVtt;
  return make_error(ErrorCode::kInvalidArgument, "--format must be json, text, verbose_json, srt or vtt");
}

Result<std::string> transcribe_file(const std::string& path, const server::AudioConfig& config,
                                    voice::SpeechRecognizer& rec, const server::TranscriptionRequest& req) {
  R1_ASSIGN_OR_RETURN(std::string bytes, read_all(path));
  R1_ASSIGN_OR_RETURN(voice::DecodedAudio decoded, voice::decode_audio(bytes, config.decode));
  R1_ASSIGN_OR_RETURN(voice::Pcm16 audio, voice::to_work_format(decoded.pcm));
  R1_ASSIGN_OR_RETURN(voice::Transcript t, voice::transcribe(audio, rec, config.transcribe));
  return server::render_transcript(t, req).body;
}

std::string format_from_path(const std::string& path) {
  const size_t dot = path.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : path.substr(dot + 1);
  if (ext == "ogg" || ext == "opus") return "opus";
  if (ext == "raw" || ext == "pcm") return "pcm";
  if (ext == "flac" || ext == "mp3") return ext;
  return "wav";
}

int list_voices(const std::vector<server::OfferedVoice>& voices) {
  std::printf("%-24s %-18s %-8s %-10s %s\n", "NAME", "LANGUAGE", "GENDER", "BACKEND", "RATE");
  for (const server::OfferedVoice& v : voices) {
    std::printf("%-24s %-18s %-8s %-10s %d\n", v.info.name.c_str(), v.info.language.c_str(), v.info.gender.c_str(),
                v.info.backend.c_str(), v.info.sample_rate);
  }
  return kExitOk;
}

Status write_output(const std::string& path, const std::string& bytes) {
  if (path == "-") {
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) return make_error(ErrorCode::kIo, "write to stdout failed");
    return {};
  }
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) return make_error(ErrorCode::kIo, "cannot write " + path);
  return {};
}

}  // namespace

CLI::App* add_transcribe_command(CLI::App& app, TranscribeConfig& c) {
  CLI::App* cmd = app.add_subcommand("transcribe", "speech to text (WAV, FLAC, Ogg, MP3, ...; English)");
  cmd->add_option("files", c.files, "audio files ('-': stdin)")->required();
  cmd->add_option("--format", c.format, "json, text, verbose_json, srt, vtt");
  cmd->add_option("--language", c.language, "ISO-639-1 language of the speech (pocketsphinx: en only)");
  add_voice_options(cmd, c.voice, false);
  return cmd;
}

int transcribe_command(const TranscribeConfig& c) {
  Result<server::TranscriptFormat> format = transcript_format(c.format);
  if (!format.ok()) return report(format.error());
  Result<server::AudioConfig> config = audio_config(c.voice);
  if (!config.ok()) return report(config.error());
  Result<server::AudioModels> models = load_audio_models(c.voice, true, false);
  if (!models.ok()) return report(models.error());
  const voice::RecognizerInfo& info = models->recognizer->info();
  if (std::find(info.languages.begin(), info.languages.end(), c.language) == info.languages.end()) {
    return report(make_error(ErrorCode::kInvalidArgument, "language '" + c.language + "' is not supported by " + info.id + " (en only)"));
  }
  print_config();
  Result<std::unique_ptr<voice::SpeechRecognizer>> rec = models->recognizer->create();
  if (!rec.ok()) return report(rec.error());
  server::TranscriptionRequest req;
  req.format = *format;
  req.words = true;
  int status = kExitOk;
  for (const std::string& path : c.files) {
    (*rec)->reset();  // each file as on a fresh recognizer
    Result<std::string> out = transcribe_file(path, *config, **rec, req);
    if (!out.ok()) {
      std::fprintf(stderr, "error: %s: %s\n", path.c_str(), out.error().to_string().c_str());
      status = kExitError;
      continue;
    }
    if (c.files.size() > 1) std::printf("==> %s <==\n", path.c_str());
    std::fwrite(out->data(), 1, out->size(), stdout);
    if (!out->empty() && out->back() != '\n') std::fputc('\n', stdout);
  }
  return status;
}

CLI::App* add_speak_command(CLI::App& app, SpeakConfig& c) {
  CLI::App* cmd = app.add_subcommand("speak", "text to speech into an audio file");
  cmd->add_option("text", c.text, "what to say ('-': stdin)");
  cmd->add_option("-o,--output", c.output, "output file ('-': stdout)");
  cmd->add_option("--format", c.format, "wav, pcm, flac, opus, mp3 (default: from the file's extension)");
  cmd->add_option("--voice", c.voice, "voice name (--list-voices) or an OpenAI voice name");
  cmd->add_option("--speed", c.speed, "speaking rate 0.25..4")->check(CLI::Range(0.25, 4.0));
  cmd->add_option("--pitch", c.pitch, "pitch shift in semitones -12..12")->check(CLI::Range(-12.0, 12.0));
  cmd->add_option("--volume", c.volume, "gain 0..4")->check(CLI::Range(0.0, 4.0));
  cmd->add_flag("--ssml", c.ssml, "the text is SSML (<speak>, <break>, <prosody>)");
  cmd->add_flag("--list-voices", c.list_voices, "print the voices (name, language, backend) and exit");
  cmd->add_option("--espeak", c.options.espeak, "offer espeak-ng's voices, run as a child process (true/false)");
  return cmd;
}

int speak_command(const SpeakConfig& c) {
  Result<server::AudioModels> models = load_audio_models(c.options, false, true);
  if (!models.ok()) return report(models.error());
  std::vector<server::OfferedVoice> voices;
  for (const auto& synth : models->synthesizers) {
    for (voice::VoiceInfo& v : synth->voices()) voices.push_back({std::move(v), synth.get()});
  }
  if (c.list_voices) return list_voices(voices);
  const server::OfferedVoice* v = server::find_voice(voices, c.voice);
  if (v == nullptr) return report(make_error(ErrorCode::kInvalidArgument, "unknown voice '" + c.voice + "' (see --list-voices)"));
  Result<voice::AudioFormat> format = voice::parse_audio_format(c.format.empty() ? format_from_path(c.output) : c.format);
  if (!format.ok()) return report(format.error());
  Result<std::string> text = c.text == "-" || c.text.empty() ? read_all("-") : Result<std::string>(c.text);
  if (!text.ok()) return report(text.error());
  print_config();
  voice::SynthesisParams params;
  params.voice = v->info.name;
  params.rate = c.speed;
  params.pitch = c.pitch;
  params.volume = c.volume;
  params.ssml = c.ssml;
  Result<voice::Pcm16> pcm = voice::synthesize_all(*v->synthesizer, *text, params);
  if (!pcm.ok()) return report(pcm.error());
  Result<std::string> bytes = voice::encode(*pcm, *format);
  if (!bytes.ok()) return report(bytes.error());
  if (Status s = write_output(c.output, *bytes); !s.ok()) return report(s.error());
  if (c.output != "-") {
    std::fprintf(stderr, "speak: %.2f s of %s (%s, %d Hz) -> %s\n", pcm->seconds(), v->info.name.c_str(),
                 voice::audio_format_name(*format), pcm->sample_rate, c.output.c_str());
  }
  return kExitOk;
}

}  // namespace r1::app
