// Folding, splitting, stemming and query parsing of search text: the rules that decide what
// matches what, pinned word by word.
#include "services/text_segment.h"

#include <gtest/gtest.h>

namespace qwl::services {
namespace {

std::vector<std::string> texts(std::string_view s) {
  std::vector<std::string> out;
  for (TextToken& t : split_text(s)) out.push_back((t.cjk ? "zh:" : "") + t.text);
  return out;
}

std::vector<std::string> index_terms(std::string_view s, bool unigrams) {
  std::vector<std::string> out;
  std::vector<TextToken> scratch;
  for_each_index_term(s, unigrams, &scratch, [&](std::string term, bool first) {
    out.push_back((first ? "^" : "") + term);
  });
  return out;
}

using V = std::vector<std::string>;

TEST(TextSegment, FoldsCaseAccentsWidthAndSplitsDigits) {
  EXPECT_EQ(texts("Café CRÈME Brûlée"), (V{"cafe", "creme", "brulee"}));
  EXPECT_EQ(texts("Straße Œuvre Ærø"), (V{"strasse", "oeuvre", "aero"}));
  EXPECT_EQ(texts("ＡＢＣ１２３ ｏａｔ"), (V{"abc", "123", "oat"}));
  EXPECT_EQ(texts("Nǎichá 500ml, 1.5L!"), (V{"naicha", "500", "ml", "1", "5", "l"}));
  EXPECT_EQ(texts("women's T-shirt"), (V{"womens", "t", "shirt"}));
  EXPECT_EQ(texts("'quoted' ’word’"), (V{"quoted", "word"}));
  EXPECT_EQ(texts("ΑΒΓ Москва"), (V{"αβγ", "москва"}));
  // Combining accents (decomposed é) vanish; invalid UTF-8 separates.
  EXPECT_EQ(texts("cafe\xcc\x81 a\xff"
                  "b"),
            (V{"cafe", "a", "b"}));
}

TEST(TextSegment, CjkRunsAreTokensOfTheirOwn) {
  EXPECT_EQ(texts("珍珠奶茶Pearl Milk Tea（大杯）"),
            (V{"zh:珍珠奶茶", "pearl", "milk", "tea", "zh:大杯"}));
  EXPECT_EQ(texts("T恤 550毫升"), (V{"t", "zh:恤", "550", "zh:毫升"}));
  EXPECT_EQ(texts("抹茶・ラテ"), (V{"zh:抹茶", "zh:ラテ"}));
}

TEST(TextSegment, StemsPluralsToOneStem) {
  auto same = [](std::string_view a, std::string_view b) {
    EXPECT_EQ(stem_word(a), stem_word(b)) << a << " vs " << b;
  };
  same("latte", "lattes");
  same("berry", "berries");
  same("cookie", "cookies");
  same("glass", "glasses");
  same("box", "boxes");
  same("peach", "peaches");
  same("tomato", "tomatoes");
  same("oat", "oats");
  same("bus", "buses");
  same("candy", "candies");
  same("toy", "toys");
  same("coffee", "coffees");
  EXPECT_EQ(stem_word("glass"), "glass");
  EXPECT_EQ(stem_word("tea"), "tea");
  EXPECT_EQ(stem_word("ice"), "ice");
  EXPECT_EQ(stem_word("500"), "500");
  EXPECT_NE(stem_word("tea"), stem_word("team"));
  EXPECT_NE(stem_word("oat"), stem_word("goat"));
}

TEST(TextSegment, IndexTermsAreStemsBigramsAndNameUnigrams) {
  // ^ marks the terms that start the field.
  EXPECT_EQ(index_terms("Oat Lattes with Honey", false), (V{"^oat", "latt", "honey"}));
  EXPECT_EQ(index_terms("The Oat", false), (V{"^oat"}));
  EXPECT_EQ(index_terms("珍珠奶茶", true), (V{"^珍", "珠", "奶", "茶", "^珍珠", "珠奶", "奶茶"}));
  EXPECT_EQ(index_terms("珍珠奶茶", false), (V{"^珍珠", "珠奶", "奶茶"}));
  // A lone character is a term even without unigrams.
  EXPECT_EQ(index_terms("T恤", false), (V{"^t", "恤"}));
  EXPECT_EQ(index_terms("大杯 Latte", false), (V{"^大杯", "latt"}));
  std::vector<TextToken> scratch;
  EXPECT_EQ(for_each_index_term("the oat 奶茶", false, &scratch, [](std::string, bool) {}), 4);
}

TEST(TextSegment, ParsesQueriesIntoGroups) {
  std::vector<QueryGroup> g = parse_query("Oat Lattes with 燕麦");
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[0].word, "oat");
  EXPECT_EQ(g[1].word, "latt");
  EXPECT_EQ(g[1].raw, "lattes");
  EXPECT_TRUE(g[2].cjk);
  EXPECT_EQ(g[2].chars, (V{"燕", "麦"}));
  EXPECT_TRUE(g[2].last);
  EXPECT_FALSE(g[0].last);
  // 的 cuts a run; a query of stop words alone keeps them.
  g = parse_query("好喝的奶茶");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].chars, (V{"好", "喝"}));
  EXPECT_EQ(g[1].chars, (V{"奶", "茶"}));
  g = parse_query("the");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].word, "the");
  EXPECT_TRUE(parse_query("  ,;!  ").empty());
  // Long queries are cut.
  std::string many;
  for (int i = 0; i < 40; ++i) many += "word" + std::to_string(i) + " ";
  EXPECT_EQ(parse_query(many).size(), static_cast<size_t>(kMaxQueryGroups));
}

TEST(TextSegment, PhraseMatches) {
  auto m = [](std::string_view q, std::string_view name) {
    return match_phrase(phrase_tokens(q), phrase_tokens(name));
  };
  EXPECT_TRUE(m("oat latte", "Iced Oat Latte").phrase);
  EXPECT_FALSE(m("oat latte", "Iced Oat Latte").starts);
  EXPECT_TRUE(m("oat lattes", "Oat Latte").equals);
  EXPECT_TRUE(m("oat latte", "Oat Latte (Large)").starts);
  EXPECT_FALSE(m("oat latte", "Oat Latte (Large)").equals);
  EXPECT_FALSE(m("latte oat", "Oat Latte").phrase);
  EXPECT_FALSE(m("oat", "Goat Cheese").phrase);
  EXPECT_TRUE(m("奶茶", "珍珠奶茶").phrase);
  EXPECT_FALSE(m("奶茶", "珍珠奶茶").starts);
  EXPECT_TRUE(m("珍珠", "珍珠奶茶").starts);
  EXPECT_TRUE(m("珍珠奶茶", "珍珠奶茶").equals);
  EXPECT_FALSE(m("奶茶", "牛奶 红茶").phrase);
}

TEST(TextSegment, EditDistanceCountsTranspositionsAndStopsEarly) {
  EXPECT_EQ(edit_distance("latte", "latte", 2), 0);
  EXPECT_EQ(edit_distance("latte", "latet", 2), 1);
  EXPECT_EQ(edit_distance("latte", "late", 2), 1);
  EXPECT_EQ(edit_distance("latte", "lattes", 2), 1);
  EXPECT_EQ(edit_distance("latte", "mocha", 1), 2);
  EXPECT_EQ(edit_distance("espresso", "expresso", 2), 1);
  EXPECT_EQ(edit_distance("a", "abcd", 1), 2);
}

}  // namespace
}  // namespace qwl::services
