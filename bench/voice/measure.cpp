// voice_bench's condition sweep and streaming pass (see measure.h).
#include "voice/measure.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace r1::voice_bench {
namespace {

using namespace r1::voice;

template <typename T>
T must(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "voice_bench: %s: %s\n", what, r.error().to_string().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

void must(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "voice_bench: %s: %s\n", what, s.error().to_string().c_str());
    std::exit(1);
  }
}

FrontEndConfig front_end_config(NsLevel ns) {
  FrontEndConfig fe;
  fe.high_pass = true;
  fe.noise_suppression = ns;
  return fe;
}

std::string mix_name(const Mix& m) {
  if (m.noise == NoiseKind::kNone) return "clean";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s %g dB", noise_name(m.noise), m.snr_db);
  return buf;
}

// The utterance positions of round r, in a global order shared by all
// conditions: utterance index u belongs to round u % rounds.
std::vector<int> round_members(const std::vector<int>& ids, int r, int rounds) {
  std::vector<int> out;
  for (int id : ids) {
    if (id % rounds == r) out.push_back(id);
  }
  return out;
}

// One sweep decode: front end frame by frame, then the whole utterance.
std::string decode_condition(const Corpus& c, const Utterance& u, const Condition& cond,
                             SpeechRecognizer& rec, double& rtf) {
  Pcm16 audio = mix_utterance(c, u, cond.mix);
  std::unique_ptr<FrontEnd> fe = must(make_front_end(front_end_config(cond.ns)), "front end");
  for (size_t i = 0; i + kFrameSamples <= audio.samples.size(); i += kFrameSamples) {
    must(fe->process_capture(std::span<int16_t, kFrameSamples>(audio.samples.data() + i, kFrameSamples)),
         "front end frame");
  }
  const Clock::time_point t0 = Clock::now();
  must(rec.start(), "recognizer start");
  must(rec.feed(audio.samples), "recognizer feed");
  Recognition r = must(rec.finish(), "recognizer finish");
  rtf = ms_since(t0) / 1000.0 / audio.seconds();
  return r.text;
}

}  // namespace

const char* ns_name(NsLevel level) {
  switch (level) {
    case NsLevel::kOff: return "off";
    case NsLevel::kLow: return "low";
    case NsLevel::kModerate: return "moderate";
    case NsLevel::kHigh: return "high";
    case NsLevel::kVeryHigh: return "very_high";
  }
  return "?";
}

std::string Condition::name() const { return mix_name(mix) + ", NS " + ns_name(ns); }

std::string StreamCondition::name() const {
  return mix_name(mix) + ", NS " + ns_name(ns) + ", hangover " + std::to_string(hangover_ms) + " ms";
}

std::vector<ConditionResult> run_sweep(const Corpus& c, const std::vector<Condition>& conditions,
                                       SpeechRecognizer& rec, int rounds) {
  std::vector<ConditionResult> out(conditions.size());
  std::vector<std::vector<bool>> member(conditions.size(), std::vector<bool>(c.utterances.size(), false));
  for (size_t k = 0; k < conditions.size(); ++k) {
    out[k].condition = conditions[k];
    out[k].per_voice.resize(c.voices.size());
    for (int id : conditions[k].utterances) member[k][static_cast<size_t>(id)] = true;
  }
  const Clock::time_point start = Clock::now();
  size_t done = 0;
  for (int r = 0; r < rounds; ++r) {
    for (size_t id = static_cast<size_t>(r); id < c.utterances.size(); id += static_cast<size_t>(rounds)) {
      const Utterance& u = c.utterances[id];
      for (size_t k = 0; k < conditions.size(); ++k) {
        if (!member[k][id]) continue;
        double rtf = 0;
        const std::string hyp = decode_condition(c, u, conditions[k], rec, rtf);
        const WerCount w = word_errors(c.sentences[static_cast<size_t>(u.sentence)], hyp);
        out[k].wer += w;
        out[k].per_voice[static_cast<size_t>(u.voice)] += w;
        out[k].rtf.push_back(rtf);
        out[k].rtf_round.push_back(r);
        if (++done % 100 == 0) {
          std::fprintf(stderr, "#   %zu decodes, %.0f s, last RTF %.3f\n", done, ms_since(start) / 1000, rtf);
        }
      }
    }
    std::fprintf(stderr, "# sweep round %d/%d done\n", r + 1, rounds);
  }
  return out;
}

