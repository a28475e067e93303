// Tests of the Qwen2 pre-tokenizer split. The expected pieces are what the reference regex (in
// JavaScript, as the oracle runs it) gives for the same strings.
#include "tokenizer/pretokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qwl {
namespace {

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string_view> pieces;
  split_qwen2(text, &pieces);
  return {pieces.begin(), pieces.end()};
}

using Pieces = std::vector<std::string>;

TEST(Qwen2Split, WordsAndCjk) {
  EXPECT_EQ(split("Hello world! 你好，世界。"),
            (Pieces{"Hello", " world", "!", " 你好", "，世界", "。"}));
  EXPECT_EQ(split("naïve café"), (Pieces{"naïve", " café"}));
}

TEST(Qwen2Split, ContractionsAreAsciiCaseInsensitive) {
  EXPECT_EQ(
      split("I'm DON'T it's we'VE they'll 'tis"),
      (Pieces{"I", "'m", " DON", "'T", " it", "'s", " we", "'VE", " they", "'ll", " '", "tis"}));
  EXPECT_EQ(split("'x 'S '"), (Pieces{"'x", " '", "S", " '"}));
}

TEST(Qwen2Split, NumbersAreSingleCharacters) {
  EXPECT_EQ(split("1234567 3.14 ½²"),
            (Pieces{"1", "2", "3", "4", "5", "6", "7", " ", "3", ".", "1", "4", " ", "½", "²"}));
  EXPECT_EQ(split("$100.00 (approx.)"),
            (Pieces{"$", "1", "0", "0", ".", "0", "0", " (", "approx", ".)"}));
}

TEST(Qwen2Split, Whitespace) {
  EXPECT_EQ(split("a  b   c\t\td"), (Pieces{"a", " ", " b", "  ", " c", "\t", "\td"}));
  EXPECT_EQ(split("line1\r\nline2\n\n  \n end  "),
            (Pieces{"line", "1", "\r\n", "line", "2", "\n\n  \n", " end", "  "}));
  EXPECT_EQ(split("  !!  ??\n\nfoo"), (Pieces{" ", " !!", " ", " ??\n\n", "foo"}));
  EXPECT_EQ(split("x = y + 1;\n    return x;"),
            (Pieces{"x", " =", " y", " +", " ", "1", ";\n", "   ", " return", " x", ";"}));
  EXPECT_EQ(split("   "), (Pieces{"   "}));
  EXPECT_EQ(split("\n"), (Pieces{"\n"}));
  EXPECT_EQ(split("\xC2\xA0word \xE3\x80\x80全角"),
            (Pieces{"\xC2\xA0word", " ", "\xE3\x80\x80全角"}));
}

TEST(Qwen2Split, JavaScriptWhitespaceClass) {
  // U+FEFF is whitespace for the reference and may prefix a letter run; U+0085 is not whitespace.
  EXPECT_EQ(split("\xEF\xBB\xBF"
                  "bom"),
            (Pieces{"\xEF\xBB\xBF"
                    "bom"}));
  EXPECT_EQ(split("x\xC2\x85y"), (Pieces{"x", "\xC2\x85y"}));
}

TEST(Qwen2Split, EmojiAndMarks) {
  EXPECT_EQ(split("👍🏽 👨‍👩‍👧 ok"),
            (Pieces{"👍🏽", " 👨‍👩‍👧", " ok"}));
  EXPECT_EQ(split("a\xCC\x81"
                  "bc"),
            (Pieces{"a",
                    "\xCC\x81"
                    "bc"}));
}

TEST(Qwen2Split, PiecesCoverTheText) {
  const std::string text = "mixed 123 文字\r\n\t ¿qué? (ok) 'LL\n\n\n";
  std::string joined;
  for (const std::string& p : split(text)) {
    EXPECT_FALSE(p.empty());
    joined += p;
  }
  EXPECT_EQ(joined, text);
  EXPECT_TRUE(split("").empty());
}

TEST(Qwen2Split, LongRunsAreLinear) {
  // 200k spaces then a letter: one run piece and " x"; a backtracking regex would be quadratic.
  const std::string text = std::string(200000, ' ') + "x";
  EXPECT_EQ(split(text), (Pieces{std::string(199999, ' '), " x"}));
  const std::string newlines = std::string(100000, '\n') + std::string(100000, ' ');
  EXPECT_EQ(split(newlines), (Pieces{std::string(100000, '\n'), std::string(100000, ' ')}));
}

}  // namespace
}  // namespace qwl
