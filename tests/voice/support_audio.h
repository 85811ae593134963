// Test signals for the voice tests: tones, white noise and mixes at a given
// SNR, and flite speech at 16 kHz (the recognizer's input).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "voice/audio/pcm.h"

namespace r1::voice::test {

inline std::vector<int16_t> tone(double hz, double seconds, double amplitude, int rate = kWorkRate) {
  std::vector<int16_t> s(static_cast<size_t>(seconds * rate));
  for (size_t i = 0; i < s.size(); ++i) {
    s[i] = static_cast<int16_t>(std::lround(amplitude * 32767 * std::sin(2 * M_PI * hz * i / rate)));
  }
  return s;
}

inline std::vector<int16_t> white_noise(size_t n, double amplitude, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> d(0.0, amplitude * 32767);
  std::vector<int16_t> s(n);
  for (int16_t& v : s) v = static_cast<int16_t>(std::clamp(std::lround(d(rng)), -32768L, 32767L));
  return s;
}

inline double rms(const int16_t* s, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(s[i]) * s[i];
  return n ? std::sqrt(sum / n) : 0.0;
}
inline double rms(const std::vector<int16_t>& s) { return rms(s.data(), s.size()); }

// signal + noise scaled so that rms(signal)/rms(noise) is snr_db.
inline std::vector<int16_t> mix_at_snr(const std::vector<int16_t>& signal, double snr_db, uint32_t seed) {
  std::vector<int16_t> noise = white_noise(signal.size(), 0.1, seed);
  const double gain = rms(signal) / (rms(noise) * std::pow(10.0, snr_db / 20.0));
  std::vector<int16_t> out(signal.size());
  for (size_t i = 0; i < signal.size(); ++i) {
    out[i] = static_cast<int16_t>(std::clamp(std::lround(signal[i] + gain * noise[i]), -32768L, 32767L));
  }
  return out;
}

inline std::vector<int16_t> silence(double seconds) {
  return std::vector<int16_t>(static_cast<size_t>(seconds * kWorkRate), 0);
}

inline void append(std::vector<int16_t>& to, const std::vector<int16_t>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

}  // namespace r1::voice::test
