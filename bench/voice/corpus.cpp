// voice_bench's corpus: sentences, their speech by every voice with the
// TTS timings, and the noise mixing (see corpus.h).
#include "voice/corpus.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>

#include "voice/audio/resample.h"
#include "voice/frontend/vad.h"
#include "voice/tts/espeak/espeak_synthesizer.h"
#include "voice/tts/flite/flite_synthesizer.h"

namespace r1::voice_bench {
namespace {

using namespace r1::voice;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "voice_bench: %s\n", what.c_str());
  std::exit(1);
}

double speech_end_seconds(const Pcm16& audio) {
  const size_t frames = audio.samples.size() / kFrameSamples;
  for (size_t f = frames; f-- > 0;) {
    const Frame frame(audio.samples.data() + f * kFrameSamples, kFrameSamples);
    if (frame_dbfs(frame) > -50.0) return static_cast<double>(f + 1) * kFrameMs / 1000.0;
  }
  return 0.0;
}

// One timed synthesize() call; the audio converted to 16 kHz.
Pcm16 synthesize_timed(SpeechSynthesizer& synth, const std::string& text, const std::string& voice,
                       TtsSample& sample) {
  SynthesisParams params;
  params.voice = voice;
  Pcm16 native;
  bool first = true;
  const Clock::time_point t0 = Clock::now();
  const Status st = synth.synthesize(
      text, params,
      [&](std::span<const int16_t> chunk, int rate) {
        if (first) sample.first_chunk_ms = ms_since(t0);
        first = false;
        native.sample_rate = rate;
        native.samples.insert(native.samples.end(), chunk.begin(), chunk.end());
        return true;
      },
      CancelToken{});
  sample.total_ms = ms_since(t0);
  if (!st.ok()) fail("synthesis (" + voice + ") failed: " + st.error().to_string());
  sample.audio_s = native.seconds();
  Result<Pcm16> work = to_work_format(native);
  if (!work.ok()) fail("resample failed: " + work.error().to_string());
  return std::move(work).value();
}

}  // namespace

std::vector<std::string> load_sentences(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("cannot read " + path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
  return out;
}

Corpus build_corpus(std::vector<std::string> sentences, std::vector<std::string> voices, int rounds) {
  Corpus c;
  c.sentences = std::move(sentences);
  c.voices = std::move(voices);
  c.utterances.resize(c.sentences.size() * c.voices.size());
  FliteSynthesizer flite;
  std::unique_ptr<EspeakSynthesizer> espeak;
  for (int r = 0; r < rounds; ++r) {
    for (size_t s = static_cast<size_t>(r); s < c.sentences.size(); s += static_cast<size_t>(rounds)) {
      for (size_t v = 0; v < c.voices.size(); ++v) {
        const std::string& voice = c.voices[v];
        SpeechSynthesizer* synth = &flite;
        if (is_espeak_voice(voice)) {
          if (!espeak) espeak = std::make_unique<EspeakSynthesizer>();
          if (!espeak->availability().ok()) fail("espeak-ng: " + espeak->availability().error().to_string());
          synth = espeak.get();
        }
        TtsSample sample;
        sample.round = r;
        Utterance& u = c.utterances[s * c.voices.size() + v];
        u.sentence = static_cast<int>(s);
        u.voice = static_cast<int>(v);
        u.audio = synthesize_timed(*synth, c.sentences[s], voice, sample);
        u.speech_end_s = speech_end_seconds(u.audio);
        c.tts[voice].push_back(sample);
      }
    }
  }
  return c;
}

const char* noise_name(NoiseKind kind) {
  switch (kind) {
    case NoiseKind::kNone: return "clean";
    case NoiseKind::kWhite: return "white";
    case NoiseKind::kBabble: return "babble";
  }
  return "?";
}

double mean_power(const std::vector<int16_t>& samples) {
  if (samples.empty()) return 0.0;
  double sum = 0;
  for (int16_t x : samples) sum += static_cast<double>(x) * x;
  return sum / static_cast<double>(samples.size());
}

namespace {

// Six other sentences by the other voices, each at unit power, looped from
// a random offset and summed over n samples.
std::vector<double> babble(const Corpus& c, const Utterance& u, size_t n, std::mt19937& rng) {
  std::vector<double> out(n, 0.0);
  const int nsent = static_cast<int>(c.sentences.size());
  const int nvoice = static_cast<int>(c.voices.size());
  for (int j = 0; j < 6; ++j) {
    const int s = (u.sentence + 1 + j) % nsent;
    const int v = nvoice > 1 ? (u.voice + 1 + j % (nvoice - 1)) % nvoice : u.voice;
    const std::vector<int16_t>& src = c.at(s, v).audio.samples;
    const double p = mean_power(src);
    if (src.empty() || p <= 0) continue;
    const double g = 1.0 / std::sqrt(p);
    size_t pos = std::uniform_int_distribution<size_t>(0, src.size() - 1)(rng);
    for (size_t i = 0; i < n; ++i, pos = (pos + 1) % src.size()) out[i] += g * src[pos];
  }
  return out;
}

std::vector<double> white(size_t n, std::mt19937& rng) {
  std::normal_distribution<double> dist(0.0, 1.0);
  std::vector<double> out(n);
  for (double& x : out) x = dist(rng);
  return out;
}

}  // namespace

Pcm16 mix_utterance(const Corpus& c, const Utterance& u, const Mix& mix) {
  const size_t lead = static_cast<size_t>(mix.lead_s * kWorkRate);
  const size_t tail = static_cast<size_t>(mix.tail_s * kWorkRate);
  Pcm16 out;
  out.samples.assign(lead, 0);
  out.samples.insert(out.samples.end(), u.audio.samples.begin(), u.audio.samples.end());
  out.samples.resize(out.samples.size() + tail, 0);
  // Pad to whole 10 ms frames.
  out.samples.resize((out.samples.size() + kFrameSamples - 1) / kFrameSamples * kFrameSamples, 0);
  if (mix.noise == NoiseKind::kNone) return out;
  std::mt19937 rng(static_cast<uint32_t>(u.sentence * 7919 + u.voice * 104729 +
                                         static_cast<int>(mix.noise) * 15485863 +
                                         static_cast<int>(std::lround(mix.snr_db * 10))));
  const size_t n = out.samples.size();
  std::vector<double> noise = mix.noise == NoiseKind::kWhite ? white(n, rng) : babble(c, u, n, rng);
  double np = 0;
  for (double x : noise) np += x * x;
  np /= static_cast<double>(n);
  const double target = mean_power(u.audio.samples) / std::pow(10.0, mix.snr_db / 10.0);
  const double g = np > 0 ? std::sqrt(target / np) : 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double y = out.samples[i] + g * noise[i];
    out.samples[i] = static_cast<int16_t>(std::clamp(std::lround(y), -32768L, 32767L));
  }
  return out;
}

}  // namespace r1::voice_bench
