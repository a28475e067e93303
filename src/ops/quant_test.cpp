// Property and layout tests of the scalar quantized formats (ops/quant.h), independent of the
// golden data: hand-built blocks decode to the values docs/formats/quant.md says they hold,
// conversions round correctly, round-trip and dot-product errors stay within the bounds stated
// in the docs, and edge cases (zeros, huge and tiny values, one block, many blocks) behave.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "ops/dtype.h"
#include "ops/quant.h"
#include "ops/quant_blocks.h"

namespace qwl {
namespace {

// Deterministic inputs: a 64-bit LCG, Irwin-Hall sums of 4 uniforms for a bell shape.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  float uniform() {  // [0, 1)
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<float>(state_ >> 40) * 0x1p-24f;
  }
  float bell() { return (uniform() + uniform() + uniform() + uniform() - 2.0f) * 1.7320508f; }

 private:
  uint64_t state_;
};

// A row of n values of about `amp` in size; with outliers (10x) every 41st element if asked.
std::vector<float> bell_row(uint64_t seed, int64_t n, float amp, bool outliers) {
  Rng rng(seed);
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    x[i] = rng.bell() * amp;
    if (outliers && i % 41 == 7) x[i] *= 10.0f;
  }
  return x;
}

// Storage for a row of type t, aligned for every block type.
struct Row {
  Row(DType t, int64_t n) : type(t), n(n), words(row_size(t, n) / 8 + 1) {}
  void* data() { return words.data(); }
  const void* data() const { return words.data(); }
  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(words.data()); }
  size_t size() const { return row_size(type, n); }

  DType type;
  int64_t n;
  std::vector<uint64_t> words;
};

Row quantize(DType t, const std::vector<float>& x) {
  Row r(t, static_cast<int64_t>(x.size()));
  ref::quantize_row(t, x.data(), r.data(), r.n);
  return r;
}

std::vector<float> dequantize(const Row& r) {
  std::vector<float> y(static_cast<size_t>(r.n));
  ref::dequantize_row(r.type, r.data(), y.data(), r.n);
  return y;
}

std::string name_of(const testing::TestParamInfo<DType>& p) {
  return std::string(dtype_name(p.param));
}

const DType kQuantizable[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ8_0, DType::kQ8_1,
                              DType::kQ4_0, DType::kQ5_0, DType::kQ4_K, DType::kQ6_K, DType::kQ8_K};
const DType kWeights[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0,
                          DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ8_0,
                          DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

// ---------------------------------------------------------------------------------------------
// Capability table and block sizes.

TEST(QuantTable, CapabilitiesAreAsDocumented) {
  for (DType t : kQuantizable) EXPECT_TRUE(has_quantize(t)) << dtype_name(t);
  for (DType t : kWeights) {
    EXPECT_TRUE(has_vec_dot(t)) << dtype_name(t);
    EXPECT_TRUE(has_dequantize(t)) << dtype_name(t);
    // Every weight type's activation type can be produced by us.
    EXPECT_TRUE(has_quantize(vec_dot_type(t))) << dtype_name(t);
    EXPECT_EQ(block_size(vec_dot_type(t)), block_size(t) == 1 ? 1 : block_size(t)) << dtype_name(t);
  }
  for (DType t : {DType::kQ4_1, DType::kQ5_1, DType::kQ3_K, DType::kQ5_K, DType::kQ2_K})
    EXPECT_FALSE(has_quantize(t)) << dtype_name(t);
  for (DType t : {DType::kQ8_1, DType::kQ8_K, DType::kQ2_K, DType::kIQ4_NL, DType::kI32})
    EXPECT_FALSE(has_vec_dot(t)) << dtype_name(t);
  EXPECT_TRUE(has_dequantize(DType::kQ8_1));
  EXPECT_TRUE(has_dequantize(DType::kQ8_K));
  EXPECT_FALSE(has_dequantize(DType::kQ2_K));
  EXPECT_FALSE(has_dequantize(DType::kMXFP4));
}

TEST(QuantTable, VecDotTypesAreGgmls) {
  EXPECT_EQ(vec_dot_type(DType::kQ4_0), DType::kQ8_0);
  EXPECT_EQ(vec_dot_type(DType::kQ5_0), DType::kQ8_0);
  EXPECT_EQ(vec_dot_type(DType::kQ8_0), DType::kQ8_0);
  EXPECT_EQ(vec_dot_type(DType::kQ4_1), DType::kQ8_1);
  EXPECT_EQ(vec_dot_type(DType::kQ5_1), DType::kQ8_1);
  for (DType t : {DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K})
    EXPECT_EQ(vec_dot_type(t), DType::kQ8_K);
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16}) EXPECT_EQ(vec_dot_type(t), t);
}

