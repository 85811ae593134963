// matmul: activations converted once per token to the weight's vec_dot_type.
// Where the ISA has a multi-token kernel for the weight type, each weight
// block is unpacked once per tile of up to kGemmTokens tokens (decode: one);
// elsewhere one vec_dot per (row, token); that kernel is bit for bit the ISA's vec_dot per
// (row, token), so every output is the same function of (weight row, token
// row) and results do not depend on threads, batch size or tiling.
//
// Work is handed out in chunks of rows by an atomic counter, so a thread
// that is descheduled (other processes share the cores) holds up at most
// one chunk while the others take the rest.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <vector>

#include "core/check.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/ops.h"
#include "kernels/x86/x86.h"

namespace r1::kernels {
namespace {

using x86::GemmKernel;
using x86::kGemmTokens;

constexpr int64_t kRowTile = 16;            // decode: rows per vec_dot tile
constexpr int64_t kDecodeChunksPerThread = 8;
constexpr int64_t kPrefillChunksPerThread = 4;
// Prefill: weight bytes of one chunk of rows, kept in L2 while the token
// tiles sweep over them.
constexpr size_t kChunkWeightBytes = size_t{48} << 10;
constexpr size_t kPackAlign = 64;  // packed activations start on a cache line

#if defined(__x86_64__)
const GemmKernel* find_gemm(DType t, Isa isa) {
  switch (isa) {
    case Isa::kAvx512: return x86::avx512_gemm(t);
    case Isa::kAvx2: return x86::avx2_gemm(t);
    default: return nullptr;
  }
}
#else
const GemmKernel* find_gemm(DType, Isa) { return nullptr; }
#endif

int n_threads(ThreadPool* pool) { return pool == nullptr ? 1 : pool->size(); }

// fn(c) for every chunk c < n, the chunks handed out in order to the threads.
void for_chunks(ThreadPool* pool, int64_t n, const std::function<void(int64_t)>& fn) {
  if (n_threads(pool) == 1 || n <= 1) {
    for (int64_t c = 0; c < n; ++c) fn(c);
    return;
  }
  std::atomic<int64_t> next{0};
  pool->run([&](int, int) {
    for (int64_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < n;) fn(c);
  });
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Token rows ready for the dot kernels: data + t * stride.
struct Activations {
  const uint8_t* data;
  size_t stride;
};

// Converts (and, for a multi-token kernel that wants it, repacks) the tokens.
Activations convert(const WeightView& w, const float* x, int64_t n_tokens, Isa isa, const GemmKernel* gemm,
                    ThreadPool* pool) {
  const DType at = dtype_traits(w.type).vec_dot_type;
  const size_t a_row = dtype_row_bytes(at, w.cols);
  const bool packed = gemm != nullptr && gemm->pack != nullptr;
  if (at == DType::kF32 && !packed) return {reinterpret_cast<const uint8_t*>(x), a_row};
  const FromFloatFn from_float = quant_ops(at, isa).from_float;
  CHECK(from_float != nullptr);
  const size_t p_row = packed ? gemm->packed_bytes(w.cols) : 0;
  thread_local std::vector<uint8_t> scratch, packed_scratch;
  scratch.resize(a_row * static_cast<size_t>(n_tokens));
  packed_scratch.resize(p_row * static_cast<size_t>(n_tokens) + kPackAlign);
  uint8_t* dst = scratch.data();
  uint8_t* pdst = packed_scratch.data();
  pdst += (kPackAlign - reinterpret_cast<uintptr_t>(pdst) % kPackAlign) % kPackAlign;
  for_chunks(pool, n_tokens, [&](int64_t t) {
    from_float(x + t * w.cols, dst + t * a_row, w.cols);
    if (packed) gemm->pack(w.cols, dst + t * a_row, pdst + t * p_row);
  });
  return packed ? Activations{pdst, p_row} : Activations{dst, a_row};
}

// One vec_dot per (row, token), rows in tiles kept hot across the tokens.
void matmul_rows(const WeightView& w, VecDotFn vec_dot, Activations a, int64_t n_tokens, float* y,
                 ThreadPool* pool) {
  const auto* weights = static_cast<const uint8_t*>(w.data);
  const size_t w_row = dtype_row_bytes(w.type, w.cols);
  const int64_t n_tiles = ceil_div(w.rows, kRowTile);
  const int64_t per_chunk = std::max<int64_t>(1, n_tiles / (kDecodeChunksPerThread * n_threads(pool)));
  for_chunks(pool, ceil_div(n_tiles, per_chunk), [&](int64_t c) {
    const int64_t r_end = std::min(w.rows, (c + 1) * per_chunk * kRowTile);
    for (int64_t r0 = c * per_chunk * kRowTile; r0 < r_end; r0 += kRowTile) {
      const int64_t r1 = std::min(r_end, r0 + kRowTile);
      for (int64_t t = 0; t < n_tokens; ++t) {
        const uint8_t* at = a.data + t * a.stride;
        float* yt = y + t * w.rows;
        for (int64_t r = r0; r < r1; ++r) yt[r] = vec_dot(w.cols, weights + r * w_row, at);
      }
    }
  });
}

// Rows per chunk of matmul_tiles: decode (one token) streams the weights,
// in chunks small enough to balance the threads; prefill keeps a chunk's
// weights in L2 while the token tiles sweep over it.
int64_t tile_chunk_rows(const WeightView& w, int64_t n_tokens, ThreadPool* pool) {
  if (n_tokens == 1) {
    return std::max<int64_t>(kRowTile, w.rows / (kDecodeChunksPerThread * n_threads(pool)));
  }
  const size_t w_row = dtype_row_bytes(w.type, w.cols);
  const int64_t per_chunk = std::max<int64_t>(1, static_cast<int64_t>(kChunkWeightBytes / w_row));
  return std::min(per_chunk, std::max<int64_t>(1, w.rows / (kPrefillChunksPerThread * n_threads(pool))));
}

// Chunks of rows; in each, the token tiles sweep over the chunk's rows.
void matmul_tiles(const WeightView& w, const GemmKernel& gemm, Activations a, int64_t n_tokens, float* y,
                  ThreadPool* pool) {
  const auto* weights = static_cast<const uint8_t*>(w.data);
  const size_t w_row = dtype_row_bytes(w.type, w.cols);
  const int64_t per_chunk = tile_chunk_rows(w, n_tokens, pool);
  for_chunks(pool, ceil_div(w.rows, per_chunk), [&](int64_t c) {
    const int64_t r0 = c * per_chunk, r1 = std::min(w.rows, r0 + per_chunk);
    for (int64_t t0 = 0; t0 < n_tokens; t0 += kGemmTokens) {
      const int nt = static_cast<int>(std::min<int64_t>(kGemmTokens, n_tokens - t0));
      const uint8_t* at = a.data + t0 * a.stride;
      float* yt = y + t0 * w.rows;
      const bool stream = n_tokens <= kGemmTokens;  // one tile: each row is read once
      gemm.dot({w.cols, weights + r0 * w_row, w_row, r1 - r0, at, a.stride, nt, yt + r0, w.rows, stream});
    }
  });
}

}  // namespace

void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool) {
  CHECK(w.data != nullptr && x != nullptr && y != nullptr);
  CHECK(w.rows > 0 && w.cols > 0 && n_tokens > 0) << w.rows << "x" << w.cols << " @ " << n_tokens;
  const DTypeTraits& traits = dtype_traits(w.type);
  CHECK(traits.supported) << "matmul on unsupported dtype " << traits.name;
  const Isa isa = active_isa();
  const VecDotFn vec_dot = quant_ops(w.type, isa).vec_dot;
  CHECK(vec_dot != nullptr) << traits.name;
  // The multi-token kernel serves decode too (one token): it is bit for bit
  // vec_dot, and its packed activations suit it better.
  const GemmKernel* gemm = find_gemm(w.type, isa);
  const Activations a = convert(w, x, n_tokens, isa, gemm, pool);
  if (gemm != nullptr) {
    matmul_tiles(w, *gemm, a, n_tokens, y, pool);
  } else {
    matmul_rows(w, vec_dot, a, n_tokens, y, pool);
  }
}

}  // namespace r1::kernels
