// Unit tests of the chat template API and the interpreter's edges: error reporting (codes,
// line and column), hostile templates that must end with an error rather than a crash or a
// hang, the typed ChatInput, strftime_now's clock, concurrent renders, and Python's text forms.
// The byte-exactness against jinja2 is tested by chat_template_golden_test.cpp.
#include "chat/chat_template.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "base/clock.h"
#include "chat/jinja_value.h"

namespace qwl {
namespace {

Result<std::string> render(std::string_view source, const ChatJson& context = ChatJson::object(),
                           const RenderOptions& options = {}) {
  auto t = ChatTemplate::parse(source);
  if (!t.ok()) return t.status();
  return t->render_context(context, options);
}

std::string must_render(std::string_view source, const ChatJson& context = ChatJson::object()) {
  auto r = render(source, context);
  EXPECT_TRUE(r.ok()) << source << ": " << r.status().to_string();
  return r.ok() ? r.value() : std::string();
}

TEST(ChatTemplate, RendersBasicConstructs) {
  EXPECT_EQ(must_render("{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}",
                        {{"messages", {{{"role", "user"}, {"content", "hi"}}}}}),
            "[user:hi]");
  EXPECT_EQ(must_render("{%- if x is defined -%} yes {%- else -%} no {%- endif %}"), "no");
  EXPECT_EQ(must_render("{{ [3, 1, 2] | sort | join(',') }}"), "1,2,3");
  EXPECT_EQ(must_render("{{ {'b': 1, 'a': 'é'} | tojson }}"), "{\"b\": 1, \"a\": \"é\"}");
}

TEST(ChatTemplate, SyntaxErrorsNameLineAndColumn) {
  auto t = ChatTemplate::parse("line one\n{% if true %}\n  {{ 1 + }}\n{% endif %}");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("chat template:3:"), std::string::npos)
      << t.status().message();

  auto unclosed = ChatTemplate::parse("{% for x in y %}\nbody");
  ASSERT_FALSE(unclosed.ok());
  EXPECT_NE(unclosed.status().message().find("endfor"), std::string::npos);
  EXPECT_NE(unclosed.status().message().find("chat template:1:"), std::string::npos);

