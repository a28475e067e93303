// Sampler stages.
#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/check.h"

namespace qwl {

Rng::Rng(uint64_t seed) {
  uint64_t z = seed;
  for (auto& s : s_) {
    z += 0x9e3779b97f4a7c15ULL;
    uint64_t x = z;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    s = x ^ (x >> 31);
  }
}

uint64_t Rng::next() {
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

Status SamplingParams::validate(int32_t n_vocab) const {
  if (!(temperature >= 0.0f) || temperature > 100.0f)
    return InvalidArgumentError("temperature must be in [0, 100], got {}", temperature);
  if (!(top_p > 0.0f && top_p <= 1.0f))
    return InvalidArgumentError("top_p must be in (0, 1], got {}", top_p);
  if (!(min_p >= 0.0f && min_p <= 1.0f))
    return InvalidArgumentError("min_p must be in [0, 1], got {}", min_p);
  if (!(repeat_penalty > 0.0f))
    return InvalidArgumentError("repeat penalty must be positive, got {}", repeat_penalty);
  if (!(presence_penalty >= -2.0f && presence_penalty <= 2.0f))
    return InvalidArgumentError("presence penalty must be in [-2, 2], got {}", presence_penalty);
  if (!(frequency_penalty >= -2.0f && frequency_penalty <= 2.0f))
    return InvalidArgumentError("frequency penalty must be in [-2, 2], got {}", frequency_penalty);
  if (penalty_last_n < 0) return InvalidArgumentError("penalty window must be >= 0");
  for (const auto& [id, bias] : logit_bias) {
    if (id < 0 || id >= n_vocab)
      return InvalidArgumentError("logit bias for token {} outside the vocabulary", id);
    if (std::isnan(bias)) return InvalidArgumentError("logit bias for token {} is NaN", id);
  }
  return Status::Ok();
}

namespace {

bool by_logit_desc(const TokenData& a, const TokenData& b) {
  return a.logit > b.logit;
}

// Softmax of the candidates' logits into p, in place and in their current order: no stage sorts
// the whole vocabulary (150k entries) unless it must, so a token costs O(n_vocab), not
// O(n_vocab log n_vocab). Returns the largest p.
float normalize(Candidates& c) {
  if (c.items.empty()) return 0.0f;
  float max_l = -std::numeric_limits<float>::infinity();
  for (const auto& t : c.items) max_l = std::max(max_l, t.logit);
  double sum = 0;
  for (auto& t : c.items) {
    t.p = std::isinf(t.logit) && t.logit < 0 ? 0.0f : std::exp(t.logit - max_l);
    sum += t.p;
  }
  float max_p = 0.0f;
  for (auto& t : c.items) {
    t.p = static_cast<float>(t.p / sum);
    max_p = std::max(max_p, t.p);
  }
  return max_p;
}

class LogitBias final : public SamplerStage {
 public:
  explicit LogitBias(std::unordered_map<int32_t, float> bias) : bias_(std::move(bias)) {}
  const char* name() const override { return "logit-bias"; }
  void apply(Candidates& c) override {
    // Candidates start as the full vocabulary in id order, so ids index directly.
    for (const auto& [id, b] : bias_) c.items[static_cast<size_t>(id)].logit += b;
  }

 private:
  std::unordered_map<int32_t, float> bias_;
};

class Penalties final : public SamplerStage {
 public:
  Penalties(int last_n, float repeat, float presence, float frequency)
      : last_n_(last_n), repeat_(repeat), presence_(presence), frequency_(frequency) {}
  const char* name() const override { return "penalties"; }
  void apply(Candidates& c) override {
    if (counts_.empty()) return;
    for (auto& t : c.items) {
      auto it = counts_.find(t.id);
      if (it == counts_.end()) continue;
      // Repetition penalty as in the CTRL paper (and llama.cpp): shrink positive logits,
      // push negative ones further down.
      t.logit = t.logit > 0 ? t.logit / repeat_ : t.logit * repeat_;
      t.logit -= static_cast<float>(it->second) * frequency_ + presence_;
    }
    c.sorted = false;
  }
  void accept(int32_t token) override {
    if (last_n_ == 0) return;
    history_.push_back(token);
    ++counts_[token];
    if (static_cast<int>(history_.size()) > last_n_) {
      const int32_t old = history_.front();
      history_.pop_front();
      if (--counts_[old] == 0) counts_.erase(old);
    }
  }
  void reset() override {
    history_.clear();
    counts_.clear();
  }

 private:
  int last_n_;
  float repeat_, presence_, frequency_;
  std::deque<int32_t> history_;
  std::unordered_map<int32_t, int> counts_;
};

class TopK final : public SamplerStage {
 public:
  explicit TopK(int k) : k_(k) {}
  const char* name() const override { return "top-k"; }
  void apply(Candidates& c) override {
    if (k_ <= 0 || static_cast<size_t>(k_) >= c.items.size()) return;
    std::partial_sort(c.items.begin(), c.items.begin() + k_, c.items.end(), by_logit_desc);
    c.items.resize(static_cast<size_t>(k_));
    c.sorted = true;
  }

 private:
  int k_;
};

class TopP final : public SamplerStage {
 public:
  explicit TopP(float p) : p_(p) {}
  const char* name() const override { return "top-p"; }
  void apply(Candidates& c) override {
    normalize(c);
    // The nucleus is usually a few tokens: sort only the top `head` candidates, growing it
    // until their mass reaches p.
    const size_t n = c.items.size();
    size_t head = std::min<size_t>(n, 64);
    for (;;) {
      if (!c.sorted)
        std::partial_sort(c.items.begin(), c.items.begin() + static_cast<ptrdiff_t>(head),
                          c.items.end(), by_logit_desc);
      double cum = 0;
      for (size_t i = 0; i < head; ++i) {
        cum += c.items[i].p;
        if (cum >= p_) {
          c.items.resize(i + 1);
          c.sorted = true;
          return;
        }
      }
      if (head == n) break;
      head = std::min(n, head * 8);
    }
    c.sorted = true;  // rounding kept the total below p: keep everything
  }

 private:
  float p_;
};

class MinP final : public SamplerStage {
 public:
  explicit MinP(float p) : p_(p) {}
  const char* name() const override { return "min-p"; }
  void apply(Candidates& c) override {
    const float threshold = normalize(c) * p_;
    if (c.items.empty()) return;
    // Keeps the order (sorted stays sorted); the survivors are few, so sorting them is cheap.
    std::erase_if(c.items, [threshold](const TokenData& t) { return t.p < threshold; });
    if (!c.sorted) std::sort(c.items.begin(), c.items.end(), by_logit_desc);
    c.sorted = true;
  }

 private:
  float p_;
};

class Temperature final : public SamplerStage {
 public:
  explicit Temperature(float t) : t_(t) {}
  const char* name() const override { return "temperature"; }
  void apply(Candidates& c) override {
    for (auto& t : c.items) t.logit /= t_;
  }

 private:
  float t_;
};

class Greedy final : public SamplerStage {
 public:
  const char* name() const override { return "greedy"; }
  void apply(Candidates& c) override {
    // Ties go to the lowest id, as an argmax over the logits row would.
    const TokenData* best = &c.items[0];
    for (const auto& t : c.items)
      if (t.logit > best->logit || (t.logit == best->logit && t.id < best->id)) best = &t;
    c.selected = best->id;
  }
};

class Dist final : public SamplerStage {
 public:
  explicit Dist(uint64_t seed) : seed_(seed), rng_(seed) {}
  const char* name() const override { return "dist"; }
  void apply(Candidates& c) override {
    normalize(c);
    const double r = rng_.uniform();
    double cum = 0;
    for (const auto& t : c.items) {
      cum += t.p;
      if (r < cum) {
        c.selected = t.id;
        return;
      }
    }
    c.selected = c.items.back().id;  // rounding left r just above the total
  }
  void reset() override { rng_ = Rng(seed_); }

 private:
  uint64_t seed_;
  Rng rng_;
};

}  // namespace

SamplerChain::SamplerChain(const SamplingParams& p) {
  if (!p.logit_bias.empty()) stages_.push_back(std::make_unique<LogitBias>(p.logit_bias));
  if (p.repeat_penalty != 1.0f || p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f)
    stages_.push_back(std::make_unique<Penalties>(p.penalty_last_n, p.repeat_penalty,
                                                  p.presence_penalty, p.frequency_penalty));
  if (p.temperature <= 0.0f) {
    stages_.push_back(std::make_unique<Greedy>());
    return;
  }
  if (p.top_k > 0) stages_.push_back(std::make_unique<TopK>(p.top_k));
  if (p.top_p < 1.0f) stages_.push_back(std::make_unique<TopP>(p.top_p));
  if (p.min_p > 0.0f) stages_.push_back(std::make_unique<MinP>(p.min_p));
  stages_.push_back(std::make_unique<Temperature>(p.temperature));
  stages_.push_back(std::make_unique<Dist>(p.seed));
}

int32_t SamplerChain::sample(std::span<const float> logits) {
  cur_.items.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i)
    cur_.items[i] = TokenData{static_cast<int32_t>(i), logits[i], 0.0f};
  cur_.sorted = false;
  cur_.selected = -1;
  for (auto& s : stages_) {
    if (cur_.items.empty()) break;
    s->apply(cur_);
  }
  QWL_CHECK(cur_.selected >= 0, "sampler chain selected no token");
  return cur_.selected;
}

void SamplerChain::accept(int32_t token) {
  for (auto& s : stages_) s->accept(token);
}

void SamplerChain::reset() {
  for (auto& s : stages_) s->reset();
}

std::string SamplerChain::describe() const {
  std::string out;
  for (const auto& s : stages_) {
    if (!out.empty()) out += " -> ";
    out += s->name();
  }
  return out;
}

}  // namespace qwl
