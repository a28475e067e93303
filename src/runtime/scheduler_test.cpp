#include "runtime/scheduler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "model/test_model.h"

namespace qwl {
namespace {

using namespace std::chrono_literals;

// One tiny model for the whole file (writing and loading it is the slow part).
const Model& test_model() {
  static std::unique_ptr<Model> model = [] {
    // One file per process: ctest runs each test in its own process, several at once.
    const std::string path =
        fmt::format("{}/scheduler-test-{}.gguf", ::testing::TempDir(), ::getpid());
    Status s = testing::write_test_model(path, {.arch = Arch::kQwen3, .n_ctx = 256, .seed = 7});
    QWL_CHECK(s.ok(), "{}", s.to_string());
    auto m = Model::load(path);
    QWL_CHECK(m.ok(), "{}", m.status().to_string());
    std::remove(path.c_str());  // the mapping stays valid
    return std::move(m).value();
  }();
  return *model;
}

std::vector<int32_t> make_prompt(int n, int salt) {
  std::vector<int32_t> p;
  for (int i = 0; i < n; ++i) p.push_back((i * 31 + salt * 17 + 3) % 250);
  return p;
}

// What one sequence's events added up to.
struct Outcome {
  std::vector<int32_t> tokens;
  std::string text;
  std::vector<TokenLogprob> logprobs;
  int n_events = 0;
  int n_done = 0;
  StopReason stop = StopReason::kMaxTokens;
  Status error;
  SequenceUsage usage;
};

// Collects events from the scheduler thread; tests wait on it.
class Collector {
 public:
  SequenceCallback callback() {
    return [this](SequenceEvent&& ev) {
      std::lock_guard lock(mu_);
      Outcome& o = by_id_[ev.id];
      ++o.n_events;
      o.tokens.insert(o.tokens.end(), ev.tokens.begin(), ev.tokens.end());
      o.text += ev.text;
      o.logprobs.insert(o.logprobs.end(), ev.logprobs.begin(), ev.logprobs.end());
      o.usage = ev.usage;
      if (ev.done) {
        ++o.n_done;
        o.stop = ev.stop;
        o.error = ev.error;
      }
      cv_.notify_all();
    };
  }
  // Waits until `id` is done (or has generated `n_tokens`); fails the test after 20 s.
  Outcome wait(uint64_t id, size_t n_tokens = SIZE_MAX) {
    std::unique_lock lock(mu_);
    const bool ok = cv_.wait_for(lock, 20s, [&] {
      auto it = by_id_.find(id);
      return it != by_id_.end() && (it->second.n_done > 0 || it->second.tokens.size() >= n_tokens);
    });
    EXPECT_TRUE(ok) << "sequence " << id << " timed out";
    return by_id_[id];
  }
  Outcome get(uint64_t id) {
    std::lock_guard lock(mu_);
    return by_id_[id];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Outcome> by_id_;
};

// Holds the scheduler thread inside a sequence's `at`-th event until release(), so that a test
// acts at a known step however slowly its own thread runs (test-only: real callbacks must not
// block). Declare it after the scheduler: its destructor releases a forgotten gate first.
class Gate {
 public:
  ~Gate() { release(); }
  SequenceCallback wrap(SequenceCallback inner, int at) {
    return [this, inner = std::move(inner), at, n = 0](SequenceEvent&& ev) mutable {
      inner(std::move(ev));
      if (++n == at) {
        reached_.set_value();
        open_.wait();
      }
    };
  }
  void wait_reached() { reached_future_.wait(); }
  void release() {
    if (!released_.exchange(true)) opener_.set_value();
  }

