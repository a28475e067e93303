// Matmul benchmarks at every ISA level this CPU has.
//
// decode: one token through the matmuls of all layers of the model (q, k, v, o, gate, up, down;
// the output matrix excluded), so the weights (hundreds of MB) stream from memory as in a real
// decode step; reports GB/s of weights and tokens/s of this matmul work alone.
// decode_l2: one token through a 1024 x 896 (K-quants: 1024 x 1024) matrix that stays in L2:
// the kernels' compute speed, the ceiling of decode if memory were free.
// prefill: one layer's matmuls at T = 64 and 512 tokens (weights stay in cache, compute-bound);
// reports GFLOP/s (2 * n_in * n_out * T per matmul) and tokens/s.
// read_bandwidth: a plain read of 1 GiB, the memory ceiling decode is compared with.
// All with the engine's persistent thread pool, 1 and 2 threads.
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
  const ModelShapes* model;
  int layers;
  std::vector<RandomMatrix> mats;
  std::vector<ops::PackedWeight> packed;  // for packed_isa, when asked for
  Isa packed_isa = Isa::kScalar;
  size_t bytes = 0;
  double params = 0;
};

// The weights of the last type asked for (one type at a time keeps memory bounded).
const ModelShapes& model_for(DType t) {
  return t == DType::kQ4_K || t == DType::kQ6_K ? kQwen3_06B : kQwen25_05B;
}

// The L2-resident matrix of decode_l2, as a one-matrix model.
const ModelShapes& l2_model(DType t) {
  static const ModelShapes k{"l2", {{"m", 1024, 1024}}, 1};
  static const ModelShapes q{"l2", {{"m", 896, 1024}}, 1};
  return t == DType::kQ4_K || t == DType::kQ6_K ? k : q;
}

const LayerSet& layer_set(DType t, int layers_wanted) {
  static std::unique_ptr<LayerSet> cached;
  const ModelShapes& model = layers_wanted < 0 ? l2_model(t) : model_for(t);
  const int layers = layers_wanted < 0 ? -1 : (layers_wanted == 0 ? model.layers : 1);
  if (!cached || cached->type != t || cached->layers != layers) {
    cached.reset();
    cached = std::make_unique<LayerSet>();
    cached->type = t;
    cached->model = &model;
    cached->layers = layers;
    uint64_t seed = 1;
    for (int l = 0; l < (layers < 0 ? 1 : layers); ++l) {
      for (const Shape& s : model.layer) {
        if (s.name == nullptr) continue;
        cached->mats.emplace_back(t, s.n_in, s.n_out, seed++);
        cached->bytes += cached->mats.back().bytes.size();
        cached->params += static_cast<double>(s.n_in) * static_cast<double>(s.n_out);
      }
    }
  }
  return *cached;
}

// The set's weights packed for the active level (kept until another level or type is asked).
void ensure_packed(const LayerSet& set) {
  auto& s = const_cast<LayerSet&>(set);
  if (!s.packed.empty() && s.packed_isa == ops::active_isa()) return;
  s.packed.clear();
  for (const RandomMatrix& m : s.mats) s.packed.emplace_back(m.view);
  s.packed_isa = ops::active_isa();
}

void run_layers(const LayerSet& set, bool packed, const float* x, int64_t T, float* y,
                ThreadPool& pool, ops::Scratch& scratch) {
  if (packed) {
    for (const ops::PackedWeight& w : set.packed) ops::matmul(w, x, T, y, pool, scratch);
  } else {
    for (const RandomMatrix& m : set.mats) ops::matmul(m.view, x, T, y, pool, scratch);
  }
}

void BM_Decode(benchmark::State& state, DType t, Isa isa, int threads, bool hot, bool packed) {
  ops::test::ScopedIsa scoped(isa);
  const LayerSet& set = layer_set(t, hot ? -1 : 0);
  if (packed) ensure_packed(set);
  ThreadPool pool(threads);
  ops::Scratch scratch;
  const std::vector<float> x = ops::test::bell_vector(3, 4864);
  std::vector<float> y(4864);
  for (auto _ : state) {
    run_layers(set, packed, x.data(), 1, y.data(), pool, scratch);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(set.bytes));
  state.counters["tok/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Prefill(benchmark::State& state, DType t, Isa isa, int threads, int64_t T, bool packed) {
  ops::test::ScopedIsa scoped(isa);
  const LayerSet& set = layer_set(t, 1);
  if (packed) ensure_packed(set);
  ThreadPool pool(threads);
  ops::Scratch scratch;
  const std::vector<float> x = ops::test::bell_vector(4, 4864 * T);
  std::vector<float> y(static_cast<size_t>(4864 * T));
  for (auto _ : state) {
    run_layers(set, packed, x.data(), T, y.data(), pool, scratch);
    benchmark::ClobberMemory();
  }
  const double it = static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * set.params * static_cast<double>(T) * it * 1e-9, benchmark::Counter::kIsRate);
  state.counters["tok/s"] = benchmark::Counter(static_cast<double>(T) * it / set.model->layers,
                                               benchmark::Counter::kIsRate);
  state.SetLabel(set.model->name);
}

void BM_ReadBandwidth(benchmark::State& state, int threads) {
  const size_t n = (size_t{1} << 30) / sizeof(uint64_t);
  static std::vector<uint64_t> buf(n, 1);
  ThreadPool pool(threads);
  std::vector<uint64_t> sums(64);
  for (auto _ : state) {
    pool.run([&](int ith, int nth) {
      const size_t b = n * ith / nth, e = n * (ith + 1) / nth;
      uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (size_t i = b; i + 4 <= e; i += 4) {
        s0 += buf[i];
        s1 += buf[i + 1];
        s2 += buf[i + 2];
        s3 += buf[i + 3];
      }
      sums[ith * 8] = s0 + s1 + s2 + s3;
    });
    benchmark::DoNotOptimize(sums.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n * 8));
}

const DType kTypes[] = {DType::kQ4_0, DType::kQ5_0, DType::kQ8_0, DType::kQ4_K,
                        DType::kQ6_K, DType::kF16,  DType::kBF16, DType::kF32};

const bool kRegistered = [] {
  for (int threads : {1, 2}) {
    benchmark::RegisterBenchmark(("read_bandwidth/threads:" + std::to_string(threads)).c_str(),
                                 BM_ReadBandwidth, threads)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  for (Isa isa : available_isas()) {
    for (DType t : kTypes) {
      const std::string tn(dtype_name(t));
      const std::string in(ops::isa_name(isa));
      for (int threads : {1, 2}) {
        for (bool packed : {false, true}) {
          if (packed &&
              (isa == Isa::kScalar || t == DType::kF32 || t == DType::kF16 || t == DType::kBF16))
            continue;  // no packed layout
          const std::string suffix =
              "/" + tn + (packed ? "/packed/" : "/") + in + "/threads:" + std::to_string(threads);
          if (t != DType::kF32) {
            benchmark::RegisterBenchmark(("decode" + suffix).c_str(), BM_Decode, t, isa, threads,
                                         false, packed)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
          }
          benchmark::RegisterBenchmark(("decode_l2" + suffix).c_str(), BM_Decode, t, isa, threads,
                                       true, packed)
              ->Unit(benchmark::kMicrosecond)
              ->UseRealTime();
          for (int64_t T : {64, 512}) {
            if (isa == Isa::kScalar && T > 64) continue;  // minutes per iteration
            benchmark::RegisterBenchmark(("prefill" + suffix + "/T:" + std::to_string(T)).c_str(),
                                         BM_Prefill, t, isa, threads, T, packed)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
          }
        }
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace qwl::bench
