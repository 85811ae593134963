#include "model/kv/kv_cache.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

namespace r1::model {

namespace {

constexpr int64_t kMaxCtx = int64_t{1} << 24;

Status check_ctx(int64_t n_ctx) {
  if (n_ctx < 1 || n_ctx > kMaxCtx) {
    return make_error(ErrorCode::kInvalidArgument, "context length " + std::to_string(n_ctx) +
                                                       " is out of range [1, " + std::to_string(kMaxCtx) + "]");
  }
  return Status();
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

Error out_of_blocks(int64_t needed, int64_t n_free) {
  return make_error(ErrorCode::kResourceExhausted, "KV pool out of blocks: " + std::to_string(needed) +
                                                       " needed, " + std::to_string(n_free) + " free");
}

}  // namespace

KvCache::KvCache(std::shared_ptr<KvPool> pool, int64_t n_ctx) : pool_(std::move(pool)), n_ctx_(n_ctx) {}

KvCache::~KvCache() { release_from(0); }

Result<std::unique_ptr<KvCache>> KvCache::create(const ModelConfig& config, int64_t n_ctx, uint64_t max_bytes) {
  R1_RETURN_IF_ERROR(check_ctx(n_ctx));
  CHECK(config.n_layer > 0 && config.kv_dim() > 0);
  const uint64_t bytes = 2 * 2 * static_cast<uint64_t>(config.n_layer) * static_cast<uint64_t>(n_ctx) *
                         static_cast<uint64_t>(config.kv_dim());
  if (bytes > max_bytes) {
    return make_error(ErrorCode::kResourceExhausted,
                      "a KV cache of context " + std::to_string(n_ctx) + " needs " + std::to_string(bytes >> 20) +
                          " MiB, more than the limit of " + std::to_string(max_bytes >> 20) + " MiB");
  }
  // A private pool with exactly the blocks n_ctx positions need (the last
  // block may hold up to block_size - 1 unused positions).
  const int64_t bs = KvPool::kDefaultBlockSize;
  R1_ASSIGN_OR_RETURN(std::shared_ptr<KvPool> pool,
                      KvPool::create(config, ceil_div(n_ctx, bs), bs, std::numeric_limits<uint64_t>::max()));
  return std::unique_ptr<KvCache>(new KvCache(std::move(pool), n_ctx));
}

Result<std::unique_ptr<KvCache>> KvCache::create(std::shared_ptr<KvPool> pool, int64_t n_ctx) {
  CHECK(pool != nullptr);
  R1_RETURN_IF_ERROR(check_ctx(n_ctx));
  return std::unique_ptr<KvCache>(new KvCache(std::move(pool), n_ctx));
}

uint64_t KvCache::bytes() const {
  return 2 * 2 * static_cast<uint64_t>(n_layer()) * static_cast<uint64_t>(n_ctx_) *
         static_cast<uint64_t>(row_size());
}

uint64_t KvCache::held_bytes() const {
  return 2 * 2 * static_cast<uint64_t>(n_layer()) * static_cast<uint64_t>(reserved()) *
         static_cast<uint64_t>(row_size());
}

bool KvCache::partial_block_shared(int64_t n_positions) const {
  const int64_t bs = block_size();
  if (size_ % bs == 0 || n_positions <= size_) return false;
  return pool_->ref_count(blocks_[static_cast<size_t>(size_ / bs)]) > 1;
}

int64_t KvCache::blocks_needed(int64_t n_positions) const {
  const int64_t missing = std::max<int64_t>(0, ceil_div(n_positions, block_size()) - static_cast<int64_t>(blocks_.size()));
  return missing + (partial_block_shared(n_positions) ? 1 : 0);
}

Status KvCache::reserve(int64_t n_positions) {
  if (n_positions > n_ctx_) {
    return make_error(ErrorCode::kResourceExhausted, "context full: " + std::to_string(n_positions) +
                                                         " positions are past the context length " +
                                                         std::to_string(n_ctx_));
  }
  const bool cow = partial_block_shared(n_positions);
  const int64_t needed = blocks_needed(n_positions);
  if (needed == 0) return Status();
  std::vector<int32_t> fresh;
  if (!pool_->allocate(needed, &fresh)) return out_of_blocks(needed, pool_->n_free_blocks());
  size_t next = 0;
  if (cow) {
    // Copy-on-write: the block being appended to is shared; write a copy.
    int32_t& shared = blocks_[static_cast<size_t>(size_ / block_size())];
    pool_->copy_block(fresh[next], shared, size_ % block_size());
    pool_->release(shared);
    shared = fresh[next++];
  }
  blocks_.insert(blocks_.end(), fresh.begin() + static_cast<ptrdiff_t>(next), fresh.end());
  return Status();
}

void KvCache::unreserve(int64_t n_positions) {
  const int64_t keep = ceil_div(std::max(n_positions, size_), block_size());
  if (keep < static_cast<int64_t>(blocks_.size())) release_from(static_cast<size_t>(keep));
}

void KvCache::release_from(size_t first_block) {
  for (size_t i = first_block; i < blocks_.size(); ++i) pool_->release(blocks_[i]);
  blocks_.resize(std::min(first_block, blocks_.size()));
}

void KvCache::truncate(int64_t n) {
  CHECK(n >= 0 && n <= size_) << "truncate to " << n << " of " << size_;
  size_ = n;
  release_from(static_cast<size_t>(ceil_div(n, block_size())));
}

void KvCache::set_size(int64_t n) {
  CHECK(n >= 0 && n <= n_ctx_ && n <= reserved()) << "size " << n << " of " << n_ctx_ << " (" << reserved()
                                                   << " reserved)";
  size_ = n;
}

void KvCache::copy_rows_from(const KvCache& other, int64_t begin, int64_t end) {
  const size_t row_bytes = static_cast<size_t>(row_size()) * sizeof(uint16_t);
  for (int64_t pos = begin; pos < end; ++pos) {
    for (int64_t il = 0; il < n_layer(); ++il) {
      std::memcpy(k(il, pos), other.k(il, pos), row_bytes);
      std::memcpy(v(il, pos), other.v(il, pos), row_bytes);
    }
  }
}

Status KvCache::share_prefix_from(const KvCache& other, int64_t n) {
  CHECK(&other != this);
  CHECK(other.n_layer() == n_layer() && other.row_size() == row_size()) << "caches of different shapes";
  CHECK(n >= 0 && n <= other.size_ && n <= n_ctx_) << "share " << n << " of " << other.size_ << " (n_ctx "
                                                   << n_ctx_ << ")";
  const int64_t bs = block_size();
  const int64_t n_shared = pool_ == other.pool_ ? n / bs : 0;  // full blocks shared by reference
  const int64_t n_fresh = ceil_div(n, bs) - n_shared;
  // Blocks this cache frees by letting go of its contents: those only it holds.
  int64_t freeable = 0;
  for (int32_t b : blocks_) freeable += pool_->ref_count(b) == 1 ? 1 : 0;
  const int64_t n_free = pool_->n_free_blocks();
  if (n_fresh > n_free + freeable) return out_of_blocks(n_fresh, n_free + freeable);

  std::vector<int32_t> table(other.blocks_.begin(), other.blocks_.begin() + n_shared);
  for (int32_t b : table) pool_->retain(b);
  release_from(0);
  size_ = 0;
  if (!pool_->allocate(n_fresh, &table)) {  // only when another thread took blocks meanwhile
    for (int32_t b : table) pool_->release(b);
    return out_of_blocks(n_fresh, pool_->n_free_blocks());
  }
  blocks_ = std::move(table);
  if (pool_ == other.pool_ && n % bs != 0) {
    // Same pool: the trailing partial block is copied block-wise.
    pool_->copy_block(blocks_[static_cast<size_t>(n_shared)], other.blocks_[static_cast<size_t>(n_shared)], n % bs);
  } else {
    copy_rows_from(other, n_shared * bs, n);
  }
  size_ = n;
  return Status();
}

}  // namespace r1::model
