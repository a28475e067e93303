// Scalar reference kernels of the K-quants (256-element super-blocks): Q3_K, Q4_K, Q5_K, Q6_K,
// and the Q8_K activation format (layouts in quant_blocks.h and docs/formats/quant.md).
//
// Each block is first unpacked into one small integer per element and one scale (and min) per
// sub-block, so that the bit packing is written once per format and the arithmetic reads
// plainly. Quantizers for Q4_K, Q6_K and Q8_K reproduce ggml's reference quantizers bit for bit:
// the search for sub-block scales is done with the same float expressions in the same order
// (the project compiles without FMA contraction, as ggml's quantizers are compiled).
//
// Dot products follow ggml's generic kernels exactly, including their float order: products are
// summed as integers into 8 lanes (element e goes to lane e % 8), each lane is scaled once per
// super-block into a float lane, and the 8 float lanes are added at the end. Any order would be
// as accurate; this one makes our results equal to ggml's to the last bit in practice, which
// keeps the tolerance of SIMD kernels tested against this reference honest.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/quant.h"
#include "ops/quant_blocks.h"

namespace qwl {

void unpack_k4_scales(const uint8_t packed[kKScaleBytes], uint8_t sc[8], uint8_t mn[8]) {
  // Bytes 0..3: low 6 bits = sc[0..3], top 2 bits = bits 4..5 of sc[4..7].
  // Bytes 4..7: low 6 bits = mn[0..3], top 2 bits = bits 4..5 of mn[4..7].
  // Bytes 8..11: low nibble = bits 0..3 of sc[4..7], high nibble = bits 0..3 of mn[4..7].
  for (int j = 0; j < 4; ++j) {
    sc[j] = packed[j] & 63;
    mn[j] = packed[j + 4] & 63;
    sc[j + 4] = static_cast<uint8_t>((packed[j + 8] & 0x0f) | (packed[j] >> 6) << 4);
    mn[j + 4] = static_cast<uint8_t>((packed[j + 8] >> 4) | (packed[j + 4] >> 6) << 4);
  }
}

void unpack_q3k_scales(const uint8_t packed[12], int8_t sc[16]) {
  // Low nibbles of bytes 0..7 hold bits 0..3 of scales 0..7, their high nibbles those of
  // scales 8..15; byte 8 + (j % 4), bits 2*(j/4)..2*(j/4)+1, holds bits 4..5 of scale j.
  for (int j = 0; j < 16; ++j) {
    const int low = j < 8 ? packed[j] & 0x0f : packed[j - 8] >> 4;
    const int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    sc[j] = static_cast<int8_t>((low | high << 4) - 32);
  }
}

namespace {

constexpr int kQK = kQK256;

// Round to nearest, ties to even, as ggml's nearest_int: adding 1.5 * 2^23 leaves the rounded
// integer in the low mantissa bits. Valid for |v| < 2^22, which every caller guarantees (the
// value is a code or a 6-bit scale).
int nearest_even(float v) {
  const float shifted = v + 12582912.0f;
  uint32_t bits;
  std::memcpy(&bits, &shifted, sizeof(bits));
  return static_cast<int>(bits & 0x007fffffu) - 0x00400000;
}

// --- Unpacking: one integer code per element ------------------------------------------------

// Q3_K codes as signed values -4..3. Element e: 2 low bits in qs[32 * (e / 128) + e % 32] at
// bit 2 * ((e % 128) / 32); the high bit in hmask[e % 32] at bit e / 32; a clear high bit
// means "subtract 4".
void unpack_q3k(const BlockQ3_K& b, int8_t q[kQK]) {
  for (int e = 0; e < kQK; ++e) {
    const int low = (b.qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
    const bool high = (b.hmask[e % 32] >> (e / 32)) & 1;
    q[e] = static_cast<int8_t>(low - (high ? 0 : 4));
  }
}

// Q4_K codes 0..15. Element e: qs[32 * (e / 64) + e % 32], low nibble for (e % 64) < 32.
void unpack_q4k(const BlockQ4_K& b, int8_t q[kQK]) {
  for (int e = 0; e < kQK; ++e) {
    const uint8_t byte = b.qs[32 * (e / 64) + e % 32];
    q[e] = static_cast<int8_t>((e % 64) < 32 ? byte & 0x0f : byte >> 4);
  }
}

// Q5_K codes 0..31: the Q4_K nibble plus 16 if bit e / 32 of qh[e % 32] is set.
void unpack_q5k(const BlockQ5_K& b, int8_t q[kQK]) {
  for (int e = 0; e < kQK; ++e) {
    const uint8_t byte = b.qs[32 * (e / 64) + e % 32];
    const int low = (e % 64) < 32 ? byte & 0x0f : byte >> 4;
    const int high = (b.qh[e % 32] >> (e / 32)) & 1;
    q[e] = static_cast<int8_t>(low + 16 * high);
  }
}

// Q6_K codes as signed values -32..31. In each half h of 128 elements, quarter g = (e % 128)/32
// and l = e % 32: low 4 bits in ql[64 h + l + 32 (g % 2)] (low nibble for g < 2), high 2 bits
// in qh[32 h + l] at bit 2 g.
void unpack_q6k(const BlockQ6_K& b, int8_t q[kQK]) {
  for (int e = 0; e < kQK; ++e) {
    const int h = e / 128, g = (e % 128) / 32, l = e % 32;
    const uint8_t lbyte = b.ql[64 * h + l + 32 * (g % 2)];
    const int low = g < 2 ? lbyte & 0x0f : lbyte >> 4;
    const int high = (b.qh[32 * h + l] >> (2 * g)) & 3;
    q[e] = static_cast<int8_t>((low | high << 4) - 32);
  }
}

// --- Dot product skeleton ---------------------------------------------------------------------

// ggml's lane-wise accumulation (see the file comment). scale_of(e) is the integer sub-block
// scale of element e; lanes[l] accumulates d * isum over all super-blocks.
struct Lanes {
  float sums[8] = {};

  template <typename ScaleOf>
  void add_block(float d, const int8_t* a, const int8_t* q8, ScaleOf scale_of) {
    int32_t isum[8] = {};
    for (int e = 0; e < kQK; ++e) isum[e % 8] += scale_of(e) * (q8[e] * a[e]);
    for (int l = 0; l < 8; ++l) sums[l] += d * static_cast<float>(isum[l]);
  }

  float total(float start) const {
    for (float s : sums) start += s;
    return start;
  }
};

// sum_j bsums[j] * min of the sub-block of 32 that group j (of 16) belongs to.
int min_correction(const BlockQ8_K& x, const uint8_t mn[8]) {
  int isum = 0;
  for (int j = 0; j < kQK / 16; ++j) isum += x.bsums[j] * mn[j / 2];
  return isum;
}

// --- Scale searches of the reference quantizers ---------------------------------------------

// Affine fit used by Q4_K: find scale > 0 and min <= 0 with x ~ scale * L + min, L in 0..nmax,
// minimising the weighted squared error. Tries iscale = (nmax + rmin + rdelta * k) / range for
// k = 0..nstep and keeps the best least-squares fit. Returns the scale, stores -min in neg_min.
float fit_affine(int n, int nmax, const float* x, const float* w, uint8_t* L, float* neg_min,
                 float rmin, float rdelta, int nstep) {
  float min = x[0];
  float max = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *neg_min = -min;
    return 0.0f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    L[i] = static_cast<uint8_t>(std::clamp(nearest_even(iscale * (x[i] - min)), 0, nmax));
    const float diff = scale * L[i] + min - x[i];
    best_error += w[i] * (diff * diff);
  }
  uint8_t trial[32];
  for (int step = 0; step <= nstep; ++step) {
    iscale = (rmin + rdelta * step + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_even(iscale * (x[i] - min)), 0, nmax);
      trial[i] = static_cast<uint8_t>(l);
      sum_l += w[i] * l;
      sum_l2 += w[i] * l * l;
      sum_xl += w[i] * l * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (!(det > 0)) continue;
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (this_min > 0) {
      this_min = 0;
      this_scale = sum_xl / sum_l2;
    }
    float error = 0;
    for (int i = 0; i < n; ++i) {
      const float diff = this_scale * trial[i] + this_min - x[i];
      error += w[i] * (diff * diff);
    }
    if (error < best_error) {
      std::copy(trial, trial + n, L);
      best_error = error;
      scale = this_scale;
      min = this_min;
    }
  }
  *neg_min = -min;
  return scale;
}

// Symmetric fit used by Q6_K: x ~ scale * l with l in -nmax..nmax-1, weights x^2. Starts from
// the scale that maps the extreme value to -nmax, then tries 18 nearby scales and keeps the
// one with the best weighted least-squares score. L receives l + nmax. Returns the scale.
float fit_symmetric(int n, int nmax, const float* x, int8_t* L) {
  float max = 0;
  float amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < 1e-15f) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.0f;
  }
  auto code = [nmax](float v) { return std::clamp(nearest_even(v), -nmax, nmax - 1); };
  float iscale = -nmax / max;
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = code(iscale * x[i]);
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int step = -9; step <= 9; ++step) {
    if (step == 0) continue;
    iscale = -(nmax + 0.1f * step) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = code(iscale * x[i]);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(code(iscale * x[i]) + nmax);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

}  // namespace

