// ops::matmul at every SIMD level this machine has, forced through the dispatch, against the
// scalar level (ref::quantize_row + ref::vec_dot):
//   - Q4_0, Q5_0, Q8_0: bit-exact. The kernels form the same integer block sums and repeat the
//     reference's float association per block, adding blocks in order per output.
//   - Q4_K, Q6_K: the integer sums are the same, but they are scaled per super-block rather
//     than in the reference's 8 lanes; bound (n/256 + 16) * 2^-23 * sum|w_i x_i|. Exactness of
//     the integer part is checked with unit scales, where every float step is exact.
//   - F32, F16, BF16: float sums in another order than the reference's double sum; bound
//     (n/8 + 16) * 2^-24 * sum|w_i x_i| (the worst case of n/8 sequential float additions).
// Shapes cover partial row panels, several token tiles, several K chunks, and tails of K.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <vector>

#include "base/thread_pool.h"
#include "ops/kernel_test_util.h"
#include "ops/kernels.h"
#include "ops/ops.h"
#include "ops/quant.h"
#include "ops/quant_blocks.h"

namespace qwl::ops {
namespace {

using test::bell_vector;
using test::Matrix;
using test::ScopedIsa;

struct Shape {
  int64_t n_in, n_out, n_tokens;
};

bool exact_type(DType t) {
  return t == DType::kQ4_0 || t == DType::kQ5_0 || t == DType::kQ8_0;
}

std::vector<float> run_matmul(Isa isa, const TensorView& w, const std::vector<float>& x, int64_t T,
                              int threads) {
  ScopedIsa scoped(isa);
  ThreadPool pool(threads);
  Scratch scratch;
  std::vector<float> y(static_cast<size_t>(T * w.n_rows()), -1.0f);
  matmul(w, x.data(), T, y.data(), pool, scratch);
  return y;
}

// sum_i |w_i x_i| per output, from the dequantized weights.
std::vector<double> magnitudes(const Matrix& m, const std::vector<float>& x, int64_t T) {
  const int64_t n_in = m.view.ne[0], n_out = m.view.n_rows();
  std::vector<double> out(static_cast<size_t>(T * n_out));
  for (int64_t r = 0; r < n_out; ++r) {
    const std::vector<float> w = m.row(r);
    for (int64_t t = 0; t < T; ++t) {
      double s = 0;
      for (int64_t i = 0; i < n_in; ++i)
        s += std::fabs(static_cast<double>(w[i]) * x[t * n_in + i]);
      out[t * n_out + r] = s;
    }
  }
  return out;
}

double bound_factor(DType t, int64_t n_in) {
  if (t == DType::kQ4_K || t == DType::kQ6_K) return (n_in / 256.0 + 16) * 0x1p-23;
  return (n_in / 8.0 + 16) * 0x1p-24;
}

class MatmulTest : public ::testing::TestWithParam<std::tuple<Isa, DType>> {
 protected:
  void SetUp() override {
    if (!cpu_supports(isa())) GTEST_SKIP() << isa_name(isa()) << " not on this CPU";
  }
  Isa isa() const { return std::get<0>(GetParam()); }
  DType type() const { return std::get<1>(GetParam()); }