TEST(QuantTable, BlockStructsMatchTheDtypeTable) {
  EXPECT_EQ(sizeof(BlockQ4_0), type_size(DType::kQ4_0));
  EXPECT_EQ(sizeof(BlockQ4_1), type_size(DType::kQ4_1));
  EXPECT_EQ(sizeof(BlockQ5_0), type_size(DType::kQ5_0));
  EXPECT_EQ(sizeof(BlockQ5_1), type_size(DType::kQ5_1));
  EXPECT_EQ(sizeof(BlockQ8_0), type_size(DType::kQ8_0));
  EXPECT_EQ(sizeof(BlockQ8_1), type_size(DType::kQ8_1));
  EXPECT_EQ(sizeof(BlockQ3_K), type_size(DType::kQ3_K));
  EXPECT_EQ(sizeof(BlockQ4_K), type_size(DType::kQ4_K));
  EXPECT_EQ(sizeof(BlockQ5_K), type_size(DType::kQ5_K));
  EXPECT_EQ(sizeof(BlockQ6_K), type_size(DType::kQ6_K));
  EXPECT_EQ(sizeof(BlockQ8_K), type_size(DType::kQ8_K));
  // Field offsets as in docs/formats/quant.md.
  EXPECT_EQ(offsetof(BlockQ5_0, qh), 2u);
  EXPECT_EQ(offsetof(BlockQ5_0, qs), 6u);
  EXPECT_EQ(offsetof(BlockQ5_1, qh), 4u);
  EXPECT_EQ(offsetof(BlockQ8_1, qs), 4u);
  EXPECT_EQ(offsetof(BlockQ3_K, qs), 32u);
  EXPECT_EQ(offsetof(BlockQ3_K, scales), 96u);
  EXPECT_EQ(offsetof(BlockQ3_K, d), 108u);
  EXPECT_EQ(offsetof(BlockQ4_K, scales), 4u);
  EXPECT_EQ(offsetof(BlockQ4_K, qs), 16u);
  EXPECT_EQ(offsetof(BlockQ5_K, qh), 16u);
  EXPECT_EQ(offsetof(BlockQ5_K, qs), 48u);
  EXPECT_EQ(offsetof(BlockQ6_K, qh), 128u);
  EXPECT_EQ(offsetof(BlockQ6_K, scales), 192u);
  EXPECT_EQ(offsetof(BlockQ6_K, d), 208u);
  EXPECT_EQ(offsetof(BlockQ8_K, qs), 4u);
  EXPECT_EQ(offsetof(BlockQ8_K, bsums), 260u);
}

// ---------------------------------------------------------------------------------------------
// Half and bfloat16 conversions.

TEST(HalfConversion, KnownValues) {
  EXPECT_EQ(f32_to_fp16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_fp16(-2.0f), 0xc000);
  EXPECT_EQ(f32_to_fp16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_fp16(65519.99f), 0x7bff);
  EXPECT_EQ(f32_to_fp16(65520.0f), 0x7c00);  // the tie goes to the even neighbour: infinity
  EXPECT_EQ(f32_to_fp16(1e9f), 0x7c00);
  EXPECT_EQ(f32_to_fp16(-INFINITY), 0xfc00);
  EXPECT_EQ(f32_to_fp16(0x1p-24f), 0x0001);    // smallest subnormal
  EXPECT_EQ(f32_to_fp16(0x1p-25f), 0x0000);    // tie with zero: even
  EXPECT_EQ(f32_to_fp16(0x1.8p-24f), 0x0002);  // 1.5 ulp: tie, to even (2)
  EXPECT_EQ(f32_to_fp16(0x1.000002p-25f), 0x0001);
  EXPECT_EQ(f32_to_fp16(0x1.ffcp-15f), 0x0400);     // rounds up into the smallest normal
  EXPECT_EQ(f32_to_fp16(1.0f + 0x1p-11f), 0x3c00);  // tie: even
  EXPECT_EQ(f32_to_fp16(1.0f + 0x3p-11f), 0x3c02);  // tie: even (up)
  EXPECT_EQ(f32_to_fp16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_fp16(NAN), 0x7e00);
  EXPECT_EQ(f32_to_fp16(-NAN), 0xfe00);
  EXPECT_EQ(fp16_to_f32(0x3555), 0x1.554p-2f);
  EXPECT_EQ(fp16_to_f32(0x0001), 0x1p-24f);
  EXPECT_EQ(fp16_to_f32(0x83ff), -0x1.ff8p-15f);
  EXPECT_EQ(fp16_to_f32(0x7c00), INFINITY);
  EXPECT_TRUE(std::isnan(fp16_to_f32(0x7c01)));
}

// Every finite half survives half -> float -> half; every NaN stays NaN and turns quiet.
TEST(HalfConversion, AllHalvesRoundTrip) {
  for (uint32_t i = 0; i < 65536; ++i) {
    const uint16_t h = static_cast<uint16_t>(i);
    const float f = fp16_to_f32(h);
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0) {
      ASSERT_TRUE(std::isnan(f)) << std::hex << h;
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      ASSERT_NE(bits & 0x00400000u, 0u) << "quiet bit, half 0x" << std::hex << h;
      ASSERT_EQ(f32_to_fp16(f), (h & 0x8000) | 0x7e00) << std::hex << h;
    } else {
      ASSERT_EQ(f32_to_fp16(f), h) << std::hex << h;
    }
  }
}

