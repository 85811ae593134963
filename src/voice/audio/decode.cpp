// Decoding: libsndfile over a read-only memory view (sf_open_virtual),
// bounded chunked reads, downmix to mono PCM16. See decode.h for policies.
#include "voice/audio/decode.h"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "voice/audio/sndfile_io.h"
#include "voice/audio/vorbis_guard.h"

namespace r1::voice {
namespace {

constexpr sf_count_t kChunkFrames = 4096;
constexpr size_t kMaxReserveSamples = size_t{1} << 22;  // 8 MiB of output up front

std::string fmt_num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

bool starts_with(std::string_view b, std::string_view magic, size_t at = 0) {
  return b.size() >= at + magic.size() && b.substr(at, magic.size()) == magic;
}

// The containers we let libsndfile parse, by magic bytes.
std::optional<std::string> sniff_container(std::string_view b) {
  if ((starts_with(b, "RIFF") || starts_with(b, "RIFX")) && starts_with(b, "WAVE", 8)) return "wav";
  if (starts_with(b, "RF64")) return "rf64";
  if (starts_with(b, "riff") && b.size() >= 16) return "w64";
  if (starts_with(b, "FORM") && (starts_with(b, "AIFF", 8) || starts_with(b, "AIFC", 8))) return "aiff";
  if (starts_with(b, ".snd") || starts_with(b, "dns.")) return "au";
  if (starts_with(b, "caff")) return "caf";
  if (starts_with(b, "fLaC")) return "flac";
  if (starts_with(b, "OggS")) return "ogg";
  if (starts_with(b, "ID3")) return "mp3";
  const auto u0 = b.size() >= 2 ? static_cast<uint8_t>(b[0]) : 0;
  const auto u1 = b.size() >= 2 ? static_cast<uint8_t>(b[1]) : 0;
  if (u0 == 0xFF && (u1 & 0xE0) == 0xE0) return "mp3";
  return std::nullopt;
}

// libsndfile's major format, as our short name; nullopt for ones we refuse.
std::optional<std::string> container_name(int format) {
  switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV: case SF_FORMAT_WAVEX: return "wav";
    case SF_FORMAT_RF64: return "rf64";
    case SF_FORMAT_W64: return "w64";
    case SF_FORMAT_AIFF: return "aiff";
    case SF_FORMAT_AU: return "au";
    case SF_FORMAT_CAF: return "caf";
    case SF_FORMAT_FLAC: return "flac";
    case SF_FORMAT_OGG: return "ogg";
    case SF_FORMAT_MPEG: return "mp3";
    default: return std::nullopt;
  }
}

uint32_t read_u32(std::string_view b, size_t at, bool big_endian) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const uint32_t byte = static_cast<uint8_t>(b[at + (big_endian ? i : 3 - i)]);
    v = (v << 8) | byte;
  }
  return v;
}

// A RIFF/RIFX data chunk that declares more bytes than follow is a
// truncated or lying file (libsndfile would quietly clamp it).
Status check_wav_data_size(std::string_view b) {
  const bool be = starts_with(b, "RIFX");
  size_t at = 12;
  while (at + 8 <= b.size()) {
    const uint32_t size = read_u32(b, at + 4, be);
    if (b.substr(at, 4) == "data") {
      const uint64_t end = uint64_t{at} + 8 + size;
      if (size != 0xFFFFFFFFu && end > b.size()) {
        return make_error(ErrorCode::kCorrupt,
                          "WAV data chunk declares " + std::to_string(size) + " bytes but only " +
                              std::to_string(b.size() - at - 8) + " follow (truncated or lying header)");
      }
      return {};
    }
    at += size_t{8} + size + (size & 1);
  }
  return {};
}

