// Measurements on synthesized audio for the tts tests: RMS, F0 by
// autocorrelation over voiced frames, the longest near-silent run, and a
// collecting sink.
//
// Thread contract: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "voice/audio/pcm.h"

namespace r1::voice::test {

double rms(std::span<const int16_t> s);
// Median F0 in Hz over voiced 40 ms frames (0 when none is voiced).
double median_f0(const Pcm16& pcm);
// The longest run of 10 ms frames with RMS below `threshold`, in seconds.
double longest_silence_s(const Pcm16& pcm, double threshold = 100.0);
int word_count(const std::string& text);

}  // namespace r1::voice::test
