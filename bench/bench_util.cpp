// Random weight matrices for the benchmarks.
#include "bench_util.h"

#include <cstring>

#include "ops/quant.h"
#include "ops/quant_blocks.h"

namespace qwl::bench {
namespace {

uint64_t next(uint64_t& s) {
  s = s * 6364136223846793005ull + 1442695040888963407ull;
  return s;
}

// Offsets of the fp16 scale fields inside one block of t (they must hold finite values).
std::vector<size_t> scale_offsets(DType t) {
  switch (t) {
    case DType::kQ4_0:
    case DType::kQ5_0:
    case DType::kQ8_0:
      return {0};
    case DType::kQ4_K:
      return {0, 2};
    case DType::kQ6_K:
      return {offsetof(BlockQ6_K, d)};
    default:
      return {};
  }
}

}  // namespace

RandomMatrix::RandomMatrix(DType t, int64_t n_in, int64_t n_out, uint64_t seed)
    : bytes(row_size(t, n_in) * static_cast<size_t>(n_out)) {
  view.type = t;
  view.n_dims = 2;
  view.ne[0] = n_in;
  view.ne[1] = n_out;
  view.data = bytes.data();
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 7;
  for (size_t i = 0; i + 8 <= bytes.size(); i += 8) {
    const uint64_t v = next(s);
    std::memcpy(bytes.data() + i, &v, 8);
  }
  if (t == DType::kF32) {
    auto* f = reinterpret_cast<float*>(bytes.data());
    for (size_t i = 0; i < bytes.size() / 4; ++i)
      f[i] = static_cast<float>(next(s) >> 40) * 0x1p-24f - 0.5f;
    return;
  }
  if (t == DType::kF16 || t == DType::kBF16) {
    auto* h = reinterpret_cast<uint16_t*>(bytes.data());
    for (size_t i = 0; i < bytes.size() / 2; ++i) {
      const float v = static_cast<float>(next(s) >> 40) * 0x1p-24f - 0.5f;
      h[i] = t == DType::kF16 ? f32_to_fp16(v) : f32_to_bf16(v);
    }
    return;
  }
  const size_t block = type_size(t);
  const uint16_t scale = f32_to_fp16(0.01f);
  for (size_t b = 0; b < bytes.size() / block; ++b)
    for (size_t off : scale_offsets(t)) std::memcpy(bytes.data() + b * block + off, &scale, 2);
}

std::vector<ops::Isa> available_isas() {
  std::vector<ops::Isa> out;
  for (ops::Isa isa : ops::kAllIsas)
    if (ops::cpu_supports(isa)) out.push_back(isa);
  return out;
}

}  // namespace qwl::bench
