// PrefixCache: an index of full KV blocks by the tokens that filled them, so that a new sequence
// whose prompt starts like an earlier one (a system prompt, a previous chat turn) reuses those
// blocks instead of recomputing them.
//
// A key covers one block of block_size tokens and everything before it: key_i = hash(key_{i-1},
// tokens of block i), with key_{-1} = hash(namespace). Two prompts share a key only if they agree
// on every token up to the end of that block and on the namespace (which isolates tenants, e.g.
// API keys; "" is shared). Each entry also stores its block's tokens and its parent key and a
// lookup compares them, so a hash collision can never hand out the wrong K/V.
//
// Ownership: the cache holds one KvCache reference on each block it indexes (KvCache::ref_block),
// so an indexed block outlives the sequence that filled it. Sequences that reuse a block add their
// own references; a block is evictable when the cache's reference is the only one left. Eviction
// is least recently used first; lookup() marks a chain used from its last block to its first, so
// a chain's first blocks (shared by more prompts) go last. Evicting a block whose descendants are
// still indexed leaves them unreachable until the same prefix is inserted again; they stay
// correct and age out like any other entry.
//
// Thread-safety: none; the owner of the KvCache (the scheduler thread) drives it. The KvCache must
// outlive the PrefixCache.
#pragma once

#include <cstdint>
#include <list>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/kv_cache.h"

namespace qwl {

class PrefixCache {
 public:
  explicit PrefixCache(KvCache& kv) : kv_(&kv) {}
  // Releases the cache's references (clear()).
  ~PrefixCache();
  PrefixCache(const PrefixCache&) = delete;
  PrefixCache& operator=(const PrefixCache&) = delete;

  struct Match {
    std::vector<int32_t> blocks;  // cached blocks holding tokens [0, n_tokens), in order
    int64_t n_tokens = 0;         // blocks.size() * block_size
  };

  // The longest chain of indexed blocks whose tokens are a prefix of `tokens` in namespace `ns`
  // (whole blocks only), marked recently used. No reference is taken for the caller: share the
  // blocks into a sequence (KvCache::create_sequence(blocks, n)) before anything can evict.
  Match lookup(std::string_view ns, std::span<const int32_t> tokens);

  // Indexes the whole blocks of a sequence: blocks[i] holds the K/V of tokens [i*bs, (i+1)*bs).
  // Only the first min(tokens.size() / bs, blocks.size()) blocks are considered. A key already
  // indexed keeps its block (the sequence's copy is not added); new entries take a reference.
  // The inserted chain is marked recently used.
  void insert(std::string_view ns, std::span<const int32_t> tokens,
              std::span<const int32_t> blocks);

  // Drops least recently used entries that only the cache holds until the KV cache has at least
  // `n_free` free blocks. Returns whether it got there.
  bool make_free(int64_t n_free);

  // Drops every entry (releasing the cache's references; blocks sequences still use stay).
  void clear();

  int64_t n_blocks() const { return static_cast<int64_t>(entries_.size()); }
  // Indexed blocks that only the cache holds: what make_free() could release. O(n_blocks).
  int64_t n_evictable() const;
  // Whether `block` is indexed (tests and accounting).
  bool holds(int32_t block) const;

  struct Stats {
    int64_t lookups = 0;          // lookup() calls
    int64_t hit_tokens = 0;       // tokens matched over all lookups
    int64_t inserted_blocks = 0;  // entries created
    int64_t evicted_blocks = 0;   // entries dropped by make_free()
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Entry {
    uint64_t parent = 0;          // the previous block's key (the namespace hash for the first)
    int32_t block = -1;           // KV block id; the cache holds one reference on it
    std::vector<int32_t> tokens;  // the block's block_size tokens
    std::string ns;               // the namespace, kept for first blocks only
    std::list<uint64_t>::iterator lru;
  };

  static uint64_t namespace_key(std::string_view ns);
  static uint64_t block_key(uint64_t parent, std::span<const int32_t> tokens);
  // The entry for `key` if it really holds `tokens` after `parent` (in `ns` for a first block).
  Entry* find(uint64_t key, uint64_t parent, std::span<const int32_t> tokens, std::string_view ns,
              bool first);
  void touch(Entry& e, uint64_t key);

  KvCache* kv_;
  std::unordered_map<uint64_t, Entry> entries_;
  std::list<uint64_t> lru_;  // keys, least recently used first
  Stats stats_;
};

}  // namespace qwl
