// voice_bench's JSON record and markdown tables (see report.h).
#include "voice/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace r1::voice_bench {
namespace {

using nlohmann::json;

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string fmt(const char* f, const json& v) { return fmt(f, v.get<double>()); }

std::string pct(double rate) { return fmt("%.1f%%", rate * 100.0); }

json wer_json(const WerCount& w) {
  return {{"wer", w.rate()}, {"edits", w.edits}, {"words", w.reference_words}};
}

std::string per_round(const json& s, const char* f) {
  std::string out;
  for (const json& v : s.value("per_round_p50", json::array())) {
    out += (out.empty() ? "" : " / ") + fmt(f, v.get<double>());
  }
  return out;
}

}  // namespace

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

json summary(const std::vector<double>& values, const std::vector<int>& round, int rounds) {
  json s = {{"n", values.size()},
            {"p50", percentile(values, 0.5)},
            {"p95", percentile(values, 0.95)},
            {"max", values.empty() ? 0.0 : *std::max_element(values.begin(), values.end())}};
  if (round.size() == values.size() && rounds > 1) {
    json per = json::array();
    for (int r = 0; r < rounds; ++r) {
      std::vector<double> in_round;
      for (size_t i = 0; i < values.size(); ++i) {
        if (round[i] == r) in_round.push_back(values[i]);
      }
      per.push_back(percentile(in_round, 0.5));
    }
    s["per_round_p50"] = per;
  }
  return s;
}

json tts_json(const Corpus& c, int rounds) {
  json out = json::object();
  for (const std::string& voice : c.voices) {
    std::vector<double> first, rtf;
    std::vector<int> round;
    for (const TtsSample& t : c.tts.at(voice)) {
      first.push_back(t.first_chunk_ms);
      rtf.push_back(t.audio_s > 0 ? t.total_ms / 1000.0 / t.audio_s : 0.0);
      round.push_back(t.round);
    }
    out[voice] = {{"first_chunk_ms", summary(first, round, rounds)}, {"rtf", summary(rtf, round, rounds)},
                  {"backend", is_espeak_voice(voice) ? "espeak-ng (child process)" : "flite"}};
  }
  return out;
}

json sweep_json(const Corpus& c, const std::vector<ConditionResult>& results, int rounds) {
  json out = json::array();
  for (const ConditionResult& r : results) {
    json per_voice = json::object();
    for (size_t v = 0; v < c.voices.size(); ++v) {
      if (r.per_voice[v].reference_words) per_voice[c.voices[v]] = wer_json(r.per_voice[v]);
    }
    out.push_back({{"noise", noise_name(r.condition.mix.noise)},
                   {"snr_db", r.condition.mix.noise == NoiseKind::kNone ? json(nullptr) : json(r.condition.mix.snr_db)},
                   {"ns", ns_name(r.condition.ns)},
                   {"utterances", r.condition.utterances.size()},
                   {"wer", wer_json(r.wer)},
                   {"per_voice", per_voice},
                   {"rtf", summary(r.rtf, r.rtf_round, rounds)}});
  }
  return out;
}

json streaming_json(const std::vector<StreamResult>& results, int rounds) {
  json out = json::array();
  for (const StreamResult& r : results) {
    const StreamCondition& c = r.condition;
    out.push_back({{"name", c.name()},
                   {"noise", noise_name(c.mix.noise)},
                   {"snr_db", c.mix.noise == NoiseKind::kNone ? json(nullptr) : json(c.mix.snr_db)},
                   {"ns", ns_name(c.ns)},
                   {"hangover_ms", c.hangover_ms},
                   {"utterances", c.utterances.size()},
                   {"end_to_final_ms", summary(r.final_ms, r.final_round, rounds)},
                   {"every_segment_final_ms", summary(r.all_final_ms, {}, 1)},
                   {"vad_detection_delay_ms", summary(r.detect_ms, {}, 1)},
                   {"vad_end_stamp_error_ms", summary(r.stamp_ms, {}, 1)},
                   {"per_frame_us", summary(r.feed_us, {}, 1)},
                   {"no_end_event", r.no_end},
                   {"split_utterances", r.split},
                   {"wer", wer_json(r.wer)}});
  }
  return out;
}

