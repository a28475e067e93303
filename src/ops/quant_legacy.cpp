// Scalar reference kernels of the 32-element block formats: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and the
// Q8_1 activation format (layouts in quant_blocks.h and docs/formats/quant.md).
//
// The quantizers reproduce ggml's reference quantizers bit for bit, so every float operation is
// written in the order ggml evaluates it: a block scale is derived from the block's extreme
// value, values are scaled by the float reciprocal of the *unrounded* scale, and only then is the
// scale stored as fp16. The project compiles with ISO C++ (no FMA contraction), as ggml's
// quantizers are compiled, so the same expressions give the same bits.
//
// The dot products follow ggml's generic kernels: integer sums per block, then one float
// multiply-add per block, with the same association of the float factors.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "ops/quant.h"
#include "ops/quant_blocks.h"

namespace qwl::ref {
namespace {

constexpr int kHalf = kQK32 / 2;

// The 5th bits of a Q5 block as one little-endian word: bit e belongs to element e.
uint32_t load_high_bits(const uint8_t qh[4]) {
  return static_cast<uint32_t>(qh[0]) | static_cast<uint32_t>(qh[1]) << 8 |
         static_cast<uint32_t>(qh[2]) << 16 | static_cast<uint32_t>(qh[3]) << 24;
}

void store_high_bits(uint32_t bits, uint8_t qh[4]) {
  for (int i = 0; i < 4; ++i) qh[i] = static_cast<uint8_t>(bits >> (8 * i));
}

// The value of largest magnitude in a block, with its sign; the first one wins a tie, as in
// ggml. Q4_0 and Q5_0 use the sign so that this value maps exactly to the most negative code.
float signed_absmax(const float* x) {
  float amax = 0.0f;
  float max = 0.0f;
  for (int j = 0; j < kQK32; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

float absmax(const float* x) {
  float amax = 0.0f;
  for (int j = 0; j < kQK32; ++j) amax = amax > std::fabs(x[j]) ? amax : std::fabs(x[j]);
  return amax;
}

// Shared body of the two dequantizers with an offset (Q4_1, Q5_1): value = d * q + m.
void dequant_affine(float d, float m, const uint8_t* q, float* y) {
  for (int j = 0; j < kQK32; ++j) y[j] = static_cast<float>(q[j]) * d + m;
}

// Codes 0..15 of a nibble-packed block: element j < 16 in the low nibble of qs[j], element
// j + 16 in the high nibble.
void unpack_nibbles(const uint8_t qs[kHalf], uint8_t q[kQK32]) {
  for (int j = 0; j < kHalf; ++j) {
    q[j] = qs[j] & 0x0f;
    q[j + kHalf] = qs[j] >> 4;
  }
}

void unpack_q5(const uint8_t qs[kHalf], const uint8_t qh[4], uint8_t q[kQK32]) {
  unpack_nibbles(qs, q);
  const uint32_t high = load_high_bits(qh);
  for (int e = 0; e < kQK32; ++e) q[e] |= static_cast<uint8_t>(((high >> e) & 1u) << 4);
}

}  // namespace

void dequantize_row_q4_0(const BlockQ4_0* src, float* dst, int64_t n) {
  uint8_t q[kQK32];
  for (int64_t i = 0; i < n / kQK32; ++i, dst += kQK32) {
    const float d = fp16_to_f32(src[i].d);
    unpack_nibbles(src[i].qs, q);
    for (int j = 0; j < kQK32; ++j) dst[j] = static_cast<float>(q[j] - 8) * d;
  }
}

void dequantize_row_q4_1(const BlockQ4_1* src, float* dst, int64_t n) {
  uint8_t q[kQK32];
  for (int64_t i = 0; i < n / kQK32; ++i, dst += kQK32) {
    unpack_nibbles(src[i].qs, q);
    dequant_affine(fp16_to_f32(src[i].d), fp16_to_f32(src[i].m), q, dst);
  }
}

void dequantize_row_q5_0(const BlockQ5_0* src, float* dst, int64_t n) {
  uint8_t q[kQK32];
  for (int64_t i = 0; i < n / kQK32; ++i, dst += kQK32) {
    const float d = fp16_to_f32(src[i].d);
    unpack_q5(src[i].qs, src[i].qh, q);
    for (int j = 0; j < kQK32; ++j) dst[j] = static_cast<float>(q[j] - 16) * d;
  }
}

void dequantize_row_q5_1(const BlockQ5_1* src, float* dst, int64_t n) {
  uint8_t q[kQK32];
  for (int64_t i = 0; i < n / kQK32; ++i, dst += kQK32) {
    unpack_q5(src[i].qs, src[i].qh, q);
    dequant_affine(fp16_to_f32(src[i].d), fp16_to_f32(src[i].m), q, dst);
  }
}

void dequantize_row_q8_0(const BlockQ8_0* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK32; ++i, dst += kQK32) {
    const float d = fp16_to_f32(src[i].d);
    for (int j = 0; j < kQK32; ++j) dst[j] = static_cast<float>(src[i].qs[j]) * d;
  }
}

void dequantize_row_q8_1(const BlockQ8_1* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK32; ++i, dst += kQK32) {
    const float d = fp16_to_f32(src[i].d);
    for (int j = 0; j < kQK32; ++j) dst[j] = static_cast<float>(src[i].qs[j]) * d;
  }
}

void quantize_row_q4_0(const float* src, BlockQ4_0* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK32; ++i, src += kQK32) {
    // The extreme value gets code 0 (= -8 * d), so its sign decides the sign of d.
    const float d = signed_absmax(src) / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    dst[i].d = f32_to_fp16(d);
    for (int j = 0; j < kHalf; ++j) {
      // ggml rounds by adding 8.5 and truncating; min() catches the one code past 15.
      const int q0 = std::min(15, static_cast<int>(src[j] * id + 8.5f));
      const int q1 = std::min(15, static_cast<int>(src[j + kHalf] * id + 8.5f));
      dst[i].qs[j] = static_cast<uint8_t>(q0 | q1 << 4);
    }
  }
}

