#include "server/audio/speech.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "core/base64.h"
#include "http/sse.h"

namespace r1::server {
namespace {

using nlohmann::json;

constexpr const char* kModels[] = {"tts-1", "tts-1-hd", "gpt-4o-mini-tts", "tts-flite", "tts-espeak-ng"};

// OpenAI's voice names -> flite voices (female: slt; male: rms, awb, kal16).
struct VoiceAlias {
  const char* openai;
  const char* ours;
};
constexpr VoiceAlias kOpenAiVoices[] = {
    {"alloy", "slt"}, {"ash", "rms"},    {"ballad", "awb"}, {"coral", "slt"},   {"echo", "rms"},
    {"fable", "awb"}, {"onyx", "kal16"}, {"nova", "slt"},   {"sage", "kal16"}, {"shimmer", "slt"},
    {"verse", "awb"}};

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

size_t utf8_chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The optional fields: response_format, speed, stream_format.
std::optional<ApiError> read_options(const json& j, SpeechRequest& r) {
  if (j.contains("response_format")) {
    if (!j["response_format"].is_string()) return invalid_request("response_format", "'response_format' must be a string");
    const Result<voice::AudioFormat> f = voice::parse_audio_format(j["response_format"].get<std::string>());
    if (!f.ok()) return invalid_request("response_format", f.error().message);
    r.format = *f;
  }
  if (j.contains("speed")) {
    if (!j["speed"].is_number()) return invalid_request("speed", "'speed' must be a number");
    r.speed = j["speed"].get<double>();
    if (!(r.speed >= 0.25 && r.speed <= 4.0)) return invalid_request("speed", "'speed' must be between 0.25 and 4.0");
  }
  if (j.contains("stream_format")) {
    const json& s = j["stream_format"];
    if (!s.is_string() || (s != "audio" && s != "sse")) {
      return invalid_request("stream_format", "'stream_format' must be audio or sse");
    }
    r.sse = s == "sse";
  }
  return std::nullopt;
}

ApiResult<SpeechRequest> from_json(const json& j, const std::vector<OfferedVoice>& voices, const AudioConfig& config) {
  SpeechRequest r;
  if (!j.contains("model") || !j["model"].is_string()) return invalid_request("model", "'model' is required");
  r.model = j["model"].get<std::string>();
  bool known = false;
  for (const char* m : kModels) known = known || r.model == m;
  if (!known) {
    return ApiError{404, "invalid_request_error", "The model '" + r.model.substr(0, 64) +
                    "' does not exist; use tts-1, tts-flite or tts-espeak-ng", "model", "model_not_found"};
  }
  if (!j.contains("input") || !j["input"].is_string()) return invalid_request("input", "'input' is required");
  r.input = j["input"].get<std::string>();
  if (r.input.find_first_not_of(" \t\r\n") == std::string::npos) return invalid_request("input", "'input' is empty");
  if (utf8_chars(r.input) > config.max_input_chars) {
    return invalid_request("input", "'input' is longer than " + std::to_string(config.max_input_chars) + " characters");
  }
  if (!j.contains("voice") || !j["voice"].is_string()) return invalid_request("voice", "'voice' is required");
  const std::string name = j["voice"].get<std::string>();
  r.voice = find_voice(voices, name);
  if (r.voice == nullptr) return invalid_request("voice", "Unknown voice '" + name.substr(0, 64) + "'; GET /v1/audio/voices lists them");
  if (auto e = read_options(j, r)) return *e;
  return r;
}

}  // namespace

const OfferedVoice* find_voice(const std::vector<OfferedVoice>& voices, const std::string& name) {
  for (const OfferedVoice& v : voices) {
    if (v.info.name == name) return &v;
  }
  for (const VoiceAlias& a : kOpenAiVoices) {
    if (name == a.openai) return find_voice(voices, a.ours);
  }
  return nullptr;
}

ApiResult<SpeechRequest> parse_speech(const HttpRequest& request, const std::vector<OfferedVoice>& voices,
                                      const AudioConfig& config) {
  if (json_too_deep(request.body, kMaxJsonDepth)) return invalid_request("", "The JSON body is nested too deeply");
  json j = json::parse(request.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid_request("", "The body must be a JSON object");
  return from_json(j, voices, config);
}

std::string render_speech_delta(const std::string& encoded) {
  return http::sse_frame(dump({{"type", "speech.audio.delta"}, {"audio", base64_encode(encoded)}}));
}

std::string render_speech_done(size_t input_chars, double seconds) {
  // OpenAI counts TTS usage in its own model's tokens, which this server
  // does not have: it reports what it can measure, the input characters
  // and the audio's length.
  const json usage = {{"input_characters", input_chars}, {"audio_seconds", seconds}};
  return http::sse_frame(dump({{"type", "speech.audio.done"}, {"usage", usage}}));
}

}  // namespace r1::server
