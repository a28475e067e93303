// Tests of the Qwen output parser: one-shot results on hand-checked samples, and the streaming
// parser fed every sample cut at every byte (and byte by byte, and in random chunks): the
// folded deltas must equal the one-shot result, no text delta may split a UTF-8 character,
// and each call must stream as begin(name) -> argument fragments -> end.
#include "chat/tool_call_parser.h"

#include <gtest/gtest.h>

#include <random>

namespace qwl {
namespace {

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

std::string describe(const ParsedOutput& p) {
  std::string s = "content=[" + p.content + "] reasoning=[" + p.reasoning_content + "]";
  for (const auto& c : p.tool_calls)
    s += " call{name=[" + c.name + "] args=[" + c.arguments + "] raw=[" + c.raw + "] " +
         (c.error.ok() ? "ok" : c.error.message()) + "}";
  return s;
}

bool same(const ParsedOutput& a, const ParsedOutput& b) {
  if (a.content != b.content || a.reasoning_content != b.reasoning_content ||
      a.tool_calls.size() != b.tool_calls.size())
    return false;
  for (size_t i = 0; i < a.tool_calls.size(); ++i) {
    const auto& x = a.tool_calls[i];
    const auto& y = b.tool_calls[i];
    if (x.name != y.name || x.arguments != y.arguments || x.raw != y.raw ||
        x.error.ok() != y.error.ok() || x.error.message() != y.error.message())
      return false;
  }
  return true;
}

// Streams `pieces` and checks the deltas' shape; returns the folded result.
ParsedOutput stream(const std::vector<std::string_view>& pieces, const ToolCallParserOptions& o,
                    std::string* problem) {
  StreamingToolCallParser parser(o);
  std::vector<ChatDelta> deltas;
  for (auto p : pieces) parser.feed(p, &deltas);
  parser.finish(&deltas);
  ParsedOutput out;
  std::vector<int> state;  // per call: 0 none, 1 begun, 2 ended
  for (const auto& d : deltas) {
    if (!valid_utf8(d.text)) *problem = "a delta splits a UTF-8 character: [" + d.text + "]";
    if (d.index >= 0) {
      if (state.size() <= static_cast<size_t>(d.index)) state.resize(d.index + 1, 0);
      int& st = state[d.index];
      switch (d.kind) {
        case ChatDeltaKind::kToolCallBegin:
          if (st != 0) *problem = "tool call began twice";
          st = 1;
          break;
        case ChatDeltaKind::kToolCallArguments:
          if (st != 1) *problem = "arguments outside begin..end";
          break;
        case ChatDeltaKind::kToolCallEnd:
          if (st == 2) *problem = "tool call ended twice";
          if (st == 0 && d.error.ok()) *problem = "a valid call ended without a begin";
          st = 2;
          break;
        default:
          *problem = "text delta with an index";
      }
    }
    apply_delta(d, &out);
  }
  for (int st : state)
    if (st != 2) *problem = "a tool call never ended";
  return out;
}

// The one-shot result, checked against every way of streaming the same text.
ParsedOutput check_all_splits(std::string_view text, const ToolCallParserOptions& o = {}) {
  ParsedOutput expected = parse_model_output(text, o);
  std::string problem;
  // Every split point into two pieces.
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    ParsedOutput got = stream({text.substr(0, cut), text.substr(cut)}, o, &problem);
    EXPECT_TRUE(problem.empty()) << problem << " (cut at " << cut << ")";
    EXPECT_TRUE(same(expected, got)) << "cut at " << cut << "\n  one-shot:  " << describe(expected)
                                     << "\n  streaming: " << describe(got);
    if (!problem.empty() || !same(expected, got)) return expected;
  }
  // Byte by byte.
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < text.size(); ++i) bytes.push_back(text.substr(i, 1));
  ParsedOutput got = stream(bytes, o, &problem);
  EXPECT_TRUE(problem.empty()) << problem << " (byte by byte)";
  EXPECT_TRUE(same(expected, got))
      << "byte by byte\n  one-shot:  " << describe(expected) << "\n  streaming: " << describe(got);
  // Random chunks.
  std::mt19937 rng(42);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<std::string_view> pieces;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t n = std::uniform_int_distribution<size_t>(0, 9)(rng);
      n = std::min(n, text.size() - pos);
      pieces.push_back(text.substr(pos, n));
      pos += n;
    }
    got = stream(pieces, o, &problem);
    EXPECT_TRUE(problem.empty()) << problem;
    EXPECT_TRUE(same(expected, got)) << "random chunks\n  one-shot:  " << describe(expected)
                                     << "\n  streaming: " << describe(got);
  }
  return expected;
}

