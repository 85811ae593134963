// PrefixCache: automatic prefix caching over a shared KvPool (as vLLM's
// automatic prefix caching). Full KV blocks of finished and running
// sequences are kept, keyed by a hash chain over their token ids:
//
//   h(0) = mix(kRoot, tokens of block 0),  h(i) = mix(h(i-1), tokens of block i)
//
// so one key names a whole block-aligned prefix. Every node also stores its
// parent key and its block's tokens, checked on lookup, so a hash collision
// is a miss, never wrong K/V.
//
// Blocks are held through "snapshots": a KvCache over the same pool that
// shares (by reference count, no copy) the full blocks of the sequence it
// was taken from. A node is (snapshot, block index); a snapshot holds its
// whole prefix, so it can serve as the donor of KvCache::share_prefix_from
// for any node it owns. A node whose prefix is already cached by another
// snapshot is not duplicated: the new snapshot owns only the new blocks.
//
// Eviction is LRU over nodes that are the tail of their snapshot and whose
// block nobody else references (a running sequence or a longer snapshot), so
// every eviction frees one block and deeper blocks go before their parents.
// A lookup touches its chain deepest first, so the shallow blocks (a shared
// system prompt) are the most recently used.
//
// Thread contract: not thread-safe; used by the scheduler's engine thread
// only (the KvPool's counters are themselves synchronized).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "model/kv/kv_cache.h"
#include "model/kv/kv_pool.h"

namespace r1::engine {

class PrefixCache {
 public:
  // Snapshots are KvCaches of context n_ctx over `pool`.
  PrefixCache(std::shared_ptr<model::KvPool> pool, int64_t n_ctx);
  ~PrefixCache();
  PrefixCache(const PrefixCache&) = delete;
  PrefixCache& operator=(const PrefixCache&) = delete;

  struct Match {
    const model::KvCache* donor = nullptr;  // share_prefix_from(*donor, n_tokens)
    int64_t n_tokens = 0;                   // a multiple of the block size
  };
  // The longest cached block-aligned prefix of tokens of at most max_tokens.
  // Marks it recently used. The donor stays valid until the next insert,
  // evict or clear.
  Match lookup(std::span<const int32_t> tokens, int64_t max_tokens);

  // Caches the full blocks of `cache`, which holds the K/V of
  // tokens[0, cache.size()) (tokens may be longer).
  void insert(std::span<const int32_t> tokens, const model::KvCache& cache);

  // Evicts least recently used unreferenced blocks until n_blocks were freed
  // or none is left; returns the number freed.
  int64_t evict(int64_t n_blocks);
  void clear();

  int64_t n_nodes() const { return static_cast<int64_t>(nodes_.size()); }
  int64_t n_snapshots() const { return static_cast<int64_t>(snaps_.size()); }

 private:
  struct Node {
    uint64_t parent = 0;
    std::vector<int32_t> tokens;  // the block's token ids
    int64_t snap = 0;
    int64_t index = 0;            // block index in the snapshot
    uint64_t last_use = 0;
  };
  struct Snapshot {
    std::unique_ptr<model::KvCache> cache;
    std::vector<uint64_t> keys;  // node key of every block it holds
    int64_t first_owned = 0;     // blocks [first_owned, size) are its nodes
  };

  static uint64_t chain(uint64_t parent, std::span<const int32_t> block);
  // The node of `key` when it matches (parent, block), else null.
  Node* find(uint64_t key, uint64_t parent, std::span<const int32_t> block);
  void touch(uint64_t key, Node& node);
  bool evict_one();
  void drop_tail(Snapshot& snap, int64_t snap_id);

  std::shared_ptr<model::KvPool> pool_;
  int64_t n_ctx_;
  int64_t block_size_;
  std::unordered_map<uint64_t, Node> nodes_;
  std::unordered_map<int64_t, Snapshot> snaps_;
  std::map<uint64_t, uint64_t> lru_;  // last_use -> node key
  uint64_t clock_ = 0;
  int64_t next_snap_ = 1;
};

}  // namespace r1::engine
