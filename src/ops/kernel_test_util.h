// Helpers shared by the kernel tests and the benchmarks (bench/): deterministic inputs, quantized
// weight matrices, and forcing one ISA level for a scope. No GoogleTest dependency.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/check.h"
#include "ops/isa.h"
#include "ops/quant.h"
#include "ops/tensor.h"

namespace qwl::ops::test {

// A 64-bit LCG; bell() is an Irwin-Hall sum of 4 uniforms (mean 0, variance 1).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9e3779b97f4a7c15ull + 1) {}
  float uniform() {  // [0, 1)
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<float>(state_ >> 40) * 0x1p-24f;
  }
  float bell() { return (uniform() + uniform() + uniform() + uniform() - 2.0f) * 1.7320508f; }
  uint32_t bits() {
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state_ >> 32);
  }

 private:
  uint64_t state_;
};

inline std::vector<float> bell_vector(uint64_t seed, int64_t n, float amp = 1.0f) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = rng.bell() * amp;
  return v;
}

// A weight matrix of n_out rows of n_in elements of type t, quantized from bell-shaped floats
// (with a 10x outlier every 37th element), owning its bytes.
struct Matrix {
  Matrix(DType t, int64_t n_in, int64_t n_out, uint64_t seed)
      : bytes(row_size(t, n_in) * n_out + 64) {
    view.type = t;
    view.n_dims = 2;
    view.ne[0] = n_in;
    view.ne[1] = n_out;
    view.data = bytes.data();
    Rng rng(seed);
    std::vector<float> row(static_cast<size_t>(n_in));
    for (int64_t r = 0; r < n_out; ++r) {
      const float amp = 0.02f * (1.0f + static_cast<float>(r % 7));
      for (int64_t i = 0; i < n_in; ++i) {
        row[i] = rng.bell() * amp;
        if (i % 37 == 11) row[i] *= 10.0f;
      }
      ref::quantize_row(t, row.data(), bytes.data() + row_size(t, n_in) * r, n_in);
    }
  }
  // Dequantized row r.
  std::vector<float> row(int64_t r) const {
    std::vector<float> out(static_cast<size_t>(view.ne[0]));
    ref::dequantize_row(view.type, view.row(r), out.data(), view.ne[0]);
    return out;
  }
  std::vector<uint8_t> bytes;
  TensorView view;
};

// Forces an ISA level for the lifetime of the object, restoring the previous one after.
class ScopedIsa {
 public:
  explicit ScopedIsa(Isa isa) : previous_(active_isa()) {
    const Status s = set_isa(isa);
    QWL_CHECK(s.ok(), "{}", s.to_string());
  }
  ~ScopedIsa() { (void)set_isa(previous_); }
  ScopedIsa(const ScopedIsa&) = delete;
  ScopedIsa& operator=(const ScopedIsa&) = delete;

 private:
  Isa previous_;
};

// The levels this machine can run, SIMD ones only (the scalar level is the oracle).
inline std::vector<Isa> simd_isas() {
  std::vector<Isa> out;
  for (Isa isa : kAllIsas)
    if (isa != Isa::kScalar && cpu_supports(isa)) out.push_back(isa);
  return out;
}

}  // namespace qwl::ops::test