void quantize_row_q5_0(const float* src, BlockQ5_0* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK32; ++i, src += kQK32) {
    const float d = signed_absmax(src) / -16;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    dst[i].d = f32_to_fp16(d);
    uint32_t high = 0;
    for (int j = 0; j < kHalf; ++j) {
      const int q0 = std::min(31, static_cast<int>(src[j] * id + 16.5f));
      const int q1 = std::min(31, static_cast<int>(src[j + kHalf] * id + 16.5f));
      dst[i].qs[j] = static_cast<uint8_t>((q0 & 0x0f) | (q1 & 0x0f) << 4);
      high |= static_cast<uint32_t>(q0 >> 4) << j;
      high |= static_cast<uint32_t>(q1 >> 4) << (j + kHalf);
    }
    store_high_bits(high, dst[i].qh);
  }
}

void quantize_row_q8_0(const float* src, BlockQ8_0* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK32; ++i, src += kQK32) {
    const float d = absmax(src) / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    dst[i].d = f32_to_fp16(d);
    // std::round: halves away from zero, like C's roundf that ggml uses here.
    for (int j = 0; j < kQK32; ++j) dst[i].qs[j] = static_cast<int8_t>(std::round(src[j] * id));
  }
}

void quantize_row_q8_1(const float* src, BlockQ8_1* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK32; ++i, src += kQK32) {
    const float d = absmax(src) / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    dst[i].d = f32_to_fp16(d);
    int sum = 0;
    for (int j = 0; j < kQK32; ++j) {
      dst[i].qs[j] = static_cast<int8_t>(std::round(src[j] * id));
      sum += dst[i].qs[j];
    }
    // s is rounded from the float scale, not from the fp16 one stored in d.
    dst[i].s = f32_to_fp16(static_cast<float>(sum) * d);
  }
}

float vec_dot_q4_0_q8_0(int64_t n, const BlockQ4_0* w, const BlockQ8_0* x) {
  float sum = 0.0f;
  uint8_t q[kQK32];
  for (int64_t i = 0; i < n / kQK32; ++i) {
    unpack_nibbles(w[i].qs, q);
    int isum = 0;
    for (int j = 0; j < kQK32; ++j) isum += (q[j] - 8) * x[i].qs[j];
    sum += static_cast<float>(isum) * fp16_to_f32(w[i].d) * fp16_to_f32(x[i].d);
  }
  return sum;
}

// With offsets: sum_j (d_w q_j + m_w) d_x p_j = d_w d_x sum_j q_j p_j + m_w (d_x sum_j p_j),
// and the last factor is the precomputed s of the Q8_1 block.
float vec_dot_q4_1_q8_1(int64_t n, const BlockQ4_1* w, const BlockQ8_1* x) {
  float sum = 0.0f;
  uint8_t q[kQK32];
  for (int64_t i = 0; i < n / kQK32; ++i) {
    unpack_nibbles(w[i].qs, q);
    int isum = 0;
    for (int j = 0; j < kQK32; ++j) isum += q[j] * x[i].qs[j];
    sum += fp16_to_f32(w[i].d) * fp16_to_f32(x[i].d) * static_cast<float>(isum) +
           fp16_to_f32(w[i].m) * fp16_to_f32(x[i].s);
  }
  return sum;
}

float vec_dot_q5_0_q8_0(int64_t n, const BlockQ5_0* w, const BlockQ8_0* x) {
  float sum = 0.0f;
  uint8_t q[kQK32];
  for (int64_t i = 0; i < n / kQK32; ++i) {
    unpack_q5(w[i].qs, w[i].qh, q);
    int isum = 0;
    for (int j = 0; j < kQK32; ++j) isum += (q[j] - 16) * x[i].qs[j];
    sum += fp16_to_f32(w[i].d) * fp16_to_f32(x[i].d) * static_cast<float>(isum);
  }
  return sum;
}

float vec_dot_q5_1_q8_1(int64_t n, const BlockQ5_1* w, const BlockQ8_1* x) {
  float sum = 0.0f;
  uint8_t q[kQK32];
  for (int64_t i = 0; i < n / kQK32; ++i) {
    unpack_q5(w[i].qs, w[i].qh, q);
    int isum = 0;
    for (int j = 0; j < kQK32; ++j) isum += q[j] * x[i].qs[j];
    sum += fp16_to_f32(w[i].d) * fp16_to_f32(x[i].d) * static_cast<float>(isum) +
           fp16_to_f32(w[i].m) * fp16_to_f32(x[i].s);
  }
  return sum;
}

float vec_dot_q8_0_q8_0(int64_t n, const BlockQ8_0* w, const BlockQ8_0* x) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK32; ++i) {
    int isum = 0;
    for (int j = 0; j < kQK32; ++j) isum += w[i].qs[j] * x[i].qs[j];
    // ggml multiplies the two scales first here (unlike Q4_0); kept for identical rounding.
    sum += static_cast<float>(isum) * (fp16_to_f32(w[i].d) * fp16_to_f32(x[i].d));
  }
  return sum;
}

}  // namespace qwl::ref
