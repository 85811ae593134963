#include "model/kv_cache.h"

#include <new>
#include <string>

namespace r1::model {

namespace {
constexpr int64_t kMaxCtx = int64_t{1} << 24;
}  // namespace

KvCache::KvCache(int64_t n_layer, int64_t n_ctx, int64_t row) : n_layer_(n_layer), n_ctx_(n_ctx), row_(row) {}

Result<std::unique_ptr<KvCache>> KvCache::create(const ModelConfig& config, int64_t n_ctx,
                                                 uint64_t max_bytes) {
  if (n_ctx < 1 || n_ctx > kMaxCtx) {
    return make_error(ErrorCode::kInvalidArgument,
                      "context length " + std::to_string(n_ctx) + " is out of range [1, " +
                          std::to_string(kMaxCtx) + "]");
  }
  CHECK(config.n_layer > 0 && config.kv_dim() > 0);
  const uint64_t bytes = 2 * 2 * static_cast<uint64_t>(config.n_layer) * static_cast<uint64_t>(n_ctx) *
                         static_cast<uint64_t>(config.kv_dim());
  if (bytes > max_bytes) {
    return make_error(ErrorCode::kResourceExhausted,
                      "a KV cache of context " + std::to_string(n_ctx) + " needs " + std::to_string(bytes >> 20) +
                          " MiB, more than the limit of " + std::to_string(max_bytes >> 20) + " MiB");
  }
  std::unique_ptr<KvCache> cache(new KvCache(config.n_layer, n_ctx, config.kv_dim()));
  const size_t n = static_cast<size_t>(bytes / 4);  // fp16 values in each of k and v
  cache->k_.reset(new (std::nothrow) uint16_t[n]);  // default-initialized: no page touched
  cache->v_.reset(new (std::nothrow) uint16_t[n]);
  if (!cache->k_ || !cache->v_) {
    return make_error(ErrorCode::kResourceExhausted,
                      "out of memory allocating a KV cache of " + std::to_string(bytes >> 20) + " MiB");
  }
  return cache;
}

uint64_t KvCache::bytes() const {
  return 2 * 2 * static_cast<uint64_t>(n_layer_) * static_cast<uint64_t>(n_ctx_) * static_cast<uint64_t>(row_);
}

void KvCache::truncate(int64_t n) {
  CHECK(n >= 0 && n <= size_) << "truncate to " << n << " of " << size_;
  size_ = n;
}

void KvCache::set_size(int64_t n) {
  CHECK(n >= 0 && n <= n_ctx_) << "size " << n << " of " << n_ctx_;
  size_ = n;
}

bool KvCache::compatible(const ModelConfig& config) const {
  return config.n_layer == n_layer_ && config.kv_dim() == row_;
}

}  // namespace r1::model