// Round to nearest even, checked against exact arithmetic in double: the chosen half is the
// nearer of the two halves around f, and on a tie the one with an even mantissa.
TEST(HalfConversion, RoundsToNearestEvenOverManyFloats) {
  for (uint64_t b = 0; b < 0x477ff000ull; b += 997) {  // positive floats below 65520
    const uint32_t bits = static_cast<uint32_t>(b);
    float f;
    std::memcpy(&f, &bits, 4);
    const uint16_t h = f32_to_fp16(f);
    const double got = fp16_to_f32(h);
    const double lo = fp16_to_f32(static_cast<uint16_t>(h - (h > 0 ? 1 : 0)));
    const double hi = h < 0x7c00 ? fp16_to_f32(static_cast<uint16_t>(h + 1)) : INFINITY;
    const double err = std::fabs(got - f);
    ASSERT_LE(err, std::fabs(lo - f)) << std::hex << bits;
    if (h < 0x7c00) {
      ASSERT_LE(err, std::fabs(hi - f)) << std::hex << bits;
      if (err == std::fabs(hi - f) && err != 0) {
        ASSERT_EQ(h & 1, 0) << std::hex << bits;
      }
    }
  }
}

TEST(Bf16Conversion, KnownValues) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808000u)), 0x3f80);  // tie: even (down)
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f818000u)), 0x3f82);  // tie: even (up)
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808001u)), 0x3f81);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x7f7fffffu)), 0x7f80);  // FLT_MAX -> inf
  EXPECT_EQ(f32_to_bf16(-INFINITY), 0xff80);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x00000001u)), 0x0000);  // tiny subnormal
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x00018000u)), 0x0002);  // subnormals kept
  // NaNs stay NaN and become quiet, even when rounding would have carried into infinity.
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x7f800001u)), 0x7fc0);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x7fffffffu)), 0x7fff);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0xff80ffffu)), 0xffc0);
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xc040), -3.0f);
}

TEST(Bf16Conversion, AllBf16RoundTrip) {
  for (uint32_t i = 0; i < 65536; ++i) {
    const uint16_t h = static_cast<uint16_t>(i);
    const float f = bf16_to_f32(h);
    if (std::isnan(f)) {
      ASSERT_EQ(f32_to_bf16(f), h | 0x40) << std::hex << h;
    } else {
      ASSERT_EQ(f32_to_bf16(f), h) << std::hex << h;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Layouts: blocks built by hand from docs/formats/quant.md decode to the documented values.

TEST(QuantLayout, Q4_0NibblesAndScale) {
  BlockQ4_0 b{};
  b.d = f32_to_fp16(0.5f);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | (15 - j) << 4);
  float y[32];
  ref::dequantize_row_q4_0(&b, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 0.5f * (j - 8)) << j;
    EXPECT_EQ(y[j + 16], 0.5f * (7 - j)) << j;
  }
}

TEST(QuantLayout, Q4_1AndQ5_1Offsets) {
  BlockQ4_1 b{};
  b.d = f32_to_fp16(2.0f);
  b.m = f32_to_fp16(-1.0f);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | 3 << 4);
  float y[32];
  ref::dequantize_row_q4_1(&b, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 2.0f * j - 1.0f);
    EXPECT_EQ(y[j + 16], 5.0f);
  }
  BlockQ5_1 c{};
  c.d = f32_to_fp16(1.0f);
  c.m = f32_to_fp16(0.25f);
  c.qh[3] = 0x80;  // element 31 gets its fifth bit
  c.qh[0] = 0x01;  // element 0 too
  ref::dequantize_row_q5_1(&c, y, 32);
  EXPECT_EQ(y[0], 16.25f);
  EXPECT_EQ(y[1], 0.25f);
  EXPECT_EQ(y[31], 16.25f);
}

TEST(QuantLayout, Q5_0HighBitsAreLittleEndian) {
  BlockQ5_0 b{};
  b.d = f32_to_fp16(1.0f);
  for (int j = 0; j < 16; ++j) b.qs[j] = 0xff;  // low nibbles 15
  b.qh[0] = 0x05;                               // elements 0 and 2
  b.qh[2] = 0x01;                               // element 16
  float y[32];
  ref::dequantize_row_q5_0(&b, y, 32);
  for (int e = 0; e < 32; ++e) {
    const bool high = e == 0 || e == 2 || e == 16;
    EXPECT_EQ(y[e], high ? 15.0f : -1.0f) << e;
  }
}

TEST(QuantLayout, Q8_1KeepsScaleAndSum) {
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j - 10);
  Row r = quantize(DType::kQ8_1, x);
  const auto& b = *static_cast<const BlockQ8_1*>(r.data());
  int sum = 0;
  for (int j = 0; j < 32; ++j) sum += b.qs[j];
  EXPECT_EQ(b.qs[31], 127);
  EXPECT_EQ(b.d, f32_to_fp16(21.0f / 127));
  EXPECT_EQ(b.s, f32_to_fp16(static_cast<float>(sum) * (21.0f / 127)));
}

