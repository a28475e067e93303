// Tests of the added-token split: left to right, longest match at each position.
#include "tokenizer/added_tokens.h"

#include <gtest/gtest.h>

namespace qwl {
namespace {

using Segment = AddedTokenMatcher::Segment;

std::vector<std::pair<std::string, int32_t>> split(const AddedTokenMatcher& m,
                                                   std::string_view text) {
  std::vector<Segment> segs;
  m.split(text, &segs);
  std::vector<std::pair<std::string, int32_t>> out;
  for (const Segment& s : segs) out.emplace_back(std::string(s.text), s.id);
  return out;
}

TEST(AddedTokens, SplitsAroundTokens) {
  AddedTokenMatcher m;
  m.add("<|im_start|>", 1);
  m.add("<|im_end|>", 2);
  m.add("<think>", 3);
  using V = std::vector<std::pair<std::string, int32_t>>;
  EXPECT_EQ(split(m, "<|im_start|>user\nhi<|im_end|>"),
            (V{{"<|im_start|>", 1}, {"user\nhi", -1}, {"<|im_end|>", 2}}));
  EXPECT_EQ(split(m, "a<think><think>b"),
            (V{{"a", -1}, {"<think>", 3}, {"<think>", 3}, {"b", -1}}));
  EXPECT_EQ(split(m, "<|im_sta<|im_end|"), (V{{"<|im_sta<|im_end|", -1}}));  // partial: text
  EXPECT_EQ(split(m, "<<|im_end|>>"), (V{{"<", -1}, {"<|im_end|>", 2}, {">", -1}}));
  EXPECT_TRUE(split(m, "").empty());
}

TEST(AddedTokens, LongestMatchWins) {
  AddedTokenMatcher m;
  m.add("<a>", 1);
  m.add("<a><b>", 2);
  m.add("<a><", 3);
  using V = std::vector<std::pair<std::string, int32_t>>;
  EXPECT_EQ(split(m, "<a><b>"), (V{{"<a><b>", 2}}));
  EXPECT_EQ(split(m, "<a><c>"), (V{{"<a><", 3}, {"c>", -1}}));
  EXPECT_EQ(split(m, "<a>"), (V{{"<a>", 1}}));
}

TEST(AddedTokens, EmptyMatcherKeepsText) {
  AddedTokenMatcher m;
  EXPECT_TRUE(m.empty());
  m.add("", 5);
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(split(m, "<|im_start|>").size(), 1u);
}

}  // namespace
}  // namespace qwl