  void check(const Shape& s, uint64_t seed) {
    const DType t = type();
    const int64_t bs = block_size(t);
    const int64_t n_in = (s.n_in + bs - 1) / bs * bs;
    const Matrix m(t, n_in, s.n_out, seed);
    const auto x = bell_vector(seed + 1, n_in * s.n_tokens, 2.0f);
    const auto ref = run_matmul(Isa::kScalar, m.view, x, s.n_tokens, 2);
    const auto got = run_matmul(isa(), m.view, x, s.n_tokens, 2);
    if (exact_type(t)) {
      for (size_t i = 0; i < ref.size(); ++i)
        ASSERT_EQ(ref[i], got[i]) << "n_in " << n_in << " n_out " << s.n_out << " T " << s.n_tokens
                                  << " output " << i;
      return;
    }
    const auto mag = magnitudes(m, x, s.n_tokens);
    const double f = bound_factor(t, n_in);
    for (size_t i = 0; i < ref.size(); ++i)
      ASSERT_LE(std::fabs(static_cast<double>(ref[i]) - got[i]), f * mag[i] + 1e-30)
          << "n_in " << n_in << " n_out " << s.n_out << " T " << s.n_tokens << " output " << i
          << ": " << ref[i] << " vs " << got[i];
  }
};

TEST_P(MatmulTest, MatchesReferenceDecode) {
  check({256, 16, 1}, 1);
  check({896, 37, 1}, 2);
  check({512, 3, 1}, 3);
}

TEST_P(MatmulTest, MatchesReferenceSmallBatches) {
  for (int64_t T : {2, 3, 5, 8}) check({768, 40, T}, 10 + T);
}

TEST_P(MatmulTest, MatchesReferencePrefill) {
  check({1024, 72, 19}, 20);
  check({256, 130, 33}, 21);
  check({512, 50, 12}, 22);  // a last panel of 18 rows: two sub-panels of the float kernels
}

TEST_P(MatmulTest, MatchesReferenceAcrossKChunks) {
  // 4864 = 152 blocks of 32 (three chunks of the 32-block kernels) = 19 super-blocks.
  check({4864, 24, 3}, 30);
  check({8192 + 256, 17, 2}, 31);
}

TEST_P(MatmulTest, ThreadCountDoesNotChangeResults) {
  const DType t = type();
  const int64_t n_in = 1024;
  const Matrix m(t, n_in, 100, 40);
  const auto x = bell_vector(41, n_in * 5);
  const auto one = run_matmul(isa(), m.view, x, 5, 1);
  for (int threads : {2, 3}) {
    const auto many = run_matmul(isa(), m.view, x, 5, threads);
    ASSERT_EQ(std::memcmp(one.data(), many.data(), one.size() * sizeof(float)), 0) << threads;
  }
}

TEST_P(MatmulTest, BatchRowsEqualSingleTokenRuns) {
  // Each token's outputs do not depend on the other tokens in the batch, for the quantized
  // types. (Float weights use dot-product tiles for small batches and panels for larger ones,
  // which add in different orders; both are within the bound checked above.)
  const DType t = type();
  if (t == DType::kF32 || t == DType::kF16 || t == DType::kBF16) GTEST_SKIP() << "float type";
  const int64_t n_in = 512, T = 11;
  const Matrix m(t, n_in, 48, 50);
  const auto x = bell_vector(51, n_in * T);
  const auto batch = run_matmul(isa(), m.view, x, T, 2);
  for (int64_t tok = 0; tok < T; ++tok) {
    const std::vector<float> xt(x.begin() + tok * n_in, x.begin() + (tok + 1) * n_in);
    const auto single = run_matmul(isa(), m.view, xt, 1, 2);
    for (int64_t r = 0; r < 48; ++r) ASSERT_EQ(single[r], batch[tok * 48 + r]) << tok << " " << r;
  }
}

// Weights with random codes and every float scale 1 (so that all float steps are exact), and
// activations of integers whose Q8_K/Q8_0 scale is 1: outputs are integers that the reference
// computes exactly, and any difference in an integer block sum shows.
class QuantMatmulTest : public MatmulTest {};

TEST_P(QuantMatmulTest, IntegerSumsAreExactWithUnitScales) {
  const DType t = type();
  const int64_t n_in = 1024, n_out = 40, T = 9;
  std::vector<uint8_t> bytes(row_size(t, n_in) * n_out);
  test::Rng rng(77);
  for (auto& b : bytes) b = static_cast<uint8_t>(rng.bits());
  const size_t bs = type_size(t);
  const uint16_t one = f32_to_fp16(1.0f);
  for (size_t b = 0; b < bytes.size() / bs; ++b) {
    uint8_t* blk = bytes.data() + b * bs;
    if (t == DType::kQ6_K) {
      std::memcpy(blk + offsetof(BlockQ6_K, d), &one, 2);
    } else {
      std::memcpy(blk, &one, 2);                             // d
      if (t == DType::kQ4_K) std::memcpy(blk + 2, &one, 2);  // dmin
    }
  }
  TensorView w;
  w.type = t;
  w.n_dims = 2;
  w.ne[0] = n_in;
  w.ne[1] = n_out;
  w.data = bytes.data();
  // Integers in -127..127 with a -127 first in every block of 256 (and so of 32): the
  // activation scales come out as exactly 1 (Q8_0: 127 / 127) or -1 (Q8_K: 1 / (-127 / -127)).
  std::vector<float> x(static_cast<size_t>(n_in * T));
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = (i % 32 == 0) ? -127.0f : static_cast<float>(static_cast<int>(rng.bits() % 255) - 127);
  const auto ref = run_matmul(Isa::kScalar, w, x, T, 2);
  const auto got = run_matmul(isa(), w, x, T, 2);
  for (size_t i = 0; i < ref.size(); ++i) {
    ASSERT_EQ(ref[i], std::nearbyint(ref[i])) << "reference not an integer: " << i;
    ASSERT_EQ(ref[i], got[i]) << "output " << i;
  }
}

// A PackedWeight gives the results of its view, bit for bit, for every shape (partial last
// panel, K chunks, token tiles); types without a packed layout keep the view.
TEST_P(MatmulTest, PackedWeightEqualsItsView) {
  const DType t = type();
  const bool has_layout = t == DType::kQ4_0 || t == DType::kQ5_0 || t == DType::kQ8_0 ||
                          t == DType::kQ4_K || t == DType::kQ6_K;
  for (const Shape& s : {Shape{256, 16, 1}, Shape{896, 37, 1}, Shape{4864, 24, 3},
                         Shape{1024, 72, 19}, Shape{512, 5, 2}}) {
    const int64_t bs = block_size(t);
    const int64_t n_in = (s.n_in + bs - 1) / bs * bs;
    const Matrix m(t, n_in, s.n_out, 60 + s.n_out);
    const auto x = test::bell_vector(61, n_in * s.n_tokens, 2.0f);
    ScopedIsa scoped(isa());
    ThreadPool pool(2);
    const PackedWeight packed(m.view, &pool);
    EXPECT_EQ(packed.packed(), has_layout);
    EXPECT_EQ(packed.view().data, m.view.data);
    if (has_layout) {
      EXPECT_EQ(packed.isa(), isa());
      EXPECT_GE(packed.packed_bytes(), row_size(t, n_in) * s.n_out);
    }
    Scratch scratch;
    std::vector<float> a(static_cast<size_t>(s.n_tokens * s.n_out));
    std::vector<float> b(a.size());
    matmul(m.view, x.data(), s.n_tokens, a.data(), pool, scratch);
    matmul(packed, x.data(), s.n_tokens, b.data(), pool, scratch);
    ASSERT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0)
        << n_in << " x " << s.n_out << " T " << s.n_tokens;
    // Under another level the packed bytes are not used: the view gives the results.
    ScopedIsa scalar(Isa::kScalar);
    std::vector<float> c(a.size());
    matmul(packed, x.data(), s.n_tokens, c.data(), pool, scratch);
    ASSERT_EQ(c, run_matmul(Isa::kScalar, m.view, x, s.n_tokens, 2));
  }
}

// matmul_many equals separate matmul calls, bit for bit, for weights of mixed types, packed or
// not, at decode and prefill sizes.
TEST_P(MatmulTest, ManyEqualsSeparateCalls) {
  const DType t = type();
  const int64_t n_in = 1024;
  const Matrix a(t, n_in, 96, 70), b(DType::kQ8_0, n_in, 24, 71), c(t, n_in, 40, 72);
  const Matrix d(DType::kQ6_K, n_in, 8, 73);
  ScopedIsa scoped(isa());
  ThreadPool pool(2);
  Scratch scratch;
  const PackedWeight pa(a.view), pb(b.view), pd(d.view);
  const PackedWeight pc;  // not packed: views only
  const PackedWeight pc_view(c.view);
  for (int64_t T : {1, 3, 21}) {
    const auto x = test::bell_vector(74 + T, n_in * T);
    std::vector<float> ya(T * 96), yb(T * 24), yc(T * 40), yd(T * 8);
    const MatmulOut outs[] = {
        {&pa, ya.data()}, {&pb, yb.data()}, {&pc_view, yc.data()}, {&pd, yd.data()}};
    matmul_many(outs, x.data(), T, pool, scratch);
    std::vector<float> ra(ya.size()), rb(yb.size()), rc(yc.size()), rd(yd.size());
    matmul(a.view, x.data(), T, ra.data(), pool, scratch);
    matmul(b.view, x.data(), T, rb.data(), pool, scratch);
    matmul(c.view, x.data(), T, rc.data(), pool, scratch);
    matmul(d.view, x.data(), T, rd.data(), pool, scratch);
    EXPECT_EQ(ya, ra) << T;
    EXPECT_EQ(yb, rb) << T;
    EXPECT_EQ(yc, rc) << T;
    EXPECT_EQ(yd, rd) << T;
  }
}

// Q4_1, Q5_1, Q3_K and Q5_K have no SIMD kernels: they run the reference at every level.
const DType kTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0,
                        DType::kQ5_0, DType::kQ8_0, DType::kQ4_K, DType::kQ6_K};

std::string param_name(const ::testing::TestParamInfo<std::tuple<Isa, DType>>& info) {
  return std::string(isa_name(std::get<0>(info.param))) + "_" +
         std::string(dtype_name(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(Levels, MatmulTest,
                         ::testing::Combine(::testing::Values(Isa::kAvx2, Isa::kAvx512),
                                            ::testing::ValuesIn(kTypes)),
                         param_name);

const DType kQuantTypes[] = {DType::kQ4_0, DType::kQ5_0, DType::kQ8_0, DType::kQ4_K, DType::kQ6_K};

INSTANTIATE_TEST_SUITE_P(Levels, QuantMatmulTest,
                         ::testing::Combine(::testing::Values(Isa::kAvx2, Isa::kAvx512),
                                            ::testing::ValuesIn(kQuantTypes)),
                         param_name);

}  // namespace
}  // namespace qwl::ops
