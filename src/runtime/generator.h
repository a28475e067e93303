// Generator: one sequence's text generation loop over a Model — prompt evaluation in chunks,
// sampling, stop conditions, streaming of UTF-8-safe text — with its timings.
//
// It owns the sequence's KV cache, forward state and sampler; the model and thread pool are
// borrowed and must outlive it. Not thread-safe: one thread drives a generator.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "model/model.h"
#include "runtime/kv_cache.h"
#include "runtime/sampler.h"

namespace qwl {

struct GenerateOptions {
  int max_tokens = 256;  // generated tokens at most; <= 0 means until the context is full
  SamplingParams sampling;
  std::vector<std::string> stop;  // stop strings; the text ends before the first match
  bool stop_at_eog = true;        // end-of-generation tokens (eos, <|im_end|>, <|endoftext|>)
  int n_batch = 256;              // prompt tokens per forward call
};

enum class StopReason { kEog, kStopString, kMaxTokens, kContextFull, kCancelled };
std::string_view stop_reason_name(StopReason r);

struct GenerateResult {
  std::string text;
  std::vector<int32_t> tokens;  // generated ids (including an end token that stopped it)
  StopReason stop = StopReason::kMaxTokens;
  int64_t n_prompt = 0;
  int64_t n_generated = 0;
  int64_t t_prompt_us = 0;    // prompt evaluation
  int64_t t_generate_us = 0;  // from the first sampled token to the end
};

// Called with each new piece of text as it becomes final; return false to stop (kCancelled).
using TextCallback = std::function<bool(std::string_view piece)>;

class Generator {
 public:
  // Creates the KV cache for `kv_options` (max_positions defaults to the model's context).
  static Result<Generator> create(const Model& model, ThreadPool& pool, KvCacheOptions kv_options);

  // Evaluates `tokens` after the current context and leaves the last token's logits in
  // last_logits() (every token's with all_logits). Errors: OutOfRange when the context is full.
  Status eval(std::span<const int32_t> tokens, bool all_logits = false, int n_batch = 256);
  // Logits of the last eval: (rows, n_vocab).
  std::span<const float> last_logits() const {
    if (!chunked_logits_.empty()) return chunked_logits_;
    return state_.logits();
  }
  int64_t n_past() const { return kv_.length(seq_); }
  // Forgets the context.
  void clear();

  // Evaluates the prompt and samples until a stop condition.
  Result<GenerateResult> generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                                  const TextCallback& on_text = nullptr);

  const Model& model() const { return *model_; }
  KvCache& kv_cache() { return kv_; }

 private:
  Generator(const Model& model, ThreadPool& pool, KvCache kv)
      : model_(&model), pool_(&pool), kv_(std::move(kv)), seq_(kv_.create_sequence()) {}

  const Model* model_;
  ThreadPool* pool_;
  KvCache kv_;
  KvCache::SeqId seq_;
  ForwardState state_;
  std::vector<float> chunked_logits_;  // (T, n_vocab) when all_logits spanned several chunks
};

// Holds back generated text that could be the start of a stop string, so that a stop string
// split across tokens is never shown. Exposed for tests.
class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}
  // Adds text; returns the part now safe to emit. Sets stopped() when a stop string completes
  // (the returned text then ends right before it).
  std::string push(std::string_view text);
  // Returns whatever is still held back (at the end of generation).
  std::string flush();
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string pending_;
  bool stopped_ = false;
};

}  // namespace qwl
