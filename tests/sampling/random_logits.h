// Logits for the sampling tests: n draws of N(0, scale) from a seeded
// generator (the same vector for the same arguments on every run), and the
// -infinity that masks a token.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace r1::sampling::test {

constexpr float kInf = std::numeric_limits<float>::infinity();

inline std::vector<float> random_logits(size_t n, float scale, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace r1::sampling::test
