// libsamplerate wrappers and the 10 ms frame splitter; see resample.h.
#include "voice/audio/resample.h"

#include <samplerate.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace r1::voice {
namespace {

constexpr int kConverter = SRC_SINC_FASTEST;  // see the header for the measurement
constexpr size_t kBlockIn = 4096;             // input samples per src_process call

bool rate_ok(int rate) { return rate >= kMinResampleRate && rate <= kMaxResampleRate; }

}  // namespace

struct Resampler::State {
  SRC_STATE* src = nullptr;
  double ratio = 1.0;
  bool done = false;
  std::vector<float> in;
  std::vector<float> out;
  ~State() {
    if (src != nullptr) src_delete(src);
  }
};

Result<Resampler> Resampler::create(int in_rate, int out_rate) {
  if (!rate_ok(in_rate) || !rate_ok(out_rate)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "resample rates must be in [" + std::to_string(kMinResampleRate) + ", " +
                          std::to_string(kMaxResampleRate) + "] Hz, got " + std::to_string(in_rate) +
                          " -> " + std::to_string(out_rate));
  }
  auto state = std::make_unique<State>();
  int err = 0;
  state->src = src_new(kConverter, 1, &err);
  if (state->src == nullptr) {
    return make_error(ErrorCode::kInternal, std::string("libsamplerate: ") + src_strerror(err));
  }
  state->ratio = static_cast<double>(out_rate) / in_rate;
  return Resampler(in_rate, out_rate, std::move(state));
}

Resampler::Resampler(int in_rate, int out_rate, std::unique_ptr<State> state)
    : in_rate_(in_rate), out_rate_(out_rate), state_(std::move(state)) {}
Resampler::Resampler(Resampler&&) noexcept = default;
Resampler& Resampler::operator=(Resampler&&) noexcept = default;
Resampler::~Resampler() = default;

std::vector<int16_t> Resampler::feed(std::span<const int16_t> in) {
  std::vector<int16_t> out;
  for (size_t at = 0; at < in.size(); at += kBlockIn) {
    const std::vector<int16_t> part = process(in.subspan(at, std::min(kBlockIn, in.size() - at)), false);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

std::vector<int16_t> Resampler::flush() { return process({}, true); }

// One block through src_process; loops until libsamplerate has consumed
// all of it (and, at the end, drained its filter).
std::vector<int16_t> Resampler::process(std::span<const int16_t> in, bool end) {
  State& st = *state_;
  std::vector<int16_t> result;
  if (st.done) return result;
  if (in_rate_ == out_rate_) {
    st.done = end;
    return std::vector<int16_t>(in.begin(), in.end());
  }
  st.in.resize(in.size());
  if (!in.empty()) src_short_to_float_array(in.data(), st.in.data(), static_cast<int>(in.size()));
  st.out.resize(static_cast<size_t>(in.size() * st.ratio) + 256);
  SRC_DATA d{};
  d.data_in = st.in.data();
  d.input_frames = static_cast<long>(in.size());
  d.src_ratio = st.ratio;
  d.end_of_input = end ? 1 : 0;
  for (;;) {
    d.data_out = st.out.data();
    d.output_frames = static_cast<long>(st.out.size());
    const int err = src_process(st.src, &d);
    CHECK(err == 0) << src_strerror(err);
    const size_t produced = result.size();
    result.resize(produced + static_cast<size_t>(d.output_frames_gen));
    src_float_to_short_array(st.out.data(), result.data() + produced, static_cast<int>(d.output_frames_gen));
    d.data_in += d.input_frames_used;
    d.input_frames -= d.input_frames_used;
    if (d.input_frames == 0 && (!end || d.output_frames_gen == 0)) break;
  }
  if (end) st.done = true;
  return result;
}

Result<Pcm16> resample(const Pcm16& in, int out_rate) {
  R1_ASSIGN_OR_RETURN(Resampler r, Resampler::create(in.sample_rate, out_rate));
  Pcm16 out;
  out.sample_rate = out_rate;
  if (in.sample_rate == out_rate) {
    out.samples = in.samples;
    return out;
  }
  out.samples = r.feed(in.samples);
  const std::vector<int16_t> tail = r.flush();
  out.samples.insert(out.samples.end(), tail.begin(), tail.end());
  return out;
}

Result<Pcm16> to_work_format(const Pcm16& in) { return resample(in, kWorkRate); }

void FrameSplitter::push(std::span<const int16_t> in, const FrameFn& on_frame) {
  size_t at = 0;
  if (fill_ > 0) {
    const size_t n = std::min(in.size(), kFrameSamples - fill_);
    std::copy_n(in.begin(), n, carry_.begin() + static_cast<std::ptrdiff_t>(fill_));
    fill_ += n;
    at = n;
    if (fill_ < kFrameSamples) return;
    on_frame(Frame(carry_));
    fill_ = 0;
  }
  for (; in.size() - at >= kFrameSamples; at += kFrameSamples) {
    on_frame(Frame(in.subspan(at).first<kFrameSamples>()));
  }
  std::copy(in.begin() + static_cast<std::ptrdiff_t>(at), in.end(), carry_.begin());
  fill_ = in.size() - at;
}

bool FrameSplitter::flush(const FrameFn& on_frame) {
  if (fill_ == 0) return false;
  std::fill(carry_.begin() + static_cast<std::ptrdiff_t>(fill_), carry_.end(), int16_t{0});
  fill_ = 0;
  on_frame(Frame(carry_));
  return true;
}

}  // namespace r1::voice
