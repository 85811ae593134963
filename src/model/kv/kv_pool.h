// KvPool: shared fp16 block storage for the attention keys and values of
// many sequences (paged KV cache). A block holds block_size() consecutive
// positions of one sequence for every layer:
//
//   k, v: [n_blocks][n_layer][block_size][n_head_kv * head_dim] fp16
//
// so one layer's positions of a block are contiguous (attention streams
// them). Blocks are reference counted: a prefix cache or a forked sequence
// shares full blocks by retain(); a block returns to the free list when its
// last reference is released. Storage is allocated at create() without
// touching its pages; they come on first write.
//
// Thread contract: allocation and reference counts (allocate, retain,
// release, ref_count, n_free_blocks, usage_ratio) are internally
// synchronized, so caches over one pool may be created, grown and destroyed
// from different threads (in practice one owner thread, the scheduler, does
// it). Block contents are not synchronized: a block is written only through
// the one KvCache that holds it exclusively, by the forward pass using that
// cache; shared blocks (ref_count > 1) are read-only.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/result.h"
#include "model/config.h"

namespace r1::model {

class KvPool {
 public:
  static constexpr int64_t kDefaultBlockSize = 32;
  static constexpr uint64_t kDefaultMaxBytes = uint64_t{64} << 30;

  // Errors when n_blocks is not in [1, 2^24], block_size not in [1, 4096],
  // the pool would need more than max_bytes, or memory is short.
  static Result<std::shared_ptr<KvPool>> create(const ModelConfig& config, int64_t n_blocks,
                                                int64_t block_size = kDefaultBlockSize,
                                                uint64_t max_bytes = kDefaultMaxBytes);

  KvPool(const KvPool&) = delete;
  KvPool& operator=(const KvPool&) = delete;

  int64_t n_blocks() const { return n_blocks_; }
  int64_t block_size() const { return block_size_; }  // positions per block
  int64_t n_layer() const { return n_layer_; }
  int64_t row_size() const { return row_; }           // n_head_kv * head_dim
  uint64_t bytes() const;                              // storage of K and V
  bool compatible(const ModelConfig& config) const {
    return config.n_layer == n_layer_ && config.kv_dim() == row_;
  }

  int64_t n_free_blocks() const;
  double usage_ratio() const;  // blocks in use / n_blocks, in [0, 1]

  // Appends n fresh blocks (ref count 1) to out, or returns false and
  // changes nothing when fewer than n are free.
  bool allocate(int64_t n, std::vector<int32_t>* out);
  void retain(int32_t block);   // CHECKs the block is in use
  void release(int32_t block);  // frees it when the count reaches 0
  int32_t ref_count(int32_t block) const;

  // Layer il of a block: block_size() rows of row_size() fp16 values.
  uint16_t* k(int32_t block, int64_t il) { return k_.get() + offset(block, il); }
  uint16_t* v(int32_t block, int64_t il) { return v_.get() + offset(block, il); }
  const uint16_t* k(int32_t block, int64_t il) const { return k_.get() + offset(block, il); }
  const uint16_t* v(int32_t block, int64_t il) const { return v_.get() + offset(block, il); }

  // Copies positions [0, n_positions) of every layer of src into dst.
  void copy_block(int32_t dst, int32_t src, int64_t n_positions);

 private:
  KvPool(int64_t n_layer, int64_t row, int64_t n_blocks, int64_t block_size);
  size_t offset(int32_t block, int64_t il) const {
    DCHECK(block >= 0 && block < n_blocks_ && il >= 0 && il < n_layer_);
    return static_cast<size_t>(((int64_t{block} * n_layer_ + il) * block_size_) * row_);
  }

  const int64_t n_layer_;
  const int64_t row_;
  const int64_t n_blocks_;
  const int64_t block_size_;
  std::unique_ptr<uint16_t[]> k_;  // allocated, not touched
  std::unique_ptr<uint16_t[]> v_;

  mutable std::mutex mu_;
  std::vector<int32_t> refs_;  // per block; 0 = free
  std::vector<int32_t> free_;  // stack of free blocks
};

}  // namespace r1::model