// Packs 6-bit scales and mins of Q4_K/Q5_K following the documented bit positions.
void pack_k4_scales(const uint8_t sc[8], const uint8_t mn[8], uint8_t out[12]) {
  std::memset(out, 0, 12);
  for (int j = 0; j < 4; ++j) {
    out[j] = static_cast<uint8_t>(sc[j] | (sc[j + 4] >> 4) << 6);
    out[j + 4] = static_cast<uint8_t>(mn[j] | (mn[j + 4] >> 4) << 6);
    out[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | (mn[j + 4] & 15) << 4);
  }
}

TEST(QuantLayout, Q4_KScalesMinsAndNibbles) {
  const uint8_t sc[8] = {1, 2, 17, 63, 5, 40, 33, 16};
  const uint8_t mn[8] = {0, 63, 7, 20, 48, 1, 31, 32};
  BlockQ4_K b{};
  pack_k4_scales(sc, mn, b.scales);
  uint8_t sc2[8], mn2[8];
  unpack_k4_scales(b.scales, sc2, mn2);
  for (int j = 0; j < 8; ++j) {
    EXPECT_EQ(sc2[j], sc[j]) << j;
    EXPECT_EQ(mn2[j], mn[j]) << j;
  }
  b.d = f32_to_fp16(1.0f);
  b.dmin = f32_to_fp16(0.5f);
  // Element e lives in qs[32 * (e / 64) + e % 32], low nibble for the first 32 of each 64.
  std::vector<int> code(256);
  for (int e = 0; e < 256; ++e) {
    code[e] = (e * 7 + 3) % 16;
    uint8_t& byte = b.qs[32 * (e / 64) + e % 32];
    byte = static_cast<uint8_t>((e % 64) < 32 ? (byte & 0xf0) | code[e]
                                              : (byte & 0x0f) | code[e] << 4);
  }
  float y[256];
  ref::dequantize_row_q4_k(&b, y, 256);
  for (int e = 0; e < 256; ++e)
    EXPECT_EQ(y[e], sc[e / 32] * static_cast<float>(code[e]) - 0.5f * mn[e / 32]) << e;
}

TEST(QuantLayout, Q5_KFifthBit) {
  const uint8_t sc[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  const uint8_t mn[8] = {};
  BlockQ5_K b{};
  pack_k4_scales(sc, mn, b.scales);
  b.d = f32_to_fp16(1.0f);
  // Fifth bit of element e: bit e / 32 of qh[e % 32]. Set it for e = 5, 40, 255.
  for (int e : {5, 40, 255}) b.qh[e % 32] |= static_cast<uint8_t>(1u << (e / 32));
  b.qs[32 * (232 / 64) + 232 % 32] = 0x90;  // element 232: (232 % 64) >= 32, high nibble 9
  float y[256];
  ref::dequantize_row_q5_k(&b, y, 256);
  for (int e = 0; e < 256; ++e) {
    const float want = (e == 5 || e == 40 || e == 255) ? 16.0f : e == 232 ? 9.0f : 0.0f;
    EXPECT_EQ(y[e], want) << e;
  }
}

TEST(QuantLayout, Q6_KCodesAndScales) {
  BlockQ6_K b{};
  b.d = f32_to_fp16(0.25f);
  for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<int8_t>(j - 8);
  // Code of element e (0..63): low 4 bits in ql[64 h + 32 (g % 2) + l] (nibble g / 2), high 2
  // bits in qh[32 h + l] at bit 2 g, with h = e / 128, g = (e % 128) / 32, l = e % 32.
  std::vector<int> code(256);
  for (int e = 0; e < 256; ++e) {
    code[e] = (e * 13 + 5) % 64;
    const int h = e / 128, g = (e % 128) / 32, l = e % 32;
    b.ql[64 * h + 32 * (g % 2) + l] |= static_cast<uint8_t>((code[e] & 15) << (4 * (g / 2)));
    b.qh[32 * h + l] |= static_cast<uint8_t>((code[e] >> 4) << (2 * g));
  }
  float y[256];
  ref::dequantize_row_q6_k(&b, y, 256);
  for (int e = 0; e < 256; ++e)
    EXPECT_EQ(y[e], 0.25f * static_cast<float>(e / 16 - 8) * static_cast<float>(code[e] - 32)) << e;
}

TEST(QuantLayout, Q3_KCodesAndScales) {
  BlockQ3_K b{};
  b.d = f32_to_fp16(0.5f);
  // Scale j (6 bits, stored + 32): bits 0..3 in the nibble j / 8 of byte j % 8, bits 4..5 at
  // bit 2 (j / 4) of byte 8 + j % 4.
  int8_t want_sc[16];
  for (int j = 0; j < 16; ++j) {
    want_sc[j] = static_cast<int8_t>(j * 4 - 32);  // -32..28
    const int stored = want_sc[j] + 32;
    b.scales[j % 8] |= static_cast<uint8_t>((stored & 15) << (4 * (j / 8)));
    b.scales[8 + j % 4] |= static_cast<uint8_t>((stored >> 4) << (2 * (j / 4)));
  }
  int8_t sc[16];
  unpack_q3k_scales(b.scales, sc);
  for (int j = 0; j < 16; ++j) EXPECT_EQ(sc[j], want_sc[j]) << j;
  // Code of element e (-4..3): 2 low bits in qs[32 (e / 128) + e % 32] at bit 2 ((e % 128) / 32),
  // high bit in hmask[e % 32] at bit e / 32; value = low - 4 when the high bit is clear.
  std::vector<int> code(256);
  for (int e = 0; e < 256; ++e) {
    code[e] = (e * 5 + 1) % 8 - 4;
    const int stored = code[e] + 4;
    b.qs[32 * (e / 128) + e % 32] |= static_cast<uint8_t>((stored & 3) << (2 * ((e % 128) / 32)));
    b.hmask[e % 32] |= static_cast<uint8_t>((stored >> 2) << (e / 32));
  }
  float y[256];
  ref::dequantize_row_q3_k(&b, y, 256);
  for (int e = 0; e < 256; ++e)
    EXPECT_EQ(y[e], 0.5f * static_cast<float>(want_sc[e / 16]) * static_cast<float>(code[e])) << e;
}

TEST(QuantLayout, Q8_KBsumsAreGroupSums) {
  const std::vector<float> x = bell_row(7, 512, 1.0f, true);
  Row r = quantize(DType::kQ8_K, x);
  const auto* b = static_cast<const BlockQ8_K*>(r.data());
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 16; ++j) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += b[i].qs[16 * j + l];
      EXPECT_EQ(b[i].bsums[j], sum);
    }
  }
}