  auto bad_string = ChatTemplate::parse("{{ 'never closed }}");
  ASSERT_FALSE(bad_string.ok());
  EXPECT_NE(bad_string.status().message().find("chat template:1:4"), std::string::npos)
      << bad_string.status().message();
}

TEST(ChatTemplate, UnsupportedFeaturesAreUnsupported) {
  for (const char* src : {"{% include 'x.jinja' %}", "{% extends 'base' %}",
                          "{% for x in y recursive %}{% endfor %}", "{% import 'm' as m %}"}) {
    auto t = ChatTemplate::parse(src);
    ASSERT_FALSE(t.ok()) << src;
    EXPECT_EQ(t.status().code(), StatusCode::kUnsupported) << src;
  }
}

TEST(ChatTemplate, RuntimeErrorsNamePosition) {
  auto r = render("ok\n  {{ 'a' + none }}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("chat template:2:"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("can only concatenate str"), std::string::npos);

  auto raised = render("{{ raise_exception('System message must be first.') }}");
  ASSERT_FALSE(raised.ok());
  EXPECT_NE(raised.status().message().find("raise_exception: System message must be first."),
            std::string::npos);

  auto undefined = render("{{ messages[0].role }}");
  ASSERT_FALSE(undefined.ok());
  EXPECT_NE(undefined.status().message().find("'messages' is undefined"), std::string::npos);
}

// ---- hostile templates: errors, never crashes or hangs -----------------------------------

TEST(ChatTemplate, InfiniteRecursionHitsTheCallDepthLimit) {
  auto r = render("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().to_string();
}

TEST(ChatTemplate, LoopIterationsAreBounded) {
  RenderOptions o;
  o.limits.max_loop_iterations = 100000;
  auto r =
      render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
             ChatJson::object(), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  auto big_range = render("{% for i in range(1000000000) %}{% endfor %}");
  ASSERT_FALSE(big_range.ok());
}

TEST(ChatTemplate, BuiltValuesAreBounded) {
  RenderOptions o;
  o.limits.max_output_bytes = 1 << 20;
  const char* cases[] = {
      "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
      "{% endfor %}",
      "{{ 'x' * 1000000000000 }}",
      "{{ ('ab' * 600000)|length }}",
      "{% for i in range(100000) %}0123456789abcdef{% endfor %}",
      "{{ [1] * 1000000000 }}",
      "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}"
      "{% endfor %}",
      "{{ 'x'|center(100000000) }}",
      "{{ '%100000000s' % 'x' }}",
  };
  for (const char* src : cases) {
    auto r = render(src, ChatJson::object(), o);
    ASSERT_FALSE(r.ok()) << src;
    EXPECT_TRUE(r.status().code() == StatusCode::kResourceExhausted ||
                r.status().code() == StatusCode::kInvalidArgument)
        << src << ": " << r.status().to_string();
  }
}

TEST(ChatTemplate, DeepNestingIsAnErrorNotAStackOverflow) {
  std::string parens = "{{ " + std::string(100000, '(') + "1" + std::string(100000, ')') + " }}";
  EXPECT_FALSE(ChatTemplate::parse(parens).ok());
  std::string nots = "{{ " + std::string(0, ' ');
  for (int i = 0; i < 100000; ++i) nots += "not ";
  nots += "1 }}";
  EXPECT_FALSE(ChatTemplate::parse(nots).ok());
  std::string ifs;
  for (int i = 0; i < 5000; ++i) ifs += "{% if true %}";
  EXPECT_FALSE(ChatTemplate::parse(ifs).ok());
  // A long chain of filters (or of "+", or of attributes) is a tree as deep as it is long.
  std::string filters = "{{ x";
  for (int i = 0; i < 100000; ++i) filters += "|trim";
  filters += " }}";
  EXPECT_FALSE(ChatTemplate::parse(filters).ok());
  std::string sums = "{{ 0";
  for (int i = 0; i < 100000; ++i) sums += " + 1";
  EXPECT_FALSE(ChatTemplate::parse(sums + " }}").ok());
  std::string short_chain = "{{ ' x '";
  for (int i = 0; i < 100; ++i) short_chain += "|trim";
  EXPECT_EQ(must_render(short_chain + " }}"), "x");

  ChatJson deep = ChatJson::array();
  for (int i = 0; i < 1000; ++i) deep = ChatJson::array({deep});
  auto r = render("{{ x }}", {{"x", deep}});
  EXPECT_FALSE(r.ok());
}

TEST(ChatTemplate, DeeplyNestedValuesAreFreedAndNotPrinted) {
  // A list a hundred thousand levels deep: building and freeing it must not recurse per level.
  EXPECT_EQ(must_render("{% set ns = namespace(l=[]) %}{% for i in range(100000) %}"
                        "{% set ns.l = [ns.l] %}{% endfor %}ok{{ ns.l|length }}"),
            "ok1");
  auto printed = render(
      "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}"
      "{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}");
  ASSERT_FALSE(printed.ok());
  EXPECT_EQ(printed.status().code(), StatusCode::kResourceExhausted);
  // A namespace that contains itself (jinja2 prints "<Namespace {'self': <Namespace {...}>}>";
  // here it is an error, and the cycle is freed after the render).
  auto cyclic = render("{% set ns = namespace() %}{% set ns.self = ns %}{{ ns }}");
  EXPECT_FALSE(cyclic.ok());
  EXPECT_EQ(must_render("{% set ns = namespace(n=1) %}{% set ns.self = ns %}{{ ns.self.self.n }}"),
            "1");
}

TEST(ChatTemplate, RandomTemplatesNeverCrash) {
  // Templates assembled from Jinja fragments at random: every parse and render must return.
  const std::vector<std::string> pieces = {"{% if ",
                                           "{% for x in ",
                                           "{% endfor %}",
                                           "{% endif %}",
                                           "{% else %}",
                                           "{% set y = ",
                                           "{{ ",
                                           " }}",
                                           " %}",
                                           "{%- ",
                                           " -%}",
                                           "{#",
                                           "#}",
                                           "x",
                                           "y",
                                           "messages",
                                           "[0]",
                                           ".role",
                                           "|length",
                                           "|tojson",
                                           "|join(',')",
                                           " + ",
                                           " ~ ",
                                           " * ",
                                           " // ",
                                           " % ",
                                           "(",
                                           ")",
                                           "[",
                                           "]",
                                           "{",
                                           "}",
                                           "'s'",
                                           "\"t\"",
                                           "1",
                                           "-1",
                                           "2.5",
                                           "none",
                                           "true",
                                           " and ",
                                           " or ",
                                           " not ",
                                           " in ",
                                           " is defined",
                                           " if ",
                                           " else ",
                                           "loop.index",
                                           "range(3)",
                                           "namespace(a=1)",
                                           "{% macro m(a) %}",
                                           "{% endmacro %}",
                                           "m(1)",
                                           "{% raw %}",
                                           "{% endraw %}",
                                           "\n",
                                           "  ",
                                           "raise_exception('r')",
                                           "{% break %}",
                                           "{% continue %}",
                                           ":",
                                           ",",
                                           "=",
                                           "|",
                                           "."};
  std::mt19937 rng(7);
  ChatJson context = {{"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"x", {1, 2, 3}}};
  RenderOptions o;
  o.limits.max_loop_iterations = 10000;
  o.limits.max_output_bytes = 1 << 16;
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string src;
    int n = std::uniform_int_distribution<int>(1, 25)(rng);
    for (int k = 0; k < n; ++k)
      src += pieces[std::uniform_int_distribution<size_t>(0, pieces.size() - 1)(rng)];
    auto t = ChatTemplate::parse(src);
    if (!t.ok()) continue;
    ++parsed;
    (void)t->render_context(context, o);
  }
  EXPECT_GT(parsed, 100);
}

TEST(ChatTemplate, RandomBytesNeverCrash) {
  std::mt19937 rng(11);
  for (int i = 0; i < 2000; ++i) {
    std::string src;
    int n = std::uniform_int_distribution<int>(0, 60)(rng);
    for (int k = 0; k < n; ++k) {
      const char alphabet[] = "{}%#-+ \n'\"\\()[]|.~abc0123456789,:=\xc3\xa9\xff";
      src.push_back(alphabet[std::uniform_int_distribution<size_t>(0, sizeof alphabet - 2)(rng)]);
    }
    auto t = ChatTemplate::parse(src);
    if (t.ok()) (void)t->render_context(ChatJson::object());
  }
}

// ---- typed input ---------------------------------------------------------------------------

constexpr const char* kQwen25Template =
    "{%- if tools %}\n    {{- '<|im_start|>system\\n' }}\n    {%- if messages[0]['role'] == "
    "'system' %}\n        {{- messages[0]['content'] }}\n    {%- else %}\n        {{- 'You are "
    "Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}\n    {%- endif %}\n{%- "
    "else %}\n    {%- if messages[0]['role'] == 'system' %}\n        {{- '<|im_start|>system\\n' "
    "+ messages[0]['content'] + '<|im_end|>\\n' }}\n    {%- else %}\n        {{- "
    "'<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
    "assistant.<|im_end|>\\n' }}\n    {%- endif %}\n{%- endif %}\n{%- for message in messages "
    "%}\n    {%- if (message.role == \"user\") or (message.role == \"system\" and not "
    "loop.first) or (message.role == \"assistant\" and not message.tool_calls) %}\n        {{- "
    "'<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n    "
    "{%- elif message.role == \"assistant\" %}\n        {{- '<|im_start|>' + message.role }}\n   "
    "     {%- if message.content %}\n            {{- '\\n' + message.content }}\n        {%- "
    "endif %}\n        {%- for tool_call in message.tool_calls %}\n            {%- if "
    "tool_call.function is defined %}\n                {%- set tool_call = tool_call.function "
    "%}\n            {%- endif %}\n            {{- '\\n<tool_call>\\n{\"name\": \"' }}\n        "
    "    {{- tool_call.name }}\n            {{- '\", \"arguments\": ' }}\n            {{- "
    "tool_call.arguments | tojson }}\n            {{- '}\\n</tool_call>' }}\n        {%- endfor "
    "%}\n        {{- '<|im_end|>\\n' }}\n    {%- endif %}\n{%- endfor %}\n{%- if "
    "add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n";

TEST(ChatTemplate, Qwen25ToolCallMatchesPublishedRender) {
  // The rendered example in modelscope/AgentJet documents/tokenizer_nodes.md (mission research
  // 2.4): an assistant message with no content and one call, no tools passed.
  auto t = ChatTemplate::parse(kQwen25Template);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  ChatInput input;
  ChatMessage m;
  m.role = "assistant";
  m.content = "";
  m.tool_calls.push_back(ToolCall{"", "get_current_temperature",
                                  ChatJson{{"location", "Paris, France"}, {"unit", "celsius"}}});
  input.messages.push_back(m);
  input.add_generation_prompt = false;
  auto r = t->render(input);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value(),
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
            "assistant.<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"name\": "
            "\"get_current_temperature\", \"arguments\": {\"location\": \"Paris, France\", "
            "\"unit\": \"celsius\"}}\n</tool_call><|im_end|>\n");
}

TEST(ChatTemplate, ChatInputContextShape) {
  ChatInput input;
  ChatMessage user;
  user.role = "user";
  user.content = "hi";
  ChatMessage assistant;
  assistant.role = "assistant";
  assistant.reasoning_content = "think";
  assistant.tool_calls.push_back(ToolCall{"call_1", "f", ChatJson{{"a", 1}}});
  ChatMessage tool;
  tool.role = "tool";
  tool.content = "42";
  tool.tool_call_id = "call_1";
  tool.extra = {{"content", {{{"type", "text"}, {"text", "42"}}}}, {"x", 1}};
  input.messages = {user, assistant, tool};
  input.enable_thinking = false;
  input.kwargs = {{"custom", "v"}};
  ChatJson ctx = chat_input_to_context(input);
  EXPECT_EQ(ctx.dump(),
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
            "\"content\":null,\"reasoning_content\":\"think\",\"tool_calls\":[{\"id\":\"call_1\","
            "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":{\"a\":1}}}]},"
            "{\"role\":\"tool\",\"content\":[{\"type\":\"text\",\"text\":\"42\"}],"
            "\"tool_call_id\":\"call_1\",\"x\":1}],\"tools\":null,\"add_generation_prompt\":true,"
            "\"enable_thinking\":false,\"custom\":\"v\"}");
  auto back = chat_input_from_json(ctx);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(chat_input_to_context(*back), ctx);
}

TEST(ChatTemplate, NormalizeOpenAiInput) {
  // An OpenAI-style turn: null content, arguments as a JSON string.
  auto t = ChatTemplate::parse(
      "{% for m in messages %}{% if '</think>' in m.content %}T{% endif %}{% for c in "
      "m.tool_calls %}{{ c.function.arguments | tojson }}{% endfor %}{% endfor %}");
  ASSERT_TRUE(t.ok());
  ChatInput input;
  ChatMessage m;
  m.role = "assistant";
  m.tool_calls.push_back(ToolCall{"call_1", "f", ChatJson("{\"city\": \"北京\", \"n\": 2}")});
  m.tool_calls.push_back(ToolCall{"call_2", "g", ChatJson("not json")});
  input.messages.push_back(m);
  EXPECT_FALSE(t->render(input).ok());  // 'in' on a null content fails, as in jinja2
  normalize_openai_input(&input);
  EXPECT_EQ(input.messages[0].content, "");
  auto r = t->render(input);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value(), "{\"city\": \"北京\", \"n\": 2}\"not json\"");
}

TEST(ChatTemplate, ChatInputFromJsonErrors) {
  EXPECT_FALSE(chat_input_from_json(ChatJson::array()).ok());
  EXPECT_FALSE(chat_input_from_json({{"tools", nullptr}}).ok());
  auto r = chat_input_from_json({{"messages", {{{"content", "x"}}}}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("messages[0].role"), std::string::npos);
}

class FixedClock : public Clock {
 public:
  int64_t monotonic_us() const override { return 0; }
  int64_t wall_us() const override { return int64_t{1735732800} * 1000000; }
};

TEST(ChatTemplate, StrftimeNowUsesTheGivenClock) {
  FixedClock clock;
  RenderOptions o;
  o.clock = &clock;
  auto r = render("{{ strftime_now('%Y') }}", ChatJson::object(), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), "2025");
}

TEST(ChatTemplate, ConcurrentRendersOfOneTemplate) {
  auto t = ChatTemplate::parse(
      "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{{ m.content "
      "}}{% endfor %}{{ ns.n }}");
  ASSERT_TRUE(t.ok());
  std::vector<std::thread> threads;
  std::vector<std::string> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      ChatInput input;
      for (int k = 0; k <= i; ++k) {
        ChatMessage m;
        m.role = "user";
        m.content = std::to_string(i);
        input.messages.push_back(m);
      }
      for (int rep = 0; rep < 200; ++rep) {
        auto r = t->render(input);
        results[i] = r.ok() ? r.value() : r.status().to_string();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(results[i], std::string(i + 1, static_cast<char>('0' + i)) + std::to_string(i + 1));
}

// ---- Python text forms ----------------------------------------------------------------------

TEST(JinjaValue, FloatReprMatchesPython) {
  using jinja::py_float_repr;
  EXPECT_EQ(py_float_repr(1.0), "1.0");
  EXPECT_EQ(py_float_repr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(py_float_repr(1e16), "1e+16");
  EXPECT_EQ(py_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(py_float_repr(0.0001), "0.0001");
  EXPECT_EQ(py_float_repr(0.00001), "1e-05");
  EXPECT_EQ(py_float_repr(-1.5e-7), "-1.5e-07");
  EXPECT_EQ(py_float_repr(1.2345678901234568e+17), "1.2345678901234568e+17");
  EXPECT_EQ(py_float_repr(-0.0), "-0.0");
  EXPECT_EQ(py_float_repr(1e300 * 1e10), "inf");
  EXPECT_EQ(py_float_repr(123456789.123), "123456789.123");
}

TEST(JinjaValue, StringReprMatchesPython) {
  using jinja::py_repr_string;
  EXPECT_EQ(py_repr_string("it's"), "\"it's\"");
  EXPECT_EQ(py_repr_string("a\"b"), "'a\"b'");
  EXPECT_EQ(py_repr_string("both'\""), "'both\\'\"'");
  EXPECT_EQ(py_repr_string("\n\t\x01\x7f"), "'\\n\\t\\x01\\x7f'");
  EXPECT_EQ(py_repr_string("é中😀"), "'é中😀'");
  EXPECT_EQ(py_repr_string("\u200b\u00a0\u3000"), "'\\u200b\\xa0\\u3000'");
}

}  // namespace
}  // namespace qwl
