// Shared pieces of the kernel benchmarks: weight matrices with random codes (fast to build even
// at hundreds of megabytes; the kernels' speed does not depend on the values) and the shapes of
// Qwen2.5-0.5B, whose decode and prefill the targets in docs/KERNELS.md refer to.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ops/isa.h"
#include "ops/tensor.h"

namespace qwl::bench {

// A row-major weight (ne = {n_in, n_out}) of type t with random codes and sane scales.
struct RandomMatrix {
  RandomMatrix(DType t, int64_t n_in, int64_t n_out, uint64_t seed);
  RandomMatrix(RandomMatrix&&) = default;
  std::vector<uint8_t> bytes;
  TensorView view;
};

// The matmul shapes (n_in, n_out) of one layer: q, k, v, o, gate, up, down.
struct Shape {
  const char* name;
  int64_t n_in, n_out;
};
struct ModelShapes {
  const char* name;
  Shape layer[7];
  int layers;
};
// Qwen2.5-0.5B (the lead's targets); its width 896 is not a multiple of 256, so the K-quants are
// measured on Qwen3-0.6B's shapes instead (a Q4_K_M Qwen2.5-0.5B file keeps K-quants only for
// ffn_down and falls back to Q5_0 / Q8_0 elsewhere).
inline constexpr ModelShapes kQwen25_05B = {"qwen2.5-0.5b",
                                            {{"attn_q", 896, 896},
                                             {"attn_k", 896, 128},
                                             {"attn_v", 896, 128},
                                             {"attn_output", 896, 896},
                                             {"ffn_gate", 896, 4864},
                                             {"ffn_up", 896, 4864},
                                             {"ffn_down", 4864, 896}},
                                            24};
inline constexpr ModelShapes kQwen3_06B = {"qwen3-0.6b",
                                           {{"attn_q", 1024, 2048},
                                            {"attn_k", 1024, 1024},
                                            {"attn_v", 1024, 1024},
                                            {"attn_output", 2048, 1024},
                                            {"ffn_gate", 1024, 3072},
                                            {"ffn_up", 1024, 3072},
                                            {"ffn_down", 3072, 1024}},
                                           28};

// The SIMD levels and the scalar level, those this CPU has.
std::vector<ops::Isa> available_isas();

}  // namespace qwl::bench
