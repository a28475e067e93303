// Sampler chain cost per token over a Qwen-sized vocabulary (151,936 logits), for the sampling
// settings servers see most: greedy, OpenAI's defaults (temperature 1, nothing else), and the
// usual top-k / top-p / min-p mixes. Logits are drawn like a language model's: most tokens far
// below a handful of likely ones.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "runtime/sampler.h"

namespace qwl {
namespace {

std::vector<float> model_like_logits(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, 2.0f);
  std::vector<float> logits(n);
  for (float& l : logits) l = noise(rng);
  for (int i = 0; i < 20; ++i) logits[rng() % n] += 12.0f;
  return logits;
}

void run(benchmark::State& state, SamplingParams params) {
  const std::vector<float> logits = model_like_logits(151936, 7);
  SamplerChain chain(params);
  for (auto _ : state) benchmark::DoNotOptimize(chain.sample(logits));
}

BENCHMARK_CAPTURE(run, greedy, SamplingParams::greedy())->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(run, temp1_openai_default,
                  SamplingParams{.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(run, top_p_0_9,
                  SamplingParams{.temperature = 0.7f, .top_k = 0, .top_p = 0.9f, .min_p = 0.0f})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(run, min_p_0_05,
                  SamplingParams{.temperature = 0.8f, .top_k = 0, .top_p = 1.0f, .min_p = 0.05f})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(run, qwen_default_k20_p0_8,
                  SamplingParams{.temperature = 0.7f, .top_k = 20, .top_p = 0.8f})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace qwl
