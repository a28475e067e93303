// Quantized number formats: conversion to and from float, and dot products, as plain scalar
// C++ (namespace qwl::ref). These are the oracle for every SIMD kernel (ops/kernels.h) and are
// always compiled. Block layouts are bit-compatible with ggml's; see docs/formats/quant.md.
//
// Conventions: n counts elements and must be a multiple of block_size(t); src/dst/w/x point to
// whole rows in the type's layout. Nothing here allocates or keeps state; all functions are
// thread-safe. Calling a function for a type it does not support aborts (ask has_* first).
#pragma once

#include <cstdint>

#include "ops/dtype.h"

namespace qwl {

// IEEE half and bfloat16 conversions (round to nearest even; NaN stays NaN).
float fp16_to_f32(uint16_t h);
uint16_t f32_to_fp16(float f);
float bf16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f);

// Types with a dequantize_row: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q3_K, Q4_K,
// Q5_K, Q6_K, Q8_K.
bool has_dequantize(DType t);
// Types with a quantize_row: F32, F16, BF16, Q8_0, Q8_1, Q4_0, Q5_0, Q4_K, Q6_K, Q8_K.
bool has_quantize(DType t);
// Types usable as matmul weights (dequantize + a vec_dot against vec_dot_type).
bool has_vec_dot(DType t);

// The type activations are converted to before a dot product with weights of type `weight`,
// as ggml does: Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants, and the
// weight's own type for F32/F16/BF16.
DType vec_dot_type(DType weight);

namespace ref {

void dequantize_row(DType t, const void* src, float* dst, int64_t n);
// The reference quantizers (ggml's quantize_row_*_ref, no importance matrix), bit-exact.
void quantize_row(DType t, const float* src, void* dst, int64_t n);
// Dot product of a weight row of type t with an activation row of type vec_dot_type(t).
float vec_dot(DType t, int64_t n, const void* w, const void* x);

}  // namespace ref
}  // namespace qwl
