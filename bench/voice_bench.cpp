// voice_bench: the voice library measured on this machine (issue 11), one
// thread. The corpus (bench/voice_sentences.txt) is spoken by every flite
// voice and by espeak-ng en-us; then:
//   - WER per condition: clean, white and babble noise at 20 and 10 dB SNR,
//     each with the front end's NS off/low/moderate/high (HPF on), the
//     utterance decoded whole after the front end; clean per voice;
//   - recognition RTF (decode time / audio time), median and p95;
//   - streaming: front end + VAD + recognizer fed live frame by frame; end
//     event -> final text, p50/p95, and the VAD's detection delay apart;
//   - TTS: synthesize() -> first sink callback per voice, synthesis RTF.
// Conditions alternate utterance by utterance in rounds; timing figures
// carry per-round medians. Prints markdown tables, then the JSON record
// (or writes it to --json).
//
//   voice_bench [--sentences FILE] [--limit N] [--voices a,b] [--quick]
//               [--per-condition N] [--minor N] [--clean-all 0|1]
//               [--stream N] [--rounds R] [--hangovers 300,200]
//               [--json OUT] [--markdown OUT]
//   voice_bench --report RECORD.json     the tables of an earlier run
// Sizes: pocketsphinx decodes at RTF ~0.3 (clean) to ~1.5 (babble) here,
// so every condition at 100+ utterances would take ~1.5 h on one core; the
// defaults give the key conditions (clean and white 20 dB, NS off and
// moderate) --per-condition utterances and the rest --minor (~20 min).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>

#include "bench_cli.h"
#include "voice/asr/pocketsphinx_recognizer.h"
#include "voice/corpus.h"
#include "voice/measure.h"
#include "voice/report.h"