TEST(ToolCallParser, PlainContent) {
  ParsedOutput p = check_all_splits("Hello, 世界! 😀 a < b and <tool_ is not a tag");
  EXPECT_EQ(p.content, "Hello, 世界! 😀 a < b and <tool_ is not a tag");
  EXPECT_EQ(p.reasoning_content, "");
  EXPECT_TRUE(p.tool_calls.empty());
}

TEST(ToolCallParser, EmptyOutput) {
  ParsedOutput p = check_all_splits("");
  EXPECT_EQ(p.content, "");
  EXPECT_TRUE(p.tool_calls.empty());
}

TEST(ToolCallParser, ThinkingThenContent) {
  ParsedOutput p = check_all_splits("<think>\nThe user greets me.\n\n</think>\n\nHello!\n");
  EXPECT_EQ(p.reasoning_content, "The user greets me.");
  EXPECT_EQ(p.content, "Hello!\n");
}

TEST(ToolCallParser, ThinkingOpenFromPrompt) {
  ToolCallParserOptions o;
  o.thinking_open = true;
  ParsedOutput p = check_all_splits("I should answer briefly.\n</think>\n\nHi.", o);
  EXPECT_EQ(p.reasoning_content, "I should answer briefly.");
  EXPECT_EQ(p.content, "Hi.");
  EXPECT_TRUE(prompt_opens_thinking("<|im_start|>assistant\n<think>\n"));
  EXPECT_FALSE(prompt_opens_thinking("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
  EXPECT_FALSE(prompt_opens_thinking("<|im_start|>assistant\n"));
}

TEST(ToolCallParser, UnterminatedThinking) {
  ParsedOutput p =
      check_all_splits("<think>\nStill thinking <tool_call>\n{\"name\": \"x\"}\n</thi");
  EXPECT_EQ(p.reasoning_content, "Still thinking <tool_call>\n{\"name\": \"x\"}\n</thi");
  EXPECT_EQ(p.content, "");
  EXPECT_TRUE(p.tool_calls.empty());
}

TEST(ToolCallParser, CallsInsideThinkAreNotParsed) {
  ParsedOutput p = check_all_splits(
      "<think>\nMaybe <tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call> "
      "is wrong.\n</think>\n\nI will ask first.");
  EXPECT_EQ(p.reasoning_content,
            "Maybe <tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call> is "
            "wrong.");
  EXPECT_EQ(p.content, "I will ask first.");
  EXPECT_TRUE(p.tool_calls.empty());
}

TEST(ToolCallParser, ContentThenSeveralCalls) {
  ParsedOutput p = check_all_splits(
      "<think>\nTwo cities, two calls.\n</think>\n\nLet me check both.\n<tool_call>\n"
      "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}\n"
      "</tool_call>\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"北京\", "
      "\"opts\": {\"days\": [1, 2], \"note\": \"a } in \\\"text\\\"\"}}}\n</tool_call>");
  EXPECT_EQ(p.reasoning_content, "Two cities, two calls.");
  EXPECT_EQ(p.content, "Let me check both.");
  ASSERT_EQ(p.tool_calls.size(), 2u);
  EXPECT_TRUE(p.tool_calls[0].error.ok());
  EXPECT_EQ(p.tool_calls[0].name, "get_weather");
  EXPECT_EQ(p.tool_calls[0].arguments, "{\"city\": \"Paris\", \"unit\": \"celsius\"}");
  EXPECT_EQ(
      p.tool_calls[1].arguments,
      "{\"city\": \"北京\", \"opts\": {\"days\": [1, 2], \"note\": \"a } in \\\"text\\\"\"}}");
  EXPECT_EQ(
      p.tool_calls[1].raw,
      "\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"北京\", \"opts\": {\"days\": "
      "[1, 2], \"note\": \"a } in \\\"text\\\"\"}}}\n");
}

TEST(ToolCallParser, MalformedCallKeepsTextAndOthersParse) {
  ParsedOutput p = check_all_splits(
      "<tool_call>\n{\"name\": \"search\", \"arguments\": {\"q\": \"oat latte\"}\n</tool_call>\n"
      "<tool_call>\n{\"name\": \"search\", \"arguments\": {\"q\": \"tea\"}}\n</tool_call>");
  ASSERT_EQ(p.tool_calls.size(), 2u);
  EXPECT_FALSE(p.tool_calls[0].error.ok());
  EXPECT_EQ(p.tool_calls[0].error.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(p.tool_calls[0].raw,
            "\n{\"name\": \"search\", \"arguments\": {\"q\": \"oat latte\"}\n");
  EXPECT_EQ(p.tool_calls[0].name, "");
  EXPECT_TRUE(p.tool_calls[1].error.ok());
  EXPECT_EQ(p.tool_calls[1].arguments, "{\"q\": \"tea\"}");
  EXPECT_EQ(p.content, "");
}

TEST(ToolCallParser, InvalidCallShapes) {
  const char* bodies[] = {
      "{\"arguments\": {}}",                                    // no name
      "{\"name\": \"\", \"arguments\": {}}",                    // empty name
      "{\"name\": 5, \"arguments\": {}}",                       // name not a string
      "{\"name\": \"f\"}",                                      // no arguments
      "{\"name\": \"f\", \"arguments\": \"{\\\"a\\\": 1}\"}",   // arguments as a string
      "{\"name\": \"f\", \"arguments\": {}, \"name\": \"g\"}",  // repeated key
      "[\"f\", {}]",                                            // not an object
      "{\"name\": \"f\", \"arguments\": {}} trailing",          // trailing text
      "name: f",                                                // not JSON
      "",                                                       // empty
  };
  for (const char* body : bodies) {
    std::string text = std::string("Before\n<tool_call>\n") + body + "\n</tool_call>";
    ParsedOutput p = check_all_splits(text);
    ASSERT_EQ(p.tool_calls.size(), 1u) << body;
    EXPECT_FALSE(p.tool_calls[0].error.ok()) << body;
    EXPECT_EQ(p.tool_calls[0].raw, std::string("\n") + body + "\n");
    EXPECT_EQ(p.content, "Before");
  }
}

TEST(ToolCallParser, ArgumentsBeforeNameAndCompactJson) {
  ParsedOutput p = check_all_splits(
      "<tool_call>{\"arguments\":{\"a\":[1,{\"b\":null}],\"c\":-1.5e3},\"name\":\"f\"}"
      "</tool_call>");
  ASSERT_EQ(p.tool_calls.size(), 1u);
  EXPECT_TRUE(p.tool_calls[0].error.ok());
  EXPECT_EQ(p.tool_calls[0].name, "f");
  EXPECT_EQ(p.tool_calls[0].arguments, "{\"a\":[1,{\"b\":null}],\"c\":-1.5e3}");
}

TEST(ToolCallParser, UnclosedCallAtEndOfOutput) {
  ParsedOutput p = check_all_splits(
      "On it.<tool_call>\n{\"name\": \"place_order\", \"arguments\": {\"sku\": \"LATTE\", "
      "\"qty\": 2}}\n");
  ASSERT_EQ(p.tool_calls.size(), 1u);
  EXPECT_TRUE(p.tool_calls[0].error.ok());
  EXPECT_EQ(p.tool_calls[0].arguments, "{\"sku\": \"LATTE\", \"qty\": 2}");
  EXPECT_EQ(p.content, "On it.");

  EXPECT_FALSE(p.tool_calls[0].closed);

  ParsedOutput cut = check_all_splits("<tool_call>\n{\"name\": \"place_order\", \"argu");
  ASSERT_EQ(cut.tool_calls.size(), 1u);
  EXPECT_FALSE(cut.tool_calls[0].error.ok());
  EXPECT_FALSE(cut.tool_calls[0].closed);
  EXPECT_TRUE(parse_model_output("<tool_call>\n{}\n</tool_call>").tool_calls[0].closed);
}

TEST(ToolCallParser, TextAfterCallsIsKept) {
  ParsedOutput p = check_all_splits(
      "Checking.\n\n<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n  \n"
      "<tool_call>\n{\"name\": \"b\", \"arguments\": {\"x\": true}}\n</tool_call>\nDone. <think>x"
      "</think> stays text");
  EXPECT_EQ(p.content, "Checking.Done. <think>x</think> stays text");
  ASSERT_EQ(p.tool_calls.size(), 2u);
  EXPECT_EQ(p.tool_calls[1].arguments, "{\"x\": true}");
}

TEST(ToolCallParser, LeadingWhitespaceAndLookalikeTags) {
  ParsedOutput p = check_all_splits("  \n<thinking> is not <think>; <tool_call_x> neither.  ");
  EXPECT_EQ(p.content, "  \n<thinking> is not <think>; <tool_call_x> neither.  ");
  ParsedOutput q = check_all_splits(" \n <think>x</think>y");
  EXPECT_EQ(q.reasoning_content, "x");
  EXPECT_EQ(q.content, "y");
}

TEST(ToolCallParser, StreamsNameBeforeTheCallEnds) {
  StreamingToolCallParser parser;
  std::vector<ChatDelta> deltas;
  parser.feed("Sure.\n<tool_", &deltas);
  ASSERT_EQ(deltas.size(), 1u);
  EXPECT_EQ(deltas[0].kind, ChatDeltaKind::kContent);
  EXPECT_EQ(deltas[0].text, "Sure.");  // the newline and "<tool_" are held back
  deltas.clear();
  parser.feed("call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Par", &deltas);
  ASSERT_EQ(deltas.size(), 2u);
  EXPECT_EQ(deltas[0].kind, ChatDeltaKind::kToolCallBegin);
  EXPECT_EQ(deltas[0].index, 0);
  EXPECT_EQ(deltas[0].text, "get_weather");
  EXPECT_EQ(deltas[1].kind, ChatDeltaKind::kToolCallArguments);
  EXPECT_EQ(deltas[1].text, "{\"city\": \"Par");
  deltas.clear();
  parser.feed("is\"}}\n</tool_call>", &deltas);
  ASSERT_EQ(deltas.size(), 2u);
  EXPECT_EQ(deltas[0].text, "is\"}");
  EXPECT_EQ(deltas[1].kind, ChatDeltaKind::kToolCallEnd);
  EXPECT_TRUE(deltas[1].error.ok());
  deltas.clear();
  parser.finish(&deltas);
  EXPECT_TRUE(deltas.empty());
}

TEST(ToolCallParser, DoesNotSplitUtf8Characters) {
  std::string text =
      "<think>思考中…🤔</think>答案是：😀\n<tool_call>\n{\"name\": \"注文\", "
      "\"arguments\": {\"品名\": \"燕麦拿铁🍵\"}}\n</tool_call>";
  ParsedOutput p = check_all_splits(text);
  EXPECT_EQ(p.reasoning_content, "思考中…🤔");
  EXPECT_EQ(p.content, "答案是：😀");
  ASSERT_EQ(p.tool_calls.size(), 1u);
  EXPECT_EQ(p.tool_calls[0].name, "注文");
}

TEST(ToolCallParser, OpenAiStyleClientRebuild) {
  // A malformed call's streamed name and arguments are withdrawn by its end delta.
  StreamingToolCallParser parser;
  std::vector<ChatDelta> deltas;
  parser.feed("<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": 1}} extra</tool_call>", &deltas);
  parser.finish(&deltas);
  ParsedOutput out;
  bool saw_begin = false;
  for (const auto& d : deltas) {
    if (d.kind == ChatDeltaKind::kToolCallBegin) saw_begin = true;
    apply_delta(d, &out);
  }
  EXPECT_TRUE(saw_begin);
  ASSERT_EQ(out.tool_calls.size(), 1u);
  EXPECT_FALSE(out.tool_calls[0].error.ok());
  EXPECT_EQ(out.tool_calls[0].name, "");
  EXPECT_EQ(out.tool_calls[0].arguments, "");
}

}  // namespace
}  // namespace qwl
