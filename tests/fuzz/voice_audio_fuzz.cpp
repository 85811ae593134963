// libFuzzer entry: the audio decoders (src/voice/audio/decode.h) over
// arbitrary bytes must return audio or an error with a message, never
// crash, leak, hang or allocate without bound. Decoded audio has sane
// fields; a short success is re-encoded to WAV and must decode back to the
// same samples. The first two bytes also pick a rate and channel count for
// the raw PCM16 decoder over the rest. Seeds: tests/fuzz/corpus/voice_audio/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/check.h"
#include "voice/audio/decode.h"
#include "voice/audio/encode.h"

namespace {

using r1::voice::DecodedAudio;

// Keep executions fast: a few bytes of FLAC can claim minutes.
const r1::voice::DecodeLimits kLimits{.max_input_bytes = 1 << 20, .max_seconds = 20.0};

void check_sane(const DecodedAudio& d) {
  CHECK(!d.pcm.samples.empty());
  CHECK(d.pcm.sample_rate == d.source_rate);
  CHECK(d.source_rate >= kLimits.min_rate && d.source_rate <= kLimits.max_rate) << d.source_rate;
  CHECK(d.source_channels >= 1 && d.source_channels <= kLimits.max_channels) << d.source_channels;
  CHECK(d.seconds <= kLimits.max_seconds + 1e-9) << d.seconds;
  CHECK(d.seconds == d.pcm.seconds());
  CHECK(!d.container.empty() && !d.codec.empty());
}

void check_reencode(const DecodedAudio& d) {
  if (d.pcm.samples.size() > 16000) return;
  const r1::Result<std::string> wav = r1::voice::encode(d.pcm, r1::voice::AudioFormat::kWav);
  CHECK(wav.ok()) << wav.error().to_string();
  const r1::Result<DecodedAudio> back = r1::voice::decode_audio(*wav, kLimits);
  CHECK(back.ok()) << back.error().to_string();
  CHECK(back->pcm.samples == d.pcm.samples);
}

void check_decode(std::string_view bytes) {
  const r1::Result<DecodedAudio> d = r1::voice::decode_audio(bytes, kLimits);
  if (!d.ok()) {
    CHECK(!d.error().message.empty());
    return;
  }
  check_sane(*d);
  check_reencode(*d);
}

void check_raw(std::string_view bytes) {
  if (bytes.size() < 2) return;
  static constexpr int kRates[] = {8000, 11025, 16000, 22050, 24000, 44100, 48000, 999, 0, 384001};
  const r1::voice::RawPcmParams params{.sample_rate = kRates[static_cast<uint8_t>(bytes[0]) % 10],
                                       .channels = static_cast<uint8_t>(bytes[1]) % 20};
  const std::string_view pcm = bytes.substr(2);
  const r1::Result<DecodedAudio> d = r1::voice::decode_raw(pcm, params, kLimits);
  if (!d.ok()) {
    CHECK(!d.error().message.empty());
    return;
  }
  check_sane(*d);
  CHECK(d->pcm.samples.size() * 2 * static_cast<size_t>(params.channels) == pcm.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_decode(bytes);
  check_raw(bytes);
  return 0;
}
