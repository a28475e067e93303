#include "runtime/kv_cache.h"

#include <gtest/gtest.h>

#include <vector>

namespace qwl {
namespace {

ModelConfig small_config() {
  ModelConfig c;
  c.arch_name = "qwen2";
  c.n_layer = 2;
  c.n_embd = 8;
  c.n_ff = 16;
  c.n_head = 2;
  c.n_head_kv = 1;
  c.head_dim = 4;
  c.n_vocab = 10;
  c.n_ctx_train = 64;
  return c;
}

TEST(KvCache, ReserveAllocatesWholeBlocksAndStopsAtContextSize) {
  auto kv = KvCache::create(
      small_config(), {.type = DType::kF16, .block_size = 4, .max_positions = 10, .n_blocks = 8});
  ASSERT_TRUE(kv.ok()) << kv.status().to_string();
  auto s = kv->create_sequence();
  ASSERT_TRUE(kv->reserve(s, 5).ok());
  EXPECT_EQ(kv->block_table(s).size(), 2u);
  EXPECT_EQ(kv->n_free_blocks(), 6);
  Status full = kv->reserve(s, 11);
  EXPECT_EQ(full.code(), StatusCode::kOutOfRange);
  EXPECT_NE(full.message().find("context is full"), std::string::npos);
  kv->release(s);
  EXPECT_EQ(kv->n_free_blocks(), 8);
}

TEST(KvCache, OutOfBlocksIsResourceExhausted) {
  auto kv = KvCache::create(small_config(), {.block_size = 4, .max_positions = 64, .n_blocks = 2});
  ASSERT_TRUE(kv.ok());
  auto s = kv->create_sequence();
  EXPECT_EQ(kv->reserve(s, 9).code(), StatusCode::kResourceExhausted);
}

TEST(KvCache, ForkSharesBlocksAndCopiesOnWrite) {
  auto kv = KvCache::create(
      small_config(), {.type = DType::kF32, .block_size = 4, .max_positions = 16, .n_blocks = 8});
  ASSERT_TRUE(kv.ok());
  auto a = kv->create_sequence();
  ASSERT_TRUE(kv->reserve(a, 6).ok());
  kv->set_length(a, 6);
  // Mark block contents of a's second block in layer 1.
  KvView v = kv->view();
  const int32_t shared = kv->block_table(a)[1];
  float* k1 = reinterpret_cast<float*>(v.k + v.layer_bytes() + shared * v.block_bytes());
  k1[0] = 42.0f;

  auto b = kv->fork(a);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(kv->ref_count(shared), 2);
  EXPECT_EQ(kv->length(*b), 6);
  // b writes position 6 (block 1): it gets a private copy with the same contents.
  ASSERT_TRUE(kv->prepare_write(*b, 6, 7).ok());
  const int32_t copy = kv->block_table(*b)[1];
  EXPECT_NE(copy, shared);
  EXPECT_EQ(kv->ref_count(shared), 1);
  EXPECT_EQ(kv->ref_count(copy), 1);
  const float* k_copy =
      reinterpret_cast<const float*>(v.k + v.layer_bytes() + copy * v.block_bytes());
  EXPECT_EQ(k_copy[0], 42.0f);
  // Block 0 is still shared: untouched by the write.
  EXPECT_EQ(kv->block_table(*b)[0], kv->block_table(a)[0]);
  EXPECT_EQ(kv->ref_count(kv->block_table(a)[0]), 2);
  kv->release(a);
  kv->release(*b);
  EXPECT_EQ(kv->n_free_blocks(), 8);
}

TEST(KvCache, SequenceFromSharedBlocksOutlivesTheOtherHolder) {
  auto kv = KvCache::create(
      small_config(), {.type = DType::kF32, .block_size = 4, .max_positions = 16, .n_blocks = 6});
  ASSERT_TRUE(kv.ok());
  auto a = kv->create_sequence();
  ASSERT_TRUE(kv->reserve(a, 8).ok());
  kv->set_length(a, 8);
  const std::vector<int32_t> blocks(kv->block_table(a).begin(), kv->block_table(a).end());
  // A cache-style holder keeps the blocks after the sequence that filled them is gone.
  for (int32_t b : blocks) kv->ref_block(b);
  kv->release(a);
  EXPECT_EQ(kv->n_free_blocks(), 4);
  for (int32_t b : blocks) EXPECT_EQ(kv->ref_count(b), 1);

  auto c = kv->create_sequence(blocks, 7);
  EXPECT_EQ(kv->length(c), 7);
  ASSERT_EQ(kv->block_table(c).size(), 2u);
  EXPECT_EQ(kv->ref_count(blocks[1]), 2);
  // Rewriting position 7 copies the shared second block; the first stays shared.
  ASSERT_TRUE(kv->prepare_write(c, 7, 8).ok());
  EXPECT_EQ(kv->block_table(c)[0], blocks[0]);
  EXPECT_NE(kv->block_table(c)[1], blocks[1]);
  EXPECT_EQ(kv->ref_count(blocks[1]), 1);
  EXPECT_EQ(kv->n_sequences(), 1);

  kv->release(c);
  for (int32_t b : blocks) kv->unref_block(b);
  EXPECT_EQ(kv->n_free_blocks(), 6);
  EXPECT_EQ(kv->n_sequences(), 0);
}

TEST(KvCache, TruncateReleasesTrailingBlocks) {
  auto kv = KvCache::create(small_config(), {.block_size = 4, .max_positions = 16, .n_blocks = 4});
  ASSERT_TRUE(kv.ok());
  auto s = kv->create_sequence();
  ASSERT_TRUE(kv->reserve(s, 16).ok());
  kv->set_length(s, 16);
  kv->truncate(s, 5);
  EXPECT_EQ(kv->block_table(s).size(), 2u);
  EXPECT_EQ(kv->length(s), 5);
  EXPECT_EQ(kv->n_free_blocks(), 2);
}

TEST(KvCache, RejectsBadOptions) {
  EXPECT_EQ(KvCache::create(small_config(), {.type = DType::kQ8_0}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(KvCache::create(small_config(), {.block_size = 0}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace qwl
