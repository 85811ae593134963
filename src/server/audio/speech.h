// POST /v1/audio/speech: the JSON request (OpenAI's fields) and the
// streamed answer.
//
//   model            required: tts-1, tts-1-hd, gpt-4o-mini-tts or one of
//                    ours (tts-flite, tts-espeak-ng)
//   input            required, at most max_input_chars characters
//   voice            required: one of ours (slt, kal16, rms, awb, kal,
//                    cmn-latn-pinyin, any espeak-ng voice) or an OpenAI name,
//                    mapped to a flite voice (kOpenAiVoices)
//   response_format  mp3 (default, as OpenAI) | wav | pcm | flac | opus
//   speed            0.25..4 (default 1)
//   stream_format    audio (default): the encoded bytes, chunked as they
//                    are made | sse: speech.audio.delta events (base64) then
//                    speech.audio.done
//   instructions     accepted, not used
//
// Audio comes out at 24 kHz mono whatever the voice's rate (OpenAI's rate:
// clients assume it for pcm).
//
// Thread contract: pure functions.
#pragma once

#include <string>
#include <vector>

#include "server/api/openai_types.h"
#include "server/audio/audio_service.h"
#include "server/http_types.h"
#include "voice/audio/encode.h"

namespace r1::server {

inline constexpr int kSpeechRate = 24000;

struct SpeechRequest {
  std::string model;
  std::string input;
  const OfferedVoice* voice = nullptr;
  voice::AudioFormat format = voice::AudioFormat::kMp3;
  double speed = 1.0;
  bool sse = false;
};

ApiResult<SpeechRequest> parse_speech(const HttpRequest& request, const std::vector<OfferedVoice>& voices,
                                      const AudioConfig& config);

// The voice a name means: ours by name, an OpenAI name by the table, else
// nullptr.
const OfferedVoice* find_voice(const std::vector<OfferedVoice>& voices, const std::string& name);

std::string render_speech_delta(const std::string& encoded);
std::string render_speech_done(size_t input_chars, double seconds);

}  // namespace r1::server
