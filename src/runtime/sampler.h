// The sampler chain: small stages with one interface (apply / accept / reset), composed in a
// fixed order, ending in a selection stage (greedy or a seeded random draw).
//
// Order (as llama.cpp's default chain): logit bias -> penalties -> top-k -> top-p -> min-p ->
// temperature -> select. Same seed and same logits give the same token on every run; the RNG is
// our own splitmix/xoshiro so results do not depend on the standard library.
// Thread-safety: a chain is owned by one sequence.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace qwl {

struct TokenData {
  int32_t id;
  float logit;
  float p;  // valid after a stage that normalises (top-p, min-p, select)
};

struct Candidates {
  std::vector<TokenData> items;
  bool sorted = false;  // by logit, descending
  int32_t selected = -1;
};

class SamplerStage {
 public:
  virtual ~SamplerStage() = default;
  virtual const char* name() const = 0;
  virtual void apply(Candidates& c) = 0;
  virtual void accept(int32_t token) {}
  virtual void reset() {}
};

struct SamplingParams {
  float temperature = 0.8f;        // <= 0: greedy
  int top_k = 40;                  // <= 0: off
  float top_p = 0.95f;             // >= 1: off
  float min_p = 0.05f;             // <= 0: off
  float repeat_penalty = 1.0f;     // 1: off; divides positive logits of recent tokens
  float presence_penalty = 0.0f;   // subtracted once per recent token present
  float frequency_penalty = 0.0f;  // subtracted per occurrence
  int penalty_last_n = 64;         // window of recent tokens for penalties
  uint64_t seed = 0;
  std::unordered_map<int32_t, float> logit_bias;  // added to logits; -inf bans a token

  Status validate(int32_t n_vocab) const;
  static SamplingParams greedy() { return SamplingParams{.temperature = 0.0f}; }
};

class SamplerChain {
 public:
  // Builds the chain for `params`. Call params.validate() first for user input.
  explicit SamplerChain(const SamplingParams& params);

  // Chooses the next token from one row of logits (n_vocab floats).
  int32_t sample(std::span<const float> logits);
  // Tells every stage that `token` was emitted (penalty history).
  void accept(int32_t token);
  void reset();
  std::string describe() const;  // "penalties -> top-k -> ... -> dist"

 private:
  std::vector<std::unique_ptr<SamplerStage>> stages_;
  Candidates cur_;
};

// xoshiro256** seeded by splitmix64: small, fast, identical everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  double uniform();  // [0, 1)

 private:
  uint64_t s_[4];
};

}  // namespace qwl
