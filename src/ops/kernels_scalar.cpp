// The scalar level: reference implementations of the float kernels, the oracle of every SIMD
// version. Straightforward loops with the float order a reader expects; the matmul and the
// attention of this level are the reference loops in ops.cpp (their table entries stay null).
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/kernels.h"
#include "ops/quant.h"

namespace qwl::ops {
namespace {

void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps) {
  // Accumulate in double: the mean of squares over thousands of elements loses digits in float,
  // and this costs nothing next to the matmuls.
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(sum / static_cast<double>(n) + eps));
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * w[i];
}

void rope_neox(float* x, int n_head, int head_dim, const float* cos_t, const float* sin_t) {
  const int half = head_dim / 2;
  for (int h = 0; h < n_head; ++h) {
    float* v = x + static_cast<int64_t>(h) * head_dim;
    for (int i = 0; i < half; ++i) {
      const float a = v[i];
      const float b = v[i + half];
      v[i] = a * cos_t[i] - b * sin_t[i];
      v[i + half] = b * cos_t[i] + a * sin_t[i];
    }
  }
}

void softmax(float* x, int64_t n) {
  float max_v = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) max_v = std::max(max_v, x[i]);
  if (max_v == -std::numeric_limits<float>::infinity()) {
    std::fill(x, x + n, 0.0f);
    return;
  }
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max_v);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void add(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

Kernels make_scalar() {
  Kernels k;
  k.isa = Isa::kScalar;
  k.quantize_q8_0 = ref::quantize_row_q8_0;
  k.quantize_q8_k = ref::quantize_row_q8_k;
  k.rms_norm = rms_norm;
  k.rope_neox = rope_neox;
  k.softmax = softmax;
  k.silu_mul = silu_mul;
  k.add = add;
  return k;
}

}  // namespace

const Kernels& scalar_kernels() {
  static const Kernels k = make_scalar();
  return k;
}

}  // namespace qwl::ops
