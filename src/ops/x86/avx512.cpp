// The AVX-512 level (F, DQ, BW, VL, VNNI, BF16): the generic kernels of kernels.inc over
// 512-bit vectors (v512.inc), plus what only this level has (vdpbf16ps for BF16 weights).
//
// Compiled with -mavx512* (src/ops/CMakeLists.txt); called only after ops/isa.h found the CPU
// able to run it.
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
#include "ops/x86/v512.inc"

#include "ops/x86/kernels.inc"

Kernels make_avx512() {
  Kernels k;
  k.isa = Isa::kAvx512;
  fill_common(k);
  return k;
}

}  // namespace

const Kernels& avx512_kernels() {
  static const Kernels k = make_avx512();
  return k;
}

}  // namespace qwl::ops
