#include "kv_attention_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <utility>

#include "core/check.h"
#include "kernels/ops.h"
#include "model/attention/attention_kernels.h"
#include "tensor/half.h"

namespace r1::model::test {

ModelConfig attn_config(int64_t n_head, int64_t n_head_kv, int64_t head_dim) {
  ModelConfig c;
  c.n_layer = 2;
  c.n_head = n_head;
  c.n_head_kv = n_head_kv;
  c.head_dim = head_dim;
  c.n_embd = n_head * head_dim;
  c.n_ff = 8;
  c.n_vocab = 8;
  return c;
}

Seq make_seq(const ModelConfig& c, std::shared_ptr<KvPool> pool, int64_t n, uint32_t seed) {
  Seq s;
  auto cache = pool ? KvCache::create(pool, 1 << 16) : KvCache::create(c, n);
  CHECK(cache.ok());
  s.cache = std::move(*cache);
  CHECK(s.cache->reserve(n).ok());
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const int64_t row = c.kv_dim();
  for (int64_t p = 0; p < n; ++p) {
    for (int64_t i = 0; i < row; ++i) {
      s.k.push_back(fp32_to_fp16(nd(rng)));
      s.v.push_back(fp32_to_fp16(nd(rng)));
    }
    std::memcpy(s.cache->k(1, p), s.k.data() + p * row, static_cast<size_t>(row) * 2);
    std::memcpy(s.cache->v(1, p), s.v.data() + p * row, static_cast<size_t>(row) * 2);
  }
  s.cache->set_size(n);
  return s;
}

std::vector<float> random_q(const ModelConfig& c, int64_t n_tok, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.5f);
  std::vector<float> q(static_cast<size_t>(n_tok * c.q_dim()));
  for (float& x : q) x = nd(rng);
  return q;
}

void legacy_attend(const ModelConfig& c, const BatchEntry& e, const float* q_tok, float* out_tok) {
  const int64_t d = c.head_dim, n_kv = int64_t{e.pos} + 1;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const float* table = fp16_table();
  std::vector<float> scores(static_cast<size_t>(n_kv));
  std::vector<uint16_t> q16(static_cast<size_t>(d));
  for (int64_t h = 0; h < c.n_head; ++h) {
    const int64_t kv_off = (h / (c.n_head / c.n_head_kv)) * d;
    for (int64_t i = 0; i < d; ++i) q16[i] = fp32_to_fp16(q_tok[h * d + i]);
    // The score of each position as attention_kernels.h defines it (the
    // scalar kernel, one row and one head at a time).
    for (int64_t j = 0; j < n_kv; ++j) {
      attention_kernels(AttentionPath::kScalar)
          .scores({.k = e.cache->k(1, j) + kv_off, .k_stride = 0, .n_rows = 1, .q = q16.data(), .n_heads = 1,
                   .d = d, .scale = scale, .out = scores.data() + j, .out_stride = 0});
    }
    kernels::softmax(scores.data(), n_kv);
    float* out = out_tok + h * d;
    std::fill(out, out + d, 0.0f);
    for (int64_t j = 0; j < n_kv; ++j) {
      const float p = table[fp32_to_fp16(scores[j])];
      const uint16_t* v = e.cache->v(1, j) + kv_off;
      for (int64_t i = 0; i < d; ++i) out[i] += p * table[v[i]];
    }
  }
}


}  // namespace r1::model::test
