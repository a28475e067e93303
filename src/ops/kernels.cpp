// Selection of the kernel table, and the layout of prepared activations shared by every level.
#include "ops/kernels.h"

#include "base/check.h"

namespace qwl::ops {
namespace {

constexpr size_t kAlign = 64;

size_t round_up(size_t v, size_t m) {
  return (v + m - 1) / m * m;
}

struct Layout {
  int64_t stride = 0;  // see Act
  int64_t bstride = 0;
  size_t q_bytes = 0, d_bytes = 0, qsum_bytes = 0, bsum_bytes = 0, f_bytes = 0;
};

Layout layout(ActKind kind, int64_t n_tokens, int64_t n, int64_t tile) {
  Layout l;
  const auto T = static_cast<size_t>(n_tokens);
  const auto N = static_cast<size_t>(n);
  const auto K = static_cast<size_t>(tile);
  const size_t tiles = (T + K - 1) / K;
  switch (kind) {
    case ActKind::kQ8_0:
      l.stride = static_cast<int64_t>(round_up(N * K, 64));
      l.bstride = static_cast<int64_t>(round_up(N / 32 * K, 16));
      l.q_bytes = tiles * static_cast<size_t>(l.stride);
      l.d_bytes = tiles * static_cast<size_t>(l.bstride) * sizeof(float);
      l.qsum_bytes = tiles * static_cast<size_t>(l.bstride) * sizeof(int32_t);
      break;
    case ActKind::kQ8_K:
      l.stride = static_cast<int64_t>(round_up(N * K, 64));
      l.bstride = static_cast<int64_t>(round_up((N / 16 + N / 32) * K, 32));
      l.q_bytes = tiles * static_cast<size_t>(l.stride);
      l.d_bytes = tiles * static_cast<size_t>(l.bstride) * sizeof(float);
      l.bsum_bytes = tiles * static_cast<size_t>(l.bstride) * sizeof(int16_t);
      break;
    case ActKind::kF32:
    case ActKind::kF16:
    case ActKind::kBF16:
      l.stride = static_cast<int64_t>(round_up(N, 16));
      l.f_bytes = T * static_cast<size_t>(l.stride) * sizeof(float);
      break;
  }
  return l;
}

}  // namespace

size_t act_bytes(ActKind kind, int64_t n_tokens, int64_t n, int64_t tile) {
  const Layout l = layout(kind, n_tokens, n, tile);
  return round_up(l.q_bytes, kAlign) + round_up(l.d_bytes, kAlign) +
         round_up(l.qsum_bytes, kAlign) + round_up(l.bsum_bytes, kAlign) +
         round_up(l.f_bytes, kAlign) + kAlign;  // + kAlign: room to align base
}

Act act_layout(ActKind kind, int64_t n_tokens, int64_t n, int64_t tile, uint8_t* base) {
  const Layout l = layout(kind, n_tokens, n, tile);
  auto p = reinterpret_cast<uintptr_t>(base);
  p = round_up(p, kAlign);
  auto take = [&p](size_t bytes) {
    if (bytes == 0) return static_cast<void*>(nullptr);
    void* r = reinterpret_cast<void*>(p);
    p += round_up(bytes, kAlign);
    return r;
  };
  Act a;
  a.kind = kind;
  a.n_tokens = n_tokens;
  a.n = n;
  a.tile = tile;
  a.stride = l.stride;
  a.bstride = l.bstride;
  a.q = static_cast<int8_t*>(take(l.q_bytes));
  a.d = static_cast<float*>(take(l.d_bytes));
  a.qsum = static_cast<int32_t*>(take(l.qsum_bytes));
  a.bsum = static_cast<int16_t*>(take(l.bsum_bytes));
  a.f = static_cast<float*>(take(l.f_bytes));
  return a;
}

const Kernels& kernels_for(Isa isa) {
  QWL_CHECK(cpu_supports(isa), "kernels for ISA level {} requested on a CPU without it",
            isa_name(isa));
  switch (isa) {
    case Isa::kScalar:
      return scalar_kernels();
#if defined(QWL_HAVE_X86_KERNELS)
    case Isa::kAvx2:
      return avx2_kernels();
    case Isa::kAvx512:
      return avx512_kernels();
#endif
    default:
      break;
  }
  return scalar_kernels();
}

const Kernels& active_kernels() {
  // Resolved on every call (one atomic load and a switch): set_isa() may change the level
  // between ops in tests, and the cost is nothing next to any kernel.
  return kernels_for(active_isa());
}

}  // namespace qwl::ops
