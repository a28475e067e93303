// Benchmarks of the float kernels (norm, activation, softmax, activation quantizers) and of
// attention at every ISA level this CPU has, on Qwen2.5-0.5B sizes (14 query heads, 2 KV heads,
// head_dim 64, F16 KV cache in blocks of 16 positions).
//
// attention_decode/N: one token attending to N cached positions (all 14 heads), the work of one
// layer per decode step; attention_prefill/T: T tokens from position 0 (causal).
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "ops/quant.h"

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

struct KvCache {
  std::vector<uint16_t> k, v;
  std::vector<int32_t> table;
};

const KvCache& kv_cache(int64_t n_pos) {
  static KvCache c;
  const int64_t blocks = (n_pos + 15) / 16;
  if (static_cast<int64_t>(c.table.size()) < blocks) {
    const size_t n = static_cast<size_t>(blocks) * 16 * 128;
    const auto vals = ops::test::bell_vector(9, static_cast<int64_t>(n));
    c.k.resize(n);
    c.v.resize(n);
    for (size_t i = 0; i < n; ++i) {
      c.k[i] = f32_to_fp16(vals[i]);
      c.v[i] = f32_to_fp16(vals[n - 1 - i]);
    }
    c.table.resize(static_cast<size_t>(blocks));
    for (int64_t b = 0; b < blocks; ++b) c.table[b] = static_cast<int32_t>(b);
  }
  return c;
}

void BM_Attention(benchmark::State& state, Isa isa, int threads, int64_t T, int64_t first_pos) {
  ops::test::ScopedIsa scoped(isa);
  const KvCache& c = kv_cache(first_pos + T);
  ThreadPool pool(threads);
  const auto q = ops::test::bell_vector(3, T * 14 * 64);
  std::vector<float> out(q.size());
  std::vector<int32_t> pos(static_cast<size_t>(T));
  for (int64_t t = 0; t < T; ++t) pos[t] = static_cast<int32_t>(first_pos + t);
  ops::AttentionArgs a{.q = q.data(),
                       .out = out.data(),
                       .n_tokens = T,
                       .positions = pos.data(),
                       .n_head = 14,
                       .n_head_kv = 2,
                       .head_dim = 64,
                       .scale = 0.125f,
                       .kv_type = DType::kF16,
                       .block_size = 16,
                       .block_table = c.table,
                       .k_pool = reinterpret_cast<const uint8_t*>(c.k.data()),
                       .v_pool = reinterpret_cast<const uint8_t*>(c.v.data())};
  for (auto _ : state) {
    ops::attention(a, pool);
    benchmark::DoNotOptimize(out.data());
  }
  // Query-key pairs per second (each: a 64-long dot product and a 64-long V accumulation).
  double pairs = 0;
  for (int64_t t = 0; t < T; ++t) pairs += 14.0 * static_cast<double>(first_pos + t + 1);
  state.counters["Gpair/s"] = benchmark::Counter(
      pairs * static_cast<double>(state.iterations()) * 1e-9, benchmark::Counter::kIsRate);
}

const bool kRegistered = [] {
  for (Isa isa : available_isas()) {
    const std::string in(ops::isa_name(isa));
    benchmark::RegisterBenchmark(("rms_norm/896/" + in).c_str(), BM_RmsNorm, isa);
    benchmark::RegisterBenchmark(("silu_mul/4864/" + in).c_str(), BM_SiluMul, isa);
    benchmark::RegisterBenchmark(("softmax/4096/" + in).c_str(), BM_Softmax, isa);
    benchmark::RegisterBenchmark(("quantize_q8_0/4864/" + in).c_str(), BM_QuantizeQ8_0, isa);
    benchmark::RegisterBenchmark(("quantize_q8_K/4864/" + in).c_str(), BM_QuantizeQ8_K, isa);
    for (int threads : {1, 2}) {
      const std::string tn = "/threads:" + std::to_string(threads);
      for (int64_t n : {512, 4096, 16384}) {
        benchmark::RegisterBenchmark(
            ("attention_decode/" + std::to_string(n) + "/" + in + tn).c_str(), BM_Attention, isa,
            threads, 1, n - 1)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
      benchmark::RegisterBenchmark(("attention_prefill/512/" + in + tn).c_str(), BM_Attention, isa,
                                   threads, 512, 0)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace qwl::bench
