// Audio encoding for output: WAV, raw PCM, FLAC, Opus in Ogg and MP3, one
// shot (encode) or streamed (StreamEncoder), all mono PCM16 in.
//
// What truly streams (StreamEncoder hands out bytes as they are ready):
//   - pcm:  every append() returns its samples as s16le at once.
//   - wav:  the first append() returns a 44-byte header whose RIFF and data
//           sizes are 0xFFFFFFFF ("unknown length", as OpenAI's streamed
//           wav), then PCM at once. Otherwise the header is byte for byte
//           the one libsndfile writes for a file.
//   - opus: Ogg pages as they complete (libsndfile, no seeks); a page holds
//           at most ogg_page_latency_ms of audio, so bytes lag the input
//           by about that much. finish() flushes the last page.
//   - flac: frames as libFLAC completes them (4096-sample blocks). At close
//           libsndfile seeks back to fix STREAMINFO (total samples, MD5,
//           frame sizes); those patches fall on bytes already sent and are
//           dropped, leaving the values FLAC defines as "unknown" (0).
//   - mp3:  does NOT stream: buffered until finish(). libsndfile always
//           has LAME write a placeholder Xing/Info frame first and fill it
//           in at close (it disables that only for pipes, and virtual I/O
//           is never a pipe); mpg123 trusts the placeholder and decodes a
//           quarter of the audio, so the file is handed out whole.
// encode() keeps the whole file, so every header is exact.
// Opus takes only 8/12/16/24/48 kHz and MP3 only the MPEG rates: other
// input rates are resampled (libsamplerate) to the next supported rate up.
//
// Thread contract: encode() and the format helpers are pure and safe from
// any thread; a StreamEncoder belongs to one stream, used from one thread
// at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "voice/audio/pcm.h"
#include "voice/audio/resample.h"
#include "voice/audio/sndfile_io.h"

namespace r1::voice {

enum class AudioFormat { kWav, kPcm, kFlac, kOpus, kMp3 };

// "wav" | "pcm" | "flac" | "opus" | "mp3"; anything else is
// kInvalidArgument naming the supported ones.
Result<AudioFormat> parse_audio_format(std::string_view name);
const char* audio_format_name(AudioFormat format);
// audio/wav, audio/pcm, audio/flac, audio/ogg, audio/mpeg.
const char* content_type(AudioFormat format);
// The rate the encoded stream has for input at `rate` (see above).
int encoded_rate(AudioFormat format, int rate);

// The whole file. kInvalidArgument for a rate outside [1000, 384000] Hz.
Result<std::string> encode(const Pcm16& pcm, AudioFormat format);

struct StreamEncoderOptions {
  int ogg_page_latency_ms = 100;  // opus: the most audio one Ogg page holds
};

class StreamEncoder {
 public:
  static Result<StreamEncoder> create(AudioFormat format, int sample_rate,
                                      const StreamEncoderOptions& options = {});

  AudioFormat format() const { return format_; }
  int output_rate() const { return out_rate_; }

  // Encodes samples; returns the bytes ready now (possibly none).
  std::string append(std::span<const int16_t> samples);
  // Ends the stream: the remaining bytes. Later calls return nothing.
  std::string finish();

 private:
  StreamEncoder() = default;
  std::string write_samples(std::span<const int16_t> samples);

  AudioFormat format_ = AudioFormat::kPcm;
  int out_rate_ = 0;
  bool started_ = false;
  bool finished_ = false;
  std::optional<Resampler> resampler_;
  std::optional<SndfileWriter> writer_;  // flac, opus, mp3
};

// The 44-byte canonical WAV header for mono PCM16; data_bytes 0xFFFFFFFF
// gives the streamed "unknown length" form.
std::string wav_header(int sample_rate, uint32_t data_bytes);

}  // namespace r1::voice
