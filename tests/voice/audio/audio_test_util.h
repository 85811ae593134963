// Helpers for the voice/audio tests: test signals, a frequency estimate,
// hand-built WAV bytes (for valid and deliberately broken headers), and
// running sox into a temp dir.
//
// Thread contract: pure helpers; each test owns what they return.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "voice/audio/pcm.h"

namespace r1::voice::test {

inline Pcm16 sine(int rate, double freq, double seconds, double amplitude = 0.5) {
  Pcm16 p;
  p.sample_rate = rate;
  const auto n = static_cast<size_t>(std::lround(seconds * rate));
  p.samples.resize(n);
  for (size_t i = 0; i < n; ++i) {
    p.samples[i] = static_cast<int16_t>(std::lround(amplitude * 32767.0 * std::sin(2 * M_PI * freq * i / rate)));
  }
  return p;
}

// Frequency from rising zero crossings between the first and last one
// (exact for a clean sine, whatever its phase), skipping `skip` samples
// at each end (codec and filter edges).
inline double zero_crossing_hz(const std::vector<int16_t>& s, int rate, size_t skip = 0) {
  long first = -1, last = -1, count = 0;
  for (size_t i = skip + 1; i + skip < s.size(); ++i) {
    if (s[i - 1] < 0 && s[i] >= 0) {
      if (first < 0) first = static_cast<long>(i);
      last = static_cast<long>(i);
      ++count;
    }
  }
  if (count < 2) return 0.0;
  return static_cast<double>(count - 1) * rate / static_cast<double>(last - first);
}

inline void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// A WAV file built field by field so tests can lie in any of them.
struct WavSpec {
  uint16_t format_tag = 1;  // 1 PCM, 3 IEEE float
  uint16_t channels = 1;
  uint32_t rate = 16000;
  uint16_t bits = 16;
  std::string data;              // the sample bytes
  int64_t declared_data = -1;    // data chunk size field; -1: data.size()
};

inline std::string make_wav(const WavSpec& w) {
  const uint32_t data_size = w.declared_data < 0 ? static_cast<uint32_t>(w.data.size())
                                                 : static_cast<uint32_t>(w.declared_data);
  const uint16_t align = static_cast<uint16_t>(w.channels * w.bits / 8);
  std::string out = "RIFF";
  put_le(out, 36 + w.data.size(), 4);
  out += "WAVEfmt ";
  put_le(out, 16, 4);
  put_le(out, w.format_tag, 2);
  put_le(out, w.channels, 2);
  put_le(out, w.rate, 4);
  put_le(out, uint64_t{w.rate} * align, 4);
  put_le(out, align, 2);
  put_le(out, w.bits, 2);
  out += "data";
  put_le(out, data_size, 4);
  return out + w.data;
}

inline std::string int16_bytes(const std::vector<int16_t>& s) {
  std::string out;
  for (int16_t v : s) put_le(out, static_cast<uint16_t>(v), 2);
  return out;
}

inline std::string float_bytes(const std::vector<float>& s) {
  std::string out(s.size() * 4, '\0');
  for (size_t i = 0; i < s.size(); ++i) std::memcpy(out.data() + 4 * i, &s[i], 4);
  return out;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool have_sox() { return std::system("command -v sox >/dev/null 2>&1") == 0; }

// Runs `sox <args>` (output paths inside args); false on failure.
inline bool sox(const std::string& args) { return std::system(("sox " + args + " 2>/dev/null").c_str()) == 0; }

}  // namespace r1::voice::test
