// Tests of byte grammars: construction, UTF-8 code point sets, compilation and matching
// (calls, recursion, repetition bounds, special tokens, the context analysis of position()).
#include "runtime/grammar.h"

#include <gtest/gtest.h>

#include <string>

#include "base/utf8.h"

namespace qwl {
namespace {

std::shared_ptr<const CompiledGrammar> compile(const Grammar& g,
                                               const SpecialTokenResolver& resolver = {}) {
  auto c = CompiledGrammar::compile(g, resolver);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return c.ok() ? *c : nullptr;
}

bool matches(const std::shared_ptr<const CompiledGrammar>& g, std::string_view text) {
  return GrammarMatcher::matches(g, text);
}

TEST(GrammarTest, LiteralSeqAltRepeat) {
  Grammar g;
  const GrammarExpr ab = g.alt({g.literal("a"), g.literal("bc")});
  g.add_rule("root", g.seq({g.literal("x"), g.repeat(ab, 1, 3), g.literal("y")}));
  auto c = compile(g);
  EXPECT_TRUE(matches(c, "xay"));
  EXPECT_TRUE(matches(c, "xbcay"));
  EXPECT_TRUE(matches(c, "xabcay"));
  EXPECT_FALSE(matches(c, "xy"));      // fewer than min
  EXPECT_FALSE(matches(c, "xaaaay"));  // more than max
  EXPECT_FALSE(matches(c, "xby"));     // "b" alone is not an item
  EXPECT_FALSE(matches(c, "xay "));    // trailing byte
  EXPECT_FALSE(matches(c, "xa"));      // incomplete
}

TEST(GrammarTest, UnboundedRepeatAndEmpty) {
  Grammar g;
  g.add_rule("root", g.seq({g.star(g.byte_set({{'0', '9'}})), g.optional(g.literal("."))}));
  auto c = compile(g);
  EXPECT_TRUE(matches(c, ""));
  EXPECT_TRUE(matches(c, "0123456789012345"));
  EXPECT_TRUE(matches(c, "12."));
  EXPECT_FALSE(matches(c, "1.2"));
}

TEST(GrammarTest, CodepointSetAcceptsExactlyTheUtf8Encodings) {
  Grammar g;
  // Everything but ASCII controls and '"'.
  g.add_rule("root", g.star(g.codepoint_set({{0x20, 0x21}, {0x23, 0x10FFFF}})));
  auto c = compile(g);
  for (char32_t cp : {char32_t{0x20}, char32_t{0x7E}, char32_t{0x80}, char32_t{0x7FF},
                      char32_t{0x800}, char32_t{0xD7FF}, char32_t{0xE000}, char32_t{0xFFFF},
                      char32_t{0x10000}, char32_t{0x10FFFF}, char32_t{0x4E2D}}) {
    std::string s;
    utf8_encode(cp, &s);
    EXPECT_TRUE(matches(c, s)) << std::hex << static_cast<uint32_t>(cp);
  }
  EXPECT_FALSE(matches(c, "\""));
  EXPECT_FALSE(matches(c, "\n"));
  EXPECT_FALSE(matches(c, "\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(matches(c, "\xC0\xAF"));          // overlong
  EXPECT_FALSE(matches(c, "\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(matches(c, "\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(matches(c, "\xC3"));              // cut
  EXPECT_FALSE(matches(c, "\x80"));              // stray continuation
  // A character split across two inputs is one character.
  GrammarMatcher m(c);
  EXPECT_TRUE(m.accept("\xE4"));
  EXPECT_FALSE(m.accepting());
  EXPECT_TRUE(m.accept("\xB8\xAD"));
  EXPECT_TRUE(m.accepting());
}

TEST(GrammarTest, CodepointSetExhaustiveBelow0x900) {
  // Every code point up to U+08FF: accepted iff inside the set.
  Grammar g;
  g.add_rule("root", g.codepoint_set({{0x41, 0x5A}, {0x100, 0x17F}, {0x7F0, 0x810}}));
  auto c = compile(g);
  for (char32_t cp = 0; cp < 0x900; ++cp) {
    std::string s;
    utf8_encode(cp, &s);
    const bool in =
        (cp >= 0x41 && cp <= 0x5A) || (cp >= 0x100 && cp <= 0x17F) || (cp >= 0x7F0 && cp <= 0x810);
    EXPECT_EQ(matches(c, s), in) << std::hex << static_cast<uint32_t>(cp);
  }
}

TEST(GrammarTest, RecursiveRulesBalanceBrackets) {
  Grammar g;
  const GrammarRule r = g.declare_rule("parens");
  g.define_rule(r, g.star(g.seq({g.literal("("), g.call(r), g.literal(")")})));
  auto c = compile(g);
  EXPECT_TRUE(matches(c, ""));
  EXPECT_TRUE(matches(c, "()(())"));
  EXPECT_TRUE(matches(c, "((()()))"));
  EXPECT_FALSE(matches(c, "(()"));
  EXPECT_FALSE(matches(c, "())"));
  // Deep nesting up to the stack bound works.
  std::string deep(300, '(');
  deep += std::string(300, ')');
  EXPECT_TRUE(matches(c, deep));
}

TEST(GrammarTest, LeftRecursionTerminates) {
  Grammar g;
  const GrammarRule r = g.declare_rule("list");
  g.define_rule(r, g.alt({g.seq({g.call(r), g.literal("a")}), g.literal("a")}));
  auto c = compile(g);
  EXPECT_TRUE(matches(c, "a"));
  EXPECT_TRUE(matches(c, "aaaa"));
  EXPECT_FALSE(matches(c, "b"));
}

TEST(GrammarTest, SpecialTokensAsTokensOrText) {
  Grammar g;
  g.add_rule("root", g.seq({g.special_token("<tc>"), g.literal("x")}));
  auto as_token = compile(g, [](std::string_view t) -> std::optional<int32_t> {
    if (t == "<tc>") return 7;
    return std::nullopt;
  });
  GrammarMatcher m(as_token);
  EXPECT_FALSE(m.can_accept("<tc>"));
  EXPECT_FALSE(m.accept_token(8));
  EXPECT_TRUE(m.accept_token(7));
  EXPECT_TRUE(m.accept("x"));
  EXPECT_TRUE(m.complete());

  auto as_text = compile(g);
  EXPECT_TRUE(matches(as_text, "<tc>x"));
}

TEST(GrammarTest, MatcherLeavesStateOnFailure) {
  Grammar g;
  g.add_rule("root", g.literal("abc"));
  GrammarMatcher m(compile(g));
  EXPECT_TRUE(m.accept("a"));
  EXPECT_FALSE(m.accept("bx"));
  EXPECT_TRUE(m.accept("bc"));
  EXPECT_TRUE(m.complete());
  EXPECT_FALSE(m.accept("c"));
}

TEST(GrammarTest, PositionSeparatesOwnRuleFromContext) {
  // root = "[" item "]" ; item = [a-z]+ — from inside item, "ab" is decided by item alone,
  // while "a]" depends on what follows item in its caller.
  Grammar g;
  const GrammarRule item = g.declare_rule("item");
  const GrammarRule root =
      g.add_rule("root", g.seq({g.literal("["), g.call(item), g.literal("]")}));
  g.define_rule(item, g.plus(g.byte_set({{'a', 'z'}})));
  g.set_root(root);
  auto c = compile(g);
  GrammarEngine e(c);
  GrammarEngine::StateId s = e.next(e.initial(), "[a");
  ASSERT_NE(s, GrammarEngine::kDead);
  // Find the consuming frame of rule item.
  int32_t item_node = -1;
  for (int32_t f : e.frames(s)) {
    if (c->node(e.frame_node(f)).rule == item) item_node = e.frame_node(f);
  }
  ASSERT_GE(item_node, 0);
  const GrammarEngine::StateId p = e.position(item_node);
  EXPECT_EQ(e.flags(e.next(p, "bc")) & GrammarEngine::kHasFrames, GrammarEngine::kHasFrames);
  const GrammarEngine::StateId after = e.next(p, "b]");
  EXPECT_EQ(e.flags(after), GrammarEngine::kReachedContext);
  EXPECT_EQ(e.next(p, "B"), GrammarEngine::kDead);
  // The real state accepts "b]" and completes.
  EXPECT_EQ(e.flags(e.next(s, "b]")), GrammarEngine::kAccepting);
}

TEST(GrammarTest, CompileErrors) {
  Grammar g;
  const GrammarRule r = g.declare_rule("undefined");
  g.add_rule("root", g.call(r));
  g.set_root(1);
  auto c = CompiledGrammar::compile(g);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("undefined"), std::string::npos);

  Grammar big;
  big.add_rule("root", big.repeat(big.literal("abcdefgh"), 0, 100000));
  auto b = CompiledGrammar::compile(big, {}, 10000);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace qwl
