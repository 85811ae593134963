// AudioService::run: one audio request on a voice thread, from the parsed
// request to the last byte (audio_service.h).
#include <stop_token>

#include "core/clock.h"
#include "server/api/openai_render.h"
#include "server/audio/audio_service.h"
#include "server/audio/speech.h"
#include "server/audio/transcription.h"
#include "voice/audio/resample.h"

namespace r1::server {
namespace {

void send_error(ResponseChannel& channel, const ApiError& e) {
  channel.respond({e.http_status, "application/json", {}, render_error(e)});
}

ApiError from_voice_error(const Error& e, const char* param) {
  if (e.code == ErrorCode::kInvalidArgument) return invalid_request(param, e.message);
  if (e.code == ErrorCode::kOutOfRange) return invalid_request("file", e.message, "audio_too_long");
  if (e.code == ErrorCode::kCorrupt || e.code == ErrorCode::kUnsupported) {
    return invalid_request("file", "Could not decode the audio file: " + e.message, "invalid_audio");
  }
  return ApiError{500, "server_error", e.message, "", ""};
}

// Decodes the upload to 16 kHz mono.
Result<voice::Pcm16> load_audio(std::string_view file, const voice::DecodeLimits& limits) {
  R1_ASSIGN_OR_RETURN(voice::DecodedAudio decoded, voice::decode_audio(file, limits));
  return voice::to_work_format(decoded.pcm);
}

}  // namespace

struct TranscriptionRun {
  const AudioConfig& config;
  voice::RecognizerPool& pool;
  ResponseChannel& channel;
  const voice::CancelToken& cancel;

  void operator()(const HttpRequest& request) {
    ApiResult<TranscriptionRequest> parsed = parse_transcription(request, pool.info(), config.decode.max_input_bytes);
    if (!parsed.ok()) return send_error(channel, parsed.error());
    const TranscriptionRequest& req = parsed.value();
    Result<voice::Pcm16> audio = load_audio(req.file, config.decode);
    if (!audio.ok()) return send_error(channel, from_voice_error(audio.error(), "file"));
    Result<voice::RecognizerPool::Lease> lease = pool.acquire();
    if (!lease.ok()) return send_error(channel, ApiError{500, "server_error", lease.error().message, "", ""});
    voice::SpeechRecognizer& rec = **lease;
    const std::stop_callback stop_on_cancel(cancel.token(), [&rec] { rec.cancel(); });
    bool started = false;
    voice::SegmentSink sink;
    if (req.stream) {
      sink = [&](const voice::TranscriptSegment& s) {
        if (!started) channel.start_stream({200, "text/event-stream", {{"Cache-Control", "no-cache"}}, ""});
        channel.write(render_transcript_delta(s, !started));
        started = true;
      };
    }
    const Result<voice::Transcript> t = voice::transcribe(*audio, rec, config.transcribe, sink);
    if (!t.ok()) {
      if (started) return channel.end_stream();  // the client is gone or the stream broke
      return send_error(channel, from_voice_error(t.error(), "file"));
    }
    if (!req.stream) return channel.respond(render_transcript(*t, req));
    if (!started) channel.start_stream({200, "text/event-stream", {{"Cache-Control", "no-cache"}}, ""});
    channel.write(render_transcript_done(*t));
    channel.end_stream();
  }
};

struct SpeechRun {
  ResponseChannel& channel;
  const voice::CancelToken& cancel;

  // Resamples to 24 kHz and encodes as the audio comes.
  struct Pipe {
    std::optional<voice::Resampler> resampler;
    voice::StreamEncoder encoder;
    size_t samples = 0;
  };

  void emit(const SpeechRequest& req, const std::string& bytes, bool& started) {
    if (!started) {
      HttpResponse head{200, req.sse ? "text/event-stream" : voice::content_type(req.format), {}, ""};
      head.headers.emplace_back("Cache-Control", "no-cache");
      channel.start_stream(std::move(head));
      started = true;
    }
    if (bytes.empty()) return;
    channel.write(req.sse ? render_speech_delta(bytes) : bytes);
  }

  void operator()(const SpeechRequest& req) {
    Result<voice::StreamEncoder> enc = voice::StreamEncoder::create(req.format, kSpeechRate);
    if (!enc.ok()) return send_error(channel, ApiError{500, "server_error", enc.error().message, "", ""});
    Pipe pipe{std::nullopt, std::move(enc).value(), 0};
    bool started = false;
    voice::SynthesisParams params;
    params.voice = req.voice->info.name;
    params.rate = req.speed;
    params.max_text_bytes = req.input.size() + 1;  // the character limit was checked
    const voice::AudioSink sink = [&](std::span<const int16_t> in, int rate) {
      if (!pipe.resampler || pipe.resampler->in_rate() != rate) {
        Result<voice::Resampler> r = voice::Resampler::create(rate, kSpeechRate);
        if (!r.ok()) return false;
        pipe.resampler.emplace(std::move(r).value());
      }
      const std::vector<int16_t> out = pipe.resampler->feed(in);
      pipe.samples += out.size();
      emit(req, pipe.encoder.append(out), started);
      return !cancel.cancelled();
    };
    const Status s = req.voice->synthesizer->synthesize(req.input, params, sink, cancel);
    if (!s.ok() && !started) return send_error(channel, from_voice_error(s.error(), "input"));
    if (!s.ok()) return channel.end_stream();  // cancelled (client gone) or failed mid-stream
    std::string tail;
    if (pipe.resampler) {
      const std::vector<int16_t> rest = pipe.resampler->flush();
      pipe.samples += rest.size();
      tail = pipe.encoder.append(rest);
    }
    tail += pipe.encoder.finish();
    emit(req, tail, started);
    if (req.sse) channel.write(render_speech_done(req.input.size(), static_cast<double>(pipe.samples) / kSpeechRate));
    channel.end_stream();
  }
};

void AudioService::run(const std::string& path, const HttpRequest& request,
                       const std::shared_ptr<ResponseChannel>& channel, const voice::CancelToken& cancel) {
  if (path == "/v1/audio/transcriptions") {
    if (!recognizers_) {
      return send_error(*channel, {404, "invalid_request_error", "Speech recognition is not enabled on this server", "", "not_found"});
    }
    return TranscriptionRun{config_, *recognizers_, *channel, cancel}(request);
  }
  if (voices_.empty()) {
    return send_error(*channel, {404, "invalid_request_error", "Speech synthesis is not enabled on this server", "", "not_found"});
  }
  ApiResult<SpeechRequest> req = parse_speech(request, voices_, config_);
  if (!req.ok()) return send_error(*channel, req.error());
  SpeechRun{*channel, cancel}(req.value());
}

}  // namespace r1::server
