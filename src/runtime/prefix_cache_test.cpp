#include "runtime/prefix_cache.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace qwl {
namespace {

ModelConfig small_config() {
  ModelConfig c;
  c.arch_name = "qwen2";
  c.n_layer = 1;
  c.n_embd = 8;
  c.n_ff = 16;
  c.n_head = 2;
  c.n_head_kv = 1;
  c.head_dim = 4;
  c.n_vocab = 100;
  c.n_ctx_train = 64;
  return c;
}

std::vector<int32_t> iota(int n, int first) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), first);
  return v;
}

// A sequence that "computed" `tokens`: blocks reserved and length set, as after a prefill.
KvCache::SeqId filled(KvCache& kv, const std::vector<int32_t>& tokens) {
  auto s = kv.create_sequence();
  EXPECT_TRUE(kv.reserve(s, static_cast<int64_t>(tokens.size())).ok());
  kv.set_length(s, static_cast<int64_t>(tokens.size()));
  return s;
}

std::vector<int32_t> table(const KvCache& kv, KvCache::SeqId s) {
  return {kv.block_table(s).begin(), kv.block_table(s).end()};
}

TEST(PrefixCache, MatchesWholeBlocksOfTheLongestCachedPrefix) {
  auto kv = KvCache::create(small_config(), {.block_size = 4, .max_positions = 64, .n_blocks = 16});
  ASSERT_TRUE(kv.ok());
  PrefixCache cache(*kv);
  const auto tokens = iota(10, 1);  // two full blocks and a partial one
  EXPECT_EQ(cache.lookup("", tokens).n_tokens, 0);

  auto s = filled(*kv, tokens);
  cache.insert("", tokens, kv->block_table(s));
  EXPECT_EQ(cache.n_blocks(), 2);  // the partial third block is not indexed
  const auto blocks = table(*kv, s);

  auto same = cache.lookup("", tokens);
  EXPECT_EQ(same.n_tokens, 8);
  EXPECT_EQ(same.blocks, std::vector<int32_t>(blocks.begin(), blocks.begin() + 2));

  // Agreeing on the first block only.
  auto other = tokens;
  other[5] = 99;
  auto one = cache.lookup("", other);
  EXPECT_EQ(one.n_tokens, 4);
  EXPECT_EQ(one.blocks, std::vector<int32_t>{blocks[0]});

  // A different first block matches nothing, even if the second block agrees.
  other = tokens;
  other[0] = 99;
  EXPECT_EQ(cache.lookup("", other).n_tokens, 0);
  // Shorter than one block: nothing.
  EXPECT_EQ(cache.lookup("", iota(3, 1)).n_tokens, 0);

  EXPECT_EQ(cache.stats().lookups, 5);
  EXPECT_EQ(cache.stats().hit_tokens, 12);
  kv->release(s);
}

TEST(PrefixCache, NamespacesAreIsolated) {
  auto kv = KvCache::create(small_config(), {.block_size = 4, .max_positions = 64, .n_blocks = 16});
  ASSERT_TRUE(kv.ok());
  PrefixCache cache(*kv);
  const auto tokens = iota(8, 1);
  auto s = filled(*kv, tokens);
  cache.insert("key-a", tokens, kv->block_table(s));
  EXPECT_EQ(cache.lookup("key-a", tokens).n_tokens, 8);
  EXPECT_EQ(cache.lookup("key-b", tokens).n_tokens, 0);
  EXPECT_EQ(cache.lookup("", tokens).n_tokens, 0);
  kv->release(s);
}

TEST(PrefixCache, HoldsReferencesSoBlocksOutliveTheirSequence) {
  auto kv = KvCache::create(small_config(), {.block_size = 4, .max_positions = 64, .n_blocks = 8});
  ASSERT_TRUE(kv.ok());
  const auto tokens = iota(8, 1);
  {
    PrefixCache cache(*kv);
    auto s = filled(*kv, tokens);
    const auto blocks = table(*kv, s);
    cache.insert("", tokens, blocks);
    // Inserting the same chain again adds nothing.
    cache.insert("", tokens, blocks);
    EXPECT_EQ(cache.stats().inserted_blocks, 2);
    for (int32_t b : blocks) EXPECT_EQ(kv->ref_count(b), 2);
    EXPECT_EQ(cache.n_evictable(), 0);
    kv->release(s);
    EXPECT_EQ(kv->n_free_blocks(), 6);
    EXPECT_EQ(cache.n_evictable(), 2);

    // A new sequence shares them and copies the last one before rewriting its last position.
    auto m = cache.lookup("", tokens);
    ASSERT_EQ(m.n_tokens, 8);
    auto t = kv->create_sequence(m.blocks, 7);
    EXPECT_EQ(cache.n_evictable(), 0);
    ASSERT_TRUE(kv->prepare_write(t, 7, 8).ok());
    EXPECT_EQ(cache.n_evictable(), 1);
    EXPECT_TRUE(cache.holds(blocks[1]));
    EXPECT_FALSE(cache.holds(kv->block_table(t)[1]));
    kv->release(t);
  }
  // The destructor gave every block back.
  EXPECT_EQ(kv->n_free_blocks(), 8);
}

TEST(PrefixCache, EvictsLeastRecentlyUsedUnreferencedBlocksLastBlockFirst) {
  auto kv = KvCache::create(small_config(), {.block_size = 4, .max_positions = 64, .n_blocks = 6});
  ASSERT_TRUE(kv.ok());
  PrefixCache cache(*kv);
  const auto a = iota(8, 1), b = iota(8, 50);
  auto sa = filled(*kv, a);
  auto sb = filled(*kv, b);
  const auto ba = table(*kv, sa), bb = table(*kv, sb);
  cache.insert("", a, ba);
  cache.insert("", b, bb);
  kv->release(sa);
  kv->release(sb);
  ASSERT_EQ(kv->n_free_blocks(), 2);

  // `a` is used again, so `b` is now the least recently used chain.
  EXPECT_EQ(cache.lookup("", a).n_tokens, 8);
  ASSERT_TRUE(cache.make_free(3));
  EXPECT_EQ(cache.stats().evicted_blocks, 1);
  // b's last block went first; its first block is still there.
  EXPECT_FALSE(cache.holds(bb[1]));
  EXPECT_TRUE(cache.holds(bb[0]));
  EXPECT_EQ(cache.lookup("", b).n_tokens, 4);
  // That lookup made b's first block recent: a's last block goes next.
  ASSERT_TRUE(cache.make_free(4));
  EXPECT_FALSE(cache.holds(ba[1]));
  EXPECT_EQ(cache.lookup("", a).n_tokens, 4);

  // Blocks in use by a sequence are never evicted.
  auto m = cache.lookup("", a);
  auto user = kv->create_sequence(m.blocks, 4);
  EXPECT_FALSE(cache.make_free(6));
  EXPECT_TRUE(cache.holds(ba[0]));
  EXPECT_EQ(kv->n_free_blocks(), 5);
  kv->release(user);
  EXPECT_TRUE(cache.make_free(6));
  EXPECT_EQ(cache.n_blocks(), 0);
}

}  // namespace
}  // namespace qwl