namespace ref {

// --- Dequantizers ---------------------------------------------------------------------------

void dequantize_row_q3_k(const BlockQ3_K* src, float* dst, int64_t n) {
  int8_t q[kQK];
  int8_t sc[16];
  for (int64_t i = 0; i < n / kQK; ++i, dst += kQK) {
    const float d = fp16_to_f32(src[i].d);
    unpack_q3k(src[i], q);
    unpack_q3k_scales(src[i].scales, sc);
    for (int j = 0; j < 16; ++j) {
      const float dl = d * sc[j];
      for (int l = 0; l < 16; ++l) dst[16 * j + l] = dl * q[16 * j + l];
    }
  }
}

namespace {

// Q4_K and Q5_K share the reconstruction d * sc_j * q - dmin * m_j per sub-block of 32.
void dequant_k4(uint16_t d16, uint16_t dmin16, const uint8_t* packed, const int8_t* q, float* dst) {
  const float d = fp16_to_f32(d16);
  const float dmin = fp16_to_f32(dmin16);
  uint8_t sc[8], mn[8];
  unpack_k4_scales(packed, sc, mn);
  for (int j = 0; j < 8; ++j) {
    const float dl = d * sc[j];
    const float ml = dmin * mn[j];
    for (int l = 0; l < 32; ++l) dst[32 * j + l] = dl * q[32 * j + l] - ml;
  }
}

}  // namespace

void dequantize_row_q4_k(const BlockQ4_K* src, float* dst, int64_t n) {
  int8_t q[kQK];
  for (int64_t i = 0; i < n / kQK; ++i, dst += kQK) {
    unpack_q4k(src[i], q);
    dequant_k4(src[i].d, src[i].dmin, src[i].scales, q, dst);
  }
}

void dequantize_row_q5_k(const BlockQ5_K* src, float* dst, int64_t n) {
  int8_t q[kQK];
  for (int64_t i = 0; i < n / kQK; ++i, dst += kQK) {
    unpack_q5k(src[i], q);
    dequant_k4(src[i].d, src[i].dmin, src[i].scales, q, dst);
  }
}

void dequantize_row_q6_k(const BlockQ6_K* src, float* dst, int64_t n) {
  int8_t q[kQK];
  for (int64_t i = 0; i < n / kQK; ++i, dst += kQK) {
    const float d = fp16_to_f32(src[i].d);
    unpack_q6k(src[i], q);
    for (int e = 0; e < kQK; ++e) dst[e] = d * src[i].scales[e / 16] * q[e];
  }
}

void dequantize_row_q8_k(const BlockQ8_K* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i, dst += kQK) {
    for (int e = 0; e < kQK; ++e) dst[e] = src[i].d * src[i].qs[e];
  }
}

