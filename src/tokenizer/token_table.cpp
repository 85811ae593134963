#include "tokenizer/token_table.h"

#include <bit>
#include <functional>

namespace r1::tokenizer {
namespace {

size_t table_size_for(size_t n) { return std::bit_ceil(std::max<size_t>(16, n * 2)); }

size_t hash_text(std::string_view s) { return std::hash<std::string_view>{}(s); }

size_t hash_pair(uint64_t key) {
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdull;
  key ^= key >> 33;
  key *= 0xc4ceb9fe1a85ec53ull;
  key ^= key >> 33;
  return static_cast<size_t>(key);
}

}  // namespace

void TextIndex::build(const std::vector<std::string>& texts) {
  const size_t size = table_size_for(texts.size());
  slots_.assign(size, Slot{0, -1});
  mask_ = size - 1;
  for (size_t id = 0; id < texts.size(); ++id) {
    const size_t h = hash_text(texts[id]);
    const auto tag = static_cast<uint32_t>(h >> 32);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.id < 0 || (slot.tag == tag && texts[slot.id] == texts[id])) {
        slot = Slot{tag, static_cast<int32_t>(id)};  // a duplicate text takes the later id
        break;
      }
    }
  }
}

int32_t TextIndex::find(const std::vector<std::string>& texts, std::string_view s) const {
  if (slots_.empty()) return -1;
  const size_t h = hash_text(s);
  const auto tag = static_cast<uint32_t>(h >> 32);
  for (size_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.id < 0) return -1;
    if (slot.tag == tag && texts[slot.id] == s) return slot.id;
  }
}

void MergeRanks::build(const std::vector<std::string>& merges, const TokenTable& table) {
  const size_t size = table_size_for(merges.size());
  slots_.assign(size, Slot{kEmpty, 0});
  mask_ = size - 1;
  count_ = 0;
  for (size_t r = 0; r < merges.size(); ++r) {
    const std::string& m = merges[r];
    const size_t sp = m.find(' ', 1);  // as llama.cpp: split at the first space after 0
    if (sp == std::string::npos) continue;
    const int32_t left = table.find(std::string_view(m).substr(0, sp));
    const int32_t right = table.find(std::string_view(m).substr(sp + 1));
    if (left < 0 || right < 0) continue;
    const uint64_t key = (static_cast<uint64_t>(left) << 32) | static_cast<uint32_t>(right);
    for (size_t i = hash_pair(key) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) break;  // the first (lowest) rank wins
      if (slots_[i].key == kEmpty) {
        slots_[i] = Slot{key, static_cast<int32_t>(r)};
        ++count_;
        break;
      }
    }
  }
}

int32_t MergeRanks::find(int32_t left, int32_t right) const {
  if (slots_.empty()) return -1;
  const uint64_t key = (static_cast<uint64_t>(left) << 32) | static_cast<uint32_t>(right);
  for (size_t i = hash_pair(key) & mask_;; i = (i + 1) & mask_) {
    if (slots_[i].key == key) return slots_[i].rank;
    if (slots_[i].key == kEmpty) return -1;
  }
}

}  // namespace r1::tokenizer