// Ties: Q8_0 rounds halves away from zero (C's roundf), Q8_K to even (ggml's nearest_int).
TEST(QuantLayout, TieRulesOfTheEightBitFormats) {
  std::vector<float> x(256, 0.0f);
  x[0] = 254.0f;  // d = 2 for Q8_0's first block, 1 / iscale = -2 for Q8_K
  x[1] = 3.0f;    // 1.5 -> 2 either way
  x[2] = 5.0f;    // 2.5 -> 3 (away) / 2 (even)
  x[3] = -5.0f;
  Row q8 = quantize(DType::kQ8_0, x);
  const auto* b0 = static_cast<const BlockQ8_0*>(q8.data());
  EXPECT_EQ(b0->qs[1], 2);
  EXPECT_EQ(b0->qs[2], 3);
  EXPECT_EQ(b0->qs[3], -3);
  Row qk = quantize(DType::kQ8_K, x);
  const auto* bk = static_cast<const BlockQ8_K*>(qk.data());
  EXPECT_EQ(bk->d, -2.0f);  // the extreme value maps to -127
  EXPECT_EQ(bk->qs[0], -127);
  EXPECT_EQ(bk->qs[1], -2);
  EXPECT_EQ(bk->qs[2], -2);
  EXPECT_EQ(bk->qs[3], 2);
}

// ---------------------------------------------------------------------------------------------
// Round-trip error bounds (docs/formats/quant.md, "Error bounds").

// Bound on the whole-row relative RMS error ||x - x'|| / ||x|| on bell-shaped rows with
// outliers (docs/formats/quant.md, "Error bounds"; measured worst cases in parentheses).
double rel_rms_bound(DType t) {
  switch (t) {
    case DType::kF32:
      return 0.0;
    case DType::kF16:
      return 0x1p-11;  // follows from the per-element bound
    case DType::kBF16:
      return 0x1p-8;
    case DType::kQ8_0:
    case DType::kQ8_1:
      return 0.015;  // (0.012)
    case DType::kQ8_K:
      return 0.03;  // (0.025: one scale per 256 values)
    case DType::kQ4_0:
      return 0.2;  // (0.185)
    case DType::kQ5_0:
      return 0.1;  // (0.092)
    case DType::kQ4_K:
      return 0.12;  // (0.105)
    case DType::kQ6_K:
      return 0.045;  // (0.034)
    default:
      return 0.0;
  }
}

class RoundTrip : public testing::TestWithParam<DType> {};