// --- Quantizers -----------------------------------------------------------------------------

void quantize_row_q4_k(const float* src, BlockQ4_K* dst, int64_t n) {
  uint8_t L[kQK];
  float weights[32];
  float scales[8];
  float mins[8];
  for (int64_t i = 0; i < n / kQK; ++i, src += kQK) {
    BlockQ4_K& b = dst[i];
    // 1. Per sub-block of 32: an affine fit weighted towards large values (|x| + rms).
    float max_scale = 0;
    float max_min = 0;
    for (int j = 0; j < 8; ++j) {
      const float* x = src + 32 * j;
      float sum_x2 = 0;
      for (int l = 0; l < 32; ++l) sum_x2 += x[l] * x[l];
      const float av_x = std::sqrt(sum_x2 / 32);
      for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[l]);
      scales[j] = fit_affine(32, 15, x, weights, L + 32 * j, &mins[j], -1.0f, 0.1f, 20);
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    // 2. Scales and mins to 6 bits against the super-block's largest ones.
    const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
    const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
    uint8_t sc[8], mn[8];
    for (int j = 0; j < 8; ++j) {
      // ggml stores the rounded value in a uint8_t before clamping; the wrap is kept.
      sc[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_even(inv_scale * scales[j])));
      mn[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_even(inv_min * mins[j])));
    }
    for (int j = 0; j < 4; ++j) {
      b.scales[j] = static_cast<uint8_t>(sc[j] | (sc[j + 4] >> 4) << 6);
      b.scales[j + 4] = static_cast<uint8_t>(mn[j] | (mn[j + 4] >> 4) << 6);
      b.scales[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0x0f) | (mn[j + 4] & 0x0f) << 4);
    }
    b.d = f32_to_fp16(max_scale / 63.0f);
    b.dmin = f32_to_fp16(max_min / 63.0f);
    // 3. Codes again against the scales as stored (sub-blocks with a zero scale keep step 1's).
    for (int j = 0; j < 8; ++j) {
      const float d = fp16_to_f32(b.d) * sc[j];
      if (d == 0.0f) continue;
      const float dm = fp16_to_f32(b.dmin) * mn[j];
      for (int l = 0; l < 32; ++l) {
        L[32 * j + l] =
            static_cast<uint8_t>(std::clamp(nearest_even((src[32 * j + l] + dm) / d), 0, 15));
      }
    }
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        b.qs[32 * c + l] = static_cast<uint8_t>(L[64 * c + l] | L[64 * c + 32 + l] << 4);
      }
    }
  }
}