namespace {

std::string wer_grid(const json& sweep) {
  const std::vector<std::string> levels = {"off", "low", "moderate", "high"};
  std::map<std::string, std::map<std::string, std::string>> cell;
  std::vector<std::string> rows;
  for (const json& r : sweep) {
    const std::string row = r["noise"].get<std::string>() +
                            (r["snr_db"].is_null() ? "" : " " + fmt("%g dB", r["snr_db"].get<double>()));
    if (std::find(rows.begin(), rows.end(), row) == rows.end()) rows.push_back(row);
    if (r["utterances"].get<int>() == 0) continue;
    cell[row][r["ns"].get<std::string>()] =
        pct(r["wer"]["wer"].get<double>()) + " (" + std::to_string(r["utterances"].get<int>()) + ")";
  }
  std::string out = "| condition | NS off | NS low | NS moderate | NS high |\n|---|---|---|---|---|\n";
  for (const std::string& row : rows) {
    out += "| " + row;
    for (const std::string& l : levels) out += " | " + (cell[row].count(l) ? cell[row][l] : "-");
    out += " |\n";
  }
  return out;
}

std::string clean_per_voice(const json& record) {
  const json& voices = record["corpus"]["voices"];
  std::string out = "| clean, NS |";
  for (const json& v : voices) out += " " + v.get<std::string>() + " |";
  out += " all |\n|---|";
  for (size_t i = 0; i <= voices.size(); ++i) out += "---|";
  out += "\n";
  for (const json& r : record["sweep"]) {
    if (r["noise"] != "clean") continue;
    out += "| " + r["ns"].get<std::string>() + " (" + std::to_string(r["utterances"].get<int>()) + ") |";
    for (const json& v : voices) {
      const json& pv = r["per_voice"];
      out += " " + (pv.contains(v) ? pct(pv[v.get<std::string>()]["wer"].get<double>()) : "-") + " |";
    }
    out += " " + pct(r["wer"]["wer"].get<double>()) + " |\n";
  }
  return out;
}

std::string rtf_table(const json& record) {
  std::string out = "| condition | utterances | RTF p50 | RTF p95 | per-round p50 |\n|---|---|---|---|---|\n";
  const json& all = record["rtf_all"];
  out += "| all decodes | " + std::to_string(all["n"].get<int>()) + " | " + fmt("%.3f", all["p50"]) + " | " +
         fmt("%.3f", all["p95"]) + " | " + per_round(all, "%.3f") + " |\n";
  for (const json& r : record["sweep"]) {
    const std::string name = r["noise"].get<std::string>() +
                             (r["snr_db"].is_null() ? "" : " " + fmt("%g dB", r["snr_db"].get<double>())) +
                             ", NS " + r["ns"].get<std::string>();
    out += "| " + name + " | " + std::to_string(r["utterances"].get<int>()) + " | " +
           fmt("%.3f", r["rtf"]["p50"]) + " | " + fmt("%.3f", r["rtf"]["p95"]) + " | " +
           per_round(r["rtf"], "%.3f") + " |\n";
  }
  return out;
}

std::string streaming_table(const json& record) {
  std::string out =
      "| stream condition | utterances | end event -> final p50 / p95 / max (ms) | per-round p50 (ms) | "
      "VAD detection delay p50 / p95 (ms) | end stamp error p50 (ms) | per-frame cost p50 / p95 (us) | "
      "no end event | split | WER |\n|---|---|---|---|---|---|---|---|---|---|\n";
  for (const json& r : record["streaming"]) {
    const json& f = r["end_to_final_ms"];
    const json& d = r["vad_detection_delay_ms"];
    const json& fr = r["per_frame_us"];
    out += "| " + r["name"].get<std::string>() + " | " + std::to_string(r["utterances"].get<int>()) + " | " +
           fmt("%.1f", f["p50"]) + " / " + fmt("%.1f", f["p95"]) + " / " + fmt("%.1f", f["max"]) + " | " +
           per_round(f, "%.1f") + " | " + fmt("%.0f", d["p50"]) + " / " + fmt("%.0f", d["p95"]) + " | " +
           fmt("%.0f", r["vad_end_stamp_error_ms"]["p50"]) + " | " + fmt("%.0f", fr["p50"]) + " / " +
           fmt("%.0f", fr["p95"]) + " | " + std::to_string(r["no_end_event"].get<int>()) + " | " +
           std::to_string(r["split_utterances"].get<int>()) + " | " + pct(r["wer"]["wer"].get<double>()) + " |\n";
  }
  return out;
}

std::string tts_table(const json& record) {
  std::string out =
      "| voice | backend | calls | first chunk p50 / p95 (ms) | per-round p50 (ms) | synthesis RTF p50 / p95 |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& [voice, t] : record["tts"].items()) {
    const json& f = t["first_chunk_ms"];
    out += "| " + voice + " | " + t["backend"].get<std::string>() + " | " + std::to_string(f["n"].get<int>()) +
           " | " + fmt("%.1f", f["p50"]) + " / " + fmt("%.1f", f["p95"]) + " | " + per_round(f, "%.1f") + " | " +
           fmt("%.3f", t["rtf"]["p50"]) + " / " + fmt("%.3f", t["rtf"]["p95"]) + " |\n";
  }
  return out;
}

}  // namespace

std::string markdown_tables(const json& record) {
  std::string out;
  out += "### WER by condition (corpus-level; utterances in brackets)\n\n" + wer_grid(record["sweep"]) + "\n";
  out += "### Clean WER per voice\n\n" + clean_per_voice(record) + "\n";
  out += "### Recognition RTF (decode time / audio time, one thread)\n\n" + rtf_table(record) + "\n";
  out += "### Streaming: front end + VAD + recognizer fed live, 10 ms frames\n\n" + streaming_table(record) + "\n";
  out += "### TTS: synthesize() -> first audio chunk, and synthesis RTF\n\n" + tts_table(record);
  return out;
}

}  // namespace r1::voice_bench
