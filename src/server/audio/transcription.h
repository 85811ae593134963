// POST /v1/audio/transcriptions: the multipart request (OpenAI's fields),
// and the answer in each response_format. The request is parsed and
// checked on a voice thread (audio_service.h) before anything is decoded.
//
//   file                       required: WAV, FLAC, Ogg (Vorbis/Opus), MP3, ...
//   model                      required: the recognizer's id or an OpenAI
//                              transcription model name (whisper-1, ...)
//   language                   ISO-639-1; only what the recognizer knows ("en")
//   response_format            json (default) | text | verbose_json | srt | vtt
//   timestamp_granularities[]  word and/or segment (verbose_json only)
//   stream                     "true": SSE transcript.text.delta / .done
//   prompt, temperature        accepted, not used (pocketsphinx has neither)
//
// Thread contract: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "server/api/openai_types.h"
#include "server/http_types.h"
#include "voice/asr/speech_recognizer.h"
#include "voice/asr/transcriber.h"

namespace r1::server {

enum class TranscriptFormat { kJson, kText, kVerboseJson, kSrt, kVtt };

struct TranscriptionRequest {
  std::string model;
  std::string language;  // "" = the recognizer's
  TranscriptFormat format = TranscriptFormat::kJson;
  bool words = false;     // timestamp_granularities[] has "word"
  bool segments = true;   // ... "segment" (the default when none is given)
  bool stream = false;
  std::string file_name;
  std::string_view file;  // into the request body: lives as long as it
};

ApiResult<TranscriptionRequest> parse_transcription(const HttpRequest& request,
                                                    const voice::RecognizerInfo& recognizer,
                                                    size_t max_file_bytes);

// The whole answer: body and content type.
HttpResponse render_transcript(const voice::Transcript& transcript, const TranscriptionRequest& request);
// stream=true: one transcript.text.delta event per final segment, then done.
std::string render_transcript_delta(const voice::TranscriptSegment& segment, bool first);
std::string render_transcript_done(const voice::Transcript& transcript);

}  // namespace r1::server
