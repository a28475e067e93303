// The prefix cache's hash chain, lookup, insertion and LRU eviction.
#include "runtime/prefix_cache.h"

#include <algorithm>

namespace qwl {
namespace {

// splitmix64's finalizer: a cheap bijective mix with full avalanche.
uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace

PrefixCache::~PrefixCache() {
  clear();
}

uint64_t PrefixCache::namespace_key(std::string_view ns) {
  // FNV-1a over the bytes, then mixed; a distinct constant keeps "" away from zero.
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : ns) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ull;
  }
  return mix64(h ^ 0x51ed270b27a5f3c1ull);
}

uint64_t PrefixCache::block_key(uint64_t parent, std::span<const int32_t> tokens) {
  uint64_t h = mix64(parent + 0x9e3779b97f4a7c15ull);
  for (int32_t t : tokens) h = mix64(h ^ static_cast<uint32_t>(t));
  return h;
}

PrefixCache::Entry* PrefixCache::find(uint64_t key, uint64_t parent,
                                      std::span<const int32_t> tokens, std::string_view ns,
                                      bool first) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  Entry& e = it->second;
  if (e.parent != parent ||
      !std::equal(tokens.begin(), tokens.end(), e.tokens.begin(), e.tokens.end()))
    return nullptr;
  if (first && e.ns != ns) return nullptr;
  return &e;
}

void PrefixCache::touch(Entry& e, uint64_t key) {
  lru_.erase(e.lru);
  e.lru = lru_.insert(lru_.end(), key);
}

PrefixCache::Match PrefixCache::lookup(std::string_view ns, std::span<const int32_t> tokens) {
  ++stats_.lookups;
  const size_t bs = static_cast<size_t>(kv_->options().block_size);
  Match m;
  std::vector<std::pair<Entry*, uint64_t>> chain;
  uint64_t parent = namespace_key(ns);
  for (size_t i = 0; (i + 1) * bs <= tokens.size(); ++i) {
    const auto block_tokens = tokens.subspan(i * bs, bs);
    const uint64_t key = block_key(parent, block_tokens);
    Entry* e = find(key, parent, block_tokens, ns, i == 0);
    if (e == nullptr) break;
    m.blocks.push_back(e->block);
    chain.emplace_back(e, key);
    parent = key;
  }
  // Last block first, so the first blocks end up most recently used and are evicted last.
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) touch(*it->first, it->second);
  m.n_tokens = static_cast<int64_t>(m.blocks.size() * bs);
  stats_.hit_tokens += m.n_tokens;
  return m;
}

void PrefixCache::insert(std::string_view ns, std::span<const int32_t> tokens,
                         std::span<const int32_t> blocks) {
  const size_t bs = static_cast<size_t>(kv_->options().block_size);
  const size_t n = std::min(tokens.size() / bs, blocks.size());
  std::vector<std::pair<Entry*, uint64_t>> chain;
  uint64_t parent = namespace_key(ns);
  for (size_t i = 0; i < n; ++i) {
    const auto block_tokens = tokens.subspan(i * bs, bs);
    const uint64_t key = block_key(parent, block_tokens);
    Entry* e = find(key, parent, block_tokens, ns, i == 0);
    if (e == nullptr) {
      auto existing = entries_.find(key);
      // A 64-bit collision with different content: the chain cannot be indexed past here.
      if (existing != entries_.end()) break;
      Entry fresh;
      fresh.parent = parent;
      fresh.block = blocks[i];
      fresh.tokens.assign(block_tokens.begin(), block_tokens.end());
      if (i == 0) fresh.ns = std::string(ns);
      fresh.lru = lru_.insert(lru_.end(), key);
      kv_->ref_block(blocks[i]);
      e = &entries_.emplace(key, std::move(fresh)).first->second;
      ++stats_.inserted_blocks;
    }
    chain.emplace_back(e, key);
    parent = key;
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) touch(*it->first, it->second);
}

bool PrefixCache::make_free(int64_t n_free) {
  for (auto it = lru_.begin(); it != lru_.end() && kv_->n_free_blocks() < n_free;) {
    auto e = entries_.find(*it);
    if (kv_->ref_count(e->second.block) > 1) {
      ++it;
      continue;
    }
    kv_->unref_block(e->second.block);
    entries_.erase(e);
    it = lru_.erase(it);
    ++stats_.evicted_blocks;
  }
  return kv_->n_free_blocks() >= n_free;
}

void PrefixCache::clear() {
  for (auto& [key, e] : entries_) kv_->unref_block(e.block);
  entries_.clear();
  lru_.clear();
}

int64_t PrefixCache::n_evictable() const {
  int64_t n = 0;
  for (const auto& [key, e] : entries_)
    if (kv_->ref_count(e.block) == 1) ++n;
  return n;
}

bool PrefixCache::holds(int32_t block) const {
  for (const auto& [key, e] : entries_)
    if (e.block == block) return true;
  return false;
}

}  // namespace qwl