void quantize_row_q6_k(const float* src, BlockQ6_K* dst, int64_t n) {
  int8_t L[kQK];
  float scales[16];
  for (int64_t i = 0; i < n / kQK; ++i, src += kQK) {
    BlockQ6_K& b = dst[i];
    float max_scale = 0;
    float max_abs_scale = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = fit_symmetric(16, 32, src + 16 * j, L + 16 * j);
      if (std::fabs(scales[j]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    if (max_abs_scale < 1e-15f) {
      std::memset(&b, 0, sizeof(b));
      continue;
    }
    // Sub-block scales to int8 against the largest, whose sign makes it -128.
    const float iscale = -128.0f / max_scale;
    b.d = f32_to_fp16(1 / iscale);
    for (int j = 0; j < 16; ++j) {
      b.scales[j] = static_cast<int8_t>(std::min(127, nearest_even(iscale * scales[j])));
    }
    for (int j = 0; j < 16; ++j) {
      const float d = fp16_to_f32(b.d) * b.scales[j];
      if (d == 0.0f) continue;
      for (int l = 0; l < 16; ++l) {
        L[16 * j + l] =
            static_cast<int8_t>(std::clamp(nearest_even(src[16 * j + l] / d), -32, 31) + 32);
      }
    }
    // Pack codes 0..63 (the inverse of unpack_q6k).
    for (int h = 0; h < 2; ++h) {
      for (int l = 0; l < 32; ++l) {
        const int8_t* c = L + 128 * h + l;
        b.ql[64 * h + l] = static_cast<uint8_t>((c[0] & 0x0f) | (c[64] & 0x0f) << 4);
        b.ql[64 * h + 32 + l] = static_cast<uint8_t>((c[32] & 0x0f) | (c[96] & 0x0f) << 4);
        b.qh[32 * h + l] = static_cast<uint8_t>((c[0] >> 4) | (c[32] >> 4) << 2 |
                                                (c[64] >> 4) << 4 | (c[96] >> 4) << 6);
      }
    }
  }
}

void quantize_row_q8_k(const float* src, BlockQ8_K* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i, src += kQK) {
    BlockQ8_K& b = dst[i];
    float max = 0;
    float amax = 0;
    for (int e = 0; e < kQK; ++e) {
      if (std::fabs(src[e]) > amax) {
        amax = std::fabs(src[e]);
        max = src[e];
      }
    }
    if (amax == 0.0f) {
      // ggml leaves bsums unwritten here; we zero the whole block so output is deterministic.
      std::memset(&b, 0, sizeof(b));
      continue;
    }
    // 127, not 128: the extreme value maps to -127 whatever its sign, so codes stay symmetric.
    const float iscale = -127.0f / max;
    for (int e = 0; e < kQK; ++e) {
      b.qs[e] = static_cast<int8_t>(std::min(127, nearest_even(iscale * src[e])));
    }
    for (int j = 0; j < kQK / 16; ++j) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += b.qs[16 * j + l];
      b.bsums[j] = static_cast<int16_t>(sum);
    }
    b.d = 1 / iscale;
  }
}

