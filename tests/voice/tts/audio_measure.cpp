#include "audio_measure.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace r1::voice::test {

double rms(std::span<const int16_t> s) {
  if (s.empty()) return 0;
  double sum = 0;
  for (int16_t v : s) sum += static_cast<double>(v) * v;
  return std::sqrt(sum / static_cast<double>(s.size()));
}

namespace {

// F0 of one frame, 0 when it is not clearly periodic.
double frame_f0(std::span<const int16_t> f, int rate) {
  const size_t min_lag = static_cast<size_t>(rate / 400), max_lag = static_cast<size_t>(rate / 60);
  if (f.size() < 2 * max_lag) return 0;
  double energy = 0;
  for (int16_t v : f) energy += static_cast<double>(v) * v;
  if (energy <= 0) return 0;
  double best = 0;
  size_t best_lag = 0;
  for (size_t lag = min_lag; lag <= max_lag; ++lag) {
    double c = 0, e = 0;
    for (size_t i = 0; i + lag < f.size(); ++i) {
      c += static_cast<double>(f[i]) * f[i + lag];
      e += static_cast<double>(f[i + lag]) * f[i + lag];
    }
    const double norm = c / std::sqrt(energy * e + 1e-9);
    if (norm > best) {
      best = norm;
      best_lag = lag;
    }
  }
  return best > 0.6 && best_lag > 0 ? static_cast<double>(rate) / best_lag : 0;
}

}  // namespace

double median_f0(const Pcm16& pcm) {
  const size_t frame = static_cast<size_t>(pcm.sample_rate) * 40 / 1000;
  const size_t hop = static_cast<size_t>(pcm.sample_rate) * 10 / 1000;
  std::span<const int16_t> all(pcm.samples);
  const double loud = rms(all) * 0.8;
  std::vector<double> f0s;
  for (size_t at = 0; at + frame <= all.size(); at += hop) {
    std::span<const int16_t> f = all.subspan(at, frame);
    if (rms(f) < loud) continue;
    const double f0 = frame_f0(f, pcm.sample_rate);
    if (f0 > 0) f0s.push_back(f0);
  }
  if (f0s.empty()) return 0;
  std::nth_element(f0s.begin(), f0s.begin() + static_cast<long>(f0s.size() / 2), f0s.end());
  return f0s[f0s.size() / 2];
}

double longest_silence_s(const Pcm16& pcm, double threshold) {
  const size_t frame = static_cast<size_t>(pcm.sample_rate) / 100;
  std::span<const int16_t> all(pcm.samples);
  size_t run = 0, best = 0;
  for (size_t at = 0; at + frame <= all.size(); at += frame) {
    run = rms(all.subspan(at, frame)) < threshold ? run + 1 : 0;
    best = std::max(best, run);
  }
  return static_cast<double>(best) * 0.01;
}

int word_count(const std::string& text) {
  std::istringstream in(text);
  std::string w;
  int n = 0;
  while (in >> w) ++n;
  return n;
}

}  // namespace r1::voice::test
