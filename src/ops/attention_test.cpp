// ops::attention at every SIMD level this machine has, forced through the dispatch, against the
// scalar level's reference (full softmax over all scores, then the weighted sum of V).
//
// The SIMD kernels compute the same quantities in another order (FMA dot products, an online
// softmax rescaled per block of positions, KV chunks merged at the end), so outputs are compared
// with a bound relative to the largest |v|: |out - ref| <= 4e-6 * max|v|. Measured errors are up
// to 1.7e-6 * max|v| here and do not grow with the context length: they come from the rounding
// of the scores (up to ~10 in size with these amplitudes), which exp turns into relative errors
// of the weights, and the reference's own float dot products carry errors of the same order.
// A weight wrong by one position out of 3000 changes outputs by ~3e-4 * max|v|, far above it. Both
// K/V types, several head sizes and GQA groups, paged blocks of several sizes in a shuffled order,
// decode (one token; long contexts are split into KV chunks over threads) and prefill (causal, with
// and without a cached prefix).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "base/thread_pool.h"
#include "ops/kernel_test_util.h"
#include "ops/kernels.h"
#include "ops/ops.h"
#include "ops/quant.h"

namespace qwl::ops {
namespace {

using test::Rng;
using test::ScopedIsa;

struct Case {
  int n_head, n_head_kv, head_dim;
  DType kv_type;
  int block_size;
  int64_t n_tokens;
  int32_t first_pos;  // positions are first_pos .. first_pos + n_tokens - 1
};

struct Cache {
  std::vector<uint8_t> k, v;
  std::vector<int32_t> table;
  float max_abs_v = 0.0f;
};

Cache make_cache(const Case& c, int64_t n_pos, uint64_t seed) {
  Cache cache;
  const int64_t kv_width = static_cast<int64_t>(c.n_head_kv) * c.head_dim;
  const int64_t n_blocks = (n_pos + c.block_size - 1) / c.block_size + 3;
  const size_t elem = c.kv_type == DType::kF32 ? 4 : 2;
  const size_t bytes = static_cast<size_t>(n_blocks * c.block_size * kv_width) * elem;
  cache.k.resize(bytes);
  cache.v.resize(bytes);
  Rng rng(seed);
  auto fill = [&](std::vector<uint8_t>& dst, float amp, float* max_abs) {
    for (size_t i = 0; i < bytes / elem; ++i) {
      float x = rng.bell() * amp;
      if (c.kv_type == DType::kF16) {
        const uint16_t h = f32_to_fp16(x);
        std::memcpy(dst.data() + i * 2, &h, 2);
        x = fp16_to_f32(h);
      } else {
        std::memcpy(dst.data() + i * 4, &x, 4);
      }
      if (max_abs != nullptr) *max_abs = std::max(*max_abs, std::fabs(x));
    }
  };
  fill(cache.k, 1.5f, nullptr);
  fill(cache.v, 1.0f, &cache.max_abs_v);
  // The sequence uses the blocks in a shuffled order (paging).
  for (int64_t b = 0; b < n_blocks; ++b) cache.table.push_back(static_cast<int32_t>(b));
  for (int64_t b = n_blocks - 1; b > 0; --b)
    std::swap(cache.table[b], cache.table[rng.bits() % (b + 1)]);
  return cache;
}

std::vector<float> run_attention(Isa isa, const Case& c, const Cache& cache,
                                 const std::vector<float>& q, int threads) {
  ScopedIsa scoped(isa);
  ThreadPool pool(threads);
  std::vector<int32_t> positions(static_cast<size_t>(c.n_tokens));
  for (int64_t t = 0; t < c.n_tokens; ++t) positions[t] = c.first_pos + static_cast<int32_t>(t);
  std::vector<float> out(q.size(), -7.0f);
  AttentionArgs a{
      .q = q.data(),
      .out = out.data(),
      .n_tokens = c.n_tokens,
      .positions = positions.data(),
      .n_head = c.n_head,
      .n_head_kv = c.n_head_kv,
      .head_dim = c.head_dim,
      .scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim)),
      .kv_type = c.kv_type,
      .block_size = c.block_size,
      .block_table = cache.table,
      .k_pool = cache.k.data(),
      .v_pool = cache.v.data(),
  };
  attention(a, pool);
  return out;
}

class AttentionTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!cpu_supports(GetParam())) GTEST_SKIP() << isa_name(GetParam()) << " not on this CPU";
  }

  // Returns the largest error relative to max|v|.
  double check(const Case& c, uint64_t seed) {
    const int64_t n_pos = c.first_pos + c.n_tokens;
    const Cache cache = make_cache(c, n_pos, seed);
    const auto q = test::bell_vector(seed + 1, c.n_tokens * c.n_head * c.head_dim, 1.5f);
    const auto ref = run_attention(Isa::kScalar, c, cache, q, 2);
    const auto got = run_attention(GetParam(), c, cache, q, 2);
    double worst = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      const double err = std::fabs(static_cast<double>(ref[i]) - got[i]) / cache.max_abs_v;
      worst = std::max(worst, err);
      EXPECT_LE(err, 4e-6) << "heads " << c.n_head << "/" << c.n_head_kv << " d " << c.head_dim
                           << " kv " << dtype_name(c.kv_type) << " block " << c.block_size << " T "
                           << c.n_tokens << " first " << c.first_pos << " element " << i << ": "
                           << ref[i] << " vs " << got[i];
      if (err > 4e-6) break;
    }
    return worst;
  }
};

TEST_P(AttentionTest, DecodeMatchesReference) {
  double worst = 0;
  for (DType kv : {DType::kF32, DType::kF16}) {
    for (int32_t n_kv : {1, 5, 16, 17, 255, 256, 257, 1000, 3000}) {
      worst = std::max(worst, check({14, 2, 64, kv, 16, 1, n_kv - 1}, n_kv));
      worst = std::max(worst, check({16, 8, 128, kv, 32, 1, n_kv - 1}, n_kv + 1));
    }
    worst = std::max(worst, check({4, 2, 32, kv, 7, 1, 40}, 3));
    worst = std::max(worst, check({4, 4, 80, kv, 1, 1, 70}, 4));
  }
  RecordProperty("worst_relative_error", ::testing::PrintToString(worst));
}

TEST_P(AttentionTest, PrefillMatchesReference) {
  double worst = 0;
  for (DType kv : {DType::kF32, DType::kF16}) {
    worst = std::max(worst, check({14, 2, 64, kv, 16, 37, 0}, 10));
    worst = std::max(worst, check({14, 2, 64, kv, 16, 37, 100}, 11));
    worst = std::max(worst, check({4, 2, 32, kv, 4, 12, 0}, 12));
    worst = std::max(worst, check({16, 8, 128, kv, 16, 70, 5}, 13));
    worst = std::max(worst, check({8, 1, 64, kv, 3, 9, 2}, 14));
  }
  RecordProperty("worst_relative_error", ::testing::PrintToString(worst));
}

TEST_P(AttentionTest, ThreadCountDoesNotChangeResults) {
  for (const Case& c :
       {Case{14, 2, 64, DType::kF16, 16, 1, 2999}, Case{14, 2, 64, DType::kF16, 16, 33, 50}}) {
    const Cache cache = make_cache(c, c.first_pos + c.n_tokens, 21);
    const auto q = test::bell_vector(22, c.n_tokens * c.n_head * c.head_dim);
    const auto one = run_attention(GetParam(), c, cache, q, 1);
    for (int threads : {2, 3}) {
      const auto many = run_attention(GetParam(), c, cache, q, threads);
      ASSERT_EQ(std::memcmp(one.data(), many.data(), one.size() * sizeof(float)), 0) << threads;
    }
  }
}

TEST_P(AttentionTest, UnsupportedHeadSizeFallsBackToTheReference) {
  // 36 is not a multiple of either vector width.
  const Case c{4, 2, 36, DType::kF32, 4, 5, 3};
  const Cache cache = make_cache(c, 8, 31);
  const auto q = test::bell_vector(32, c.n_tokens * c.n_head * c.head_dim);
  EXPECT_EQ(run_attention(Isa::kScalar, c, cache, q, 2), run_attention(GetParam(), c, cache, q, 2));
}

INSTANTIATE_TEST_SUITE_P(Levels, AttentionTest, ::testing::Values(Isa::kAvx2, Isa::kAvx512),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(isa_name(info.param));
                         });

}  // namespace
}  // namespace qwl::ops
