// Matmul benchmarks at every ISA level this CPU has.
//
// Decode: one token through the matmuls of all 24 layers of Qwen2.5-0.5B (q, k, v, o, gate, up,
// down; the output matrix excluded), so the weights (hundreds of MB) stream from memory as in a
// real decode step; reports GB/s of weights and tokens/s of this matmul work alone.
// Prefill: one layer's matmuls at T = 64 and 512 tokens (weights stay in cache, compute-bound);
// reports GFLOP/s (2 * n_in * n_out * T per matmul) and tokens/s.
// Both with the engine's persistent thread pool, 1 and 2 threads.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "bench_util.h"
#include "ops/kernel_test_util.h"
#include "ops/ops.h"

namespace qwl::bench {
namespace {

using ops::Isa;

struct LayerSet {
  DType type;
  int layers;
  std::vector<RandomMatrix> mats;
  size_t bytes = 0;
  double params = 0;
};

// The weights of the last type asked for (one type at a time keeps memory bounded).
const LayerSet& layer_set(DType t, int layers) {
  static std::unique_ptr<LayerSet> cached;
  if (!cached || cached->type != t || cached->layers != layers) {
    cached.reset();
    cached = std::make_unique<LayerSet>();
    cached->type = t;
    cached->layers = layers;
    uint64_t seed = 1;
    for (int l = 0; l < layers; ++l) {
      for (const Shape& s : kLayerShapes) {
        cached->mats.emplace_back(t, s.n_in, s.n_out, seed++);
        cached->bytes += cached->mats.back().bytes.size();
        cached->params += static_cast<double>(s.n_in) * static_cast<double>(s.n_out);
      }
    }
  }
  return *cached;
}

void run_layers(const LayerSet& set, const float* x, int64_t T, float* y, ThreadPool& pool,
                ops::Scratch& scratch) {
  for (const RandomMatrix& m : set.mats) ops::matmul(m.view, x, T, y, pool, scratch);
}

void BM_Decode(benchmark::State& state, DType t, Isa isa, int threads) {
  ops::test::ScopedIsa scoped(isa);
  const LayerSet& set = layer_set(t, kLayers);
  ThreadPool pool(threads);
  ops::Scratch scratch;
  const std::vector<float> x = ops::test::bell_vector(3, 4864);
  std::vector<float> y(4864);
  for (auto _ : state) {
    run_layers(set, x.data(), 1, y.data(), pool, scratch);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(set.bytes));
  state.counters["tok/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Prefill(benchmark::State& state, DType t, Isa isa, int threads, int64_t T) {
  ops::test::ScopedIsa scoped(isa);
  const LayerSet& set = layer_set(t, 1);
  ThreadPool pool(threads);
  ops::Scratch scratch;
  const std::vector<float> x = ops::test::bell_vector(4, 4864 * T);
  std::vector<float> y(static_cast<size_t>(4864 * T));
  for (auto _ : state) {
    run_layers(set, x.data(), T, y.data(), pool, scratch);
    benchmark::ClobberMemory();
  }
  const double it = static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * set.params * static_cast<double>(T) * it * 1e-9, benchmark::Counter::kIsRate);
  state.counters["tok/s"] =
      benchmark::Counter(static_cast<double>(T) * it, benchmark::Counter::kIsRate);
}

const DType kTypes[] = {DType::kQ4_0, DType::kQ5_0, DType::kQ8_0, DType::kQ4_K,
                        DType::kQ6_K, DType::kF16,  DType::kBF16, DType::kF32};

const bool kRegistered = [] {
  for (Isa isa : available_isas()) {
    for (DType t : kTypes) {
      const std::string tn(dtype_name(t));
      const std::string in(ops::isa_name(isa));
      for (int threads : {1, 2}) {
        const std::string suffix = "/" + tn + "/" + in + "/threads:" + std::to_string(threads);
        if (t != DType::kF32) {
          benchmark::RegisterBenchmark(("decode" + suffix).c_str(), BM_Decode, t, isa, threads)
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime();
        }
        for (int64_t T : {64, 512}) {
          if (isa == Isa::kScalar && T > 64) continue;  // minutes per iteration
          benchmark::RegisterBenchmark(("prefill" + suffix + "/T:" + std::to_string(T)).c_str(),
                                       BM_Prefill, t, isa, threads, T)
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime();
        }
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace qwl::bench
