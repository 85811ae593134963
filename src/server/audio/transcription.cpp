#include "server/audio/transcription.h"

#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>

#include "http/sse.h"
#include "voice/audio/multipart.h"

namespace r1::server {
namespace {

using nlohmann::json;

// OpenAI's transcription model names: a client written for OpenAI sends one
// of them and gets this server's recognizer.
constexpr const char* kOpenAiModels[] = {"whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"};

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

ApiResult<TranscriptFormat> parse_format(std::string_view f) {
  if (f.empty() || f == "json") return TranscriptFormat::kJson;
  if (f == "text") return TranscriptFormat::kText;
  if (f == "verbose_json") return TranscriptFormat::kVerboseJson;
  if (f == "srt") return TranscriptFormat::kSrt;
  if (f == "vtt") return TranscriptFormat::kVtt;
  return invalid_request("response_format", "response_format must be one of json, text, verbose_json, srt, vtt");
}

bool model_known(const std::string& model, const voice::RecognizerInfo& rec) {
  if (model == rec.id) return true;
  for (const char* m : kOpenAiModels) {
    if (model == m) return true;
  }
  return false;
}

std::string language_name(const std::string& code) { return code == "en" ? "english" : code; }

// The form's fields as given (unchecked but for the granularity names).
ApiResult<TranscriptionRequest> read_fields(const voice::MultipartForm& form, std::string* format, bool* have_file,
                                            bool* granularity_given) {
  TranscriptionRequest r;
  for (const voice::MultipartPart& p : form.parts) {
    const std::string value(p.data.substr(0, 256));
    if (p.name == "file") {
      *have_file = true;
      r.file = p.data;
      r.file_name = p.filename;
    } else if (p.name == "model") {
      r.model = value;
    } else if (p.name == "language") {
      r.language = value;
    } else if (p.name == "response_format") {
      *format = value;
    } else if (p.name == "stream") {
      r.stream = value == "true" || value == "1";
    } else if (p.name == "timestamp_granularities[]" || p.name == "timestamp_granularities") {
      if (!*granularity_given) r.segments = false;
      *granularity_given = true;
      if (value == "word") r.words = true;
      else if (value == "segment") r.segments = true;
      else return invalid_request("timestamp_granularities", "timestamp_granularities must be word or segment");
    }
  }
  return r;
}

std::optional<ApiError> check_language(const std::string& language, const voice::RecognizerInfo& rec) {
  if (language.empty()) return std::nullopt;
  for (const std::string& l : rec.languages) {
    if (l == language) return std::nullopt;
  }
  return invalid_request("language", "language '" + language.substr(0, 16) + "' is not supported by " + rec.id +
                                         " (it knows: en)", "unsupported_language");
}

// The form's text fields and its file, checked.
ApiResult<TranscriptionRequest> from_form(const voice::MultipartForm& form, const voice::RecognizerInfo& rec) {
  std::string format;
  bool have_file = false, granularity_given = false;
  ApiResult<TranscriptionRequest> read = read_fields(form, &format, &have_file, &granularity_given);
  if (!read.ok()) return read.error();
  TranscriptionRequest r = read.value();
  if (!have_file) return invalid_request("file", "A 'file' part with the audio is required");
  if (r.file.empty()) return invalid_request("file", "The audio file is empty");
  if (r.model.empty()) return invalid_request("model", "'model' is required");
  if (!model_known(r.model, rec)) {
    return ApiError{404, "invalid_request_error", "The model '" + r.model.substr(0, 64) +
                    "' does not exist; this server transcribes with '" + rec.id + "' (or whisper-1)",
                    "model", "model_not_found"};
  }
  const ApiResult<TranscriptFormat> f = parse_format(format);
  if (!f.ok()) return f.error();
  r.format = f.value();
  if (granularity_given && r.format != TranscriptFormat::kVerboseJson) {
    return invalid_request("timestamp_granularities", "timestamp_granularities needs response_format verbose_json");
  }
  if (r.stream && r.format != TranscriptFormat::kJson && r.format != TranscriptFormat::kText) {
    return invalid_request("stream", "stream=true needs response_format json or text");
  }
  if (auto e = check_language(r.language, rec)) return *e;
  return r;
}

json words_json(const voice::Transcript& t) {
  json words = json::array();
  for (const voice::TranscriptSegment& s : t.segments) {
    for (const voice::RecognizedWord& w : s.words) {
      words.push_back({{"word", w.word}, {"start", w.start_s}, {"end", w.end_s}});
    }
  }
  return words;
}

json segments_json(const voice::Transcript& t) {
  json segments = json::array();
  for (const voice::TranscriptSegment& s : t.segments) {
    const double conf = std::max(s.confidence, 1e-6);
    segments.push_back({{"id", s.id}, {"seek", 0}, {"start", s.start_s}, {"end", s.end_s},
                        {"text", s.text}, {"tokens", json::array()}, {"temperature", 0.0},
                        {"avg_logprob", std::log(conf)}, {"compression_ratio", 1.0},
                        {"no_speech_prob", 0.0}});
  }
  return segments;
}

}  // namespace

ApiResult<TranscriptionRequest> parse_transcription(const HttpRequest& request, const voice::RecognizerInfo& rec,
                                                    size_t max_file_bytes) {
  voice::MultipartLimits limits;
  limits.max_parts = 64;
  const Result<voice::MultipartForm> form = voice::parse_multipart(request.content_type, request.body, limits);
  if (!form.ok()) return invalid_request("file", "Could not read the multipart/form-data body: " + form.error().message);
  ApiResult<TranscriptionRequest> r = from_form(*form, rec);
  if (r.ok() && r.value().file.size() > max_file_bytes) {
    return ApiError{413, "invalid_request_error", "The audio file exceeds " + std::to_string(max_file_bytes) + " bytes",
                    "file", "file_too_large"};
  }
  return r;
}

HttpResponse render_transcript(const voice::Transcript& t, const TranscriptionRequest& request) {
  const json usage = {{"type", "duration"}, {"seconds", std::ceil(t.duration_s)}};
  switch (request.format) {
    case TranscriptFormat::kText: return {200, "text/plain; charset=utf-8", {}, t.text + "\n"};
    case TranscriptFormat::kSrt: return {200, "application/x-subrip", {}, voice::render_srt(t)};
    case TranscriptFormat::kVtt: return {200, "text/vtt", {}, voice::render_vtt(t)};
    case TranscriptFormat::kVerboseJson: {
      json j = {{"task", "transcribe"}, {"language", language_name(t.language)}, {"duration", t.duration_s},
                {"text", t.text}, {"usage", usage}};
      if (request.segments) j["segments"] = segments_json(t);
      if (request.words) j["words"] = words_json(t);
      return {200, "application/json", {}, dump(j)};
    }
    default: return {200, "application/json", {}, dump({{"text", t.text}, {"usage", usage}})};
  }
}

std::string render_transcript_delta(const voice::TranscriptSegment& segment, bool first) {
  const json j = {{"type", "transcript.text.delta"}, {"delta", (first ? "" : " ") + segment.text}};
  return http::sse_frame(dump(j));
}

std::string render_transcript_done(const voice::Transcript& t) {
  const json j = {{"type", "transcript.text.done"}, {"text", t.text},
                  {"usage", {{"type", "duration"}, {"seconds", std::ceil(t.duration_s)}}}};
  return http::sse_frame(dump(j));
}

}  // namespace r1::server
