#include "model/attention.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/ops.h"
#include "tensor/half.h"

namespace r1::model {
namespace {

// fp16 -> fp32 for all 65536 bit patterns (as ggml's table).
const float* fp16_table() {
  static const std::vector<float> kTable = [] {
    std::vector<float> t(65536);
    for (uint32_t i = 0; i < 65536; ++i) t[i] = fp16_to_fp32(static_cast<uint16_t>(i));
    return t;
  }();
  return kTable.data();
}

struct HeadJob {
  const kernels::QuantOps* f16;  // vec_dot of fp16 rows with an fp16 query
  const float* f16_to_f32;
  float scale;                   // 1 / sqrt(head_dim)
  float* scores;                 // [pos + 1] of this thread
  uint16_t* q16;                 // [d] of this thread
};

// out[d] = softmax(q . K[0..pos] * scale) . V[0..pos] for one head.
void attend_head(const AttentionInput& in, const HeadJob& job, int64_t t, int64_t h) {
  const ModelConfig& c = *in.config;
  const BatchEntry& e = in.batch[static_cast<size_t>(t)];
  const int64_t d = c.head_dim;
  const int64_t kv_off = (h / (c.n_head / c.n_head_kv)) * d;  // GQA: query head -> kv head
  const float* q = in.q + t * c.q_dim() + h * d;
  float* out = in.out + t * c.q_dim() + h * d;
  const int64_t n_kv = int64_t{e.pos} + 1;

  // q in fp16, as llama.cpp's F16 vec_dot_type for the K.Q product
  for (int64_t i = 0; i < d; ++i) job.q16[i] = fp32_to_fp16(q[i]);
  // scores[j] = (k_j . q) * scale, then softmax over [0, pos]
  for (int64_t j = 0; j < n_kv; ++j) {
    job.scores[j] = job.f16->vec_dot(d, e.cache->k(in.layer, j) + kv_off, job.q16) * job.scale;
  }
  kernels::softmax(job.scores, n_kv);
  // out = sum_j fp16(p_j) * v_j
  std::fill(out, out + d, 0.0f);
  for (int64_t j = 0; j < n_kv; ++j) {
    const float p = job.f16_to_f32[fp32_to_fp16(job.scores[j])];
    const uint16_t* v = e.cache->v(in.layer, j) + kv_off;
    for (int64_t i = 0; i < d; ++i) out[i] += p * job.f16_to_f32[v[i]];
  }
}

}  // namespace

void run_parallel(ThreadPool* pool, const std::function<void(int, int)>& fn) {
  if (pool == nullptr) {
    fn(0, 1);
  } else {
    pool->run(fn);
  }
}

void attend(const AttentionInput& in, Scratch& scratch, ThreadPool* pool) {
  const ModelConfig& c = *in.config;
  const int n_threads = pool == nullptr ? 1 : pool->size();
  int64_t max_ctx = 0;
  for (const BatchEntry& e : in.batch) max_ctx = std::max(max_ctx, e.cache->n_ctx());
  scratch.reserve_attention(n_threads, max_ctx, c.head_dim);

  const kernels::QuantOps& f16 = kernels::quant_ops(DType::kF16);
  CHECK(f16.vec_dot != nullptr && dtype_traits(DType::kF16).vec_dot_type == DType::kF16);
  const float* table = fp16_table();
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  const int64_t n_items = static_cast<int64_t>(in.batch.size()) * c.n_head;  // (token, head) pairs

  run_parallel(pool, [&](int th, int nth) {
    const HeadJob job{&f16, table, scale, scratch.scores.data() + th * scratch.score_stride,
                      scratch.q16.data() + th * c.head_dim};
    const int64_t begin = n_items * th / nth;
    const int64_t end = n_items * (th + 1) / nth;
    for (int64_t item = begin; item < end; ++item) attend_head(in, job, item / c.n_head, item % c.n_head);
  });
}

}  // namespace r1::model