// --- Dot products against Q8_K --------------------------------------------------------------

float vec_dot_q3_k_q8_k(int64_t n, const BlockQ3_K* w, const BlockQ8_K* x) {
  Lanes lanes;
  int8_t q[kQK];
  int8_t sc[16];
  for (int64_t i = 0; i < n / kQK; ++i) {
    unpack_q3k(w[i], q);
    unpack_q3k_scales(w[i].scales, sc);
    const float d = fp16_to_f32(w[i].d) * x[i].d;
    lanes.add_block(d, q, x[i].qs, [&](int e) { return sc[e / 16]; });
  }
  return lanes.total(0.0f);
}

namespace {

// Q4_K and Q5_K: sum_e (d sc q_e - dmin m) d8 p_e
//   = d d8 sum_e sc q_e p_e - dmin d8 sum_j m_j (sum of p over sub-block j),
// where the inner sums of p come precomputed in bsums.
template <typename Block, typename Unpack>
float dot_k4(int64_t n, const Block* w, const BlockQ8_K* x, Unpack unpack) {
  Lanes lanes;
  float sum = 0.0f;
  int8_t q[kQK];
  for (int64_t i = 0; i < n / kQK; ++i) {
    unpack(w[i], q);
    uint8_t sc[8], mn[8];
    unpack_k4_scales(w[i].scales, sc, mn);
    const int isum_min = min_correction(x[i], mn);
    lanes.add_block(fp16_to_f32(w[i].d) * x[i].d, q, x[i].qs, [&](int e) { return sc[e / 32]; });
    const float dmin = fp16_to_f32(w[i].dmin) * x[i].d;
    sum -= dmin * static_cast<float>(isum_min);
  }
  return lanes.total(sum);
}

}  // namespace

float vec_dot_q4_k_q8_k(int64_t n, const BlockQ4_K* w, const BlockQ8_K* x) {
  return dot_k4(n, w, x, unpack_q4k);
}

float vec_dot_q5_k_q8_k(int64_t n, const BlockQ5_K* w, const BlockQ8_K* x) {
  return dot_k4(n, w, x, unpack_q5k);
}

float vec_dot_q6_k_q8_k(int64_t n, const BlockQ6_K* w, const BlockQ8_K* x) {
  Lanes lanes;
  int8_t q[kQK];
  for (int64_t i = 0; i < n / kQK; ++i) {
    unpack_q6k(w[i], q);
    const float d = fp16_to_f32(w[i].d) * x[i].d;
    const int8_t* sc = w[i].scales;
    lanes.add_block(d, q, x[i].qs, [&](int e) { return static_cast<int>(sc[e / 16]); });
  }
  return lanes.total(0.0f);
}

}  // namespace ref
}  // namespace qwl
