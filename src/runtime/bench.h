// Speed measurements of whole-model prompt processing and generation, as llama-bench makes
// them, and of the machine's memory read bandwidth (the bound for generation speed).
//
// A test is "ppN" (evaluate N prompt tokens in batches) or "tgN" (generate N tokens one at a
// time), each after first filling the context with `depth` tokens that are not timed. Tokens
// are fixed pseudo-random ids, so runs are comparable. Timings are wall-clock microseconds on
// the monotonic clock; the machine is shared and noisy, so callers repeat and report the mean
// and standard deviation (and compare medians of interleaved runs against peers).
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "model/model.h"
#include "runtime/kv_cache.h"

namespace qwl {

struct BenchTest {
  int n_prompt = 0;  // pp test when > 0
  int n_gen = 0;     // tg test when > 0 (and n_prompt == 0)
  int n_depth = 0;   // context filled before the timed part
};

struct BenchResult {
  BenchTest test;
  std::vector<double> samples_ts;  // tokens/s of each repetition
  double avg_ts = 0;
  double stddev_ts = 0;
  // Bytes read from memory per token in the timed part: weights (for tg: all matrices once per
  // token; for pp: once per batch, spread over its tokens) plus the KV cache read by attention.
  double bytes_per_token = 0;
  double gbps() const { return avg_ts * bytes_per_token * 1e-9; }
};

struct BenchOptions {
  int repetitions = 5;
  int n_batch = 512;  // prompt tokens per forward call
  DType kv_type = DType::kF16;
};

// Runs `test` options.repetitions times (after one untimed warm-up run).
// Errors: those of KV cache creation and evaluation.
Result<BenchResult> run_bench(const Model& model, ThreadPool& pool, const BenchTest& test,
                              const BenchOptions& options);

// Measures memory read bandwidth in GB/s by summing a `bytes`-sized buffer (much larger than
// the caches) with every thread of the pool; returns the median of `repetitions` passes.
double measure_read_bandwidth_gbps(ThreadPool& pool, size_t bytes = size_t{1} << 30,
                                   int repetitions = 5);

// Peak resident set size of this process so far, in bytes.
int64_t peak_rss_bytes();

}  // namespace qwl
