#include "voice/tts/flite/flite_synthesizer.h"

#include <cmath>
#include <condition_variable>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "voice/tts/flite/chunk_queue.h"
#include "voice/tts/flite/silence_trim.h"
#include "voice/tts/synthesis_plan.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
extern "C" {
#include <flite/cst_cg.h>
#include <flite/flite.h>
cst_voice* register_cmu_us_slt(const char* voxdir);
cst_voice* register_cmu_us_rms(const char* voxdir);
cst_voice* register_cmu_us_awb(const char* voxdir);
cst_voice* register_cmu_us_kal16(const char* voxdir);
cst_voice* register_cmu_us_kal(const char* voxdir);
}
#pragma GCC diagnostic pop

namespace r1::voice {

struct FliteSynthesizer::Workers {
  std::mutex mu;
  std::condition_variable cv;
  int active = 0;

  void add() {
    std::lock_guard lock(mu);
    ++active;
  }
  void done() {
    std::lock_guard lock(mu);
    --active;
    cv.notify_all();
  }
  void wait_idle() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return active == 0; });
  }
};

namespace {

struct FliteVoice {
  VoiceInfo info;
  cst_voice* voice = nullptr;
  // For clustergen voices whose F0 comes from a SPAM model (rms), which
  // ignores f0_shift: a copy of the voice's model with SPAM off, so that
  // F0 comes from the (shifted) parameter model. Used only when the pitch
  // is not 0. Made once, never freed, never written after.
  const cst_cg_db* shiftable_db = nullptr;
};

const cst_cg_db* shiftable_copy(cst_voice* v) {
  const cst_val* db = flite_get_param_val(v->features, "cg_db", nullptr);
  if (db == nullptr) return nullptr;
  const cst_cg_db* cg = val_cg_db(db);
  if (cg == nullptr || cg->spamf0 == 0) return nullptr;
  auto* copy = new cst_cg_db(*cg);  // NOLINT: process lifetime, like the voice
  copy->spamf0 = 0;
  return copy;
}

struct VoiceEntry {
  const char* name;
  cst_voice* (*reg)(const char*);
  const char* gender;
};

constexpr VoiceEntry kVoices[] = {{"slt", register_cmu_us_slt, "female"},
                                  {"rms", register_cmu_us_rms, "male"},
                                  {"awb", register_cmu_us_awb, "male"},
                                  {"kal16", register_cmu_us_kal16, "male"},
                                  {"kal", register_cmu_us_kal, "male"}};

// flite's voices are global: registered once (a function-local static is
// initialised exactly once, thread-safely), warmed with a first utterance
// (which also tells the sample rate), never freed: the registry is never
// destroyed either, so a worker still winding down at exit is safe, and it
// stays reachable (no LSan report).
const std::vector<FliteVoice>& registry() {
  static const std::vector<FliteVoice>* const voices = new std::vector<FliteVoice>([] {
    flite_init();
    std::vector<FliteVoice> out;
    for (const VoiceEntry& e : kVoices) {
      cst_voice* v = e.reg(nullptr);
      if (v == nullptr) continue;
      cst_wave* w = flite_text_to_wave("Ready.", v);
      const int rate = w != nullptr ? w->sample_rate : 0;
      if (w != nullptr) delete_wave(w);
      if (rate <= 0) continue;
      out.push_back(
          FliteVoice{VoiceInfo{e.name, "en-US", e.gender, rate, "flite"}, v, shiftable_copy(v)});
    }
    return out;
  }());
  return *voices;
}

const FliteVoice* find_voice(const std::string& name) {
  for (const FliteVoice& v : registry()) {
    if (v.info.name == name) return &v;
  }
  return nullptr;
}

// flite's English front end reads ASCII: typographic punctuation becomes
// its ASCII form, other non-ASCII characters and control bytes a blank.
std::string flite_text(std::string_view in) {
  static constexpr std::pair<std::string_view, std::string_view> kMap[] = {
      {"\u2018", "'"}, {"\u2019", "'"}, {"\u201C", "\""}, {"\u201D", "\""},
      {"\u2013", " - "}, {"\u2014", " - "}, {"\u2026", "..."}, {"\u00A0", " "}};
  std::string out;
  for (size_t i = 0; i < in.size();) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      out += c < 0x20 ? ' ' : static_cast<char>(c);
      ++i;
      continue;
    }
    bool mapped = false;
    for (const auto& [from, to] : kMap) {
      if (in.substr(i).starts_with(from)) {
        out += to;
        i += from.size();
        mapped = true;
        break;
      }
    }
    if (mapped) continue;
    out += ' ';
    for (++i; i < in.size() && (static_cast<unsigned char>(in[i]) & 0xC0) == 0x80;) ++i;
  }
  return out;
}

// The state of one clause's streaming callback.
struct ClauseStream {
  ChunkQueue* queue;
  int sample_rate;
  double gain;
  SilenceTrim trim;
  std::vector<int16_t> raw, scaled;

  bool flush() {
    if (raw.empty()) return !queue->stopped();
    apply_gain(raw, gain, scaled);
    raw.clear();
    return queue->push(std::move(scaled), sample_rate);
  }
};

