// Tests of BPE merging on a toy vocabulary: bytes are tokens 0..255, merges create 256, 257, ...
#include "tokenizer/bpe.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace qwl {
namespace {

std::array<int32_t, 256> identity_bytes() {
  std::array<int32_t, 256> b{};
  for (int i = 0; i < 256; ++i) b[i] = i;
  return b;
}

std::vector<int32_t> encode(const BpeMerges& bpe, std::string_view s, size_t linear_max) {
  std::vector<int32_t> out;
  bpe.encode(s, &out, linear_max);
  return out;
}

// Runs each check with the linear and the heap algorithm.
class BpeTest : public ::testing::TestWithParam<size_t> {};

TEST_P(BpeTest, LowestRankMergesFirst) {
  BpeMerges bpe(identity_bytes());
  bpe.add('a', 'b', 256);  // rank 0
  bpe.add('b', 'c', 257);  // rank 1
  EXPECT_EQ(encode(bpe, "abc", GetParam()), (std::vector<int32_t>{256, 'c'}));
  BpeMerges reversed(identity_bytes());
  reversed.add('b', 'c', 256);
  reversed.add('a', 'b', 257);
  EXPECT_EQ(encode(reversed, "abc", GetParam()), (std::vector<int32_t>{'a', 256}));
}

TEST_P(BpeTest, EqualRanksMergeLeftmostFirst) {
  BpeMerges bpe(identity_bytes());
  bpe.add('a', 'a', 256);
  EXPECT_EQ(encode(bpe, "aaa", GetParam()), (std::vector<int32_t>{256, 'a'}));
  EXPECT_EQ(encode(bpe, "aaaa", GetParam()), (std::vector<int32_t>{256, 256}));
  bpe.add(256, 256, 257);
  EXPECT_EQ(encode(bpe, "aaaaa", GetParam()), (std::vector<int32_t>{257, 'a'}));
}

TEST_P(BpeTest, MergesChainIntoLongerTokens) {
  BpeMerges bpe(identity_bytes());
  bpe.add('h', 'e', 256);
  bpe.add('l', 'l', 257);
  bpe.add(256, 257, 258);  // "hell"
  bpe.add(258, 'o', 259);  // "hello"
  EXPECT_EQ(encode(bpe, "hello", GetParam()), (std::vector<int32_t>{259}));
  EXPECT_EQ(encode(bpe, "hellx", GetParam()), (std::vector<int32_t>{258, 'x'}));
  EXPECT_EQ(encode(bpe, "x", GetParam()), (std::vector<int32_t>{'x'}));
  EXPECT_TRUE(encode(bpe, "", GetParam()).empty());
}

TEST_P(BpeTest, LaterDuplicateTakesTheLaterRank) {
  BpeMerges bpe(identity_bytes());
  bpe.add('a', 'b', 256);  // rank 0, then overwritten with rank 2
  bpe.add('b', 'c', 257);  // rank 1
  bpe.add('a', 'b', 256);  // rank 2
  EXPECT_EQ(bpe.size(), 3u);
  EXPECT_EQ(encode(bpe, "abc", GetParam()), (std::vector<int32_t>{'a', 257}));
  ASSERT_TRUE(bpe.find('a', 'b').has_value());
  EXPECT_EQ(bpe.find('a', 'b')->rank, 2);
  EXPECT_FALSE(bpe.find('c', 'a').has_value());
}

INSTANTIATE_TEST_SUITE_P(Algorithms, BpeTest, ::testing::Values(BpeMerges::kLinearMax, 0));

TEST(Bpe, LinearAndHeapAgreeOnRandomText) {
  // Random merges over a 4-letter alphabet, including merges of merged tokens.
  std::mt19937 rng(7);
  BpeMerges bpe(identity_bytes());
  std::vector<int32_t> known = {'a', 'b', 'c', 'd'};
  for (int32_t next = 256; next < 600; ++next) {
    const int32_t l = known[rng() % known.size()];
    const int32_t r = known[rng() % known.size()];
    bpe.add(l, r, next);
    known.push_back(next);
  }
  for (int trial = 0; trial < 300; ++trial) {
    std::string s(1 + rng() % 60, 'a');
    for (char& c : s) c = static_cast<char>('a' + rng() % 4);
    EXPECT_EQ(encode(bpe, s, BpeMerges::kLinearMax), encode(bpe, s, 0)) << s;
  }
}

TEST(Bpe, GrowsPastItsInitialTable) {
  BpeMerges bpe(identity_bytes());
  for (int32_t i = 0; i < 5000; ++i) bpe.add(i, i + 1, 10000 + i);
  for (int32_t i = 0; i < 5000; ++i) {
    const auto m = bpe.find(i, i + 1);
    ASSERT_TRUE(m.has_value()) << i;
    EXPECT_EQ(m->rank, i);
    EXPECT_EQ(m->merged, 10000 + i);
  }
}

}  // namespace
}  // namespace qwl
