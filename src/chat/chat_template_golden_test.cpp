// Golden tests of the chat template renderer against python3-jinja2 (the reference renderer,
// configured as transformers does; see tests/chat/gen_golden.py, which wrote the data).
//
// constructs.json: one small template per Jinja construct or corner, over a fixed context.
// conversations.json: generated conversations (tools, several calls per turn, tool results,
// thinking on/off, reasoning_content, unicode, special characters...) rendered through every
// real chat template in tests/chat/templates/. Each case must render to the same bytes, or fail
// where jinja2 raised. Conversations whose context ChatInput can represent exactly are also
// rendered through ChatTemplate::render(ChatInput).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "chat/chat_template.h"

namespace qwl {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string golden_dir() {
  return std::string(QWL_SOURCE_DIR) + "/tests/chat/";
}

ChatJson load_json(const std::string& path) {
  std::string text = read_file(path);
  EXPECT_FALSE(text.empty()) << "missing " << path << " (run tests/chat/gen_golden.py)";
  return ChatJson::parse(text, nullptr, false);
}

class FixedClock : public Clock {
 public:
  explicit FixedClock(int64_t unix_s) : unix_s_(unix_s) {}
  int64_t monotonic_us() const override { return 0; }
  int64_t wall_us() const override { return unix_s_ * 1000000; }

 private:
  int64_t unix_s_;
};

std::string escape_for_message(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// "first difference at byte 123 (line 4, column 7): expected "...", got "..."".
std::string first_difference(const std::string& expected, const std::string& got) {
  size_t i = 0;
  while (i < expected.size() && i < got.size() && expected[i] == got[i]) ++i;
  int line = 1;
  int col = 1;
  for (size_t k = 0; k < i; ++k) {
    if (expected[k] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  size_t from = i > 30 ? i - 30 : 0;
  return "first difference at byte " + std::to_string(i) + " (line " + std::to_string(line) +
         ", column " + std::to_string(col) + "): expected \"" +
         escape_for_message(expected.substr(from, i - from + 40)) + "\", got \"" +
         escape_for_message(got.substr(from, i - from + 40)) + "\" (lengths " +
         std::to_string(expected.size()) + " and " + std::to_string(got.size()) + ")";
}

// Compares one render with the reference's result ({"expected": text} or {"error": text}).
// Returns an empty string when they agree.
std::string check(const Result<std::string>& got, const ChatJson& result) {
  if (result.contains("error")) {
    if (got.ok())
      return "jinja2 raised \"" + result["error"].get<std::string>() + "\" but we rendered \"" +
             escape_for_message(got.value().substr(0, 200)) + "\"";
    return "";
  }
  const std::string& expected = result["expected"].get_ref<const std::string&>();
  if (!got.ok()) return "expected a render, got error: " + got.status().to_string();
  if (got.value() != expected) return first_difference(expected, got.value());
  return "";
}

TEST(ChatTemplateGolden, Constructs) {
  ChatJson golden = load_json(golden_dir() + "golden/constructs.json");
  ASSERT_TRUE(golden.is_object());
  FixedClock clock(golden["fixed_time"].get<int64_t>());
  RenderOptions options;
  options.clock = &clock;
  int failures = 0;
  int raised = 0;
  const ChatJson& cases = golden["cases"];
  for (size_t i = 0; i < cases.size(); ++i) {
    const ChatJson& c = cases[i];
    const std::string& source = c["template"].get_ref<const std::string&>();
    ChatJson context = c["context"];
    for (auto it = golden["extra_context"].begin(); it != golden["extra_context"].end(); ++it)
      context[it.key()] = it.value();
    if (c.contains("error")) ++raised;
    auto tmpl = ChatTemplate::parse(source);
    std::string problem;
    if (!tmpl.ok()) {
      if (!c.contains("error")) problem = "parse failed: " + tmpl.status().to_string();
    } else {
      problem = check(tmpl->render_context(context, options), c);
    }
    if (!problem.empty()) {
      ++failures;
      ADD_FAILURE() << "construct " << i << ": " << escape_for_message(source) << "\n  " << problem;
    }
  }
  std::printf("constructs: %zu cases (%d where jinja2 raises), %d differ\n", cases.size(), raised,
              failures);
  EXPECT_GE(cases.size(), 200u);
}

class ConversationGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ConversationGolden, MatchesJinja2) {
  static const ChatJson golden = load_json(golden_dir() + "golden/conversations.json");
  ASSERT_TRUE(golden.is_object());
  const std::string name = GetParam();
  std::string source = read_file(golden_dir() + "templates/" + name);
  ASSERT_FALSE(source.empty()) << name;
  auto tmpl = ChatTemplate::parse(source);
  ASSERT_TRUE(tmpl.ok()) << tmpl.status().to_string();
  FixedClock clock(golden["fixed_time"].get<int64_t>());
  RenderOptions options;
  options.clock = &clock;
  int compared = 0;
  int rendered = 0;
  int typed = 0;
  int failures = 0;
  for (const ChatJson& conv : golden["conversations"]) {
    const ChatJson& result = conv["results"][name];
    const ChatJson& context = conv["context"];
    ++compared;
    if (result.contains("expected")) ++rendered;
    std::string problem = check(tmpl->render_context(context, options), result);
    // The same conversation through the typed API, where ChatInput represents it exactly.
    if (problem.empty()) {
      auto input = chat_input_from_json(context);
      if (input.ok() && chat_input_to_context(*input) == context) {
        ++typed;
        std::string p = check(tmpl->render(*input, options), result);
        if (!p.empty()) problem = "via ChatInput: " + p;
      }
    }
    if (!problem.empty() && ++failures <= 10) {
      ADD_FAILURE() << name << ", conversation " << conv["id"].get<int>() << ": " << problem;
    }
  }
  EXPECT_EQ(failures, 0) << name;
  std::printf(
      "%s: %d conversations, %d rendered (others raise in jinja2 too), %d also via "
      "ChatInput, %d differ\n",
      name.c_str(), compared, rendered, typed, failures);
  EXPECT_GE(compared, 200);
}

INSTANTIATE_TEST_SUITE_P(Templates, ConversationGolden,
                         ::testing::Values("Qwen3-tokenizer_config.jinja",
                                           "Qwen-Qwen2.5-7B-Instruct.jinja", "Qwen-QwQ-32B.jinja",
                                           "Qwen3-Coder.jinja", "Qwen3.5-4B.jinja",
                                           "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja",
                                           "NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja",
                                           "meta-llama-Llama-3.1-8B-Instruct.jinja",
                                           "mistralai-Mistral-Nemo-Instruct-2407.jinja",
                                           "meetkai-functionary-medium-v3.1.jinja",
                                           "llama-cpp-deepseek-r1.jinja",
                                           "qwenlayer-default.jinja"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param.substr(0, info.param.size() - 6);
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace qwl