Status check_input(std::string_view bytes, const DecodeLimits& limits) {
  if (bytes.empty()) return make_error(ErrorCode::kInvalidArgument, "audio input is empty");
  if (bytes.size() > limits.max_input_bytes) {
    return make_error(ErrorCode::kOutOfRange, "audio input is " + std::to_string(bytes.size()) +
                                                  " bytes; the limit is " +
                                                  std::to_string(limits.max_input_bytes));
  }
  return {};
}

Status check_shape(int rate, int channels, const DecodeLimits& limits, ErrorCode zero_code) {
  if (channels <= 0) return make_error(zero_code, "audio declares " + std::to_string(channels) + " channels");
  if (channels > limits.max_channels) {
    return make_error(ErrorCode::kOutOfRange, "audio has " + std::to_string(channels) +
                                                  " channels; the limit is " +
                                                  std::to_string(limits.max_channels));
  }
  if (rate <= 0) return make_error(zero_code, "audio declares a sample rate of " + std::to_string(rate) + " Hz");
  if (rate < limits.min_rate || rate > limits.max_rate) {
    return make_error(ErrorCode::kOutOfRange,
                      "sample rate " + std::to_string(rate) + " Hz is outside [" +
                          std::to_string(limits.min_rate) + ", " + std::to_string(limits.max_rate) + "] Hz");
  }
  return {};
}

Status check_duration(double frames, int rate, const DecodeLimits& limits, const char* what) {
  const double seconds = frames / rate;
  if (seconds > limits.max_seconds) {
    return make_error(ErrorCode::kOutOfRange, std::string("audio ") + what + " " + fmt_num(seconds) +
                                                  " s long; the limit is " + fmt_num(limits.max_seconds) + " s");
  }
  return {};
}

// max_seconds * rate as a frame count, saturated (the limit may be huge or
// infinite; a float to integer cast out of range is UB).
sf_count_t frame_limit(double max_seconds, int rate) {
  const double frames = max_seconds * rate;
  if (!(frames >= 0.0)) return 0;
  return frames >= 9.0e18 ? SF_COUNT_MAX : static_cast<sf_count_t>(frames);
}

int16_t to_int16(float x) {
  const float scaled = std::nearbyint(std::clamp(x, -1.0f, 1.0f) * 32768.0f);
  return static_cast<int16_t>(std::clamp(scaled, -32768.0f, 32767.0f));
}

struct ReadState {
  SNDFILE* file;
  int channels;
  int rate;
  double max_seconds;
};

// Reads every frame in bounded chunks, downmixing into out.
Status read_frames(const ReadState& st, std::vector<int16_t>& out) {
  std::vector<float> chunk(static_cast<size_t>(kChunkFrames) * st.channels);
  const sf_count_t max_frames = frame_limit(st.max_seconds, st.rate);
  sf_count_t total = 0;
  for (;;) {
    const sf_count_t got = sf_readf_float(st.file, chunk.data(), kChunkFrames);
    if (got <= 0) break;
    total += got;
    if (total > max_frames) {
      return check_duration(static_cast<double>(total), st.rate, {.max_seconds = st.max_seconds},
                            "is at least (more than its header says)");
    }
    for (sf_count_t f = 0; f < got; ++f) {
      const float* frame = chunk.data() + f * st.channels;
      float sum = 0.0f;
      for (int c = 0; c < st.channels; ++c) sum += frame[c];
      if (!std::isfinite(sum)) {
        return make_error(ErrorCode::kCorrupt, "non-finite sample (NaN or Inf) at frame " +
                                                   std::to_string(total - got + f));
      }
      out.push_back(to_int16(sum / st.channels));
    }
  }
  if (sf_error(st.file) != SF_ERR_NO_ERROR) {
    return make_error(ErrorCode::kCorrupt, std::string("audio data is corrupt: ") + sf_strerror(st.file));
  }
  return {};
}

std::string codec_name(int format) {
  SF_FORMAT_INFO info{};
  info.format = format & SF_FORMAT_SUBMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &info, sizeof info) != 0 || info.name == nullptr) return "unknown";
  return info.name;
}

}  // namespace

