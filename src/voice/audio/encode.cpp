// Encoders: libsndfile (WAV one shot, FLAC, Ogg Opus, MP3 via LAME) over
// the in-memory file of sndfile_io.h; raw PCM and the streamed WAV header
// by hand. See encode.h for which formats stream.
#include "voice/audio/encode.h"

#include <array>
#include <cstring>

namespace r1::voice {
namespace {

constexpr std::array<int, 5> kOpusRates = {8000, 12000, 16000, 24000, 48000};
constexpr std::array<int, 9> kMpegRates = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};

template <size_t N>
int next_rate_up(const std::array<int, N>& rates, int rate) {
  for (int r : rates) {
    if (r >= rate) return r;
  }
  return rates.back();
}

int sndfile_format(AudioFormat format) {
  switch (format) {
    case AudioFormat::kWav: return SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    case AudioFormat::kFlac: return SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
    case AudioFormat::kOpus: return SF_FORMAT_OGG | SF_FORMAT_OPUS;
    case AudioFormat::kMp3: return SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
    case AudioFormat::kPcm: break;
  }
  CHECK(false) << "no libsndfile format for " << audio_format_name(format);
  return 0;
}

void append_le(std::string& out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::string pcm_bytes(std::span<const int16_t> samples) {
  std::string out;
  out.reserve(samples.size() * 2);
  for (int16_t s : samples) append_le(out, static_cast<uint16_t>(s), 2);
  return out;
}

Status check_rate(int rate) {
  if (rate < kMinResampleRate || rate > kMaxResampleRate) {
    return make_error(ErrorCode::kInvalidArgument, "cannot encode audio at " + std::to_string(rate) +
                                                       " Hz (the range is " + std::to_string(kMinResampleRate) +
                                                       ".." + std::to_string(kMaxResampleRate) + ")");
  }
  return {};
}

void write_all(SNDFILE* file, std::span<const int16_t> samples) {
  if (samples.empty()) return;
  const sf_count_t n = static_cast<sf_count_t>(samples.size());
  const sf_count_t wrote = sf_write_short(file, samples.data(), n);
  CHECK(wrote == n) << "libsndfile wrote " << wrote << " of " << n << ": " << sf_strerror(file);
}

}  // namespace

Result<AudioFormat> parse_audio_format(std::string_view name) {
  if (name == "wav") return AudioFormat::kWav;
  if (name == "pcm") return AudioFormat::kPcm;
  if (name == "flac") return AudioFormat::kFlac;
  if (name == "opus") return AudioFormat::kOpus;
  if (name == "mp3") return AudioFormat::kMp3;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown audio format '" + std::string(name.substr(0, 64)) +
                        "' (supported: wav, pcm, flac, opus, mp3)");
}

const char* audio_format_name(AudioFormat format) {
  switch (format) {
    case AudioFormat::kWav: return "wav";
    case AudioFormat::kPcm: return "pcm";
    case AudioFormat::kFlac: return "flac";
    case AudioFormat::kOpus: return "opus";
    case AudioFormat::kMp3: return "mp3";
  }
  return "?";
}

const char* content_type(AudioFormat format) {
  switch (format) {
    case AudioFormat::kWav: return "audio/wav";
    case AudioFormat::kPcm: return "audio/pcm";
    case AudioFormat::kFlac: return "audio/flac";
    case AudioFormat::kOpus: return "audio/ogg";
    case AudioFormat::kMp3: return "audio/mpeg";
  }
  return "application/octet-stream";
}

int encoded_rate(AudioFormat format, int rate) {
  if (format == AudioFormat::kOpus) return next_rate_up(kOpusRates, rate);
  if (format == AudioFormat::kMp3) return next_rate_up(kMpegRates, rate);
  return rate;
}

std::string wav_header(int sample_rate, uint32_t data_bytes) {
  std::string h = "RIFF";
  append_le(h, data_bytes == 0xFFFFFFFFu ? data_bytes : data_bytes + 36, 4);
  h += "WAVEfmt ";
  append_le(h, 16, 4);                                      // fmt chunk size
  append_le(h, 1, 2);                                       // PCM
  append_le(h, 1, 2);                                       // mono
  append_le(h, static_cast<uint32_t>(sample_rate), 4);
  append_le(h, static_cast<uint32_t>(sample_rate) * 2, 4);  // byte rate
  append_le(h, 2, 2);                                       // block align
  append_le(h, 16, 2);                                      // bits per sample
  h += "data";
  append_le(h, data_bytes, 4);
  return h;
}

Result<std::string> encode(const Pcm16& pcm, AudioFormat format) {
  R1_RETURN_IF_ERROR(check_rate(pcm.sample_rate));
  if (format == AudioFormat::kPcm) return pcm_bytes(pcm.samples);
  const int rate = encoded_rate(format, pcm.sample_rate);
  Pcm16 converted;
  const Pcm16* in = &pcm;
  if (rate != pcm.sample_rate) {
    R1_ASSIGN_OR_RETURN(converted, resample(pcm, rate));
    in = &converted;
  }
  R1_ASSIGN_OR_RETURN(SndfileWriter writer, SndfileWriter::open(sndfile_format(format), rate, false));
  write_all(writer.file(), in->samples);
  writer.close();
  return writer.sink().take();
}

Result<StreamEncoder> StreamEncoder::create(AudioFormat format, int sample_rate,
                                            const StreamEncoderOptions& options) {
  R1_RETURN_IF_ERROR(check_rate(sample_rate));
  StreamEncoder enc;
  enc.format_ = format;
  enc.out_rate_ = encoded_rate(format, sample_rate);
  if (enc.out_rate_ != sample_rate) {
    R1_ASSIGN_OR_RETURN(Resampler r, Resampler::create(sample_rate, enc.out_rate_));
    enc.resampler_.emplace(std::move(r));
  }
  if (format == AudioFormat::kWav || format == AudioFormat::kPcm) return enc;
  const bool streams = format != AudioFormat::kMp3;  // see the header
  R1_ASSIGN_OR_RETURN(SndfileWriter w, SndfileWriter::open(sndfile_format(format), enc.out_rate_, streams));
  if (format == AudioFormat::kOpus) {
    double latency = options.ogg_page_latency_ms;
    sf_command(w.file(), SFC_SET_OGG_PAGE_LATENCY_MS, &latency, sizeof latency);
  }
  enc.writer_.emplace(std::move(w));
  return enc;
}

std::string StreamEncoder::write_samples(std::span<const int16_t> samples) {
  std::string out;
  if (!started_ && format_ == AudioFormat::kWav) out = wav_header(out_rate_, 0xFFFFFFFFu);
  started_ = true;
  if (!writer_) return out + pcm_bytes(samples);
  write_all(writer_->file(), samples);
  if (!writer_->sink().streaming) return out;
  return out + writer_->sink().take();
}

std::string StreamEncoder::append(std::span<const int16_t> samples) {
  if (finished_) return {};
  if (!resampler_) return write_samples(samples);
  const std::vector<int16_t> converted = resampler_->feed(samples);
  return write_samples(converted);
}

std::string StreamEncoder::finish() {
  if (finished_) return {};
  std::string out;
  if (resampler_) out = write_samples(resampler_->flush());
  else out = write_samples({});
  finished_ = true;
  if (writer_) {
    writer_->close();
    out += writer_->sink().take();
  }
  return out;
}

}  // namespace r1::voice
