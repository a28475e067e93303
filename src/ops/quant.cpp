// Half and bfloat16 conversions, and the DType dispatch of the scalar reference kernels
// (ops/quant.h). The per-format kernels live in quant_legacy.cpp (the 32-element blocks) and
// quant_k.cpp (the 256-element K-quants); this file only chooses one per call, so a row costs
// one switch, never one per element.
#include "ops/quant.h"

#include <bit>
#include <cstring>

#include "base/check.h"
#include "ops/quant_blocks.h"

namespace qwl {

// Bit-level conversions, so that results do not depend on the compiler's or the CPU's float
// modes, and NaN handling is spelled out as ggml's: narrowing to half turns every NaN into the
// quiet NaN 0x7E00 (sign kept); narrowing to bfloat16 keeps the top of the payload and sets the
// quiet bit; widening a half NaN keeps its payload and sets the quiet bit.

float fp16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) {
    // Infinity, or NaN: the payload is kept and the quiet bit set, as x86 and ggml do.
    const uint32_t quiet = mant != 0 ? 0x00400000u : 0u;
    return std::bit_cast<float>(sign | 0x7f800000u | quiet | (mant << 13));
  }
  if (exp != 0) return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
  // Zero or subnormal: mant * 2^-24 is exact in float.
  const float mag = static_cast<float>(mant) * 0x1p-24f;
  return sign != 0 ? -mag : mag;
}

uint16_t f32_to_fp16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t mag = bits & 0x7fffffffu;
  if (mag > 0x7f800000u) return sign | 0x7e00u;  // NaN
  // 65520 (0x477ff000) is the midpoint between the largest half, 65504, and 2^16; ties go to
  // the even neighbour, which is infinity.
  if (mag >= 0x477ff000u) return sign | 0x7c00u;
  if (mag >= 0x38800000u) {
    // Normal half: rebias the exponent (127 -> 15) and round the 23-bit mantissa to 10 bits.
    uint32_t h = (mag - 0x38000000u) >> 13;
    const uint32_t rest = mag & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // a carry may bump the exponent
    return static_cast<uint16_t>(sign | h);
  }
  // Subnormal half (or zero): the result is round(|f| * 2^24). With |f| = m * 2^(e - 150),
  // that is m shifted right by 126 - e, rounded to nearest even.
  const int e = static_cast<int>(mag >> 23);
  const int shift = 126 - e;
  if (shift > 24) return sign;  // below half the smallest subnormal (and float subnormals)
  const uint32_t m = (mag & 0x7fffffu) | 0x800000u;
  uint32_t q = m >> shift;
  const uint32_t rest = m & ((1u << shift) - 1);
  const uint32_t half = 1u << (shift - 1);
  if (rest > half || (rest == half && (q & 1u))) ++q;  // 0x400 is the smallest normal: fine
  return static_cast<uint16_t>(sign | q);
}

float bf16_to_f32(uint16_t h) {
  return std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
}

uint16_t f32_to_bf16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  // Adding 0x7fff plus the lowest kept bit rounds to nearest, ties to even; overflow of the
  // largest finite values carries into the exponent and gives infinity, as it should.
  return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

bool has_dequantize(DType t) {
  switch (t) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16:
    case DType::kQ4_0:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ8_0:
    case DType::kQ8_1:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
    case DType::kQ8_K:
      return true;
    default:
      return false;
  }
}

bool has_quantize(DType t) {
  switch (t) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16:
    case DType::kQ8_0:
    case DType::kQ8_1:
    case DType::kQ4_0:
    case DType::kQ5_0:
    case DType::kQ4_K:
    case DType::kQ6_K:
    case DType::kQ8_K:
      return true;
    default:
      return false;
  }
}

bool has_vec_dot(DType t) {
  switch (t) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16:
    case DType::kQ4_0:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ8_0:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
      return true;
    default:
      return false;
  }
}