// Per-element or per-block bounds that follow from the format, where one exists:
//   F32: exact; F16: |e| <= max(2^-11 |x|, 2^-25); BF16: |e| <= 2^-8 |x| (half an ulp);
//   Q8_0, Q8_1: |e| <= 0.5625 amax / 127 (half a step, plus up to 127 times the fp16 rounding
//   of the scale, 2^-11 d); Q8_K: |e| <= 0.5 amax / 127 (float scale);
//   Q4_0: |e| <= (1 + 2^-8) amax / 8 (code +8 does not exist: the value opposite to the
//   extreme clamps to +7); Q5_0: |e| <= (1 + 2^-7) amax / 16;
// with amax the largest |x| of the block. The K-quants' fitted scales have no simple
// per-element bound; for them, and all others, the row bound rel_rms_bound applies.
TEST_P(RoundTrip, ErrorWithinStatedBound) {
  const DType t = GetParam();
  const int64_t bs = std::max<int64_t>(block_size(t), 32);
  for (int trial = 0; trial < 60; ++trial) {
    // Amplitudes 1e-2 .. 1e3 (times 10 for outliers): inside every format's scale range.
    const float amp = std::pow(10.0f, static_cast<float>(trial % 6) - 2.0f);
    const std::vector<float> x = bell_row(100 + trial, 1024, amp, trial % 2 == 0);
    const std::vector<float> y = dequantize(quantize(t, x));
    double err2 = 0, norm2 = 0;
    for (size_t b = 0; b < x.size(); b += bs) {
      float amax = 0;
      for (int64_t i = 0; i < bs; ++i) amax = std::max(amax, std::fabs(x[b + i]));
      for (int64_t i = 0; i < bs; ++i) {
        const float xi = x[b + i], e = std::fabs(xi - y[b + i]);
        err2 += double(e) * e;
        norm2 += double(xi) * xi;
        switch (t) {
          case DType::kF32:
            ASSERT_EQ(e, 0.0f);
            break;
          case DType::kF16:  // below 2^-14 halves are subnormal, with a fixed step of 2^-24
            ASSERT_LE(e, std::max(std::ldexp(std::fabs(xi), -11), 0x1p-25f)) << xi;
            break;
          case DType::kBF16:
            ASSERT_LE(e, std::ldexp(std::fabs(xi), -8)) << xi;
            break;
          case DType::kQ8_0:
          case DType::kQ8_1:
            ASSERT_LE(e, 0.5625f * amax / 127) << trial;
            break;
          case DType::kQ8_K:
            ASSERT_LE(e, 0.50001f * amax / 127) << trial;
            break;
          case DType::kQ4_0:
            ASSERT_LE(e, (1 + 0x1p-8f) * amax / 8) << trial;
            break;
          case DType::kQ5_0:
            ASSERT_LE(e, (1 + 0x1p-7f) * amax / 16) << trial;
            break;
          default:
            break;
        }
      }
    }
    EXPECT_LE(std::sqrt(err2 / norm2), rel_rms_bound(t)) << dtype_name(t) << " trial " << trial;
  }
}

INSTANTIATE_TEST_SUITE_P(Quantizable, RoundTrip, testing::ValuesIn(kQuantizable), name_of);

// ---------------------------------------------------------------------------------------------
// Dot products.

// Quantizes a weight row for the types we can quantize; for the others (Q4_1, Q5_1, Q3_K,
// Q5_K) builds a valid row from random bytes with bounded scales, which is enough for the
// properties below (they concern the dot product, not the quantizer).
Row weight_row(DType t, const std::vector<float>& x, uint64_t seed) {
  if (has_quantize(t)) return quantize(t, x);
  Row r(t, static_cast<int64_t>(x.size()));
  Rng rng(seed);
  uint8_t* p = reinterpret_cast<uint8_t*>(r.data());
  for (size_t i = 0; i < r.size(); ++i) p[i] = static_cast<uint8_t>(rng.uniform() * 256);
  const size_t ts = type_size(t);
  for (size_t b = 0; b < r.size() / ts; ++b) {
    uint8_t* blk = p + b * ts;
    const uint16_t d = f32_to_fp16(0.01f + 0.02f * rng.uniform());
    const uint16_t m = f32_to_fp16(-0.2f * rng.uniform());
    switch (t) {
      case DType::kQ4_1:
      case DType::kQ5_1:
        std::memcpy(blk, &d, 2);
        std::memcpy(blk + 2, &m, 2);
        break;
      case DType::kQ3_K:
        std::memcpy(blk + offsetof(BlockQ3_K, d), &d, 2);
        break;
      case DType::kQ5_K: {
        const uint16_t dmin = f32_to_fp16(0.002f * rng.uniform());
        std::memcpy(blk, &d, 2);
        std::memcpy(blk + 2, &dmin, 2);
        break;
      }
      default:
        break;
    }
  }
  return r;
}

// For weights of Q4_1 / Q5_1: sum over blocks of |m_b| |s_b - d_b sum_j q_bj|, the error that
// using the fp16 block sum s of Q8_1 adds to the dot product. Zero for the other types.
double block_sum_slack(DType t, const Row& w, const Row& xq) {
  if (vec_dot_type(t) != DType::kQ8_1) return 0.0;
  const auto* xb = static_cast<const BlockQ8_1*>(xq.data());
  double slack = 0;
  for (int64_t b = 0; b < w.n / 32; ++b) {
    const uint16_t m16 = t == DType::kQ4_1 ? static_cast<const BlockQ4_1*>(w.data())[b].m
                                           : static_cast<const BlockQ5_1*>(w.data())[b].m;
    int sum = 0;
    for (int j = 0; j < 32; ++j) sum += xb[b].qs[j];
    slack += std::fabs(fp16_to_f32(m16)) *
             std::fabs(fp16_to_f32(xb[b].s) - double(fp16_to_f32(xb[b].d)) * sum);
  }
  return slack;
}

