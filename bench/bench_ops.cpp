// Benchmarks of the float kernels (norm, activation, softmax, activation quantizers) at every ISA
// level this CPU has, on Qwen2.5-0.5B sizes.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench_util.h"
#include "ops/kernel_test_util.h"
#include "ops/kernels.h"
#include "ops/ops.h"
#include "ops/quant_blocks.h"

namespace qwl::bench {
namespace {

using ops::Isa;

void BM_RmsNorm(benchmark::State& state, Isa isa) {
  const ops::Kernels& k = ops::kernels_for(isa);
  const auto x = ops::test::bell_vector(1, 896), w = ops::test::bell_vector(2, 896);
  std::vector<float> y(896);
  for (auto _ : state) {
    k.rms_norm(x.data(), w.data(), y.data(), 896, 1e-6f);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * 896);
}

void BM_SiluMul(benchmark::State& state, Isa isa) {
  const ops::Kernels& k = ops::kernels_for(isa);
  const auto g = ops::test::bell_vector(1, 4864), u = ops::test::bell_vector(2, 4864);
  std::vector<float> y(4864);
  for (auto _ : state) {
    k.silu_mul(g.data(), u.data(), y.data(), 4864);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * 4864);
}

void BM_Softmax(benchmark::State& state, Isa isa) {
  const ops::Kernels& k = ops::kernels_for(isa);
  const auto x0 = ops::test::bell_vector(1, 4096, 4.0f);
  std::vector<float> x = x0;
  for (auto _ : state) {
    x = x0;
    k.softmax(x.data(), 4096);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetItemsProcessed(state.iterations() * 4096);
}

void BM_QuantizeQ8_0(benchmark::State& state, Isa isa) {
  const ops::Kernels& k = ops::kernels_for(isa);
  const auto x = ops::test::bell_vector(1, 4864);
  std::vector<BlockQ8_0> q(4864 / 32);
  for (auto _ : state) {
    k.quantize_q8_0(x.data(), q.data(), 4864);
    benchmark::DoNotOptimize(q.data());
  }
  state.SetItemsProcessed(state.iterations() * 4864);
}

void BM_QuantizeQ8_K(benchmark::State& state, Isa isa) {
  const ops::Kernels& k = ops::kernels_for(isa);
  const auto x = ops::test::bell_vector(1, 4864);
  std::vector<BlockQ8_K> q(4864 / 256);
  for (auto _ : state) {
    k.quantize_q8_k(x.data(), q.data(), 4864);
    benchmark::DoNotOptimize(q.data());
  }
  state.SetItemsProcessed(state.iterations() * 4864);
}

const bool kRegistered = [] {
  for (Isa isa : available_isas()) {
    const std::string in(ops::isa_name(isa));
    benchmark::RegisterBenchmark(("rms_norm/896/" + in).c_str(), BM_RmsNorm, isa);
    benchmark::RegisterBenchmark(("silu_mul/4864/" + in).c_str(), BM_SiluMul, isa);
    benchmark::RegisterBenchmark(("softmax/4096/" + in).c_str(), BM_Softmax, isa);
    benchmark::RegisterBenchmark(("quantize_q8_0/4864/" + in).c_str(), BM_QuantizeQ8_0, isa);
    benchmark::RegisterBenchmark(("quantize_q8_K/4864/" + in).c_str(), BM_QuantizeQ8_K, isa);
  }
  return true;
}();

}  // namespace
}  // namespace qwl::bench
