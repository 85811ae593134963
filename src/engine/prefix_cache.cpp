#include "engine/prefix_cache.h"

#include <algorithm>

#include "core/check.h"

namespace r1::engine {

namespace {

constexpr uint64_t kRoot = 0x6a09e667f3bcc908ULL;

uint64_t mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

PrefixCache::PrefixCache(std::shared_ptr<model::KvPool> pool, int64_t n_ctx)
    : pool_(std::move(pool)), n_ctx_(n_ctx), block_size_(pool_->block_size()) {}

PrefixCache::~PrefixCache() { clear(); }

uint64_t PrefixCache::chain(uint64_t parent, std::span<const int32_t> block) {
  uint64_t h = mix64(parent + 0x9e3779b97f4a7c15ULL);
  for (int32_t t : block) h = mix64(h ^ (static_cast<uint64_t>(static_cast<uint32_t>(t)) + 0x632be59bd9b4e019ULL));
  return h;
}

PrefixCache::Node* PrefixCache::find(uint64_t key, uint64_t parent, std::span<const int32_t> block) {
  auto it = nodes_.find(key);
  if (it == nodes_.end()) return nullptr;
  Node& n = it->second;
  if (n.parent != parent || !std::equal(block.begin(), block.end(), n.tokens.begin(), n.tokens.end())) {
    return nullptr;  // a collision: treat as a miss
  }
  return &n;
}

void PrefixCache::touch(uint64_t key, Node& node) {
  if (node.last_use != 0) lru_.erase(node.last_use);
  node.last_use = ++clock_;
  lru_[node.last_use] = key;
}

PrefixCache::Match PrefixCache::lookup(std::span<const int32_t> tokens, int64_t max_tokens) {
  const int64_t n_max = std::min<int64_t>(max_tokens, static_cast<int64_t>(tokens.size())) / block_size_;
  std::vector<uint64_t> path;
  uint64_t parent = kRoot;
  Node* last = nullptr;
  for (int64_t i = 0; i < n_max; ++i) {
    const auto block = tokens.subspan(static_cast<size_t>(i * block_size_), static_cast<size_t>(block_size_));
    const uint64_t key = chain(parent, block);
    Node* n = find(key, parent, block);
    if (n == nullptr) break;
    path.push_back(key);
    last = n;
    parent = key;
  }
  if (last == nullptr) return {};
  for (auto it = path.rbegin(); it != path.rend(); ++it) touch(*it, nodes_.at(*it));
  const Snapshot& snap = snaps_.at(last->snap);
  DCHECK(snap.cache->size() >= static_cast<int64_t>(path.size()) * block_size_);
  return {snap.cache.get(), static_cast<int64_t>(path.size()) * block_size_};
}

void PrefixCache::insert(std::span<const int32_t> tokens, const model::KvCache& cache) {
  int64_t n_full = std::min<int64_t>(cache.size(), static_cast<int64_t>(tokens.size())) / block_size_;
  std::vector<uint64_t> keys;
  std::vector<uint64_t> parents;
  int64_t first_new = -1;
  uint64_t parent = kRoot;
  for (int64_t i = 0; i < n_full; ++i) {
    const auto block = tokens.subspan(static_cast<size_t>(i * block_size_), static_cast<size_t>(block_size_));
    const uint64_t key = chain(parent, block);
    const bool present = nodes_.count(key) > 0;
    // Stop at a collision, or at a cached node below an uncached one.
    if (present && (find(key, parent, block) == nullptr || first_new >= 0)) {
      n_full = i;
      break;
    }
    if (!present && first_new < 0) first_new = i;
    keys.push_back(key);
    parents.push_back(parent);
    parent = key;
  }
  if (first_new >= 0 && first_new < n_full) {
    auto snap_cache = model::KvCache::create(pool_, n_ctx_);
    if (!snap_cache.ok() || !(*snap_cache)->share_prefix_from(cache, n_full * block_size_).ok()) return;
    const int64_t id = next_snap_++;
    Snapshot& snap = snaps_[id];
    snap.cache = std::move(*snap_cache);
    snap.keys.assign(keys.begin(), keys.begin() + n_full);
    snap.first_owned = first_new;
    for (int64_t i = first_new; i < n_full; ++i) {
      const auto block = tokens.subspan(static_cast<size_t>(i * block_size_), static_cast<size_t>(block_size_));
      Node& n = nodes_[keys[static_cast<size_t>(i)]];
      n.parent = parents[static_cast<size_t>(i)];
      n.tokens.assign(block.begin(), block.end());
      n.snap = id;
      n.index = i;
    }
  }
  for (int64_t i = n_full - 1; i >= 0; --i) touch(keys[static_cast<size_t>(i)], nodes_.at(keys[static_cast<size_t>(i)]));
}

void PrefixCache::drop_tail(Snapshot& snap, int64_t snap_id) {
  const uint64_t key = snap.keys.back();
  auto it = nodes_.find(key);
  CHECK(it != nodes_.end());
  lru_.erase(it->second.last_use);
  nodes_.erase(it);
  snap.keys.pop_back();
  snap.cache->truncate(static_cast<int64_t>(snap.keys.size()) * block_size_);
  // Blocks below first_owned belong to other snapshots' nodes (or running
  // sequences): this snapshot is no longer needed.
  if (static_cast<int64_t>(snap.keys.size()) <= snap.first_owned) snaps_.erase(snap_id);
}

bool PrefixCache::evict_one() {
  for (const auto& [use, key] : lru_) {
    const Node& n = nodes_.at(key);
    Snapshot& snap = snaps_.at(n.snap);
    if (n.index + 1 != static_cast<int64_t>(snap.keys.size())) continue;  // not a tail
    const int32_t block = snap.cache->block_table()[static_cast<size_t>(n.index)];
    if (pool_->ref_count(block) != 1) continue;  // still in use elsewhere
    drop_tail(snap, n.snap);
    return true;
  }
  return false;
}

int64_t PrefixCache::evict(int64_t n_blocks) {
  const int64_t before = pool_->n_free_blocks();
  while (pool_->n_free_blocks() - before < n_blocks && evict_one()) {
  }
  return pool_->n_free_blocks() - before;
}

void PrefixCache::clear() {
  lru_.clear();
  nodes_.clear();
  snaps_.clear();
}

}  // namespace r1::engine
