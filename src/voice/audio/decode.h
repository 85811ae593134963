// Audio decoding from memory: containers libsndfile reads (WAV, WAVEX,
// RF64, W64, AIFF, AU, CAF, FLAC, Ogg Vorbis, Ogg Opus, MP3 via mpg123) and
// headerless PCM16 little-endian, into mono Pcm16 at the source rate.
//
// Untrusted input: every failure is an Error (kInvalidArgument for bad
// caller arguments or empty input, kCorrupt for malformed data, kOutOfRange
// for a limit, kUnsupported for a container we do not open), never a crash.
// Policies:
//   - The container is sniffed from its magic bytes before libsndfile sees
//     it; the exotic formats libsndfile also parses (PAF, SD2, MAT, XI,
//     SDS, AVR, HTK, PVF, IFF, MPC, WVE, VOC, NIST) are kUnsupported: less
//     parser surface for uploads nobody sends.
//   - A WAV whose data chunk declares more bytes than the input holds is
//     kCorrupt (a truncated or lying file), except the 0xFFFFFFFF
//     "unknown length" of a streamed WAV, which decodes to the input's end.
//   - An Ogg Vorbis stream's three headers are parsed with libvorbis first
//     (vorbis_guard.h): libsndfile 1.2.0 leaks when they are broken.
//   - Samples are read as float: a NaN or Inf sample is kCorrupt; finite
//     values outside [-1, 1] are clipped.
//   - Channels are downmixed by averaging.
//   - The duration limit is checked against the header's frame count
//     before decoding, and again while reading (headers may lie).
//   - Input is read in bounded chunks; memory is bounded by the limits
//     (max_seconds * rate * 2 bytes of output), never by a header field.
//
// Thread contract: pure functions; safe from any thread. (libsndfile keeps
// the text of a failed open in a global, so under concurrent failures an
// error message may describe another thread's input; codes are exact.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "voice/audio/pcm.h"

namespace r1::voice {

struct DecodeLimits {
  size_t max_input_bytes = 25u << 20;  // 25 MiB, OpenAI's upload limit
  double max_seconds = 2 * 3600.0;     // 2 h
  int max_channels = 16;
  int min_rate = 1000;                  // Hz
  int max_rate = 384000;                // Hz
};

struct DecodedAudio {
  Pcm16 pcm;                  // mono, at source_rate
  int source_rate = 0;        // Hz
  int source_channels = 0;
  std::string container;      // "wav", "flac", "ogg", "mp3", "aiff", ... "raw"
  std::string codec;          // libsndfile's subtype name: "Signed 16 bit PCM", "Opus", ...
  double seconds = 0.0;       // decoded duration
};

// Decodes a whole file held in memory.
Result<DecodedAudio> decode_audio(std::string_view bytes, const DecodeLimits& limits = {});

struct RawPcmParams {
  int sample_rate = kWorkRate;  // Hz
  int channels = 1;             // interleaved
};

// Headerless signed 16-bit little-endian PCM. The length must be a whole
// number of frames (2 * channels bytes).
Result<DecodedAudio> decode_raw(std::string_view bytes, const RawPcmParams& params,
                                const DecodeLimits& limits = {});

}  // namespace r1::voice