namespace {

// State of one streamed utterance.
struct Streamed {
  std::string text;
  int segments = 0;
  bool open = false;
  double last_final_ms = -1;
  double end_emit_ms = -1;  // stream time the last end event was emitted
  double end_stamp_ms = -1; // its at_ms
};

void close_segment(SpeechRecognizer& rec, Streamed& s, StreamResult& res) {
  const Clock::time_point t0 = Clock::now();
  Recognition r = must(rec.finish(), "recognizer finish");
  const double ms = ms_since(t0);
  s.open = false;
  s.last_final_ms = ms;
  res.all_final_ms.push_back(ms);
  if (!r.text.empty()) s.text += (s.text.empty() ? "" : " ") + r.text;
}

// Streams one utterance; returns false when no end event came.
bool stream_one(const Corpus& c, const Utterance& u, const StreamCondition& cond, SpeechRecognizer& rec,
                StreamResult& res) {
  Pcm16 audio = mix_utterance(c, u, cond.mix);
  std::unique_ptr<FrontEnd> fe = must(make_front_end(front_end_config(cond.ns)), "front end");
  VadConfig vc;
  vc.hangover_ms = cond.hangover_ms;
  std::unique_ptr<VoiceActivityDetector> vad = must(VoiceActivityDetector::create(vc), "vad");
  Streamed s;
  for (size_t i = 0; i + kFrameSamples <= audio.samples.size(); i += kFrameSamples) {
    const std::span<int16_t, kFrameSamples> frame(audio.samples.data() + i, kFrameSamples);
    const Clock::time_point t0 = Clock::now();
    must(fe->process_capture(frame), "front end frame");
    const VadStep step = vad->feed(Frame(frame));
    if (step.event && step.event->type == VadEventType::kSpeechStart) {
      must(rec.start(), "recognizer start");
      must(rec.feed(vad->take_preroll()), "recognizer feed");
      s.open = true;
      ++s.segments;
    } else if (s.open) {
      must(rec.feed(frame), "recognizer feed");
    }
    res.feed_us.push_back(ms_since(t0) * 1000.0);
    if (step.event && step.event->type == VadEventType::kSpeechEnd && s.open) {
      s.end_emit_ms = static_cast<double>(vad->now_ms());
      s.end_stamp_ms = static_cast<double>(step.event->at_ms);
      close_segment(rec, s, res);
    }
  }
  const bool ended = !s.open && s.end_emit_ms >= 0;
  if (s.open) close_segment(rec, s, res);  // the stream ended inside speech: not timed as an end
  if (ended) {
    const double real_end = (cond.mix.lead_s + u.speech_end_s) * 1000.0;
    res.final_ms.push_back(s.last_final_ms);
    res.detect_ms.push_back(s.end_emit_ms - real_end);
    res.stamp_ms.push_back(s.end_stamp_ms - real_end);
  }
  if (s.segments > 1) ++res.split;
  res.wer += word_errors(c.sentences[static_cast<size_t>(u.sentence)], s.text);
  return ended;
}

}  // namespace

std::vector<StreamResult> run_streaming(const Corpus& c, const std::vector<StreamCondition>& conditions,
                                        SpeechRecognizer& rec, int rounds) {
  std::vector<StreamResult> out(conditions.size());
  for (size_t k = 0; k < conditions.size(); ++k) out[k].condition = conditions[k];
  for (int r = 0; r < rounds; ++r) {
    // Utterance-major within the round: every condition sees an utterance
    // before the next one is streamed.
    std::vector<std::vector<int>> members;
    size_t longest = 0;
    for (const StreamCondition& cond : conditions) {
      members.push_back(round_members(cond.utterances, r, rounds));
      longest = std::max(longest, members.back().size());
    }
    for (size_t i = 0; i < longest; ++i) {
      for (size_t k = 0; k < conditions.size(); ++k) {
        if (i >= members[k].size()) continue;
        const size_t before = out[k].final_ms.size();
        if (!stream_one(c, c.utterances[static_cast<size_t>(members[k][i])], conditions[k], rec, out[k])) {
          ++out[k].no_end;
        }
        if (out[k].final_ms.size() > before) out[k].final_round.push_back(r);
      }
    }
    std::fprintf(stderr, "# streaming round %d/%d done\n", r + 1, rounds);
  }
  return out;
}

}  // namespace r1::voice_bench
