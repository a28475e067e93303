// Tests of pattern -> grammar: the regex subset, JSON escaping of the matched characters, the
// search semantics of unanchored patterns, and the errors for unsupported constructs.
#include "runtime/constraint_regex.h"

#include <gtest/gtest.h>

#include <string>

namespace qwl {
namespace {

// Whether the JSON string `quoted` (with its quotes) matches `pattern`.
bool pattern_matches(std::string_view pattern, std::string_view quoted) {
  Grammar g;
  Result<GrammarExpr> content = json_string_pattern(&g, pattern);
  EXPECT_TRUE(content.ok()) << pattern << ": " << content.status().to_string();
  if (!content.ok()) return false;
  g.add_rule("root", g.seq({g.literal("\""), *content, g.literal("\"")}));
  auto c = CompiledGrammar::compile(g);
  EXPECT_TRUE(c.ok());
  return GrammarMatcher::matches(*c, quoted);
}

TEST(ConstraintRegexTest, Basics) {
  EXPECT_TRUE(pattern_matches("^abc$", R"("abc")"));
  EXPECT_FALSE(pattern_matches("^abc$", R"("abcd")"));
  EXPECT_TRUE(pattern_matches("^a.c$", R"("a-c")"));
  EXPECT_FALSE(pattern_matches("^a.c$", R"("a\nc")"));  // '.' excludes newlines
  EXPECT_TRUE(pattern_matches("^(ab|cd)+$", R"("abcdab")"));
  EXPECT_FALSE(pattern_matches("^(ab|cd)+$", R"("abc")"));
  EXPECT_TRUE(pattern_matches("^(?:x|y){2,3}z?$", R"("xyx")"));
  EXPECT_TRUE(pattern_matches("^(?:x|y){2,3}z?$", R"("xyz")"));
  EXPECT_FALSE(pattern_matches("^(?:x|y){2,3}z?$", R"("x")"));
  EXPECT_TRUE(pattern_matches("^a{3}$", R"("aaa")"));
  EXPECT_FALSE(pattern_matches("^a{3}$", R"("aa")"));
  EXPECT_TRUE(pattern_matches("^a{2,}$", R"("aaaaa")"));
  EXPECT_TRUE(pattern_matches("^a+?b*?$", R"("aab")"));  // lazy quantifiers
  EXPECT_TRUE(pattern_matches("^(?<year>\\d{4})$", R"("2024")"));
  EXPECT_TRUE(pattern_matches("^a{,2}$", R"("a{,2}")"));   // not a quantifier: literal
  EXPECT_TRUE(pattern_matches("^[]$", R"("")") == false);  // the empty class matches nothing
}

TEST(ConstraintRegexTest, ClassesAndEscapes) {
  EXPECT_TRUE(pattern_matches("^[a-c0-2_]+$", R"("a0_c2")"));
  EXPECT_FALSE(pattern_matches("^[a-c0-2_]+$", R"("d")"));
  EXPECT_TRUE(pattern_matches("^[^a-z]+$", R"("ABC123")"));
  EXPECT_FALSE(pattern_matches("^[^a-z]+$", R"("aB")"));
  EXPECT_TRUE(pattern_matches("^\\d\\w\\s$", R"("1_ ")"));
  EXPECT_TRUE(pattern_matches("^\\D\\W\\S$", R"("a-x")"));
  EXPECT_TRUE(pattern_matches("^\\x41\\u0042\\u{43}$", R"("ABC")"));
  EXPECT_TRUE(pattern_matches("^a\\.b\\*$", R"("a.b*")"));
  EXPECT_FALSE(pattern_matches("^a\\.b$", R"("axb")"));
  EXPECT_TRUE(pattern_matches("^[\\d.-]+$", R"("1.5-2")"));
  EXPECT_TRUE(pattern_matches("^\\cJ$", R"("\n")"));
  // Non-ASCII: classes of code points, raw UTF-8 in the JSON text.
  EXPECT_TRUE(pattern_matches("^[\xE4\xB8\x80-\xE9\xBE\xA5]{2}$", "\"\xE4\xB8\xAD\xE6\x96\x87\""));
  EXPECT_FALSE(pattern_matches("^[\xE4\xB8\x80-\xE9\xBE\xA5]{2}$", "\"ab\""));
}

TEST(ConstraintRegexTest, JsonEscapingOfMatchedCharacters) {
  // '"' and '\' must be escaped in the JSON text; '/' may be.
  EXPECT_TRUE(pattern_matches("^a\"b$", R"("a\"b")"));
  EXPECT_FALSE(pattern_matches("^a\"b$", R"("a"b")"));
  EXPECT_TRUE(pattern_matches("^\\\\$", R"("\\")"));
  EXPECT_TRUE(pattern_matches("^/$", R"("/")"));
  EXPECT_TRUE(pattern_matches("^/$", R"("\/")"));
  // Controls: short escapes or \u00XX, never raw.
  EXPECT_TRUE(pattern_matches("^\\t$", R"("\t")"));
  EXPECT_TRUE(pattern_matches("^\\t$", R"("\u0009")"));
  EXPECT_FALSE(pattern_matches("^\\t$", "\"\t\""));
  EXPECT_TRUE(pattern_matches("^[\\x00-\\x1f]$", R"("\u001F")"));
  EXPECT_TRUE(pattern_matches("^[\\x00-\\x1f]$", R"("\n")"));
  EXPECT_TRUE(pattern_matches("^\\x7f$", R"("\u007f")"));
  // Ordinary characters are not \u-escaped inside patterns.
  EXPECT_FALSE(pattern_matches("^a$", R"("\u0061")"));
}

TEST(ConstraintRegexTest, UnanchoredPatternsSearch) {
  EXPECT_TRUE(pattern_matches("b+", R"("abbbc")"));
  EXPECT_FALSE(pattern_matches("b+", R"("ac")"));
  EXPECT_TRUE(pattern_matches("^ab", R"("abzz")"));
  EXPECT_FALSE(pattern_matches("^ab", R"("zab")"));
  EXPECT_TRUE(pattern_matches("yz$", R"("xxyz")"));
  EXPECT_FALSE(pattern_matches("yz$", R"("yzx")"));
  EXPECT_TRUE(pattern_matches("^a$|b", R"("xbx")"));
  EXPECT_TRUE(pattern_matches("^a$|b", R"("a")"));
  EXPECT_FALSE(pattern_matches("^a$|b", R"("ax")"));
}

TEST(ConstraintRegexTest, Errors) {
  struct Case {
    const char* pattern;
    StatusCode code;
    const char* needle;
  };
  const Case cases[] = {
      {"(?=a)", StatusCode::kUnsupported, "lookahead"},
      {"(?!a)", StatusCode::kUnsupported, "lookahead"},
      {"(?<=a)b", StatusCode::kUnsupported, "lookbehind"},
      {"(?<!a)b", StatusCode::kUnsupported, "lookbehind"},
      {"(a)\\1", StatusCode::kUnsupported, "backreference"},
      {"(?<n>a)\\k<n>", StatusCode::kUnsupported, "backreference"},
      {"\\bword", StatusCode::kUnsupported, "word boundary"},
      {"\\p{L}", StatusCode::kUnsupported, "Unicode property"},
      {"a(^b)", StatusCode::kUnsupported, "anchor"},
      {"a{2000}", StatusCode::kUnsupported, "repetition bound"},
      {"(a", StatusCode::kInvalidArgument, "unterminated group"},
      {"a)", StatusCode::kInvalidArgument, "unmatched ')'"},
      {"[a", StatusCode::kInvalidArgument, "unterminated class"},
      {"[z-a]", StatusCode::kInvalidArgument, "out of order"},
      {"a{3,2}", StatusCode::kInvalidArgument, "out of order"},
      {"+", StatusCode::kInvalidArgument, "nothing to repeat"},
      {"a**", StatusCode::kInvalidArgument, "nothing to repeat"},
      {"\\", StatusCode::kInvalidArgument, "ends with"},
      {"\\xZZ", StatusCode::kInvalidArgument, "hex"},
      {"\xC3", StatusCode::kInvalidArgument, "UTF-8"},
  };
  for (const Case& c : cases) {
    Grammar g;
    Result<GrammarExpr> e = json_string_pattern(&g, c.pattern);
    ASSERT_FALSE(e.ok()) << c.pattern;
    EXPECT_EQ(e.status().code(), c.code) << c.pattern << ": " << e.status().to_string();
    EXPECT_NE(e.status().message().find(c.needle), std::string::npos)
        << c.pattern << ": " << e.status().message();
  }
}

TEST(ConstraintRegexTest, AnyCharAcceptsValidEscapesOnly) {
  Grammar g;
  g.add_rule("root", g.seq({g.literal("\""), g.star(json_string_any_char(&g)), g.literal("\"")}));
  auto c = *CompiledGrammar::compile(g);
  for (const char* good : {R"("")", R"("\"\\\/\b\f\n\r\t")", R"("\u0000\uFFFF\ud7ff\uE000")",
                           R"("\uD83D\uDE00")", "\"\xF0\x9F\x98\x80\"", "\"\xC2\xA0\""}) {
    EXPECT_TRUE(GrammarMatcher::matches(c, good)) << good;
  }
  for (const char* bad : {R"("\a")", R"("\u12")", R"("\uD800")", R"("\uDC00")", R"("\uD800\u0041")",
                          "\"\x01\"", "\"\x7F\"", "\"\xC2\x85\"", "\"\xFF\""}) {
    EXPECT_FALSE(GrammarMatcher::matches(c, bad)) << bad;
  }
}

}  // namespace
}  // namespace qwl
