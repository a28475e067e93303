// Tests of the ISA dispatch and of every non-matmul kernel at every SIMD level this machine has,
// forced through the dispatch and compared with the scalar level (the reference):
//   - activation quantizers (Q8_0, Q8_K): bytes equal to ref::quantize_row;
//   - rope, add: bit-exact (same float operations in the same order);
//   - rms_norm: within 2 ulp (the double sum of squares is added in another order);
//   - softmax, silu_mul: within 4e-7 relative (+1e-37 absolute) per element, from the
//     vectorised exp (<= 2 ulp) and the rounding steps around it.
// Levels the CPU lacks are reported as skipped.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "ops/isa.h"
#include "ops/kernel_test_util.h"
#include "ops/kernels.h"
#include "ops/ops.h"
#include "ops/quant.h"
#include "ops/quant_blocks.h"

namespace qwl::ops {
namespace {

using test::bell_vector;
using test::Rng;
using test::ScopedIsa;

TEST(Isa, NamesRoundTrip) {
  for (Isa isa : kAllIsas) EXPECT_EQ(parse_isa(isa_name(isa)), isa);
  EXPECT_FALSE(parse_isa("sse2").has_value());
  EXPECT_FALSE(parse_isa("AVX2").has_value());
}

TEST(Isa, ScalarAlwaysAvailableAndBestIsSupported) {
  EXPECT_TRUE(cpu_supports(Isa::kScalar));
  EXPECT_TRUE(cpu_supports(best_isa()));
  // Levels are nested: a CPU with AVX-512 kernels also runs the AVX2 ones.
  if (cpu_supports(Isa::kAvx512)) {
    EXPECT_TRUE(cpu_supports(Isa::kAvx2));
  }
  EXPECT_FALSE(cpu_features().empty());
}

TEST(Isa, SetIsaSelectsTheTable) {
  for (Isa isa : kAllIsas) {
    if (!cpu_supports(isa)) {
      const Status s = set_isa(isa);
      EXPECT_EQ(s.code(), StatusCode::kUnsupported);
      EXPECT_NE(s.message().find(std::string(isa_name(isa))), std::string::npos) << s.message();
      continue;
    }
    ScopedIsa scoped(isa);
    EXPECT_EQ(active_isa(), isa);
    EXPECT_EQ(active_kernels().isa, isa);
  }
}

TEST(Isa, EnvironmentIsValidated) {
  const Isa before = active_isa();
  ::setenv("QWL_ISA", "avx9000", 1);
  Status s = init_isa_from_env();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("avx9000"), std::string::npos);
  ::setenv("QWL_ISA", "scalar", 1);
  s = init_isa_from_env();
  EXPECT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(active_isa(), Isa::kScalar);
  for (Isa isa : kAllIsas) {
    if (cpu_supports(isa)) continue;
    ::setenv("QWL_ISA", std::string(isa_name(isa)).c_str(), 1);
    s = init_isa_from_env();
    EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  }
  ::unsetenv("QWL_ISA");
  ASSERT_TRUE(set_isa(before).ok());
}

// rope_neox caches its cos/sin tables by position (direct-mapped); positions that share a slot,
// revisits and a change of head size must all give the definition's values.
TEST(Rope, MatchesTheDefinitionAcrossCacheSlots) {
  const float base = 1e6f;
  for (int head_dim : {64, 32, 64}) {
    for (int32_t pos : {5, 1029, 5, 100000, 1029, 0}) {
      const auto x = bell_vector(pos + head_dim, 2 * head_dim);
      std::vector<float> want = x;
      const int half = head_dim / 2;
      for (int h = 0; h < 2; ++h) {
        for (int i = 0; i < half; ++i) {
          const double angle =
              static_cast<double>(pos) * std::pow(static_cast<double>(base), -2.0 * i / head_dim);
          const float c = static_cast<float>(std::cos(angle)),
                      s = static_cast<float>(std::sin(angle));
          const float a = x[h * head_dim + i], b = x[h * head_dim + i + half];
          want[h * head_dim + i] = a * c - b * s;
          want[h * head_dim + i + half] = b * c + a * s;
        }
      }
      for (Isa isa : kAllIsas) {
        if (!cpu_supports(isa)) continue;
        ScopedIsa scoped(isa);
        std::vector<float> got = x;
        rope_neox(got.data(), 2, head_dim, pos, base);
        ASSERT_EQ(got, want) << isa_name(isa) << " head_dim " << head_dim << " pos " << pos;
      }
    }
  }
}

class KernelTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!cpu_supports(GetParam())) GTEST_SKIP() << isa_name(GetParam()) << " not on this CPU";
  }
  const Kernels& simd() const { return kernels_for(GetParam()); }
  const Kernels& scalar() const { return scalar_kernels(); }
};

