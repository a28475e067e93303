#include "runtime/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace qwl {
namespace {

std::vector<float> logits_of(std::initializer_list<float> v) {
  return std::vector<float>(v);
}

TEST(Sampler, GreedyPicksArgmaxAndLowestIdOnTies) {
  SamplerChain chain(SamplingParams::greedy());
  EXPECT_EQ(chain.sample(logits_of({0.1f, 2.0f, -1.0f, 2.0f})), 1);
  EXPECT_EQ(chain.describe(), "greedy");
}

TEST(Sampler, SameSeedSameSequence) {
  SamplingParams p{.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = 7};
  std::vector<float> logits(50);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(static_cast<float>(i));
  SamplerChain a(p), b(p);
  std::vector<int32_t> sa, sb;
  for (int i = 0; i < 100; ++i) {
    sa.push_back(a.sample(logits));
    sb.push_back(b.sample(logits));
  }
  EXPECT_EQ(sa, sb);
  p.seed = 8;
  SamplerChain c(p);
  std::vector<int32_t> sc;
  for (int i = 0; i < 100; ++i) sc.push_back(c.sample(logits));
  EXPECT_NE(sa, sc);
}

TEST(Sampler, DistributionFollowsSoftmax) {
  // Two tokens with logits 0 and log(3): expect a 1:3 split.
  SamplingParams p{.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = 1};
  SamplerChain chain(p);
  std::vector<float> logits = {0.0f, std::log(3.0f)};
  int ones = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) ones += chain.sample(logits);
  EXPECT_NEAR(static_cast<double>(ones) / n, 0.75, 0.015);
}

TEST(Sampler, TopKAndTopPAndMinPRestrictTheChoice) {
  std::vector<float> logits = {5.0f, 4.9f, 1.0f, 0.0f, -1.0f};
  for (auto p : {SamplingParams{.temperature = 1.0f, .top_k = 2, .top_p = 1.0f, .min_p = 0.0f},
                 SamplingParams{.temperature = 1.0f, .top_k = 0, .top_p = 0.9f, .min_p = 0.0f},
                 SamplingParams{.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.5f}}) {
    SamplerChain chain(p);
    for (int i = 0; i < 500; ++i) {
      int32_t t = chain.sample(logits);
      ASSERT_TRUE(t == 0 || t == 1) << chain.describe() << " chose " << t;
    }
  }
}

TEST(Sampler, LogitBiasBansAndForces) {
  SamplingParams p = SamplingParams::greedy();
  p.logit_bias[0] = -INFINITY;
  p.logit_bias[3] = 100.0f;
  SamplerChain chain(p);
  EXPECT_EQ(chain.sample(logits_of({9.0f, 1.0f, 2.0f, 0.0f})), 3);
}

TEST(Sampler, PenaltiesDiscourageRecentTokens) {
  SamplingParams p = SamplingParams::greedy();
  p.repeat_penalty = 2.0f;
  SamplerChain chain(p);
  std::vector<float> logits = {3.0f, 2.0f};
  EXPECT_EQ(chain.sample(logits), 0);
  chain.accept(0);  // 3/2 = 1.5 < 2
  EXPECT_EQ(chain.sample(logits), 1);

  SamplingParams f = SamplingParams::greedy();
  f.frequency_penalty = 0.6f;
  SamplerChain freq(f);
  freq.accept(0);
  EXPECT_EQ(freq.sample(logits), 0);  // 3 - 0.6 = 2.4 > 2
  freq.accept(0);
  EXPECT_EQ(freq.sample(logits), 1);  // 3 - 1.2 = 1.8 < 2
  freq.reset();
  EXPECT_EQ(freq.sample(logits), 0);
}

TEST(Sampler, ValidateRejectsBadParams) {
  EXPECT_FALSE(SamplingParams{.temperature = -1.0f}.validate(10).ok());
  EXPECT_FALSE(SamplingParams{.top_p = 0.0f}.validate(10).ok());
  SamplingParams p;
  p.logit_bias[10] = 1.0f;
  EXPECT_EQ(p.validate(10).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(SamplingParams{}.validate(10).ok());
}

}  // namespace
}  // namespace qwl
