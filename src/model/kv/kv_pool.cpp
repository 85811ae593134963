#include "model/kv/kv_pool.h"

#include <cstring>
#include <new>
#include <string>

namespace r1::model {

namespace {
constexpr int64_t kMaxBlocks = int64_t{1} << 24;
constexpr int64_t kMaxBlockSize = 4096;
}  // namespace

KvPool::KvPool(int64_t n_layer, int64_t row, int64_t n_blocks, int64_t block_size)
    : n_layer_(n_layer), row_(row), n_blocks_(n_blocks), block_size_(block_size) {
  refs_.assign(static_cast<size_t>(n_blocks), 0);
  free_.reserve(static_cast<size_t>(n_blocks));
  // Stack order: block 0 is handed out first.
  for (int64_t b = n_blocks - 1; b >= 0; --b) free_.push_back(static_cast<int32_t>(b));
}

Result<std::shared_ptr<KvPool>> KvPool::create(const ModelConfig& config, int64_t n_blocks, int64_t block_size,
                                               uint64_t max_bytes) {
  if (n_blocks < 1 || n_blocks > kMaxBlocks) {
    return make_error(ErrorCode::kInvalidArgument, "KV pool of " + std::to_string(n_blocks) +
                                                       " blocks is out of range [1, " + std::to_string(kMaxBlocks) + "]");
  }
  if (block_size < 1 || block_size > kMaxBlockSize) {
    return make_error(ErrorCode::kInvalidArgument, "KV block size " + std::to_string(block_size) +
                                                       " is out of range [1, " + std::to_string(kMaxBlockSize) + "]");
  }
  CHECK(config.n_layer > 0 && config.kv_dim() > 0);
  const uint64_t values = static_cast<uint64_t>(n_blocks) * static_cast<uint64_t>(block_size) *
                          static_cast<uint64_t>(config.n_layer) * static_cast<uint64_t>(config.kv_dim());
  const uint64_t bytes = 2 * 2 * values;  // k and v, 2 bytes each
  if (bytes > max_bytes) {
    return make_error(ErrorCode::kResourceExhausted, "a KV pool of " + std::to_string(n_blocks) + " blocks needs " +
                                                         std::to_string(bytes >> 20) + " MiB, more than the limit of " +
                                                         std::to_string(max_bytes >> 20) + " MiB");
  }
  std::shared_ptr<KvPool> pool(new KvPool(config.n_layer, config.kv_dim(), n_blocks, block_size));
  pool->k_.reset(new (std::nothrow) uint16_t[values]);  // default-initialized: no page touched
  pool->v_.reset(new (std::nothrow) uint16_t[values]);
  if (!pool->k_ || !pool->v_) {
    return make_error(ErrorCode::kResourceExhausted,
                      "out of memory allocating a KV pool of " + std::to_string(bytes >> 20) + " MiB");
  }
  return pool;
}

uint64_t KvPool::bytes() const {
  return 2 * 2 * static_cast<uint64_t>(n_blocks_) * static_cast<uint64_t>(block_size_) *
         static_cast<uint64_t>(n_layer_) * static_cast<uint64_t>(row_);
}

int64_t KvPool::n_free_blocks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(free_.size());
}

double KvPool::usage_ratio() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<double>(n_blocks_ - static_cast<int64_t>(free_.size())) / static_cast<double>(n_blocks_);
}

bool KvPool::allocate(int64_t n, std::vector<int32_t>* out) {
  CHECK(n >= 0 && out != nullptr);
  std::lock_guard<std::mutex> lock(mu_);
  if (n > static_cast<int64_t>(free_.size())) return false;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t b = free_.back();
    free_.pop_back();
    refs_[static_cast<size_t>(b)] = 1;
    out->push_back(b);
  }
  return true;
}

void KvPool::retain(int32_t block) {
  std::lock_guard<std::mutex> lock(mu_);
  CHECK(block >= 0 && block < n_blocks_) << "block " << block;
  int32_t& r = refs_[static_cast<size_t>(block)];
  CHECK(r > 0) << "retain of free block " << block;
  ++r;
}

void KvPool::release(int32_t block) {
  std::lock_guard<std::mutex> lock(mu_);
  CHECK(block >= 0 && block < n_blocks_) << "block " << block;
  int32_t& r = refs_[static_cast<size_t>(block)];
  CHECK(r > 0) << "release of free block " << block;
  if (--r == 0) free_.push_back(block);
}

int32_t KvPool::ref_count(int32_t block) const {
  std::lock_guard<std::mutex> lock(mu_);
  CHECK(block >= 0 && block < n_blocks_) << "block " << block;
  return refs_[static_cast<size_t>(block)];
}

void KvPool::copy_block(int32_t dst, int32_t src, int64_t n_positions) {
  CHECK(n_positions >= 0 && n_positions <= block_size_);
  CHECK(dst != src);
  const size_t n = static_cast<size_t>(n_positions * row_) * sizeof(uint16_t);
  if (n == 0) return;
  for (int64_t il = 0; il < n_layer_; ++il) {
    std::memcpy(k(dst, il), k(src, il), n);
    std::memcpy(v(dst, il), v(src, il), n);
  }
}

}  // namespace r1::model