// Rows that stress the quantizers: bell values at several scales, exact halves after scaling
// (ties), a block of zeros, negative and positive maxima of equal magnitude.
std::vector<std::vector<float>> quantizer_inputs(int64_t n) {
  std::vector<std::vector<float>> rows;
  for (float amp : {1e-6f, 0.02f, 1.0f, 300.0f})
    rows.push_back(bell_vector(17 + rows.size(), n, amp));
  std::vector<float> ties(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    ties[i] = (i % 32 == 0) ? 127.0f : static_cast<float>(i % 64) - 31.5f;
  rows.push_back(ties);
  std::vector<float> zeros(static_cast<size_t>(n), 0.0f);
  for (int64_t i = n / 2; i < n; ++i) zeros[i] = 0.25f * static_cast<float>(i % 5);
  rows.push_back(zeros);
  std::vector<float> signs = bell_vector(99, n);
  for (int64_t i = 0; i < n; i += 64) {
    signs[i + 3] = -8.0f;  // the first of two equal magnitudes is negative
    signs[i + 9] = 8.0f;
  }
  rows.push_back(signs);
  return rows;
}

TEST_P(KernelTest, QuantizeQ8_0IsBitExact) {
  const int64_t n = 2048;
  for (const auto& x : quantizer_inputs(n)) {
    std::vector<BlockQ8_0> a(n / 32), b(n / 32);
    scalar().quantize_q8_0(x.data(), a.data(), n);
    simd().quantize_q8_0(x.data(), b.data(), n);
    ASSERT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(BlockQ8_0)), 0);
  }
}

TEST_P(KernelTest, QuantizeQ8_KIsBitExact) {
  const int64_t n = 2048;
  for (const auto& x : quantizer_inputs(n)) {
    std::vector<BlockQ8_K> a(n / 256), b(n / 256);
    scalar().quantize_q8_k(x.data(), a.data(), n);
    simd().quantize_q8_k(x.data(), b.data(), n);
    ASSERT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(BlockQ8_K)), 0);
  }
}

// Sizes with tails for every vector width.
constexpr int64_t kSizes[] = {1, 7, 16, 33, 896, 4864 + 5};

TEST_P(KernelTest, RmsNormWithinTwoUlp) {
  for (int64_t n : kSizes) {
    const auto x = bell_vector(n, n, 3.0f);
    const auto w = bell_vector(n + 1, n);
    std::vector<float> a(n), b(n);
    scalar().rms_norm(x.data(), w.data(), a.data(), n, 1e-6f);
    simd().rms_norm(x.data(), w.data(), b.data(), n, 1e-6f);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_LE(std::fabs(a[i] - b[i]), 2 * std::numeric_limits<float>::epsilon() * std::fabs(a[i]))
          << "n " << n << " i " << i;
  }
}

TEST_P(KernelTest, RopeIsBitExact) {
  for (int head_dim : {32, 64, 80, 128}) {
    for (int32_t pos : {0, 1, 17, 4095, 100000}) {
      auto a = bell_vector(pos, 3 * head_dim);
      auto b = a;
      {
        ScopedIsa s(Isa::kScalar);
        rope_neox(a.data(), 3, head_dim, pos, 1e6f);
      }
      {
        ScopedIsa s(GetParam());
        rope_neox(b.data(), 3, head_dim, pos, 1e6f);
      }
      ASSERT_EQ(a, b) << "head_dim " << head_dim << " pos " << pos;
    }
  }
}

void expect_close(const std::vector<float>& ref, const std::vector<float>& got, float rel,
                  const char* what) {
  ASSERT_EQ(ref.size(), got.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    ASSERT_LE(std::fabs(ref[i] - got[i]), rel * std::fabs(ref[i]) + 1e-37f)
        << what << " element " << i << " of " << ref.size() << ": " << ref[i] << " vs " << got[i];
  }
}

TEST_P(KernelTest, SoftmaxWithinBound) {
  for (int64_t n : kSizes) {
    auto x = bell_vector(n + 5, n, 8.0f);
    if (n > 3) x[2] = -std::numeric_limits<float>::infinity();
    auto a = x, b = x;
    scalar().softmax(a.data(), n);
    simd().softmax(b.data(), n);
    expect_close(a, b, 4e-7f, "softmax");
  }
  std::vector<float> all_inf(9, -std::numeric_limits<float>::infinity());
  simd().softmax(all_inf.data(), 9);
  for (float v : all_inf) EXPECT_EQ(v, 0.0f);
}

TEST_P(KernelTest, SiluMulWithinBound) {
  for (int64_t n : kSizes) {
    auto g = bell_vector(n + 7, n, 4.0f);
    const auto u = bell_vector(n + 8, n);
    if (n > 8) {
      g[1] = 90.0f;    // exp(-g) underflows
      g[2] = -120.0f;  // exp(-g) overflows: the result is -0
      g[3] = 0.0f;
    }
    std::vector<float> a(n), b(n);
    scalar().silu_mul(g.data(), u.data(), a.data(), n);
    simd().silu_mul(g.data(), u.data(), b.data(), n);
    expect_close(a, b, 4e-7f, "silu_mul");
  }
}

TEST_P(KernelTest, AddIsExact) {
  for (int64_t n : kSizes) {
    auto a = bell_vector(n + 9, n);
    auto b = a;
    const auto x = bell_vector(n + 10, n);
    scalar().add(a.data(), x.data(), n);
    simd().add(b.data(), x.data(), n);
    ASSERT_EQ(a, b);
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, KernelTest, ::testing::Values(Isa::kAvx2, Isa::kAvx512),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(isa_name(info.param));
                         });

}  // namespace
}  // namespace qwl::ops
