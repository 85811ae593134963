// KvCache: one sequence's attention keys and values for every layer, fp16
// (as llama.cpp does by default), as a block table over a KvPool (paged KV):
// position pos of layer il lives in block block_table()[pos / block_size()]
// at row pos % block_size(); a row is n_head_kv * head_dim fp16 values.
//
// Positions [0, size()) hold valid entries. A forward pass reserve()s the
// blocks for the positions it appends (size(), size() + 1, ...) before it
// writes any, and returns an error (never CHECKs) when that would go past
// n_ctx() or the pool is out of blocks. Blocks shared with other caches
// (share_prefix_from, or a prefix cache holding a reference) are read-only:
// reserve() copies a shared partial block before it is appended to
// (copy-on-write). Blocks go back to the pool on truncate(), clear() and
// destruction.
//
// Thread contract: not thread-safe. One thread (one forward pass) at a time
// may use a cache; nothing else may touch it meanwhile. Different caches over
// one pool may be used by different threads (see KvPool).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/result.h"
#include "model/config.h"
#include "model/kv/kv_pool.h"

namespace r1::model {

class KvCache {
 public:
  // A cache with a private pool sized for n_ctx positions, allocated without
  // touching its pages. Errors when n_ctx is not in [1, 2^24] or the cache
  // would need more than max_bytes (default 64 GiB).
  static Result<std::unique_ptr<KvCache>> create(const ModelConfig& config, int64_t n_ctx,
                                                 uint64_t max_bytes = KvPool::kDefaultMaxBytes);
  // A cache of at most n_ctx positions drawing blocks from a shared pool on
  // demand. Errors when n_ctx is not in [1, 2^24].
  static Result<std::unique_ptr<KvCache>> create(std::shared_ptr<KvPool> pool, int64_t n_ctx);

  ~KvCache();  // returns its blocks to the pool
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  int64_t n_ctx() const { return n_ctx_; }
  int64_t n_layer() const { return pool_->n_layer(); }
  int64_t row_size() const { return pool_->row_size(); }  // n_head_kv * head_dim
  int64_t size() const { return size_; }                  // valid positions
  uint64_t bytes() const;       // K and V of n_ctx positions (the most it may hold)
  uint64_t held_bytes() const;  // K and V of the blocks it holds now

  int64_t block_size() const { return pool_->block_size(); }
  // Positions backed by blocks: [0, reserved()) may be written or read.
  int64_t reserved() const { return static_cast<int64_t>(blocks_.size()) * block_size(); }
  const std::vector<int32_t>& block_table() const { return blocks_; }
  KvPool& pool() const { return *pool_; }
  const std::shared_ptr<KvPool>& shared_pool() const { return pool_; }

  // Fresh blocks reserve(n_positions) would take from the pool (new blocks,
  // plus one when a shared partial block must be copied first).
  int64_t blocks_needed(int64_t n_positions) const;
  // Makes positions [size(), n_positions) writable: allocates the missing
  // blocks and copies a shared partial block at size(). Errors, changing
  // nothing: n_positions > n_ctx() or the pool has too few free blocks
  // (kResourceExhausted).
  Status reserve(int64_t n_positions);
  // Returns blocks past those holding max(n_positions, size()) positions
  // (undoes a reserve() that was not used).
  void unreserve(int64_t n_positions);

  // Makes this cache hold positions [0, n) of `other` (of the same shape):
  // full blocks are shared by reference when both use the same pool, a
  // trailing partial block (or everything, across pools) is copied. Replaces
  // the current contents. Errors, changing nothing, when the pool has too few
  // free blocks (kResourceExhausted). CHECKs n <= other.size(), n <= n_ctx().
  Status share_prefix_from(const KvCache& other, int64_t n);

  void clear() { truncate(0); }
  // Drops positions [n, size()) and returns the blocks past them; CHECKs
  // n <= size().
  void truncate(int64_t n);
  // Marks [0, n) valid after a forward pass wrote them; CHECKs n <= n_ctx()
  // and n <= reserved().
  void set_size(int64_t n);

  // The row of layer il at position pos (< reserved()): row_size() fp16 values.
  uint16_t* k(int64_t il, int64_t pos) { return pool_->k(block_of(pos), il) + row_offset(pos); }
  uint16_t* v(int64_t il, int64_t pos) { return pool_->v(block_of(pos), il) + row_offset(pos); }
  const uint16_t* k(int64_t il, int64_t pos) const { return pool_->k(block_of(pos), il) + row_offset(pos); }
  const uint16_t* v(int64_t il, int64_t pos) const { return pool_->v(block_of(pos), il) + row_offset(pos); }
  // Layer il of the i-th block of the table: block_size() contiguous rows.
  const uint16_t* k_block(int64_t il, int64_t i) const { return pool_->k(blocks_[static_cast<size_t>(i)], il); }
  const uint16_t* v_block(int64_t il, int64_t i) const { return pool_->v(blocks_[static_cast<size_t>(i)], il); }

  // True when this cache fits a model of this config.
  bool compatible(const ModelConfig& config) const { return pool_->compatible(config); }

 private:
  KvCache(std::shared_ptr<KvPool> pool, int64_t n_ctx);
  int32_t block_of(int64_t pos) const {
    CHECK(pos >= 0 && pos < reserved()) << "position " << pos << " of " << reserved() << " reserved";
    return blocks_[static_cast<size_t>(pos / block_size())];
  }
  int64_t row_offset(int64_t pos) const { return (pos % block_size()) * row_size(); }
  bool partial_block_shared(int64_t n_positions) const;
  void release_from(size_t first_block);  // returns blocks_[first_block..]
  void copy_rows_from(const KvCache& other, int64_t begin, int64_t end);

  std::shared_ptr<KvPool> pool_;
  int64_t n_ctx_;
  int64_t size_ = 0;
  std::vector<int32_t> blocks_;
};

}  // namespace r1::model