 private:
  std::promise<void> reached_;
  std::shared_future<void> reached_future_ = reached_.get_future().share();
  std::promise<void> opener_;
  std::shared_future<void> open_ = opener_.get_future().share();
  std::atomic<bool> released_{false};
};

// The oracle: the same request run alone through Generator.
GenerateResult run_alone(const std::vector<int32_t>& prompt, int max_tokens, bool stop_at_eog,
                         int64_t ctx = 256, SamplingParams sampling = SamplingParams::greedy()) {
  ThreadPool pool(1);
  auto g = Generator::create(test_model(), pool,
                             {.type = DType::kF32, .block_size = 8, .max_positions = ctx});
  QWL_CHECK(g.ok(), "{}", g.status().to_string());
  auto r = g->generate(
      prompt,
      {.max_tokens = max_tokens, .sampling = std::move(sampling), .stop_at_eog = stop_at_eog});
  QWL_CHECK(r.ok(), "{}", r.status().to_string());
  return std::move(r).value();
}

SchedulerOptions small_options() {
  return {.n_threads = 1,
          .ctx_size = 128,
          .block_size = 8,
          .kv_type = DType::kF32,
          .max_running = 4,
          .max_queue = 16,
          .max_batch_tokens = 16};
}

SequenceParams greedy(std::vector<int32_t> prompt, int max_tokens, bool stop_at_eog = true) {
  SequenceParams p;
  p.prompt = std::move(prompt);
  p.max_tokens = max_tokens;
  p.sampling = SamplingParams::greedy();
  p.stop_at_eog = stop_at_eog;
  return p;
}

std::unique_ptr<Scheduler> make_scheduler(const SchedulerOptions& o) {
  auto s = Scheduler::create(test_model(), o);
  QWL_CHECK(s.ok(), "{}", s.status().to_string());
  return std::move(s).value();
}

// The key oracle: sequences of different lengths, batched together with chunked prefill and
// more requests than running slots (so they join and leave mid-generation), give each exactly
// the tokens and text it gets alone.
TEST(Scheduler, BatchedGreedyEqualsEachSequenceAlone) {
  auto sched = make_scheduler(small_options());
  Collector c;
  const int lengths[] = {5, 23, 1, 40, 9, 17, 30};
  const int max_tokens[] = {12, 7, 20, 10, 3, 15, 9};
  std::vector<uint64_t> ids;
  Gate gate;  // the first sequence's first event waits until every request is in
  for (int i = 0; i < 7; ++i) {
    auto id = sched->submit(greedy(make_prompt(lengths[i], i), max_tokens[i], i % 2 == 0),
                            i == 0 ? gate.wrap(c.callback(), 1) : c.callback());
    ASSERT_TRUE(id.ok()) << id.status().to_string();
    ids.push_back(*id);
  }
  gate.release();
  for (int i = 0; i < 7; ++i) {
    const Outcome o = c.wait(ids[i]);
    const GenerateResult ref = run_alone(make_prompt(lengths[i], i), max_tokens[i], i % 2 == 0);
    ASSERT_TRUE(o.error.ok()) << o.error.to_string();
    EXPECT_EQ(o.tokens, ref.tokens) << "sequence " << i;
    EXPECT_EQ(o.text, ref.text) << "sequence " << i;
    EXPECT_EQ(o.stop, ref.stop) << "sequence " << i;
    EXPECT_EQ(o.n_done, 1);
    EXPECT_EQ(o.usage.n_prompt, lengths[i]);
    EXPECT_EQ(o.usage.n_generated, static_cast<int64_t>(ref.tokens.size()));
  }
  const SchedulerStats st = sched->stats();
  EXPECT_EQ(st.finished, 7);
  EXPECT_EQ(st.running, 0);
  // Batched: far fewer steps than the 88 that these requests take one after another.
  EXPECT_LE(st.steps, 45) << st.steps;
  EXPECT_EQ(st.prompt_tokens, 125);
}

// Each sequence samples with its own seeded chain (penalties see its own prompt), so random
// draws do not depend on what else is in the batch.
TEST(Scheduler, SeededSamplingIsPerSequence) {
  auto sched = make_scheduler(small_options());
  Collector c;
  Gate gate;
  std::vector<uint64_t> ids;
  auto sampling = [](int i) {
    return SamplingParams{.temperature = 1.5f,
                          .top_k = 0,
                          .top_p = 1.0f,
                          .min_p = 0.0f,
                          .repeat_penalty = 1.1f,
                          .seed = static_cast<uint64_t>(100 + i)};
  };
  for (int i = 0; i < 4; ++i) {
    SequenceParams p = greedy(make_prompt(6 + 3 * i, i), 16, false);
    p.sampling = sampling(i);
    auto id = sched->submit(std::move(p), i == 0 ? gate.wrap(c.callback(), 1) : c.callback());
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  }
  gate.release();
  std::vector<std::vector<int32_t>> outputs;
  for (int i = 0; i < 4; ++i) {
    const Outcome o = c.wait(ids[static_cast<size_t>(i)]);
    EXPECT_EQ(o.tokens, run_alone(make_prompt(6 + 3 * i, i), 16, false, 256, sampling(i)).tokens)
        << i;
    outputs.push_back(o.tokens);
  }
  EXPECT_NE(outputs[0], outputs[1]);
}

TEST(Scheduler, SequenceJoinsWhileAnotherGenerates) {
  auto sched = make_scheduler(small_options());
  Collector c;
  std::atomic<uint64_t> late_id{0};
  const auto late_prompt = make_prompt(19, 5);
  SequenceCallback forward_events = c.callback();
  // The second request is submitted from the first one's event callback, at its 6th token.
  auto first =
      sched->submit(greedy(make_prompt(11, 4), 30, false), [&, n = 0](SequenceEvent&& ev) mutable {
        n += static_cast<int>(ev.tokens.size());
        if (n == 6) {
          auto id = sched->submit(greedy(late_prompt, 12, false), c.callback());
          EXPECT_TRUE(id.ok());
          late_id = id.ok() ? *id : 0;
        }
        forward_events(std::move(ev));
      });
  ASSERT_TRUE(first.ok());
  const Outcome a = c.wait(*first);
  ASSERT_NE(late_id.load(), 0u);
  const Outcome b = c.wait(late_id);
  EXPECT_EQ(a.tokens, run_alone(make_prompt(11, 4), 30, false).tokens);
  EXPECT_EQ(b.tokens, run_alone(late_prompt, 12, false).tokens);
  EXPECT_EQ(a.stop, StopReason::kMaxTokens);
  EXPECT_EQ(b.tokens.size(), 12u);
}

TEST(Scheduler, CancelEndsTheSequenceAndFreesItsBlocks) {
  SchedulerOptions o = small_options();
  o.prefix_cache = false;
  o.max_running = 1;
  auto sched = make_scheduler(o);
  Collector c;
  Gate gate;  // the running sequence's third event waits for both cancels
  auto running = sched->submit(greedy(make_prompt(20, 1), 100, false), gate.wrap(c.callback(), 3));
  auto queued = sched->submit(greedy(make_prompt(20, 2), 100, false), c.callback());
  ASSERT_TRUE(running.ok() && queued.ok());
  gate.wait_reached();
  EXPECT_GT(sched->stats().kv_blocks_used, 0);
  sched->cancel(*queued);  // still waiting: max_running is 1
  sched->cancel(*running);
  gate.release();
  const Outcome a = c.wait(*running), b = c.wait(*queued);
  EXPECT_EQ(a.stop, StopReason::kCancelled);
  EXPECT_TRUE(a.error.ok());
  EXPECT_EQ(a.tokens.size(), 3u);
  EXPECT_EQ(b.stop, StopReason::kCancelled);
  EXPECT_TRUE(b.tokens.empty());
  EXPECT_EQ(a.n_done + b.n_done, 2);
  const SchedulerStats st = sched->stats();
  EXPECT_EQ(st.kv_blocks_used, 0);
  EXPECT_EQ(st.running + st.queued, 0);
  sched->cancel(*running);  // finished ids are ignored
  sched->cancel(12345);
}

TEST(Scheduler, FullQueueIsResourceExhaustedAndBadRequestsAreInvalid) {
  SchedulerOptions o = small_options();
  o.max_running = 1;
  o.max_queue = 2;
  auto sched = make_scheduler(o);
  Collector c;
  Gate gate;  // `a` runs (the queue is empty again) and stays running while the test submits
  auto a = sched->submit(greedy(make_prompt(8, 1), 100, false), gate.wrap(c.callback(), 1));
  ASSERT_TRUE(a.ok());
  gate.wait_reached();
  auto b = sched->submit(greedy(make_prompt(8, 2), 5), c.callback());
  auto d = sched->submit(greedy(make_prompt(8, 3), 5), c.callback());
  ASSERT_TRUE(b.ok() && d.ok());
  auto e = sched->submit(greedy(make_prompt(8, 4), 5), c.callback());
  EXPECT_EQ(e.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(sched->stats().queued, 2);

  auto bad = [&](SequenceParams p) { return sched->submit(std::move(p), c.callback()).status(); };
  EXPECT_EQ(bad(greedy({}, 5)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad(greedy(make_prompt(100, 1), 29)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad(greedy({1, 2, 100000}, 5)).code(), StatusCode::kInvalidArgument);
  SequenceParams hot = greedy({1, 2}, 5);
  hot.sampling.temperature = -1.0f;
  EXPECT_EQ(bad(std::move(hot)).code(), StatusCode::kInvalidArgument);
  SequenceParams lp = greedy({1, 2}, 5);
  lp.top_logprobs = 21;
  EXPECT_EQ(bad(std::move(lp)).code(), StatusCode::kInvalidArgument);
  sched->cancel(*a);
  gate.release();
  EXPECT_EQ(c.wait(*a).stop, StopReason::kCancelled);
  EXPECT_EQ(c.wait(*b).tokens.size(), 5u);
  EXPECT_EQ(c.wait(*d).tokens.size(), 5u);
}

TEST(Scheduler, PrefixCacheHitGivesTheSameOutputAndCountsCachedTokens) {
  SchedulerOptions o = small_options();
  auto sched = make_scheduler(o);
  Collector c;
  // 37 tokens: 4 full blocks of 8 can be reused. 32 tokens: all 4 blocks match, and the last
  // prompt token is evaluated again in a copy of the last block.
  for (int n : {37, 32}) {
    const auto prompt = make_prompt(n, n);
    auto first = sched->submit(greedy(prompt, 10, false), c.callback());
    ASSERT_TRUE(first.ok());
    const Outcome a = c.wait(*first);
    auto second = sched->submit(greedy(prompt, 10, false), c.callback());
    ASSERT_TRUE(second.ok());
    const Outcome b = c.wait(*second);
    EXPECT_EQ(a.usage.n_cached, 0);
    EXPECT_EQ(b.usage.n_cached, n == 37 ? 32 : 31);
    EXPECT_EQ(b.tokens, a.tokens);
    EXPECT_EQ(b.tokens, run_alone(prompt, 10, false).tokens);
  }
  const SchedulerStats st = sched->stats();
  EXPECT_EQ(st.prefix_lookups, 4);
  EXPECT_EQ(st.prefix_hit_tokens, 63);
  EXPECT_GT(st.kv_blocks_cached, 0);
  // Only the cache holds blocks once everything has finished.
  EXPECT_EQ(st.kv_blocks_used, st.kv_blocks_cached);
}

TEST(Scheduler, GeneratedTokensAreCachedForTheNextTurn) {
  auto sched = make_scheduler(small_options());
  Collector c;
  const auto prompt = make_prompt(12, 9);
  auto first = sched->submit(greedy(prompt, 20, false), c.callback());
  ASSERT_TRUE(first.ok());
  const Outcome a = c.wait(*first);
  // The next turn: the whole conversation so far plus new tokens. 12 + 20 = 32 tokens were
  // seen, 31 evaluated: 3 full blocks.
  auto next = prompt;
  next.insert(next.end(), a.tokens.begin(), a.tokens.end());
  next.insert(next.end(), {5, 6, 7});
  auto second = sched->submit(greedy(next, 5, false), c.callback());
  ASSERT_TRUE(second.ok());
  const Outcome b = c.wait(*second);
  EXPECT_EQ(b.usage.n_cached, 24);
  EXPECT_EQ(b.tokens, run_alone(next, 5, false).tokens);
}

TEST(Scheduler, CacheNamespacesAreIsolated) {
  auto sched = make_scheduler(small_options());
  Collector c;
  const auto prompt = make_prompt(30, 3);
  auto run = [&](const std::string& ns) {
    SequenceParams p = greedy(prompt, 4, false);
    p.cache_namespace = ns;
    auto id = sched->submit(std::move(p), c.callback());
    EXPECT_TRUE(id.ok());
    return c.wait(*id);
  };
  EXPECT_EQ(run("key-a").usage.n_cached, 0);
  EXPECT_EQ(run("key-b").usage.n_cached, 0);
  EXPECT_EQ(run("").usage.n_cached, 0);
  const Outcome again = run("key-a");
  EXPECT_EQ(again.usage.n_cached, 24);
  EXPECT_EQ(again.tokens, run("key-b").tokens);
}

TEST(Scheduler, LeastRecentlyUsedPrefixesAreEvictedWhenBlocksRunShort) {
  SchedulerOptions o = small_options();
  o.ctx_size = 64;
  o.kv_blocks = 12;  // one sequence needs 8 (+1)
  o.max_running = 1;
  auto sched = make_scheduler(o);
  Collector c;
  auto run = [&](int salt) {
    auto id = sched->submit(greedy(make_prompt(20, salt), 4, false), c.callback());
    EXPECT_TRUE(id.ok());
    return c.wait(*id);
  };
  // Each run leaves 2 full blocks (23 positions evaluated) in the cache; eight runs leave more
  // than the cache can hold next to a running sequence.
  for (int salt = 0; salt < 8; ++salt) {
    const Outcome o1 = run(salt);
    ASSERT_TRUE(o1.error.ok()) << o1.error.to_string();
    EXPECT_EQ(o1.tokens, run_alone(make_prompt(20, salt), 4, false).tokens);
    EXPECT_LE(sched->stats().kv_blocks_used, 12);
  }
  EXPECT_GT(sched->stats().prefix_evicted_blocks, 0);
  // The latest prompt is still cached, the first one was evicted.
  EXPECT_EQ(run(7).usage.n_cached, 16);
  const Outcome old = run(0);
  EXPECT_EQ(old.usage.n_cached, 0);
  EXPECT_EQ(old.tokens, run_alone(make_prompt(20, 0), 4, false).tokens);
}

// Preemption under a small cache: sequences pushed back to the queue resume exactly.
TEST(Scheduler, PreemptedSequencesResumeWithTheSameTokens) {
  SchedulerOptions o = small_options();
  o.ctx_size = 64;
  o.block_size = 4;
  o.kv_blocks = 20;  // one sequence needs 16 (+1); four of them need far more
  auto sched = make_scheduler(o);
  Collector c;
  std::vector<uint64_t> ids;
  for (int i = 0; i < 4; ++i) {
    auto id = sched->submit(greedy(make_prompt(6 + i, i), 40, false), c.callback());
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  }
  for (int i = 0; i < 4; ++i) {
    const Outcome out = c.wait(ids[static_cast<size_t>(i)]);
    ASSERT_TRUE(out.error.ok()) << out.error.to_string();
    EXPECT_EQ(out.tokens, run_alone(make_prompt(6 + i, i), 40, false).tokens) << i;
    EXPECT_EQ(out.n_done, 1);
  }
  EXPECT_GT(sched->stats().preemptions, 0);
}

// Allows one token only; after `complete_after` tokens only the end token <|im_end|>.
class OnlyToken : public LogitsConstraint {
 public:
  OnlyToken(int32_t token, int32_t end, int complete_after, std::atomic<int>* accepted)
      : token_(token), end_(end), complete_after_(complete_after), accepted_(accepted) {}
  void apply(std::span<float> logits) override {
    const int32_t allowed = complete() ? end_ : token_;
    for (size_t i = 0; i < logits.size(); ++i)
      if (static_cast<int32_t>(i) != allowed) logits[i] = -INFINITY;
  }
  Status accept(int32_t token) override {
    if (token != (complete() ? end_ : token_))
      return InvalidArgumentError("token {} not allowed", token);
    ++n_;
    ++*accepted_;
    return Status::Ok();
  }
  bool complete() const override { return complete_after_ >= 0 && n_ >= complete_after_; }

 private:
  int32_t token_, end_;
  int complete_after_;
  int n_ = 0;
  std::atomic<int>* accepted_;
};

TEST(Scheduler, ConstraintMasksLogitsAndItsCompletionEndsTheSequence) {
  auto sched = make_scheduler(small_options());
  Collector c;
  const Tokenizer& tok = test_model().tokenizer();
  const int32_t x = tok.encode("x")[0];
  const int32_t im_end = *tok.token_id("<|im_end|>");
  std::atomic<int> accepted{0};

  SequenceParams p = greedy(make_prompt(10, 1), 6, false);
  p.sampling = SamplingParams{.temperature = 1.0f, .seed = 42};  // random draws, still only x
  p.constraint = std::make_unique<OnlyToken>(x, im_end, -1, &accepted);
  auto a = sched->submit(std::move(p), c.callback());
  ASSERT_TRUE(a.ok());
  const Outcome oa = c.wait(*a);
  EXPECT_EQ(oa.tokens, std::vector<int32_t>(6, x));
  EXPECT_EQ(oa.text, "xxxxxx");
  EXPECT_EQ(oa.stop, StopReason::kMaxTokens);
  EXPECT_EQ(accepted.load(), 6);

  // Complete after 3 tokens: the end token then ends it, although stop_at_eog is off.
  SequenceParams q = greedy(make_prompt(10, 2), 50, false);
  q.constraint = std::make_unique<OnlyToken>(x, im_end, 3, &accepted);
  auto b = sched->submit(std::move(q), c.callback());
  ASSERT_TRUE(b.ok());
  const Outcome ob = c.wait(*b);
  EXPECT_EQ(ob.tokens, (std::vector<int32_t>{x, x, x, im_end}));
  EXPECT_EQ(ob.text, "xxx");
  EXPECT_EQ(ob.stop, StopReason::kEog);
}

// Forces a text one byte token at a time.
class ForceText : public LogitsConstraint {
 public:
  ForceText(const Tokenizer& tok, const std::string& text) {
    for (char ch : text) ids_.push_back(tok.encode(std::string(1, ch))[0]);
  }
  void apply(std::span<float> logits) override {
    const int32_t allowed = ids_[std::min(n_, ids_.size() - 1)];
    for (size_t i = 0; i < logits.size(); ++i)
      if (static_cast<int32_t>(i) != allowed) logits[i] = -INFINITY;
  }
  Status accept(int32_t) override {
    ++n_;
    return Status::Ok();
  }
  bool complete() const override { return false; }

 private:
  std::vector<int32_t> ids_;
  size_t n_ = 0;
};

TEST(Scheduler, StopStringsEndTheTextBeforeTheMatchAndMaxTokensCounts) {
  auto sched = make_scheduler(small_options());
  Collector c;
  const Tokenizer& tok = test_model().tokenizer();
  SequenceParams p = greedy(make_prompt(7, 1), 40, false);
  p.constraint = std::make_unique<ForceText>(tok, "abc STOP def");
  p.stop = {"STOP", "zzz"};
  auto a = sched->submit(std::move(p), c.callback());
  ASSERT_TRUE(a.ok());
  const Outcome oa = c.wait(*a);
  EXPECT_EQ(oa.stop, StopReason::kStopString);
  EXPECT_EQ(oa.text, "abc ");
  EXPECT_EQ(oa.tokens.size(), 8u);  // the tokens up to the one completing the stop string

  SequenceParams q = greedy(make_prompt(7, 1), 5, false);
  q.constraint = std::make_unique<ForceText>(tok, "abcdefgh");
  q.stop = {"efg"};
  auto b = sched->submit(std::move(q), c.callback());
  ASSERT_TRUE(b.ok());
  const Outcome ob = c.wait(*b);
  EXPECT_EQ(ob.stop, StopReason::kMaxTokens);
  EXPECT_EQ(ob.tokens.size(), 5u);
  EXPECT_EQ(ob.text, "abcde");  // "e" was held back as a possible stop start, then flushed
}

TEST(Scheduler, ContextFullEndsAnUnboundedSequenceLikeGenerator) {
  SchedulerOptions o = small_options();
  o.ctx_size = 24;
  auto sched = make_scheduler(o);
  Collector c;
  const auto prompt = make_prompt(20, 6);
  auto id = sched->submit(greedy(prompt, 0, false), c.callback());
  ASSERT_TRUE(id.ok());
  const Outcome out = c.wait(*id);
  const GenerateResult ref = run_alone(prompt, 0, false, 24);
  EXPECT_EQ(out.stop, StopReason::kContextFull);
  EXPECT_EQ(ref.stop, StopReason::kContextFull);
  EXPECT_EQ(out.tokens, ref.tokens);
  EXPECT_EQ(out.tokens.size(), 5u);
}

TEST(Scheduler, LogprobsAreTheModelsLogSoftmax) {
  auto sched = make_scheduler(small_options());
  Collector c;
  const auto prompt = make_prompt(9, 2);
  SequenceParams p = greedy(prompt, 3, false);
  p.top_logprobs = 4;
  auto id = sched->submit(std::move(p), c.callback());
  ASSERT_TRUE(id.ok());
  const Outcome out = c.wait(*id);
  ASSERT_EQ(out.logprobs.size(), 3u);

  ThreadPool pool(1);
  auto g = Generator::create(test_model(), pool,
                             {.type = DType::kF32, .block_size = 8, .max_positions = 64});
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE(g->eval(prompt).ok());
  const auto row = g->last_logits();
  double sum = 0;
  for (float v : row) sum += std::exp(static_cast<double>(v));
  const TokenLogprob& first = out.logprobs[0];
  EXPECT_EQ(first.token, out.tokens[0]);
  EXPECT_NEAR(first.logprob, row[static_cast<size_t>(first.token)] - std::log(sum), 1e-3);
  for (const TokenLogprob& lp : out.logprobs) {
    ASSERT_EQ(lp.top.size(), 4u);
    EXPECT_EQ(lp.top[0].token, lp.token);  // greedy takes the most likely token
    EXPECT_FLOAT_EQ(lp.top[0].logprob, lp.logprob);
    double mass = 0;
    for (size_t i = 0; i < lp.top.size(); ++i) {
      EXPECT_LE(lp.top[i].logprob, 0.0f);
      if (i > 0) {
        EXPECT_LE(lp.top[i].logprob, lp.top[i - 1].logprob);
      }
      mass += std::exp(lp.top[i].logprob);
    }
    EXPECT_LE(mass, 1.0 + 1e-5);
  }
}

TEST(Scheduler, ShutdownWithWorkInFlightEndsEverySequenceOnce) {
  SchedulerOptions o = small_options();
  o.max_running = 2;
  auto sched = make_scheduler(o);
  Collector c;
  Gate gate;
  std::vector<uint64_t> ids;
  for (int i = 0; i < 6; ++i) {
    auto id = sched->submit(greedy(make_prompt(10, i), 100, false),
                            i == 0 ? gate.wrap(c.callback(), 2) : c.callback());
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  }
  // Shut down from another thread while the scheduler is mid-step, then let the step end.
  gate.wait_reached();
  std::thread closer([&] { sched->shutdown(); });
  std::this_thread::sleep_for(20ms);
  gate.release();
  closer.join();
  for (uint64_t id : ids) {
    const Outcome out = c.get(id);
    EXPECT_EQ(out.n_done, 1) << id;
    EXPECT_EQ(out.stop, StopReason::kCancelled) << id;
  }
  EXPECT_EQ(c.get(ids[5]).tokens.size(), 0u);
  EXPECT_EQ(sched->submit(greedy({1, 2}, 2), c.callback()).status().code(),
            StatusCode::kUnavailable);
  sched->shutdown();  // idempotent
}

TEST(Scheduler, IdleSchedulerTakesNoSteps) {
  auto sched = make_scheduler(small_options());
  Collector c;
  auto id = sched->submit(greedy(make_prompt(5, 1), 3, false), c.callback());
  ASSERT_TRUE(id.ok());
  c.wait(*id);
  const int64_t steps = sched->stats().steps;
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sched->stats().steps, steps);
  EXPECT_EQ(steps, 3);  // one prompt step (5 tokens fit the budget), two decode steps
}

TEST(Scheduler, CreateRejectsBadOptions) {
  SchedulerOptions o = small_options();
  o.kv_blocks = 5;  // 128 positions need 16 blocks of 8
  EXPECT_EQ(Scheduler::create(test_model(), o).status().code(), StatusCode::kInvalidArgument);
  o = small_options();
  o.max_batch_tokens = 2;
  EXPECT_EQ(Scheduler::create(test_model(), o).status().code(), StatusCode::kInvalidArgument);
  o = small_options();
  o.kv_type = DType::kQ8_0;
  EXPECT_EQ(Scheduler::create(test_model(), o).status().code(), StatusCode::kInvalidArgument);
  o = small_options();
  o.kv_memory_bytes = 1024;
  auto tiny = Scheduler::create(test_model(), o);
  EXPECT_EQ(tiny.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(tiny.status().message().find("kv_memory_bytes"), std::string::npos);
  o.kv_memory_bytes = 1 << 20;
  auto sized = Scheduler::create(test_model(), o);
  ASSERT_TRUE(sized.ok()) << sized.status().to_string();
  // Qwen3 test model: 2 layers, kv_width 32, f32: 2 * 2 * 32 * 4 * 8 = 4096 bytes per block.
  EXPECT_EQ((*sized)->options().kv_blocks, 256);
}

}  // namespace
}  // namespace qwl
