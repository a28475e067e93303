// The kernel table: one set of function pointers per instruction-set level (ops/isa.h), chosen
// once at start-up. ops.cpp calls through it once per op (never per element); the scalar table
// holds the reference kernels, the x86 tables (x86/avx2.cpp, x86/avx512.cpp, each compiled with
// its own -m flags) the SIMD ones. An entry left null falls back to the scalar reference.
//
// This header is internal to ops/ (the model layer uses ops.h); tests and benchmarks include it
// to run one level's kernels directly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ops/dtype.h"
#include "ops/isa.h"
#include "ops/ops.h"
#include "ops/quant_blocks.h"
#include "ops/tensor.h"

namespace qwl::ops {

// What a matmul converts its float activations to before the dot products. The integer formats
// hold exactly the values ref::quantize_row gives for vec_dot_type(weight); kF16 and kBF16 hold
// the activations rounded through that type (as ref::quantize_row does), stored as floats.
enum class ActKind { kQ8_0, kQ8_K, kF32, kF16, kBF16 };

// Prepared activations of n_tokens tokens of n elements each, in a layout the matmul kernels
// read directly. Memory is the caller's (a Scratch); every region starts 64-byte aligned.
//
// Float kinds: one row per token, `stride` elements apart (zero-padded past n).
// Integer kinds: tokens in tiles of `tile` (the kernel's micro-tile width); tile i covers tokens
// [i * tile, (i + 1) * tile). Inside a tile, data is block-major with the tile's tokens side by
// side, so a kernel reaches every token of its micro-tile from one pointer with constant offsets:
//   codes of block b (B elements: 32 for Q8_0, 256 for Q8_K), token lane l, element e:
//     q[i * stride + (b * tile + l) * B + e]
//   scale:                d[i * bstride + b * tile + l]
//   Q8_0 code sum:        qsum[i * bstride + b * tile + l], times the weight format's code
//                         offset (see MatmulKernel::prepare), so kernels subtract it directly
//   Q8_K sums of 16:      bsum[i * bstride + (b * tile + l) * 16 + j]
//   Q8_K sums of 32:      bsum[i * bstride + (n / 256) * tile * 16 + (b * tile + l) * 8 + j]
// Lanes past n_tokens in the last tile are never read.
struct Act {
  ActKind kind = ActKind::kF32;
  int64_t n_tokens = 0;
  int64_t n = 0;            // elements per token (a multiple of the weight's block size)
  int64_t tile = 1;         // tokens per tile (integer kinds)
  int64_t stride = 0;       // float kinds: elements per token row; integer kinds: bytes per tile
  int64_t bstride = 0;      // entries per tile in d / qsum / bsum
  int8_t* q = nullptr;      // kQ8_0, kQ8_K: codes
  float* d = nullptr;       // kQ8_0: per 32 block (fp16 scale widened); kQ8_K: per 256 block
  int32_t* qsum = nullptr;  // kQ8_0: offset * sum of the 32 codes of each block
  int16_t* bsum = nullptr;  // kQ8_K: sums of 16 and of 32 codes
  float* f = nullptr;       // kF32, kF16, kBF16
};

// Bytes a prepared activation needs, and its layout over `base` (64-byte aligned); tile is the
// kernel's Act tile (1 for float kinds).
size_t act_bytes(ActKind kind, int64_t n_tokens, int64_t n, int64_t tile);
Act act_layout(ActKind kind, int64_t n_tokens, int64_t n, int64_t tile, uint8_t* base);

// A weight type's matmul at one level.
struct MatmulKernel {
  ActKind act = ActKind::kF32;
  int act_tile = 1;   // tokens per Act tile (integer kinds)
  int row_align = 1;  // work is split between threads at multiples of this many output rows
  // Fills tokens [t0, t1) of a (its layout set by act_layout) from x (n_tokens, a.n). t0 and t1
  // are multiples of act_tile (or t1 = n_tokens). Q8_0 code sums are scaled by the weight
  // format's code offset.
  void (*prepare)(const float* x, int64_t t0, int64_t t1, const Act& a) = nullptr;
  // y[t * ldy + r] = row r of w . activation t, for r in [r0, r1) and every token of a.
  // r0 is a multiple of row_align; thread-safe for disjoint row ranges.
  void (*run)(const TensorView& w, const Act& a, int64_t r0, int64_t r1, float* y,
              int64_t ldy) = nullptr;
  // The load-time packed layout (see PackedWeight in ops.h), or null where the type has none:
  // its size, the packing of row panels [panel0, panel1) (row_align rows each) into dst, and
  // run() over packed bytes (same results, bit for bit).
  size_t (*packed_bytes)(const TensorView& w) = nullptr;
  void (*pack)(const TensorView& w, int64_t panel0, int64_t panel1, uint8_t* dst) = nullptr;
  void (*run_packed)(const TensorView& w, const uint8_t* packed, const Act& a, int64_t r0,
                     int64_t r1, float* y, int64_t ldy) = nullptr;
};

// One attention work item: the query heads of KV head `kv_head` for tokens [t0, t1), over the KV
// positions [p0, p1) (each query also stops at its own causal limit, positions[t] + 1). Writes,
// per query (token-major, then head within the group), the running max m, the sum of
// exp(score - m) l, and o = sum exp(score - m) * v (not normalised); queries that see no
// position in the range get m = -inf, l = 0, o = 0.
struct AttnPartial {
  float* m = nullptr;  // (n_queries)
  float* l = nullptr;  // (n_queries)
  float* o = nullptr;  // (n_queries, head_dim)
};
struct AttnChunk {
  int kv_head = 0;
  int64_t t0 = 0, t1 = 0;
  int64_t p0 = 0, p1 = 0;
};

struct Kernels {
  Isa isa = Isa::kScalar;
  // Indexed by the DType's value; run == nullptr means "use the scalar reference matmul".
  MatmulKernel matmul[40];

  // Activation quantizers writing ggml blocks, bit-exact with ref::quantize_row.
  void (*quantize_q8_0)(const float* x, BlockQ8_0* y, int64_t n) = nullptr;
  void (*quantize_q8_k)(const float* x, BlockQ8_K* y, int64_t n) = nullptr;

  // Float kernels with the semantics of the same-named functions in ops.h.
  void (*rms_norm)(const float* x, const float* w, float* y, int64_t n, float eps) = nullptr;
  // Rotates pairs (i, i + half) of each head by the angles whose cosines and sines are given.
  void (*rope_neox)(float* x, int n_head, int head_dim, const float* cos_t,
                    const float* sin_t) = nullptr;
  void (*softmax)(float* x, int64_t n) = nullptr;
  void (*silu_mul)(const float* gate, const float* up, float* out, int64_t n) = nullptr;
  void (*add)(float* y, const float* x, int64_t n) = nullptr;

  // Whether attn_chunk handles this head size and KV type; else attention runs the reference.
  bool (*attn_supports)(int head_dim, DType kv_type) = nullptr;
  void (*attn_chunk)(const AttentionArgs& a, const AttnChunk& c, const AttnPartial& out) = nullptr;
};

// The table of a level; aborts if the CPU lacks it (check cpu_supports first).
const Kernels& kernels_for(Isa isa);
// The table of active_isa().
const Kernels& active_kernels();

// Tables defined by each level's translation unit.
const Kernels& scalar_kernels();
#if defined(QWL_HAVE_X86_KERNELS)
const Kernels& avx2_kernels();
const Kernels& avx512_kernels();
#endif

}  // namespace qwl::ops