class VecDot : public testing::TestWithParam<DType> {};

// vec_dot(w, q(x)) against the float dot product of dequant(w) with the unquantized x. The
// difference comes from quantizing x (and, for Q8_1, from the rounded block sum s), so
//   |vec_dot - dot(w', x)| <= sum_i |w'_i| |x_i - x'_i| + sum_b |m_b| |s_b - d_b sum q_b|
//                             + 1e-5 sum_i |w'_i x'_i|
// where x' = dequant(q(x)) and the last term covers float rounding. Since |x_i - x'_i| is
// bounded per format (RoundTrip above), this bounds each type's error; it is checked on rows
// of 1 block up to 64 super-blocks.
TEST_P(VecDot, CloseToFloatDotOfDequantizedWeights) {
  const DType t = GetParam();
  const DType xt = vec_dot_type(t);
  for (int64_t n : {int64_t{256}, int64_t{512}, int64_t{4096}, int64_t{16384}}) {
    for (int trial = 0; trial < 4; ++trial) {
      const std::vector<float> wf = bell_row(1000 + trial, n, 0.05f, trial % 2 == 1);
      const std::vector<float> x = bell_row(2000 + trial, n, 1.0f + trial, trial % 2 == 0);
      const Row w = weight_row(t, wf, 3000 + trial);
      const Row xq = quantize(xt, x);
      const std::vector<float> wd = dequantize(w), xd = dequantize(xq);

      double exact = 0, bound = 0, magnitude = 0;
      for (int64_t i = 0; i < n; ++i) {
        exact += double(wd[i]) * x[i];
        bound += std::fabs(double(wd[i])) * std::fabs(double(x[i]) - xd[i]);
        magnitude += std::fabs(double(wd[i]) * xd[i]);
      }
      bound += block_sum_slack(t, w, xq);
      bound += 1e-5 * magnitude;
      const float got = ref::vec_dot(t, n, w.data(), xq.data());
      ASSERT_TRUE(std::isfinite(got));
      EXPECT_LE(std::fabs(got - exact), bound)
          << dtype_name(t) << " n " << n << " trial " << trial << ": " << got << " vs " << exact;
    }
  }
}

// vec_dot is exactly "dequantize both, multiply, add" up to float rounding: integer sums per
// block, then the scales. Checked to 1e-5 of sum_i |w'_i x'_i| (the Q8_1 types use the block
// sums s in place of d * sum(q), so their bound adds block_sum_slack).
TEST_P(VecDot, EqualsDotOfBothDequantizedRows) {
  const DType t = GetParam();
  const DType xt = vec_dot_type(t);
  const int64_t n = 1024;
  for (int trial = 0; trial < 8; ++trial) {
    const Row w = weight_row(t, bell_row(50 + trial, n, 0.1f, true), 60 + trial);
    const Row xq = quantize(xt, bell_row(70 + trial, n, 3.0f, false));
    const std::vector<float> wd = dequantize(w), xd = dequantize(xq);
    double sum = 0, magnitude = 0;
    for (int64_t i = 0; i < n; ++i) {
      sum += double(wd[i]) * xd[i];
      magnitude += std::fabs(double(wd[i]) * xd[i]);
    }
    const double slack = 1e-5 * magnitude + block_sum_slack(t, w, xq);
    EXPECT_NEAR(ref::vec_dot(t, n, w.data(), xq.data()), sum, slack)
        << dtype_name(t) << " trial " << trial;
  }
}

INSTANTIATE_TEST_SUITE_P(WeightTypes, VecDot, testing::ValuesIn(kWeights), name_of);

// ---------------------------------------------------------------------------------------------
// Edge cases.

class QuantEdge : public testing::TestWithParam<DType> {};

TEST_P(QuantEdge, AllZerosGiveZeros) {
  const DType t = GetParam();
  for (int64_t n : {int64_t{256}, int64_t{2048}}) {
    const std::vector<float> x(static_cast<size_t>(n), 0.0f);
    const std::vector<float> y = dequantize(quantize(t, x));
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], 0.0f) << dtype_name(t) << " " << i;
  }
}

// Within each format's scale range (amplitudes up to 1e5 here; the limits are in the docs),
// large values quantize without overflow and keep their relative accuracy.
TEST_P(QuantEdge, HugeValuesStayFiniteAndAccurate) {
  const DType t = GetParam();
  if (t == DType::kF16) GTEST_SKIP() << "f16 saturates above 65504 by design";
  const std::vector<float> x = bell_row(9, 1024, 2e4f, false);  // |x| up to ~7e4
  const std::vector<float> y = dequantize(quantize(t, x));
  double err2 = 0, norm2 = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_TRUE(std::isfinite(y[i])) << dtype_name(t) << " " << i;
    err2 += double(x[i] - y[i]) * (x[i] - y[i]);
    norm2 += double(x[i]) * x[i];
  }
  EXPECT_LE(std::sqrt(err2 / norm2), rel_rms_bound(t)) << dtype_name(t);
}

