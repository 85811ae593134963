// KvCache: one sequence's attention keys and values for every layer, stored
// as fp16 (as llama.cpp does by default):
//
//   k, v: [n_layer][n_ctx][n_head_kv * head_dim] fp16
//
// Positions [0, size()) hold valid entries. A forward pass appends positions
// size(), size() + 1, ...; it returns an error (never CHECKs) when that would
// go past n_ctx().
//
// Thread contract: not thread-safe. One forward pass at a time may use a
// cache; nothing else may touch it meanwhile.
#pragma once

#include <cstdint>
#include <memory>

#include "core/result.h"
#include "model/config.h"

namespace r1::model {

class KvCache {
 public:
  // Errors when n_ctx is not in [1, 2^24] or the cache would need more than
  // max_bytes (default 64 GiB).
  static Result<std::unique_ptr<KvCache>> create(const ModelConfig& config, int64_t n_ctx,
                                                 uint64_t max_bytes = uint64_t{64} << 30);

  int64_t n_ctx() const { return n_ctx_; }
  int64_t n_layer() const { return n_layer_; }
  int64_t row_size() const { return row_; }  // n_head_kv * head_dim
  int64_t size() const { return size_; }     // valid positions
  uint64_t bytes() const;                     // memory held

  void clear() { size_ = 0; }
  // Drops positions [n, size()); CHECKs n <= size().
  void truncate(int64_t n);
  // Marks [0, n) valid after a forward pass wrote them; CHECKs n <= n_ctx().
  void set_size(int64_t n);

  // The row of layer il at position pos: row_size() fp16 values.
  uint16_t* k(int64_t il, int64_t pos) { return k_.get() + offset(il, pos); }
  uint16_t* v(int64_t il, int64_t pos) { return v_.get() + offset(il, pos); }
  const uint16_t* k(int64_t il, int64_t pos) const { return k_.get() + offset(il, pos); }
  const uint16_t* v(int64_t il, int64_t pos) const { return v_.get() + offset(il, pos); }

  // True when this cache fits a model of this config.
  bool compatible(const ModelConfig& config) const;

 private:
  KvCache(int64_t n_layer, int64_t n_ctx, int64_t row);
  size_t offset(int64_t il, int64_t pos) const {
    DCHECK(il >= 0 && il < n_layer_ && pos >= 0 && pos < n_ctx_);
    return static_cast<size_t>((il * n_ctx_ + pos) * row_);
  }

  int64_t n_layer_;
  int64_t n_ctx_;
  int64_t row_;
  int64_t size_ = 0;
  std::unique_ptr<uint16_t[]> k_;  // allocated, not touched: pages come on first write
  std::unique_ptr<uint16_t[]> v_;
};

}  // namespace r1::model
