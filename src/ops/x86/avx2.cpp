// The AVX2 level (AVX2, FMA, F16C): the generic kernels of kernels.inc over 256-bit vectors
// (v256.inc). Integer dot products use vpmaddubsw + vpmaddwd (no VNNI at this level).
//
// Compiled with -mavx2 -mfma -mf16c (src/ops/CMakeLists.txt); called only after ops/isa.h found the
// CPU able to run it.
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "ops/kernels.h"
#include "ops/quant.h"
#include "ops/quant_blocks.h"

namespace qwl::ops {
namespace {

// The vector wrapper first: kernels.inc is written against it.
#include "ops/x86/v256.inc"

#include "ops/x86/kernels.inc"

Kernels make_avx2() {
  Kernels k;
  k.isa = Isa::kAvx2;
  fill_common(k);
  return k;
}

}  // namespace

const Kernels& avx2_kernels() {
  static const Kernels k = make_avx2();
  return k;
}

}  // namespace qwl::ops