int stream_chunk(const cst_wave* w, int start, int size, int /*last*/,
                 cst_audio_streaming_info* asi) {
  auto* s = static_cast<ClauseStream*>(asi->userdata);
  if (w == nullptr || start < 0 || size < 0 || start > w->num_samples - size) {
    return CST_AUDIO_STREAM_STOP;
  }
  s->trim.feed(std::span<const int16_t>(w->samples + start, static_cast<size_t>(size)), s->raw);
  return s->flush() ? CST_AUDIO_STREAM_CONT : CST_AUDIO_STREAM_STOP;
}

Status synth_clause(const FliteVoice& v, const Piece& p, ChunkQueue& queue,
                    const FliteOptions& o) {
  const std::string text = flite_text(p.text);
  if (text.find_first_not_of(' ') == std::string::npos) return {};
  const int rate = v.info.sample_rate;
  ClauseStream s{&queue, rate, p.volume,
                 SilenceTrim(static_cast<size_t>(rate * o.pad_ms / 1000), true, p.soft_end), {}, {}};
  cst_audio_streaming_info* asi = new_audio_streaming_info();  // the utterance owns it
  asi->min_buffsize = std::max(64, rate * o.chunk_ms / 1000);
  asi->asc = stream_chunk;
  asi->userdata = &s;
  cst_utterance* u = new_utterance();
  utt_set_input_text(u, text.c_str());
  feat_set_float(u->features, "duration_stretch", static_cast<float>(1.0 / p.rate));
  feat_set_float(u->features, "f0_shift", static_cast<float>(std::exp2(p.pitch / 12.0)));
  feat_set(u->features, "streaming_info", audio_streaming_info_val(asi));
  if (v.shiftable_db != nullptr && p.pitch != 0) {
    feat_set(u->features, "cg_db", cg_db_val(v.shiftable_db));
  }
  u = flite_do_synth(u, v.voice, utt_synth);
  if (u == nullptr) return make_error(ErrorCode::kInternal, "flite could not synthesize a clause");
  delete_utterance(u);
  s.trim.finish(s.raw);
  s.flush();
  return {};
}

bool push_silence(ChunkQueue& queue, int sample_rate, int ms) {
  const size_t total = static_cast<size_t>(sample_rate) * static_cast<size_t>(ms) / 1000;
  const size_t step = static_cast<size_t>(sample_rate) / 10;  // 100 ms chunks
  for (size_t done = 0; done < total; done += step) {
    if (!queue.push(std::vector<int16_t>(std::min(step, total - done), 0), sample_rate)) {
      return false;
    }
  }
  return true;
}

void run_worker(ChunkQueue& queue, const std::vector<Piece>& plan, const FliteVoice& v,
                const FliteOptions& o) {
  Status status;
  for (const Piece& p : plan) {
    if (queue.stopped()) break;
    if (!p.text.empty()) {
      status = synth_clause(v, p, queue, o);
      if (!status.ok()) break;
    }
    if (p.break_ms > 0 && !push_silence(queue, v.info.sample_rate, p.break_ms)) break;
  }
  queue.finish(std::move(status));
}

}  // namespace

FliteSynthesizer::FliteSynthesizer(FliteOptions options)
    : options_(std::move(options)), workers_(std::make_shared<Workers>()) {
  (void)registry();
}

FliteSynthesizer::~FliteSynthesizer() { workers_->wait_idle(); }

std::vector<VoiceInfo> FliteSynthesizer::voices() const {
  std::vector<VoiceInfo> out;
  for (const FliteVoice& v : registry()) out.push_back(v.info);
  return out;
}

Status FliteSynthesizer::synthesize(std::string_view text, const SynthesisParams& params,
                                    const AudioSink& sink, const CancelToken& cancel) {
  R1_ASSIGN_OR_RETURN(VoiceInfo info, validate_request(text, params, voices()));
  const FliteVoice* voice = find_voice(info.name);
  CHECK(voice != nullptr) << info.name;
  R1_ASSIGN_OR_RETURN(std::vector<Piece> plan, plan_pieces(text, params, &options_.clauses));
  if (cancel.cancelled()) return cancelled_error();
  const size_t max_queued = static_cast<size_t>(options_.max_queued_s * info.sample_rate);
  auto queue = std::make_shared<ChunkQueue>(std::max<size_t>(max_queued, 1));
  workers_->add();
  std::thread worker;
  try {
    worker = std::thread([queue, plan = std::move(plan), voice, o = options_, w = workers_] {
      run_worker(*queue, plan, *voice, o);
      w->done();
    });
  } catch (const std::system_error& e) {
    workers_->done();
    return make_error(ErrorCode::kResourceExhausted, std::string("no synthesis thread: ") + e.what());
  }
  Status status = queue->drain(sink, cancel);
  // A finished worker is joined; a stopped one winds down on its own.
  if (queue->finished()) {
    worker.join();
  } else {
    worker.detach();
  }
  return status;
}

}  // namespace r1::voice
