#include "runtime/generator.h"

#include <gtest/gtest.h>

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
