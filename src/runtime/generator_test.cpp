#include "runtime/generator.h"

#include <gtest/gtest.h>

#include <cmath>

namespace qwl {
namespace {

TEST(StopMatcher, HoldsBackPossiblePrefixesAndCutsAtTheStop) {
  StopMatcher m({"</answer>", "STOP"});
  EXPECT_EQ(m.push("hello </an"), "hello ");
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(m.push("swer> tail"), "");
  EXPECT_TRUE(m.stopped());
}

TEST(StopMatcher, ReleasesHeldTextWhenItStopsMatching) {
  StopMatcher m({"STOP"});
  EXPECT_EQ(m.push("ST"), "");
  EXPECT_EQ(m.push("ART"), "START");
  EXPECT_EQ(m.push("S"), "");
  EXPECT_EQ(m.flush(), "S");
  EXPECT_FALSE(m.stopped());
}

TEST(StopMatcher, EarliestStopWins) {
  StopMatcher m({"bb", "a"});
  EXPECT_EQ(m.push("xxbba"), "xx");
  EXPECT_TRUE(m.stopped());
}

TEST(StopMatcher, NoStopsPassesEverything) {
  StopMatcher m({});
  EXPECT_EQ(m.push("anything"), "anything");
  EXPECT_EQ(m.flush(), "");
}

}  // namespace
}  // namespace qwl

#include "model/test_model.h"

namespace qwl {
namespace {

std::unique_ptr<Model> load_test_model(const std::string& name, testing::TestModelSpec spec = {}) {
  const std::string path = std::string(::testing::TempDir()) + "/" + name + ".gguf";
  Status s = testing::write_test_model(path, spec);
  EXPECT_TRUE(s.ok()) << s.to_string();
  auto m = Model::load(path);
  EXPECT_TRUE(m.ok()) << m.status().to_string();
  return m.ok() ? std::move(m).value() : nullptr;
}

TEST(Generator, ChunkedPromptMatchesOneChunk) {
  auto model = load_test_model("gen-chunks", {.arch = Arch::kQwen3});
  ThreadPool pool(2);
  std::vector<int32_t> prompt;
  for (int i = 0; i < 37; ++i) prompt.push_back((i * 31) % 250);
  auto a =
      Generator::create(*model, pool, {.type = DType::kF32, .block_size = 8, .max_positions = 64});
  auto b =
      Generator::create(*model, pool, {.type = DType::kF32, .block_size = 3, .max_positions = 64});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(a->eval(prompt, true, 256).ok());
  ASSERT_TRUE(b->eval(prompt, true, 5).ok());
  auto la = a->last_logits(), lb = b->last_logits();
  ASSERT_EQ(la.size(), lb.size());
  ASSERT_EQ(la.size(), prompt.size() * static_cast<size_t>(model->config().n_vocab));
  for (size_t i = 0; i < la.size(); ++i)
    ASSERT_NEAR(la[i], lb[i], 1e-4f * (1 + std::fabs(la[i]))) << i;
}

TEST(Generator, GreedyIsDeterministicAndSeedsReproduce) {
  auto model = load_test_model("gen-det");
  ThreadPool pool(2);
  const std::vector<int32_t> prompt = {10, 20, 30};
  auto run = [&](const SamplingParams& p) {
    auto g = Generator::create(*model, pool, {.max_positions = 128});
    EXPECT_TRUE(g.ok());
    auto r = g->generate(prompt, {.max_tokens = 20, .sampling = p, .stop_at_eog = false});
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r->tokens;
  };
  EXPECT_EQ(run(SamplingParams::greedy()), run(SamplingParams::greedy()));
  SamplingParams p{.temperature = 1.5f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = 3};
  EXPECT_EQ(run(p), run(p));
  EXPECT_EQ(run(p).size(), 20u);
}

TEST(Generator, StopsAtContextLimitWithAClearReason) {
  auto model = load_test_model("gen-ctx");
  ThreadPool pool(1);
  auto g = Generator::create(*model, pool, {.block_size = 4, .max_positions = 12});
  ASSERT_TRUE(g.ok());
  auto r =
      g->generate(std::vector<int32_t>{1, 2, 3, 4, 5},
                  {.max_tokens = 100, .sampling = SamplingParams::greedy(), .stop_at_eog = false});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->stop, StopReason::kContextFull);
  EXPECT_EQ(g->n_past(), 12);
  // A prompt longer than the context is an error, not a crash.
  g->clear();
  std::vector<int32_t> long_prompt(13, 7);
  auto over = g->generate(long_prompt, {.max_tokens = 1});
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kOutOfRange);
}

TEST(Generator, BannedTokensAreNeverSampled) {
  auto model = load_test_model("gen-ban");
  ThreadPool pool(1);
  auto g = Generator::create(*model, pool, {.max_positions = 64});
  ASSERT_TRUE(g.ok());
  SamplingParams p = SamplingParams::greedy();
  auto first = g->generate(std::vector<int32_t>{65, 66},
                           {.max_tokens = 1, .sampling = p, .stop_at_eog = false});
  ASSERT_TRUE(first.ok());
  const int32_t favourite = first->tokens[0];
  g->clear();
  p.logit_bias[favourite] = -INFINITY;
  auto second = g->generate(std::vector<int32_t>{65, 66},
                            {.max_tokens = 1, .sampling = p, .stop_at_eog = false});
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->tokens[0], favourite);
}

}  // namespace
}  // namespace qwl