Result<DecodedAudio> decode_audio(std::string_view bytes, const DecodeLimits& limits) {
  R1_RETURN_IF_ERROR(check_input(bytes, limits));
  const std::optional<std::string> sniffed = sniff_container(bytes);
  if (!sniffed) {
    return make_error(ErrorCode::kUnsupported,
                      "unrecognized audio container (supported: wav, flac, ogg vorbis/opus, mp3, aiff, au, caf, "
                      "w64, rf64)");
  }
  if (*sniffed == "wav") R1_RETURN_IF_ERROR(check_wav_data_size(bytes));
  if (*sniffed == "ogg") R1_RETURN_IF_ERROR(check_ogg_vorbis_headers(bytes));
  R1_ASSIGN_OR_RETURN(SndfileReader reader, SndfileReader::open(bytes));
  const SF_INFO& info = reader.info();
  const std::optional<std::string> container = container_name(info.format);
  if (!container) return make_error(ErrorCode::kUnsupported, "audio container is not one r1serve decodes");
  R1_RETURN_IF_ERROR(check_shape(info.samplerate, info.channels, limits, ErrorCode::kCorrupt));
  const bool known_length = info.frames > 0 && info.frames != SF_COUNT_MAX;
  if (known_length) R1_RETURN_IF_ERROR(check_duration(static_cast<double>(info.frames), info.samplerate, limits, "is"));
  const auto max_frames = static_cast<size_t>(frame_limit(limits.max_seconds, info.samplerate));
  DecodedAudio out;
  out.pcm.sample_rate = info.samplerate;
  if (known_length) {
    out.pcm.samples.reserve(std::min<size_t>({static_cast<size_t>(info.frames),
                                              max_frames, kMaxReserveSamples}));
  }
  R1_RETURN_IF_ERROR(read_frames({reader.file(), info.channels, info.samplerate, limits.max_seconds},
                                 out.pcm.samples));
  if (out.pcm.samples.empty()) return make_error(ErrorCode::kInvalidArgument, "audio contains no samples");
  out.source_rate = info.samplerate;
  out.source_channels = info.channels;
  out.container = *container;
  out.codec = codec_name(info.format);
  out.seconds = out.pcm.seconds();
  return out;
}

Result<DecodedAudio> decode_raw(std::string_view bytes, const RawPcmParams& params, const DecodeLimits& limits) {
  R1_RETURN_IF_ERROR(check_input(bytes, limits));
  R1_RETURN_IF_ERROR(check_shape(params.sample_rate, params.channels, limits, ErrorCode::kInvalidArgument));
  const size_t frame_bytes = size_t{2} * static_cast<size_t>(params.channels);
  if (bytes.size() % frame_bytes != 0) {
    return make_error(ErrorCode::kCorrupt, "raw PCM16 input of " + std::to_string(bytes.size()) +
                                               " bytes is not a whole number of " +
                                               std::to_string(frame_bytes) + "-byte frames");
  }
  const size_t frames = bytes.size() / frame_bytes;
  R1_RETURN_IF_ERROR(check_duration(static_cast<double>(frames), params.sample_rate, limits, "is"));
  DecodedAudio out;
  out.pcm.sample_rate = params.sample_rate;
  out.pcm.samples.resize(frames);
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  for (size_t f = 0; f < frames; ++f) {
    int32_t sum = 0;
    for (int c = 0; c < params.channels; ++c, p += 2) sum += static_cast<int16_t>(p[0] | (p[1] << 8));
    out.pcm.samples[f] = static_cast<int16_t>(std::lround(static_cast<double>(sum) / params.channels));
  }
  out.source_rate = params.sample_rate;
  out.source_channels = params.channels;
  out.container = "raw";
  out.codec = "Signed 16 bit PCM";
  out.seconds = out.pcm.seconds();
  return out;
}

}  // namespace r1::voice
