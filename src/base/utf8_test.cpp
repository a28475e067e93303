// UTF-8 helpers: encoding, and cutting text short on a character boundary.
#include "base/utf8.h"

#include <gtest/gtest.h>

namespace qwl {
namespace {

TEST(Utf8, EncodesEachLength) {
  std::string s;
  for (char32_t cp : {U'a', U'\u00e9', U'\u4f60', U'\U0001F600'}) utf8_encode(cp, &s);
  EXPECT_EQ(s, "a\u00e9\u4f60\U0001F600");
}

TEST(Utf8, PrefixNeverSplitsACharacter) {
  const std::string text = "ab\u4f60\u597d";  // 2 + 3 + 3 bytes
  EXPECT_EQ(utf8_prefix(text, 100), text);
  EXPECT_EQ(utf8_prefix(text, 8), text);
  EXPECT_EQ(utf8_prefix(text, 7), "ab\u4f60");
  EXPECT_EQ(utf8_prefix(text, 5), "ab\u4f60");
  EXPECT_EQ(utf8_prefix(text, 4), "ab");
  EXPECT_EQ(utf8_prefix(text, 2), "ab");
  EXPECT_EQ(utf8_prefix(text, 0), "");
}

TEST(Utf8, ShortenAddsTheMarkOnlyWhenCut) {
  EXPECT_EQ(utf8_shorten("short", 40), "short");
  EXPECT_EQ(utf8_shorten("ab\u4f60\u597d", 4), "ab...");
  EXPECT_EQ(utf8_shorten("abcdef", 3, " (cut)"), "abc (cut)");
}

}  // namespace
}  // namespace qwl