DType vec_dot_type(DType weight) {
  switch (weight) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16:
      return weight;
    case DType::kQ4_0:
    case DType::kQ5_0:
    case DType::kQ8_0:
      return DType::kQ8_0;
    case DType::kQ4_1:
    case DType::kQ5_1:
      return DType::kQ8_1;
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
      return DType::kQ8_K;
    default:
      QWL_CHECK(false, "vec_dot_type: {} is not a weight type with a dot product",
                dtype_name(weight));
  }
  return weight;  // unreachable
}

namespace ref {
namespace {

// Checks the row contract of quant.h (whole blocks, aligned pointers) once per call.
template <typename Block>
void check_row(DType t, const void* p, int64_t n) {
  QWL_CHECK(n >= 0 && n % block_size(t) == 0, "{}: {} elements is not a whole number of blocks",
            dtype_name(t), n);
  QWL_CHECK(reinterpret_cast<uintptr_t>(p) % alignof(Block) == 0,
            "{}: row pointer not aligned to {}", dtype_name(t), alignof(Block));
}

template <typename Block>
const Block* as_blocks(DType t, const void* p, int64_t n) {
  check_row<Block>(t, p, n);
  return static_cast<const Block*>(p);
}

template <typename Block>
Block* as_blocks_out(DType t, void* p, int64_t n) {
  check_row<Block>(t, p, n);
  return static_cast<Block*>(p);
}

}  // namespace

void dequantize_row(DType t, const void* src, float* dst, int64_t n) {
  switch (t) {
    case DType::kF32:
      std::memcpy(dst, as_blocks<float>(t, src, n), static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::kF16: {
      const uint16_t* h = as_blocks<uint16_t>(t, src, n);
      for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_f32(h[i]);
      return;
    }
    case DType::kBF16: {
      const uint16_t* h = as_blocks<uint16_t>(t, src, n);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(h[i]);
      return;
    }
    case DType::kQ4_0:
      return dequantize_row_q4_0(as_blocks<BlockQ4_0>(t, src, n), dst, n);
    case DType::kQ4_1:
      return dequantize_row_q4_1(as_blocks<BlockQ4_1>(t, src, n), dst, n);
    case DType::kQ5_0:
      return dequantize_row_q5_0(as_blocks<BlockQ5_0>(t, src, n), dst, n);
    case DType::kQ5_1:
      return dequantize_row_q5_1(as_blocks<BlockQ5_1>(t, src, n), dst, n);
    case DType::kQ8_0:
      return dequantize_row_q8_0(as_blocks<BlockQ8_0>(t, src, n), dst, n);
    case DType::kQ8_1:
      return dequantize_row_q8_1(as_blocks<BlockQ8_1>(t, src, n), dst, n);
    case DType::kQ3_K:
      return dequantize_row_q3_k(as_blocks<BlockQ3_K>(t, src, n), dst, n);
    case DType::kQ4_K:
      return dequantize_row_q4_k(as_blocks<BlockQ4_K>(t, src, n), dst, n);
    case DType::kQ5_K:
      return dequantize_row_q5_k(as_blocks<BlockQ5_K>(t, src, n), dst, n);
    case DType::kQ6_K:
      return dequantize_row_q6_k(as_blocks<BlockQ6_K>(t, src, n), dst, n);
    case DType::kQ8_K:
      return dequantize_row_q8_k(as_blocks<BlockQ8_K>(t, src, n), dst, n);
    default:
      QWL_CHECK(false, "dequantize_row: no kernel for {}", dtype_name(t));
  }
}

void quantize_row(DType t, const float* src, void* dst, int64_t n) {
  switch (t) {
    case DType::kF32:
      std::memcpy(as_blocks_out<float>(t, dst, n), src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::kF16: {
      uint16_t* h = as_blocks_out<uint16_t>(t, dst, n);
      for (int64_t i = 0; i < n; ++i) h[i] = f32_to_fp16(src[i]);
      return;
    }
    case DType::kBF16: {
      uint16_t* h = as_blocks_out<uint16_t>(t, dst, n);
      for (int64_t i = 0; i < n; ++i) h[i] = f32_to_bf16(src[i]);
      return;
    }
    case DType::kQ4_0:
      return quantize_row_q4_0(src, as_blocks_out<BlockQ4_0>(t, dst, n), n);
    case DType::kQ5_0:
      return quantize_row_q5_0(src, as_blocks_out<BlockQ5_0>(t, dst, n), n);
    case DType::kQ8_0:
      return quantize_row_q8_0(src, as_blocks_out<BlockQ8_0>(t, dst, n), n);
    case DType::kQ8_1:
      return quantize_row_q8_1(src, as_blocks_out<BlockQ8_1>(t, dst, n), n);
    case DType::kQ4_K:
      return quantize_row_q4_k(src, as_blocks_out<BlockQ4_K>(t, dst, n), n);
    case DType::kQ6_K:
      return quantize_row_q6_k(src, as_blocks_out<BlockQ6_K>(t, dst, n), n);
    case DType::kQ8_K:
      return quantize_row_q8_k(src, as_blocks_out<BlockQ8_K>(t, dst, n), n);
    default:
      QWL_CHECK(false, "quantize_row: no quantizer for {}", dtype_name(t));
  }
}

namespace {

// ggml's scalar float dot products form each product in float and add them in double
// (ggml_float); we do the same so that the float types share one reference arithmetic.
template <typename Elem, typename ToFloat>
float dot_plain(const void* w, const void* x, int64_t n, ToFloat to_float) {
  const Elem* a = static_cast<const Elem*>(w);
  const Elem* b = static_cast<const Elem*>(x);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(to_float(a[i]) * to_float(b[i]));
  return static_cast<float>(sum);
}

}  // namespace

float vec_dot(DType t, int64_t n, const void* w, const void* x) {
  const DType xt = vec_dot_type(t);
  switch (t) {
    case DType::kF32:
      check_row<float>(t, w, n);
      check_row<float>(xt, x, n);
      return dot_plain<float>(w, x, n, [](float v) { return v; });
    case DType::kF16:
      check_row<uint16_t>(t, w, n);
      check_row<uint16_t>(xt, x, n);
      return dot_plain<uint16_t>(w, x, n, fp16_to_f32);
    case DType::kBF16:
      check_row<uint16_t>(t, w, n);
      check_row<uint16_t>(xt, x, n);
      return dot_plain<uint16_t>(w, x, n, bf16_to_f32);
    case DType::kQ4_0:
      return vec_dot_q4_0_q8_0(n, as_blocks<BlockQ4_0>(t, w, n), as_blocks<BlockQ8_0>(xt, x, n));
    case DType::kQ4_1:
      return vec_dot_q4_1_q8_1(n, as_blocks<BlockQ4_1>(t, w, n), as_blocks<BlockQ8_1>(xt, x, n));
    case DType::kQ5_0:
      return vec_dot_q5_0_q8_0(n, as_blocks<BlockQ5_0>(t, w, n), as_blocks<BlockQ8_0>(xt, x, n));
    case DType::kQ5_1:
      return vec_dot_q5_1_q8_1(n, as_blocks<BlockQ5_1>(t, w, n), as_blocks<BlockQ8_1>(xt, x, n));
    case DType::kQ8_0:
      return vec_dot_q8_0_q8_0(n, as_blocks<BlockQ8_0>(t, w, n), as_blocks<BlockQ8_0>(xt, x, n));
    case DType::kQ3_K:
      return vec_dot_q3_k_q8_k(n, as_blocks<BlockQ3_K>(t, w, n), as_blocks<BlockQ8_K>(xt, x, n));
    case DType::kQ4_K:
      return vec_dot_q4_k_q8_k(n, as_blocks<BlockQ4_K>(t, w, n), as_blocks<BlockQ8_K>(xt, x, n));
    case DType::kQ5_K:
      return vec_dot_q5_k_q8_k(n, as_blocks<BlockQ5_K>(t, w, n), as_blocks<BlockQ8_K>(xt, x, n));
    case DType::kQ6_K:
      return vec_dot_q6_k_q8_k(n, as_blocks<BlockQ6_K>(t, w, n), as_blocks<BlockQ8_K>(xt, x, n));
    default:
      QWL_CHECK(false, "vec_dot: no kernel for {}", dtype_name(t));
  }
  return 0.0f;  // unreachable
}

}  // namespace ref
}  // namespace qwl