// Finite inputs of any size mix (zero blocks, subnormals, one spike per block, wide dynamic
// range inside a block) never produce NaN or infinity, in dequantized values or dot products.
TEST_P(QuantEdge, FiniteInputsGiveFiniteOutputs) {
  const DType t = GetParam();
  const int64_t n = 4096;
  Rng rng(77);
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t block = i / 256;
    float v = rng.bell();
    switch (block % 8) {
      case 0:
        v = 0.0f;
        break;
      case 1:
        v *= 1e-30f;
        break;  // float subnormals and below
      case 2:
        v = (i % 256 == 3) ? 1e3f : v * 1e-6f;
        break;  // one spike
      case 3:
        v *= std::pow(10.0f, static_cast<float>(i % 7) - 3);
        break;
      case 4:
        v = std::fabs(v) + 1.0f;
        break;  // all positive
      case 5:
        v = -std::fabs(v) - 1.0f;
        break;  // all negative
      case 6:
        v = (i % 2) ? 1e-3f : -1e-3f;
        break;  // constant magnitude
      default:
        v *= 1e-7f;
        break;  // fp16 scales underflow
    }
    x[i] = v;
  }
  const Row q = quantize(t, x);
  const std::vector<float> y = dequantize(q);
  for (int64_t i = 0; i < n; ++i) ASSERT_TRUE(std::isfinite(y[i])) << dtype_name(t) << " " << i;
  for (DType w : kWeights) {
    if (vec_dot_type(w) != t || !has_quantize(w)) continue;
    const Row wq = quantize(w, x);
    EXPECT_TRUE(std::isfinite(ref::vec_dot(w, n, wq.data(), q.data()))) << dtype_name(w);
  }
}

// A row is a sequence of independent blocks: quantizing 64 super-blocks at once gives the
// bytes of quantizing them one block at a time, and so does dequantizing.
TEST_P(QuantEdge, OneBlockAndManyBlocksAgree) {
  const DType t = GetParam();
  const int64_t bs = block_size(t) == 1 ? 256 : block_size(t);
  const int64_t n = 64 * 256;
  const std::vector<float> x = bell_row(11, n, 0.7f, true);
  const Row whole = quantize(t, x);
  const std::vector<float> y = dequantize(whole);
  const size_t bytes = row_size(t, bs);
  for (int64_t b = 0; b < n / bs; ++b) {
    const std::vector<float> part(x.begin() + b * bs, x.begin() + (b + 1) * bs);
    const Row one = quantize(t, part);
    ASSERT_EQ(std::memcmp(one.bytes(), whole.bytes() + b * bytes, bytes), 0)
        << dtype_name(t) << " block " << b;
    const std::vector<float> yp = dequantize(one);
    ASSERT_EQ(std::memcmp(yp.data(), y.data() + b * bs, bs * sizeof(float)), 0)
        << dtype_name(t) << " block " << b;
  }
}

INSTANTIATE_TEST_SUITE_P(Quantizable, QuantEdge, testing::ValuesIn(kQuantizable), name_of);

// The dot product of one block with itself, and a dot product over many blocks is the sum of
// its blocks' dot products up to float rounding.
TEST(VecDotBlocks, ManyBlocksSumTheirBlocks) {
  for (DType t : kWeights) {
    const DType xt = vec_dot_type(t);
    const int64_t bs = block_size(t) == 1 ? 32 : block_size(t);
    const int64_t n = 64 * bs;
    const Row w = weight_row(t, bell_row(21, n, 0.3f, true), 22);
    const Row x = quantize(xt, bell_row(23, n, 1.0f, false));
    double sum = 0, magnitude = 0;
    const size_t wb = row_size(t, bs), xb = row_size(xt, bs);
    for (int64_t b = 0; b < n / bs; ++b) {
      const float part = ref::vec_dot(t, bs, w.bytes() + b * wb, x.bytes() + b * xb);
      sum += part;
      magnitude += std::fabs(part);
    }
    EXPECT_NEAR(ref::vec_dot(t, n, w.data(), x.data()), sum, 1e-5 * magnitude + 1e-30)
        << dtype_name(t);
  }
}

// ---------------------------------------------------------------------------------------------
// Misuse aborts (QWL_CHECK), it does not return garbage.

TEST(QuantDeathTest, UnsupportedTypesAndPartialBlocksAbort) {
  std::vector<float> x(256, 1.0f);
  std::vector<uint64_t> buf(256);
  EXPECT_DEATH(ref::quantize_row(DType::kQ3_K, x.data(), buf.data(), 256), "no quantizer");
  EXPECT_DEATH(ref::dequantize_row(DType::kQ2_K, buf.data(), x.data(), 256), "no kernel");
  EXPECT_DEATH(ref::vec_dot(DType::kQ8_1, 256, buf.data(), buf.data()), "not a weight type");
  EXPECT_DEATH(ref::quantize_row(DType::kQ4_0, x.data(), buf.data(), 48), "whole number");
  EXPECT_DEATH(vec_dot_type(DType::kQ8_K), "not a weight type");
}

}  // namespace
}  // namespace qwl
