#include "voice/asr/pocketsphinx_recognizer.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/feat.h>
#pragma GCC diagnostic pop

#include <vector>

namespace r1::voice {
namespace {

constexpr double kFrameRate = 100.0;         // pocketsphinx's default -frate
constexpr size_t kFeedChunk = 1600;          // 100 ms: cancel is seen between chunks

// "word(2)" -> "word"; fillers, silences and sentence marks -> "".
std::string clean_word(const char* raw) {
  std::string w = raw ? raw : "";
  if (w.empty() || w[0] == '<' || w[0] == '[' || w[0] == '+') return "";
  const size_t paren = w.find('(');
  if (paren != std::string::npos && paren > 0) w.resize(paren);
  return w;
}

cmd_ln_t* make_config(const PocketsphinxPaths& p) {
  // -logfn /dev/null: pocketsphinx logs every utterance to stderr otherwise.
  // -remove_silence no: its own VAD drops silent frames before the search,
  // so word times would skip them; our VAD segments instead.
  return cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", p.hmm.c_str(), "-lm", p.lm.c_str(), "-dict",
                     p.dict.c_str(), "-logfn", "/dev/null", "-remove_silence", "no", nullptr);
}

class PocketsphinxRecognizer final : public SpeechRecognizer {
 public:
  PocketsphinxRecognizer(cmd_ln_t* config, ps_decoder_t* ps) : config_(config), ps_(ps) {
    cmn_t* cmn = ps_get_feat(ps_)->cmn_struct;
    initial_cmn_.resize(cmn->veclen);
    cmn_live_get(cmn, initial_cmn_.data());
  }
  ~PocketsphinxRecognizer() override {
    ps_free(ps_);
    cmd_ln_free_r(config_);
  }

  Status start() override {
    cancelled_.store(false);
    if (open_) ps_end_utt(ps_);
    // A new stream per utterance: Debian's pocketsphinx (5prealpha) counts
    // segment frames from the start of the stream, not of the utterance.
    open_ = ps_start_stream(ps_) == 0 && ps_start_utt(ps_) == 0;
    if (!open_) return make_error(ErrorCode::kInternal, "pocketsphinx: start_utt failed");
    return {};
  }

  Status feed(std::span<const int16_t> samples) override {
    if (!open_) return make_error(ErrorCode::kInvalidArgument, "recognizer: feed before start");
    for (size_t i = 0; i < samples.size(); i += kFeedChunk) {
      if (cancelled_.load(std::memory_order_relaxed)) return recognition_cancelled();
      const size_t n = std::min(kFeedChunk, samples.size() - i);
      if (ps_process_raw(ps_, samples.data() + i, n, FALSE, FALSE) < 0) {
        return make_error(ErrorCode::kInternal, "pocketsphinx: process_raw failed");
      }
    }
    return {};
  }

  std::string partial() override {
    if (!open_) return "";
    int32 score = 0;
    const char* hyp = ps_get_hyp(ps_, &score);
    return hyp ? hyp : "";
  }

  Result<Recognition> finish() override {
    if (!open_) return make_error(ErrorCode::kInvalidArgument, "recognizer: finish before start");
    open_ = false;
    if (ps_end_utt(ps_) < 0) return make_error(ErrorCode::kInternal, "pocketsphinx: end_utt failed");
    if (cancelled_.load()) return recognition_cancelled();
    return result();
  }

  void cancel() override { cancelled_.store(true); }

  // The live CMN carries over from utterance to utterance (a new stream
  // does not reset it): back to the model's initial mean.
  void reset() override { cmn_live_set(ps_get_feat(ps_)->cmn_struct, initial_cmn_.data()); }

 private:
  Recognition result() {
    Recognition r;
    logmath_t* lmath = ps_get_logmath(ps_);
    for (ps_seg_t* seg = ps_seg_iter(ps_); seg != nullptr; seg = ps_seg_next(seg)) {
      std::string w = clean_word(ps_seg_word(seg));
      if (w.empty()) continue;
      int sf = 0, ef = 0;
      ps_seg_frames(seg, &sf, &ef);
      int32 ascr = 0, lscr = 0, lback = 0;
      const int32 post = ps_seg_prob(seg, &ascr, &lscr, &lback);
      const double conf = std::clamp(logmath_exp(lmath, post), 0.0, 1.0);
      r.words.push_back({w, sf / kFrameRate, (ef + 1) / kFrameRate, conf});
      r.text += (r.text.empty() ? "" : " ") + w;
    }
    r.confidence = r.words.empty() ? 0.0 : std::clamp(logmath_exp(lmath, ps_get_prob(ps_)), 0.0, 1.0);
    return r;
  }

  cmd_ln_t* const config_;
  ps_decoder_t* const ps_;
  std::atomic<bool> cancelled_{false};
  bool open_ = false;
  std::vector<mfcc_t> initial_cmn_;
};

}  // namespace

PocketsphinxPaths default_pocketsphinx_paths() {
  const char* env = std::getenv("R1_POCKETSPHINX_MODEL");
  const std::string dir = env && *env ? env : "/usr/share/pocketsphinx/model/en-us";
  return {dir + "/en-us", dir + "/en-us.lm.bin", dir + "/cmudict-en-us.dict"};
}

PocketsphinxModel::PocketsphinxModel(PocketsphinxPaths paths) : paths_(std::move(paths)) {
  info_ = {"pocketsphinx-en-us", "pocketsphinx", {"en"}, true, true};
}

Result<std::unique_ptr<PocketsphinxModel>> PocketsphinxModel::load(const PocketsphinxPaths& paths) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(paths.hmm, ec)) {
    return make_error(ErrorCode::kNotFound, "pocketsphinx: acoustic model directory " + paths.hmm +
                                                " not found (Debian package pocketsphinx-en-us)");
  }
  for (const std::string& f : {paths.lm, paths.dict}) {
    if (!fs::is_regular_file(f, ec)) return make_error(ErrorCode::kNotFound, "pocketsphinx: " + f + " not found");
  }
  std::unique_ptr<PocketsphinxModel> model(new PocketsphinxModel(paths));
  R1_ASSIGN_OR_RETURN(std::unique_ptr<SpeechRecognizer> probe, model->create());
  return model;
}

Result<std::unique_ptr<SpeechRecognizer>> PocketsphinxModel::create() const {
  // pocketsphinx 0.8's argument parser and model loader share global state.
  static std::mutex init_mutex;
  std::lock_guard<std::mutex> lock(init_mutex);
  cmd_ln_t* config = make_config(paths_);
  if (config == nullptr) return make_error(ErrorCode::kInvalidArgument, "pocketsphinx: bad configuration");
  ps_decoder_t* ps = ps_init(config);
  if (ps == nullptr) {
    cmd_ln_free_r(config);
    return make_error(ErrorCode::kCorrupt, "pocketsphinx: could not load the model in " + paths_.hmm);
  }
  return std::unique_ptr<SpeechRecognizer>(new PocketsphinxRecognizer(config, ps));
}

}  // namespace r1::voice
