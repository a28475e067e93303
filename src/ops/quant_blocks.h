// The byte layouts of ggml's quantized blocks as C++ structs, and the typed scalar kernels
// behind ops/quant.h's DType-dispatched functions. SIMD kernels include this header to read
// blocks and to call the reference per type; everything else should use ops/quant.h.
//
// Every struct has exactly the size and field offsets of ggml's block_* of the same name
// (little-endian; fp16 fields are raw IEEE half bits). Pointers to blocks must be aligned to
// alignof(the block): 2 bytes for every block with an fp16 field, 4 for BlockQ8_K. Rows of
// whole blocks starting at such an address keep that alignment, as every block size is a
// multiple of its alignment. See docs/formats/quant.md for the meaning of every field.
//
// The typed functions take n = number of elements (a multiple of the block size) and have the
// semantics of the DType-dispatched ones in quant.h, minus their checks of n and alignment
// (the caller's duty here); they are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qwl {

inline constexpr int kQK32 = 32;         // elements per block of the 32-element formats
inline constexpr int kQK256 = 256;       // elements per super-block of the K-quants (ggml's QK_K)
inline constexpr int kKScaleBytes = 12;  // packed 6-bit scales and mins of Q4_K / Q5_K

// Q4_0: value = d * (q - 8), q in 0..15.
struct BlockQ4_0 {
  uint16_t d;             // fp16 scale
  uint8_t qs[kQK32 / 2];  // element j in the low nibble of qs[j], element j+16 in the high
};

// Q4_1: value = d * q + m, q in 0..15.
struct BlockQ4_1 {
  uint16_t d;  // fp16 scale
  uint16_t m;  // fp16 offset (the block minimum)
  uint8_t qs[kQK32 / 2];
};

// Q5_0: value = d * (q - 16), q in 0..31; bit 4 of element j is bit j of qh (little-endian).
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK32 / 2];
};

// Q5_1: value = d * q + m, q in 0..31.
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK32 / 2];
};

// Q8_0: value = d * q, q in -127..127.
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK32];
};

// Q8_1: Q8_0 plus s = fp16(d * sum(q)), used by the dot products with Q4_1 / Q5_1.
struct BlockQ8_1 {
  uint16_t d;
  uint16_t s;
  int8_t qs[kQK32];
};

// Q3_K: 16 sub-blocks of 16; value = d * (scale_j - 32) * (q - 4), q in 0..7 split into 2 low
// bits (qs) and a high bit (hmask); scale_j is 6 bits packed into `scales`.
struct BlockQ3_K {
  uint8_t hmask[kQK256 / 8];
  uint8_t qs[kQK256 / 4];
  uint8_t scales[12];
  uint16_t d;
};

// Q4_K: 8 sub-blocks of 32; value = d * sc_j * q - dmin * m_j, q in 0..15, sc_j and m_j 6-bit.
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQK256 / 2];
};

// Q5_K: Q4_K with a fifth bit per element in qh; q in 0..31.
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQK256 / 8];
  uint8_t qs[kQK256 / 2];
};

// Q6_K: 16 sub-blocks of 16; value = d * scale_j * (q - 32), q in 0..63, scale_j int8.
struct BlockQ6_K {
  uint8_t ql[kQK256 / 2];
  uint8_t qh[kQK256 / 4];
  int8_t scales[kQK256 / 16];
  uint16_t d;
};

// Q8_K: activation format of the K-quant dot products; value = d * q, d a plain float.
struct BlockQ8_K {
  float d;
  int8_t qs[kQK256];
  int16_t bsums[kQK256 / 16];  // sum of q over each group of 16
};

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

// Unpacks the 8 six-bit scales and 8 six-bit mins of a Q4_K / Q5_K block (sub-block j).
void unpack_k4_scales(const uint8_t packed[kKScaleBytes], uint8_t sc[8], uint8_t mn[8]);
// Unpacks the 16 six-bit scales of a Q3_K block, already offset: scale_j - 32 in -32..31.
void unpack_q3k_scales(const uint8_t packed[12], int8_t sc[16]);

namespace ref {

void dequantize_row_q4_0(const BlockQ4_0* src, float* dst, int64_t n);
void dequantize_row_q4_1(const BlockQ4_1* src, float* dst, int64_t n);
void dequantize_row_q5_0(const BlockQ5_0* src, float* dst, int64_t n);
void dequantize_row_q5_1(const BlockQ5_1* src, float* dst, int64_t n);
void dequantize_row_q8_0(const BlockQ8_0* src, float* dst, int64_t n);
void dequantize_row_q8_1(const BlockQ8_1* src, float* dst, int64_t n);
void dequantize_row_q3_k(const BlockQ3_K* src, float* dst, int64_t n);
void dequantize_row_q4_k(const BlockQ4_K* src, float* dst, int64_t n);
void dequantize_row_q5_k(const BlockQ5_K* src, float* dst, int64_t n);
void dequantize_row_q6_k(const BlockQ6_K* src, float* dst, int64_t n);
void dequantize_row_q8_k(const BlockQ8_K* src, float* dst, int64_t n);

void quantize_row_q4_0(const float* src, BlockQ4_0* dst, int64_t n);
void quantize_row_q5_0(const float* src, BlockQ5_0* dst, int64_t n);
void quantize_row_q8_0(const float* src, BlockQ8_0* dst, int64_t n);
void quantize_row_q8_1(const float* src, BlockQ8_1* dst, int64_t n);
void quantize_row_q4_k(const float* src, BlockQ4_K* dst, int64_t n);
void quantize_row_q6_k(const float* src, BlockQ6_K* dst, int64_t n);
void quantize_row_q8_k(const float* src, BlockQ8_K* dst, int64_t n);

float vec_dot_q4_0_q8_0(int64_t n, const BlockQ4_0* w, const BlockQ8_0* x);
float vec_dot_q4_1_q8_1(int64_t n, const BlockQ4_1* w, const BlockQ8_1* x);
float vec_dot_q5_0_q8_0(int64_t n, const BlockQ5_0* w, const BlockQ8_0* x);
float vec_dot_q5_1_q8_1(int64_t n, const BlockQ5_1* w, const BlockQ8_1* x);
float vec_dot_q8_0_q8_0(int64_t n, const BlockQ8_0* w, const BlockQ8_0* x);
float vec_dot_q3_k_q8_k(int64_t n, const BlockQ3_K* w, const BlockQ8_K* x);
float vec_dot_q4_k_q8_k(int64_t n, const BlockQ4_K* w, const BlockQ8_K* x);
float vec_dot_q5_k_q8_k(int64_t n, const BlockQ5_K* w, const BlockQ8_K* x);
float vec_dot_q6_k_q8_k(int64_t n, const BlockQ6_K* w, const BlockQ8_K* x);

}  // namespace ref
}  // namespace qwl