namespace r1::voice_bench {
namespace {

struct Options {
  std::string sentences = R1_VOICE_SENTENCES;
  int limit = 0;
  std::vector<std::string> voices = {"slt", "rms", "awb", "kal16", "kal", "en-us"};
  bool quick = false;
  int per_condition = 100;  // the key conditions
  int minor = 16;           // the others
  int stream = 80;
  int rounds = 3;
  double pad_s = 0.3;  // sweep: silence (or noise) before and after the speech
  bool clean_all = false;
  std::vector<int> hangovers = {300};
  std::string json_out;
  std::string markdown_out;
  std::string report;  // print the tables of this record, run nothing
};

// n utterances balanced over the voices (k-th: voice k % V) and spread
// over the sentences (sentence k % S, the next free one if taken).
std::vector<int> subset(const Corpus& c, int n) {
  const int nv = static_cast<int>(c.voices.size());
  const int ns = static_cast<int>(c.sentences.size());
  n = std::min(n, nv * ns);
  std::set<int> taken;
  std::vector<int> out;
  for (int k = 0; static_cast<int>(out.size()) < n; ++k) {
    const int v = k % nv;
    for (int step = 0; step < ns; ++step) {
      const int id = ((k + step) % ns) * nv + v;
      if (taken.insert(id).second) {
        out.push_back(id);
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int> all_ids(const Corpus& c) {
  std::vector<int> out(c.utterances.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<int>(i);
  return out;
}

const Mix kMixes[] = {{NoiseKind::kNone, 0}, {NoiseKind::kWhite, 20}, {NoiseKind::kWhite, 10},
                      {NoiseKind::kBabble, 20}, {NoiseKind::kBabble, 10}};

// The key conditions (clean and white 20 dB, NS off and moderate: the
// targets and the default) get --per-condition utterances, the others
// --minor (the same utterances, a prefix of the spread); --clean-all gives
// clean off/moderate every utterance.
std::vector<Condition> sweep_plan(const Corpus& c, const Options& o) {
  const std::vector<int> key = subset(c, o.per_condition);
  const std::vector<int> minor = subset(c, o.minor);
  std::vector<Condition> out;
  for (const Mix& m : kMixes) {
    for (NsLevel ns : {NsLevel::kOff, NsLevel::kLow, NsLevel::kModerate, NsLevel::kHigh}) {
      const bool main_ns = ns == NsLevel::kOff || ns == NsLevel::kModerate;
      const bool is_key = main_ns && (m.noise == NoiseKind::kNone || (m.noise == NoiseKind::kWhite && m.snr_db == 20));
      const bool whole = o.clean_all && main_ns && m.noise == NoiseKind::kNone;
      Mix mix = m;
      mix.lead_s = mix.tail_s = o.pad_s;
      out.push_back({mix, ns, whole ? all_ids(c) : (is_key ? key : minor)});
    }
  }
  return out;
}

std::vector<StreamCondition> stream_plan(const Corpus& c, const Options& o) {
  const std::vector<int> some = subset(c, o.stream);
  std::vector<StreamCondition> out;
  for (int h : o.hangovers) {
    for (const Mix& m : {kMixes[0], kMixes[1]}) {  // babble: the VAD hears it as speech
      Mix mix = m;
      mix.lead_s = 0.5;
      mix.tail_s = 1.0;
      out.push_back({mix, NsLevel::kModerate, h, some});
    }
  }
  return out;
}

nlohmann::json rtf_all(const std::vector<ConditionResult>& sweep, int rounds) {
  std::vector<double> v;
  std::vector<int> r;
  for (const ConditionResult& c : sweep) {
    v.insert(v.end(), c.rtf.begin(), c.rtf.end());
    r.insert(r.end(), c.rtf_round.begin(), c.rtf_round.end());
  }
  return summary(v, r, rounds);
}

nlohmann::json config_json(const Options& o, const Corpus& c) {
  double audio_s = 0;
  for (const Utterance& u : c.utterances) audio_s += u.audio.seconds();
  return {{"sentences_file", o.sentences}, {"quick", o.quick},       {"per_condition", o.per_condition}, {"minor", o.minor},
          {"stream", o.stream},            {"rounds", o.rounds},     {"clean_all", o.clean_all},
          {"hangovers_ms", o.hangovers},   {"threads", 1},
          {"front_end", "WebRTC APM 0.3, HPF on, AGC off, AEC off; a fresh instance per utterance"},
          {"sweep_padding_s", {o.pad_s, o.pad_s}}, {"stream_padding_s", {0.5, 1.0}},
          {"babble", "6 other corpus sentences by the other voices, each at unit power, looped from random offsets"},
          {"snr", "power of the synthesized utterance / noise power; noise covers the padding"},
          {"corpus", {{"sentences", c.sentences.size()}, {"voices", c.voices},
                      {"utterances", c.utterances.size()}, {"audio_s", audio_s}}}};
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) std::fprintf(stderr, "voice_bench: cannot write %s\n", path.c_str());
}

int report(const std::string& path) {
  std::ifstream in(path);
  const nlohmann::json record = nlohmann::json::parse(in, nullptr, false);
  if (record.is_discarded()) {
    std::fprintf(stderr, "voice_bench: %s is not a JSON record\n", path.c_str());
    return 1;
  }
  std::fputs(markdown_tables(record).c_str(), stdout);
  return 0;
}

int run(Options o) {
  if (!o.report.empty()) return report(o.report);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> sentences = load_sentences(o.sentences);
  if (o.limit > 0 && static_cast<size_t>(o.limit) < sentences.size()) sentences.resize(static_cast<size_t>(o.limit));
  std::fprintf(stderr, "# synthesizing %zu sentences x %zu voices\n", sentences.size(), o.voices.size());
  const Corpus corpus = build_corpus(sentences, o.voices, o.rounds);
  auto model = voice::PocketsphinxModel::load(voice::default_pocketsphinx_paths());
  if (!model.ok()) {
    std::fprintf(stderr, "voice_bench: %s\n", model.error().to_string().c_str());
    return 1;
  }
  auto rec = (*model)->create();
  if (!rec.ok()) return 1;
  std::fprintf(stderr, "# condition sweep\n");
  const std::vector<ConditionResult> sweep = run_sweep(corpus, sweep_plan(corpus, o), **rec, o.rounds);
  std::fprintf(stderr, "# streaming\n");
  const std::vector<StreamResult> streamed = run_streaming(corpus, stream_plan(corpus, o), **rec, o.rounds);
  nlohmann::json record = {{"config", config_json(o, corpus)},
                           {"tts", tts_json(corpus, o.rounds)},
                           {"sweep", sweep_json(corpus, sweep, o.rounds)},
                           {"rtf_all", rtf_all(sweep, o.rounds)},
                           {"streaming", streaming_json(streamed, o.rounds)}};
  record["corpus"] = record["config"]["corpus"];
  record["elapsed_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string tables = markdown_tables(record);
  std::fputs(tables.c_str(), stdout);
  if (!o.markdown_out.empty()) write_file(o.markdown_out, tables);
  if (o.json_out.empty()) {
    std::printf("\n%s\n", record.dump().c_str());
  } else {
    write_file(o.json_out, record.dump(1) + "\n");
  }
  return 0;
}

}  // namespace
}  // namespace r1::voice_bench

int main(int argc, char** argv) {
  r1::voice_bench::Options o;
  CLI::App app{"voice_bench: WER, RTF, end-of-speech latency and TTS first chunk of the voice library"};
  app.add_option("--sentences", o.sentences, "corpus, one sentence a line");
  app.add_option("--limit", o.limit, "use the first N sentences (0: all)");
  app.add_option("--voices", o.voices, "voices: flite slt,rms,awb,kal16,kal; espeak-ng en-us")->delimiter(',');
  app.add_flag("--quick", o.quick, "smoke run: 12 sentences, 12 / 3 utterances a condition, 2 rounds");
  app.add_option("--per-condition", o.per_condition, "utterances per key condition (clean, white 20 dB; NS off, moderate)");
  app.add_option("--minor", o.minor, "utterances per other sweep condition");
  app.add_option("--stream", o.stream, "utterances per streaming condition");
  app.add_option("--rounds", o.rounds, "rounds the conditions alternate in")->check(CLI::PositiveNumber);
  app.add_option("--pad", o.pad_s, "sweep: seconds of silence (or noise) before and after the speech");
  app.add_option("--clean-all", o.clean_all, "clean NS off and moderate over every utterance");
  app.add_option("--hangovers", o.hangovers, "VadConfig.hangover_ms values streamed")->delimiter(',');
  app.add_option("--json", o.json_out, "write the JSON record here");
  app.add_option("--markdown", o.markdown_out, "write the markdown tables here");
  app.add_option("--report", o.report, "print the tables of an existing JSON record; run nothing");
  if (auto code = r1::bench::parse_command_line(app, argc, argv, "voice_bench")) return *code;
  if (o.quick) {
    o.limit = o.limit > 0 ? std::min(o.limit, 12) : 12;
    o.per_condition = std::min(o.per_condition, 12);
    o.minor = std::min(o.minor, 3);
    o.stream = std::min(o.stream, 6);
    o.rounds = std::min(o.rounds, 2);
  }
  return r1::voice_bench::run(o);
}
