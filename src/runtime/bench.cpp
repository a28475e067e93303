// Whole-model speed measurements.
#include "runtime/bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "base/clock.h"
#include "runtime/generator.h"

namespace qwl {
namespace {

// Deterministic ids spread over the vocabulary (llama-bench also uses arbitrary tokens).
std::vector<int32_t> bench_tokens(int n, int n_vocab, int salt) {
  std::vector<int32_t> ids(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    ids[static_cast<size_t>(i)] =
        static_cast<int32_t>((static_cast<int64_t>(i + salt) * 7919 + 13) % n_vocab);
  return ids;
}

// One timed run; returns tokens/s.
Result<double> run_once(Generator& gen, const BenchTest& t, const BenchOptions& o, int n_vocab) {
  gen.clear();
  if (t.n_depth > 0)
    QWL_RETURN_IF_ERROR(gen.eval(bench_tokens(t.n_depth, n_vocab, 1), false, o.n_batch));
  Stopwatch watch;
  if (t.n_prompt > 0) {
    QWL_RETURN_IF_ERROR(gen.eval(bench_tokens(t.n_prompt, n_vocab, 2), false, o.n_batch));
    return t.n_prompt / watch.elapsed_s();
  }
  const std::vector<int32_t> ids = bench_tokens(t.n_gen, n_vocab, 3);
  for (int i = 0; i < t.n_gen; ++i)
    QWL_RETURN_IF_ERROR(gen.eval(std::span<const int32_t>(&ids[static_cast<size_t>(i)], 1)));
  return t.n_gen / watch.elapsed_s();
}

}  // namespace

Result<BenchResult> run_bench(const Model& model, ThreadPool& pool, const BenchTest& test,
                              const BenchOptions& options) {
  const int n_timed = test.n_prompt > 0 ? test.n_prompt : test.n_gen;
  if (n_timed <= 0) return InvalidArgumentError("a bench test needs prompt or generation tokens");
  if (options.repetitions <= 0) return InvalidArgumentError("repetitions must be positive");
  KvCacheOptions kv{.type = options.kv_type, .max_positions = test.n_depth + n_timed};
  QWL_ASSIGN_OR_RETURN(Generator gen, Generator::create(model, pool, kv));
  const int n_vocab = model.config().n_vocab;

  BenchResult r;
  r.test = test;
  QWL_RETURN_IF_ERROR(run_once(gen, test, options, n_vocab).status());  // warm-up: page in weights
  for (int i = 0; i < options.repetitions; ++i) {
    QWL_ASSIGN_OR_RETURN(double ts, run_once(gen, test, options, n_vocab));
    r.samples_ts.push_back(ts);
  }
  const double n = static_cast<double>(r.samples_ts.size());
  r.avg_ts = std::accumulate(r.samples_ts.begin(), r.samples_ts.end(), 0.0) / n;
  double var = 0;
  for (double s : r.samples_ts) var += (s - r.avg_ts) * (s - r.avg_ts);
  r.stddev_ts = n > 1 ? std::sqrt(var / (n - 1)) : 0.0;

  const double weights = static_cast<double>(model.weight_bytes_per_token());
  const double kv_per_pos = static_cast<double>(gen.kv_cache().bytes_per_position());
  if (test.n_prompt > 0) {
    const double batches = std::ceil(static_cast<double>(test.n_prompt) / options.n_batch);
    // Each batch streams the weights once; each token reads the KV of the positions before it.
    const double avg_ctx = test.n_depth + (test.n_prompt + 1) / 2.0;
    r.bytes_per_token = weights * batches / test.n_prompt + kv_per_pos * avg_ctx;
  } else {
    const double avg_ctx = test.n_depth + (test.n_gen + 1) / 2.0;
    r.bytes_per_token = weights + kv_per_pos * avg_ctx;
  }
  return r;
}

double measure_read_bandwidth_gbps(ThreadPool& pool, size_t bytes, int repetitions) {
  const size_t n = bytes / sizeof(uint64_t);
  std::vector<uint64_t> buf(n);
  // Touch every page from the thread that will read it, so first-touch placement and page
  // faults are not part of the measurement.
  pool.parallel_for(static_cast<int64_t>(n), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) buf[static_cast<size_t>(i)] = static_cast<uint64_t>(i);
  });
  std::vector<double> gbps;
  std::vector<uint64_t> sinks(static_cast<size_t>(pool.size()));
  for (int r = 0; r < repetitions; ++r) {
    Stopwatch watch;
    pool.run([&](int ith, int nth) {
      const size_t b = n * static_cast<size_t>(ith) / static_cast<size_t>(nth);
      const size_t e = n * static_cast<size_t>(ith + 1) / static_cast<size_t>(nth);
      // Four independent sums keep several loads in flight; the compiler vectorises them.
      uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      size_t i = b;
      for (; i + 4 <= e; i += 4) {
        s0 += buf[i];
        s1 += buf[i + 1];
        s2 += buf[i + 2];
        s3 += buf[i + 3];
      }
      for (; i < e; ++i) s0 += buf[i];
      sinks[static_cast<size_t>(ith)] = s0 + s1 + s2 + s3;
    });
    gbps.push_back(static_cast<double>(bytes) / watch.elapsed_s() * 1e-9);
  }
  std::sort(gbps.begin(), gbps.end());
  volatile uint64_t keep = std::accumulate(sinks.begin(), sinks.end(), uint64_t{0});
  (void)keep;
  return gbps[gbps.size() / 2];
}

int64_t peak_rss_bytes() {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return static_cast<int64_t>(ru.ru_maxrss) * 1024;
}

}  // namespace qwl
