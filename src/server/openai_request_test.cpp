// Request parsing: every validation rule with the param its error names, and round trips of
// ordinary requests (tools, tool calls, tool results, text parts) into typed structs and the
// chat template's input.
#include "server/openai_request.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "server/http_error.h"

namespace qwl::openai {
namespace {

const char* kUser = R"("messages":[{"role":"user","content":"hi"}])";

// A chat body: `fields` are extra top-level members after the one-user-message conversation.
std::string chat(std::string_view fields) {
  if (fields.empty()) return fmt::format("{{{}}}", kUser);
  return fmt::format("{{{},{}}}", kUser, fields);
}

struct Failure {
  StatusCode code;
  std::string param;
  std::string message;
};

Failure chat_error(std::string_view body) {
  std::string param = "unset";
  auto r = parse_chat_completion_request(body, &param);
  EXPECT_FALSE(r.ok()) << body;
  if (r.ok()) return {StatusCode::kOk, param, ""};
  return {r.status().code(), param, r.status().message()};
}

Failure completion_error(std::string_view body) {
  std::string param = "unset";
  auto r = parse_completion_request(body, &param);
  EXPECT_FALSE(r.ok()) << body;
  if (r.ok()) return {StatusCode::kOk, param, ""};
  return {r.status().code(), param, r.status().message()};
}

// The error names `param`, is a 400, and its message contains `needle`.
void expect_chat_error(std::string_view body, std::string_view param, std::string_view needle,
                       StatusCode code = StatusCode::kInvalidArgument) {
  const Failure f = chat_error(body);
  EXPECT_EQ(f.param, param) << body << "\n" << f.message;
  EXPECT_EQ(f.code, code) << body << "\n" << f.message;
  EXPECT_NE(f.message.find(needle), std::string::npos) << f.message;
  if (!param.empty()) {
    EXPECT_EQ(f.message.rfind(std::string(param) + ": ", 0), 0u) << f.message;
  }
  EXPECT_EQ(http::http_status_for(f.code), 400);
}

void expect_completion_error(std::string_view body, std::string_view param, std::string_view needle,
                             StatusCode code = StatusCode::kInvalidArgument) {
  const Failure f = completion_error(body);
  EXPECT_EQ(f.param, param) << body << "\n" << f.message;
  EXPECT_EQ(f.code, code) << body << "\n" << f.message;
  EXPECT_NE(f.message.find(needle), std::string::npos) << f.message;
}

ChatCompletionRequest chat_ok(std::string_view body) {
  std::string param;
  auto r = parse_chat_completion_request(body, &param);
  EXPECT_TRUE(r.ok()) << body << "\n" << r.status().to_string() << " param " << param;
  if (!r.ok()) return {};
  return std::move(r).value();
}

TEST(OpenAiRequestTest, MinimalChatRequest) {
  const auto req = chat_ok(R"({"model":"qwen3","messages":[{"role":"user","content":"Hello"}]})");
  EXPECT_EQ(req.model, "qwen3");
  ASSERT_EQ(req.messages.size(), 1u);
  EXPECT_EQ(req.messages[0].role, "user");
  EXPECT_EQ(req.messages[0].content, "Hello");
  EXPECT_FALSE(req.stream);
  EXPECT_FALSE(req.include_usage);
  EXPECT_TRUE(req.tools.is_null());
  EXPECT_EQ(req.tool_choice.mode, ToolChoiceMode::kNone);
  EXPECT_FALSE(req.sampling.max_tokens);
  EXPECT_FALSE(req.sampling.temperature);
  EXPECT_FALSE(req.logprobs);
  EXPECT_FALSE(req.enable_thinking);
}

TEST(OpenAiRequestTest, ModelIsOptionalButMustBeAString) {
  EXPECT_EQ(chat_ok(chat("")).model, "");
  expect_chat_error(chat(R"("model":7)"), "model", "expected a string, got a number");
}

TEST(OpenAiRequestTest, BodyErrorsHaveNoParam) {
  Failure f = chat_error("{\"messages\": [");
  EXPECT_EQ(f.param, "");
  EXPECT_NE(f.message.find("not valid JSON"), std::string::npos);
  f = chat_error("[1,2]");
  EXPECT_EQ(f.param, "");
  EXPECT_NE(f.message.find("expected a JSON object, got an array"), std::string::npos);
  f = chat_error("");
  EXPECT_EQ(f.param, "");
  f = chat_error("{\"messages\":\"\xff\"}");  // invalid UTF-8 is refused by the JSON parser
  EXPECT_EQ(f.param, "");
}

TEST(OpenAiRequestTest, DeepNestingIsRefusedBeforeParsing) {
  // A tool schema nested a million levels deep would overflow the stack when copied.
  const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  Failure f = chat_error(chat(
      R"("tools":[{"type":"function","function":{"name":"f","parameters":{"a":)" + deep + "}}}]"));
  EXPECT_EQ(f.param, "");
  EXPECT_NE(f.message.find("nested deeper than 128 levels"), std::string::npos) << f.message;
  f = completion_error(R"({"prompt":"a","metadata":)" + deep + "}");
  EXPECT_NE(f.message.find("nested deeper"), std::string::npos) << f.message;
  // Brackets inside strings do not count; nesting up to the limit is fine.
  chat_ok(chat(R"("user":"[[[[[[[[{{{{{{\"[[[[")"));
  const std::string ok_depth = std::string(kMaxJsonDepth - 5, '[') +
                               std::string(kMaxJsonDepth - 5, ']');  // 5 levels around it
  chat_ok(chat(R"("tools":[{"type":"function","function":{"name":"f","parameters":{"a":)" +
               ok_depth + "}}}]"));
}

TEST(OpenAiRequestTest, FullRequestRoundTrip) {
  const auto req = chat_ok(R"({
    "model": "qwen3-0.6b",
    "messages": [
      {"role": "system", "content": "You are terse."},
      {"role": "user", "content": [{"type": "text", "text": "Weather in"}, {"type": "text", "text": "Paris?"}]},
      {"role": "assistant", "content": null, "reasoning_content": "need the tool",
       "tool_calls": [{"id": "call_1", "type": "function",
                       "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp\": 21}"},
      {"role": "assistant", "content": "21 degrees."},
      {"role": "user", "content": "Thanks", "name": "ann"}
    ],
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather now",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                              "required": ["city"]}, "strict": true}}],
    "tool_choice": "auto", "parallel_tool_calls": false,
    "stream": true, "stream_options": {"include_usage": true},
    "response_format": {"type": "text"},
    "max_completion_tokens": 128, "temperature": 0.7, "top_p": 0.9, "seed": -5,
    "stop": ["END", "\n\n"], "presence_penalty": 0.5, "frequency_penalty": -0.5,
    "logprobs": true, "top_logprobs": 3, "logit_bias": {"42": -100, "7": 2.5},
    "n": 1, "user": "u-1", "metadata": {"k": "v"}, "store": false,
    "chat_template_kwargs": {"enable_thinking": false, "custom_flag": 3},
    "top_k": 20, "min_p": 0.05, "repetition_penalty": 1.1
  })");
  EXPECT_EQ(req.model, "qwen3-0.6b");
  ASSERT_EQ(req.messages.size(), 6u);
  EXPECT_EQ(req.messages[0].role, "system");
  EXPECT_EQ(req.messages[1].content, "Weather in\nParis?");
  const ChatMessage& call = req.messages[2];
  EXPECT_EQ(call.role, "assistant");
  EXPECT_FALSE(call.content);
  EXPECT_EQ(call.reasoning_content, "need the tool");
  ASSERT_EQ(call.tool_calls.size(), 1u);
  EXPECT_EQ(call.tool_calls[0].id, "call_1");
  EXPECT_EQ(call.tool_calls[0].name, "get_weather");
  EXPECT_EQ(call.tool_calls[0].arguments, ChatJson("{\"city\": \"Paris\"}"));
  EXPECT_EQ(req.messages[3].role, "tool");
  EXPECT_EQ(req.messages[3].tool_call_id, "call_1");
  EXPECT_EQ(req.messages[3].content, "{\"temp\": 21}");
  EXPECT_EQ(req.messages[5].name, "ann");

  ASSERT_EQ(req.functions.size(), 1u);
  EXPECT_EQ(req.functions[0].name, "get_weather");
  EXPECT_EQ(req.functions[0].description, "Weather now");
  EXPECT_TRUE(req.functions[0].strict);
  EXPECT_EQ(req.functions[0].parameters["required"][0], "city");
  ASSERT_TRUE(req.tools.is_array());
  // The tools keep the client's key order (the template prints them).
  EXPECT_EQ(req.tools[0]["function"].dump().substr(0, 22), R"({"name":"get_weather",)");
  EXPECT_EQ(req.tool_choice.mode, ToolChoiceMode::kAuto);
  EXPECT_FALSE(req.parallel_tool_calls);
  EXPECT_TRUE(req.stream);
  EXPECT_TRUE(req.include_usage);
  EXPECT_EQ(req.response_format.type, ResponseFormatType::kText);
  EXPECT_EQ(req.sampling.max_tokens, 128);
  EXPECT_EQ(req.sampling.temperature, 0.7);
  EXPECT_EQ(req.sampling.top_p, 0.9);
  EXPECT_EQ(req.sampling.seed, -5);
  EXPECT_EQ(req.sampling.stop, (std::vector<std::string>{"END", "\n\n"}));
  EXPECT_EQ(req.sampling.presence_penalty, 0.5);
  EXPECT_EQ(req.sampling.frequency_penalty, -0.5);
  EXPECT_EQ(req.sampling.top_k, 20);
  EXPECT_EQ(req.sampling.min_p, 0.05);
  EXPECT_EQ(req.sampling.repetition_penalty, 1.1);
  EXPECT_TRUE(req.logprobs);
  EXPECT_EQ(req.top_logprobs, 3);
  EXPECT_EQ(req.sampling.logit_bias.at(42), -100);
  EXPECT_EQ(req.sampling.logit_bias.at(7), 2.5);
  EXPECT_EQ(req.enable_thinking, false);
  EXPECT_EQ(req.template_kwargs, ChatJson({{"custom_flag", 3}}));

  const ChatInput input = to_chat_input(req);
  ASSERT_EQ(input.messages.size(), 6u);
  // normalize_openai_input: the arguments text became an object, null content became "".
  EXPECT_EQ(input.messages[2].tool_calls[0].arguments, ChatJson({{"city", "Paris"}}));
  EXPECT_EQ(input.messages[2].content, "");
  EXPECT_EQ(input.tools, req.tools);
  EXPECT_EQ(input.enable_thinking, false);
  EXPECT_EQ(input.kwargs, ChatJson({{"custom_flag", 3}}));
  EXPECT_TRUE(input.add_generation_prompt);

  SamplingParams defaults;
  defaults.penalty_last_n = 99;
  const SamplingParams p = to_sampling_params(req.sampling, defaults);
  EXPECT_FLOAT_EQ(p.temperature, 0.7f);
  EXPECT_FLOAT_EQ(p.top_p, 0.9f);
  EXPECT_EQ(p.top_k, 20);
  EXPECT_FLOAT_EQ(p.min_p, 0.05f);
  EXPECT_FLOAT_EQ(p.repeat_penalty, 1.1f);
  EXPECT_FLOAT_EQ(p.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(p.frequency_penalty, -0.5f);
  EXPECT_EQ(p.seed, static_cast<uint64_t>(int64_t{-5}));
  EXPECT_EQ(p.penalty_last_n, 99);  // not in the request: the default stays
  EXPECT_TRUE(std::isinf(p.logit_bias.at(42)) && p.logit_bias.at(42) < 0);
  EXPECT_FLOAT_EQ(p.logit_bias.at(7), 2.5f);
}

TEST(OpenAiRequestTest, SamplingDefaultsStayWhenNotGiven) {
  const auto req = chat_ok(chat(R"("top_k": -1)"));
  SamplingParams defaults;
  defaults.temperature = 0.6f;
  const SamplingParams p = to_sampling_params(req.sampling, defaults);
  EXPECT_FLOAT_EQ(p.temperature, 0.6f);
  EXPECT_FLOAT_EQ(p.top_p, defaults.top_p);
  EXPECT_EQ(p.top_k, 0);  // -1 (vLLM's "off") is our 0
  EXPECT_EQ(p.seed, defaults.seed);
}

TEST(OpenAiRequestTest, NullMeansAbsent) {
  const auto req = chat_ok(
      chat(R"("temperature":null,"tools":null,"tool_choice":null,"stop":null,"max_tokens":null,)"
           R"("stream_options":null,"response_format":null,"user":null,"n":null,"seed":null)"));
  EXPECT_FALSE(req.sampling.temperature);
  EXPECT_TRUE(req.sampling.stop.empty());
  EXPECT_FALSE(req.sampling.max_tokens);
}

TEST(OpenAiRequestTest, Messages) {
  expect_chat_error(R"({"model":"m"})", "messages", "required");
  expect_chat_error(R"({"messages":null})", "messages", "required");
  expect_chat_error(R"({"messages":{}})", "messages", "expected an array, got an object");
  expect_chat_error(R"({"messages":[]})", "messages", "at least one message");
  expect_chat_error(R"({"messages":["hi"]})", "messages[0]", "expected an object, got a string");
  expect_chat_error(R"({"messages":[{"content":"hi"}]})", "messages[0].role", "required");
  expect_chat_error(R"({"messages":[{"role":"bot","content":"hi"}]})", "messages[0].role",
                    "'bot' is not one of");
  expect_chat_error(R"({"messages":[{"role":"function","name":"f","content":"x"}]})",
                    "messages[0].role", "deprecated", StatusCode::kUnsupported);
  expect_chat_error(R"({"messages":[{"role":"user"}]})", "messages[0].content", "required");
  expect_chat_error(R"({"messages":[{"role":"user","content":null}]})", "messages[0].content",
                    "required");
  expect_chat_error(R"({"messages":[{"role":"user","content":5}]})", "messages[0].content",
                    "expected a string or an array of content parts, got a number");
  expect_chat_error(R"({"messages":[{"role":"user","content":"a","colour":"red"}]})",
                    "messages[0].colour", "unrecognized field for a 'user' message");
  expect_chat_error(R"({"messages":[{"role":"user","content":"a","tool_calls":[]}]})",
                    "messages[0].tool_calls", "unrecognized field");
  expect_chat_error(R"({"messages":[{"role":"user","content":"a","name":1}]})", "messages[0].name",
                    "expected a string");
  expect_chat_error(R"({"messages":[{"role":"assistant"}]})", "messages[0].content",
                    "needs content or tool_calls");
  expect_chat_error(R"({"messages":[{"role":"assistant","content":"a","audio":{"id":"x"}}]})",
                    "messages[0].audio", "not supported", StatusCode::kUnsupported);
  expect_chat_error(
      R"({"messages":[{"role":"assistant","content":"a","function_call":{"name":"f"}}]})",
      "messages[0].function_call", "deprecated", StatusCode::kUnsupported);
  expect_chat_error(R"({"messages":[{"role":"assistant","content":"a","refusal":3}]})",
                    "messages[0].refusal", "expected a string");
  // A refusal echoed back by a client is accepted.
  chat_ok(R"({"messages":[{"role":"assistant","content":"a","refusal":null,"annotations":[]}]})");
}

TEST(OpenAiRequestTest, DeveloperIsSystem) {
  const auto req = chat_ok(
      R"({"messages":[{"role":"developer","content":"be brief"},{"role":"user","content":"x"}]})");
  EXPECT_EQ(req.messages[0].role, "system");
}

TEST(OpenAiRequestTest, ContentParts) {
  const auto req = chat_ok(
      R"({"messages":[{"role":"user","content":[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}}]}]})");
  EXPECT_EQ(req.messages[0].content, "a");
  EXPECT_EQ(chat_ok(R"({"messages":[{"role":"user","content":[]}]})").messages[0].content, "");
  expect_chat_error(
      R"({"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"http://x/y.png"}}]}]})",
      "messages[0].content[1].type", "'image_url' are not supported", StatusCode::kUnsupported);
  expect_chat_error(
      R"({"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]})",
      "messages[0].content[0].type", "not supported", StatusCode::kUnsupported);
  expect_chat_error(R"({"messages":[{"role":"user","content":[{"type":"video"}]}]})",
                    "messages[0].content[0].type", "unknown content part type 'video'");
  expect_chat_error(R"({"messages":[{"role":"user","content":[{"text":"a"}]}]})",
                    "messages[0].content[0].type", "required");
  expect_chat_error(R"({"messages":[{"role":"user","content":[{"type":"text"}]}]})",
                    "messages[0].content[0].text", "required");
  expect_chat_error(R"({"messages":[{"role":"user","content":[{"type":"text","text":1}]}]})",
                    "messages[0].content[0].text", "expected a string");
  expect_chat_error(R"({"messages":[{"role":"user","content":["a"]}]})", "messages[0].content[0]",
                    "expected an object");
}

TEST(OpenAiRequestTest, AssistantToolCalls) {
  auto body = [](std::string_view calls) {
    return fmt::format(
        R"({{"messages":[{{"role":"user","content":"x"}},{{"role":"assistant","tool_calls":{}}}]}})",
        calls);
  };
  // Arguments as an object are accepted too; type and id may be absent.
  const auto req = chat_ok(body(R"([{"function":{"name":"f","arguments":{"a":1}}}])"));
  EXPECT_EQ(req.messages[1].tool_calls[0].arguments, ChatJson({{"a", 1}}));
  EXPECT_EQ(req.messages[1].tool_calls[0].id, "");
  chat_ok(
      body(R"([{"index":0,"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}])"));

  expect_chat_error(body(R"({})"), "messages[1].tool_calls", "expected an array");
  expect_chat_error(body(R"([{"id":"c"}])"), "messages[1].tool_calls[0].function", "required");
  expect_chat_error(body(R"([{"type":"custom","function":{"name":"f","arguments":"{}"}}])"),
                    "messages[1].tool_calls[0].type", "'function'", StatusCode::kUnsupported);
  expect_chat_error(body(R"([{"function":{"arguments":"{}"}}])"),
                    "messages[1].tool_calls[0].function.name", "required");
  expect_chat_error(body(R"([{"function":{"name":"","arguments":"{}"}}])"),
                    "messages[1].tool_calls[0].function.name", "must not be empty");
  expect_chat_error(body(R"([{"function":{"name":"f"}}])"),
                    "messages[1].tool_calls[0].function.arguments", "required");
  expect_chat_error(body(R"([{"function":{"name":"f","arguments":[1]}}])"),
                    "messages[1].tool_calls[0].function.arguments", "expected a string");
  expect_chat_error(body(R"([{"function":{"name":"f","arguments":"{}","x":1}}])"),
                    "messages[1].tool_calls[0].function.x", "unrecognized");
  expect_chat_error(body(R"([{"function":{"name":"f","arguments":"{}"},"extra":1}])"),
                    "messages[1].tool_calls[0].extra", "unrecognized");
}

TEST(OpenAiRequestTest, ToolMessagesAnswerToolCalls) {
  const char* calls =
      R"({"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},)"
      R"({"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]})";
  // Two answers in a row to one assistant message.
  const auto req = chat_ok(fmt::format(
      R"({{"messages":[{{"role":"user","content":"x"}},{},{{"role":"tool","tool_call_id":"b","content":"1"}},{{"role":"tool","tool_call_id":"a","content":[{{"type":"text","text":"2"}}]}}]}})",
      calls));
  EXPECT_EQ(req.messages[3].tool_call_id, "a");
  EXPECT_EQ(req.messages[3].content, "2");

  expect_chat_error(R"({"messages":[{"role":"tool","tool_call_id":"a","content":"1"}]})",
                    "messages[0].role", "must answer a preceding assistant message");
  expect_chat_error(
      fmt::format(
          R"({{"messages":[{},{{"role":"user","content":"x"}},{{"role":"tool","tool_call_id":"a","content":"1"}}]}})",
          calls),
      "messages[2].role", "must answer");
  expect_chat_error(
      fmt::format(R"({{"messages":[{},{{"role":"tool","tool_call_id":"zz","content":"1"}}]}})",
                  calls),
      "messages[1].tool_call_id", "'zz' is not the id of a tool call");
  expect_chat_error(fmt::format(R"({{"messages":[{},{{"role":"tool","content":"1"}}]}})", calls),
                    "messages[1].tool_call_id", "required");
  expect_chat_error(
      fmt::format(R"({{"messages":[{},{{"role":"tool","tool_call_id":"a"}}]}})", calls),
      "messages[1].content", "required");
  expect_chat_error(
      fmt::format(
          R"({{"messages":[{},{{"role":"tool","tool_call_id":"a","content":"1","name":"f"}}]}})",
          calls),
      "messages[1].name", "unrecognized field for a 'tool' message");
}

TEST(OpenAiRequestTest, Tools) {
  const std::string tool = R"({"type":"function","function":{"name":"f"}})";
  const auto req = chat_ok(chat(R"("tools":[)" + tool + "]"));
  EXPECT_EQ(req.tool_choice.mode, ToolChoiceMode::kAuto);  // OpenAI's default with tools
  EXPECT_TRUE(req.functions[0].parameters.is_null());
  // An empty list is no tools.
  EXPECT_TRUE(chat_ok(chat(R"("tools":[])")).tools.is_null());

  expect_chat_error(chat(R"("tools":{})"), "tools", "expected an array");
  expect_chat_error(chat(R"("tools":[1])"), "tools[0]", "expected an object");
  expect_chat_error(chat(R"("tools":[{"function":{"name":"f"}}])"), "tools[0].type", "required");
  expect_chat_error(chat(R"("tools":[{"type":"function"}])"), "tools[0].function", "required");
  expect_chat_error(chat(R"("tools":[{"type":"custom","custom":{"name":"f"}}])"), "tools[0].type",
                    "only tools of type 'function'", StatusCode::kUnsupported);
  expect_chat_error(chat(R"("tools":[{"type":"function","function":{}}])"),
                    "tools[0].function.name", "required");
  expect_chat_error(chat(R"("tools":[{"type":"function","function":{"name":"a b"}}])"),
                    "tools[0].function.name", "1 to 64 characters");
  expect_chat_error(
      chat(R"("tools":[{"type":"function","function":{"name":")" + std::string(65, 'x') + "\"}}]"),
      "tools[0].function.name", "1 to 64 characters");
  expect_chat_error(
      chat(R"("tools":[{"type":"function","function":{"name":"f","parameters":"{}"}}])"),
      "tools[0].function.parameters", "expected an object");
  expect_chat_error(
      chat(R"("tools":[{"type":"function","function":{"name":"f","description":2}}])"),
      "tools[0].function.description", "expected a string");
  expect_chat_error(chat(R"("tools":[{"type":"function","function":{"name":"f","strict":"y"}}])"),
                    "tools[0].function.strict", "expected a boolean");
  expect_chat_error(chat(R"("tools":[{"type":"function","function":{"name":"f","x":1}}])"),
                    "tools[0].function.x", "unrecognized");
  expect_chat_error(chat(R"("tools":[{"type":"function","function":{"name":"f"},"x":1}])"),
                    "tools[0].x", "unrecognized");
  expect_chat_error(chat(R"("tools":[)" + tool + "," + tool + "]"), "tools[1].function.name",
                    "defined twice");
}

TEST(OpenAiRequestTest, ToolChoice) {
  const std::string tools = R"("tools":[{"type":"function","function":{"name":"f"}}])";
  EXPECT_EQ(chat_ok(chat(tools + R"(,"tool_choice":"none")")).tool_choice.mode,
            ToolChoiceMode::kNone);
  EXPECT_EQ(chat_ok(chat(tools + R"(,"tool_choice":"required")")).tool_choice.mode,
            ToolChoiceMode::kRequired);
  // The order of the keys does not matter.
  const auto named =
      chat_ok(chat(R"("tool_choice":{"type":"function","function":{"name":"f"}},)" + tools));
  EXPECT_EQ(named.tool_choice.mode, ToolChoiceMode::kFunction);
  EXPECT_EQ(named.tool_choice.function_name, "f");
  // "auto" and "none" without tools are fine (nothing to call).
  EXPECT_EQ(chat_ok(chat(R"("tool_choice":"auto")")).tool_choice.mode, ToolChoiceMode::kNone);
  chat_ok(chat(R"("tool_choice":"none")"));

  expect_chat_error(chat(tools + R"(,"tool_choice":"any")"), "tool_choice", "'any' is not one of");
  expect_chat_error(chat(tools + R"(,"tool_choice":1)"), "tool_choice",
                    "expected a string or an object");
  expect_chat_error(chat(tools + R"(,"tool_choice":{"type":"function","function":{"name":"g"}})"),
                    "tool_choice.function.name", "'g' is not the name of a tool");
  expect_chat_error(chat(tools + R"(,"tool_choice":{"type":"function"})"), "tool_choice.function",
                    "required");
  expect_chat_error(chat(tools + R"(,"tool_choice":{"type":"function","function":{}})"),
                    "tool_choice.function.name", "required");
  expect_chat_error(chat(tools + R"(,"tool_choice":{"function":{"name":"f"}})"), "tool_choice.type",
                    "required");
  expect_chat_error(chat(tools + R"(,"tool_choice":{"type":"allowed_tools"})"), "tool_choice.type",
                    "not supported", StatusCode::kUnsupported);
  expect_chat_error(chat(R"("tool_choice":"required")"), "tool_choice", "requires tools");
  expect_chat_error(chat(R"("tool_choice":{"type":"function","function":{"name":"f"}})"),
                    "tool_choice", "requires tools");
}

TEST(OpenAiRequestTest, ToolChoiceNoneKeepsToolsOutOfThePrompt) {
  const std::string tools = R"("tools":[{"type":"function","function":{"name":"f"}}])";
  EXPECT_TRUE(to_chat_input(chat_ok(chat(tools + R"(,"tool_choice":"none")"))).tools.is_null());
  EXPECT_TRUE(to_chat_input(chat_ok(chat(tools))).tools.is_array());
}

TEST(OpenAiRequestTest, ResponseFormat) {
  EXPECT_EQ(chat_ok(chat(R"("response_format":{"type":"json_object"})")).response_format.type,
            ResponseFormatType::kJsonObject);
  const auto req = chat_ok(chat(
      R"("response_format":{"type":"json_schema","json_schema":{"name":"point","description":"d","strict":true,"schema":{"type":"object"}}})"));
  EXPECT_EQ(req.response_format.type, ResponseFormatType::kJsonSchema);
  EXPECT_EQ(req.response_format.name, "point");
  EXPECT_EQ(req.response_format.description, "d");
  EXPECT_TRUE(req.response_format.strict);
  EXPECT_EQ(req.response_format.schema, ChatJson({{"type", "object"}}));

  expect_chat_error(chat(R"("response_format":"json")"), "response_format", "expected an object");
  expect_chat_error(chat(R"("response_format":{})"), "response_format.type", "required");
  expect_chat_error(chat(R"("response_format":{"type":"xml"})"), "response_format.type",
                    "'xml' is not one of");
  expect_chat_error(chat(R"("response_format":{"type":"json_schema"})"),
                    "response_format.json_schema", "required");
  expect_chat_error(chat(R"("response_format":{"type":"json_schema","json_schema":{"schema":{}}})"),
                    "response_format.json_schema.name", "required");
  expect_chat_error(chat(R"("response_format":{"type":"json_schema","json_schema":{"name":"p"}})"),
                    "response_format.json_schema.schema", "required");
  expect_chat_error(
      chat(R"("response_format":{"type":"json_schema","json_schema":{"name":"p","schema":[]}})"),
      "response_format.json_schema.schema", "expected an object");
  expect_chat_error(
      chat(R"("response_format":{"type":"json_schema","json_schema":{"name":"p q","schema":{}}})"),
      "response_format.json_schema.name", "1 to 64 characters");
  expect_chat_error(
      chat(
          R"("response_format":{"type":"json_schema","json_schema":{"name":"p","schema":{},"x":1}})"),
      "response_format.json_schema.x", "unrecognized");
  expect_chat_error(chat(R"("response_format":{"type":"text","json_schema":{}})"),
                    "response_format.json_schema", "unrecognized");
}

TEST(OpenAiRequestTest, Streaming) {
  expect_chat_error(chat(R"("stream":"yes")"), "stream", "expected a boolean, got a string");
  expect_chat_error(chat(R"("stream_options":{"include_usage":true})"), "stream_options",
                    "only allowed when stream is true");
  expect_chat_error(chat(R"("stream":true,"stream_options":{"include_usage":1})"),
                    "stream_options.include_usage", "expected a boolean");
  expect_chat_error(chat(R"("stream":true,"stream_options":{"usage":true})"),
                    "stream_options.usage", "unrecognized");
  expect_chat_error(chat(R"("stream":true,"stream_options":[])"), "stream_options",
                    "expected an object");
  const auto req = chat_ok(
      chat(R"("stream":true,"stream_options":{"include_usage":false,"include_obfuscation":true})"));
  EXPECT_FALSE(req.include_usage);
}

TEST(OpenAiRequestTest, MaxTokens) {
  EXPECT_EQ(chat_ok(chat(R"("max_tokens":5)")).sampling.max_tokens, 5);
  EXPECT_EQ(chat_ok(chat(R"("max_tokens":5.0)")).sampling.max_tokens, 5);
  EXPECT_EQ(chat_ok(chat(R"("max_completion_tokens":6)")).sampling.max_tokens, 6);
  EXPECT_EQ(chat_ok(chat(R"("max_completion_tokens":6,"max_tokens":6)")).sampling.max_tokens, 6);
  expect_chat_error(chat(R"("max_tokens":0)"), "max_tokens", "must be >= 1");
  expect_chat_error(chat(R"("max_tokens":-3)"), "max_tokens", "must be >= 1");
  expect_chat_error(chat(R"("max_tokens":2.5)"), "max_tokens", "expected an integer");
  expect_chat_error(chat(R"("max_tokens":"10")"), "max_tokens",
                    "expected an integer, got a string");
  expect_chat_error(chat(R"("max_tokens":99999999999)"), "max_tokens", "must be >= 1 and <=");
  expect_chat_error(chat(R"("max_tokens":18446744073709551615)"), "max_tokens", "must be <=");
  expect_chat_error(chat(R"("max_completion_tokens":0)"), "max_completion_tokens", "must be >= 1");
  expect_chat_error(chat(R"("max_completion_tokens":6,"max_tokens":7)"), "max_tokens", "disagree");
}

TEST(OpenAiRequestTest, SamplingRanges) {
  chat_ok(chat(R"("temperature":0,"top_p":1,"presence_penalty":-2,"frequency_penalty":2)"));
  chat_ok(chat(R"("temperature":2,"top_p":0.01)"));
  expect_chat_error(chat(R"("temperature":2.01)"), "temperature", "must be >= 0 and <= 2");
  expect_chat_error(chat(R"("temperature":-0.1)"), "temperature", "must be >= 0");
  expect_chat_error(chat(R"("temperature":"hot")"), "temperature", "expected a number");
  expect_chat_error(chat(R"("top_p":0)"), "top_p", "must be > 0 and <= 1");
  expect_chat_error(chat(R"("top_p":1.5)"), "top_p", "must be > 0");
  expect_chat_error(chat(R"("presence_penalty":2.5)"), "presence_penalty", "<= 2");
  expect_chat_error(chat(R"("frequency_penalty":-3)"), "frequency_penalty", ">= -2");
  expect_chat_error(chat(R"("top_k":-2)"), "top_k", ">= -1");
  expect_chat_error(chat(R"("top_k":1.5)"), "top_k", "expected an integer");
  expect_chat_error(chat(R"("min_p":1.5)"), "min_p", "<= 1");
  expect_chat_error(chat(R"("repetition_penalty":0)"), "repetition_penalty", "must be > 0");
  expect_chat_error(chat(R"("seed":"1")"), "seed", "expected an integer");
  expect_chat_error(chat(R"("seed":1.5)"), "seed", "expected an integer");
  expect_chat_error(chat(R"("seed":true)"), "seed", "expected an integer, got a boolean");
}

TEST(OpenAiRequestTest, Stop) {
  EXPECT_EQ(chat_ok(chat(R"("stop":"x")")).sampling.stop, std::vector<std::string>{"x"});
  EXPECT_TRUE(chat_ok(chat(R"("stop":[])")).sampling.stop.empty());
  chat_ok(chat(R"("stop":["a","b","c","d"])"));
  expect_chat_error(chat(R"("stop":["a","b","c","d","e"])"), "stop", "at most 4");
  expect_chat_error(chat(R"("stop":[1])"), "stop[0]", "expected a string");
  expect_chat_error(chat(R"("stop":["a",""])"), "stop[1]", "must not be empty");
  expect_chat_error(chat(R"("stop":"")"), "stop", "must not be empty");
  expect_chat_error(chat(R"("stop":{})"), "stop", "expected a string or an array of strings");
}

TEST(OpenAiRequestTest, Logprobs) {
  expect_chat_error(chat(R"("top_logprobs":2)"), "top_logprobs", "requires logprobs");
  expect_chat_error(chat(R"("logprobs":false,"top_logprobs":2)"), "top_logprobs",
                    "requires logprobs");
  expect_chat_error(chat(R"("logprobs":true,"top_logprobs":21)"), "top_logprobs", "<= 20");
  expect_chat_error(chat(R"("logprobs":true,"top_logprobs":-1)"), "top_logprobs", ">= 0");
  expect_chat_error(chat(R"("logprobs":1)"), "logprobs", "expected a boolean");
  EXPECT_EQ(chat_ok(chat(R"("logprobs":true,"top_logprobs":20)")).top_logprobs, 20);
  EXPECT_EQ(chat_ok(chat(R"("logprobs":true)")).top_logprobs, 0);
}

TEST(OpenAiRequestTest, LogitBias) {
  expect_chat_error(chat(R"("logit_bias":[])"), "logit_bias", "expected an object");
  expect_chat_error(chat(R"("logit_bias":{"abc":1})"), "logit_bias", "token ids");
  expect_chat_error(chat(R"("logit_bias":{"-1":1})"), "logit_bias", "token ids");
  expect_chat_error(chat(R"("logit_bias":{"99999999999":1})"), "logit_bias", "token ids");
  expect_chat_error(chat(R"("logit_bias":{"5":101})"), "logit_bias", "<= 100");
  expect_chat_error(chat(R"("logit_bias":{"5":"1"})"), "logit_bias", "expected a number");
}

TEST(OpenAiRequestTest, OnlyOneChoice) {
  chat_ok(chat(R"("n":1)"));
  expect_chat_error(chat(R"("n":2)"), "n", "only n=1 is supported", StatusCode::kUnsupported);
  expect_chat_error(chat(R"("n":0)"), "n", "must be >= 1");
}

TEST(OpenAiRequestTest, ChatTemplateKwargs) {
  EXPECT_EQ(chat_ok(chat(R"("chat_template_kwargs":{"enable_thinking":true})")).enable_thinking,
            true);
  expect_chat_error(chat(R"("chat_template_kwargs":{"enable_thinking":"no"})"),
                    "chat_template_kwargs.enable_thinking", "expected a boolean");
  expect_chat_error(chat(R"("chat_template_kwargs":[])"), "chat_template_kwargs",
                    "expected an object");
  expect_chat_error(chat(R"("chat_template_kwargs":{"messages":[]})"),
                    "chat_template_kwargs.messages", "set by the request");
}

TEST(OpenAiRequestTest, IgnoredAndRefusedParameters) {
  // Defined by OpenAI, no effect on the output: accepted.
  chat_ok(chat(
      R"("user":"u","metadata":{},"store":true,"service_tier":"auto","prompt_cache_key":"k","safety_identifier":"s","modalities":["text"],"prediction":{"type":"content","content":"x"})"));
  expect_chat_error(chat(R"("user":5)"), "user", "expected a string");
  expect_chat_error(chat(R"("metadata":"x")"), "metadata", "expected an object");
  expect_chat_error(chat(R"("store":"x")"), "store", "expected a boolean");
  // Would change the output and is not implemented: refused, by name.
  expect_chat_error(chat(R"("modalities":["text","audio"])"), "modalities", "'audio'",
                    StatusCode::kUnsupported);
  expect_chat_error(chat(R"("audio":{"voice":"alloy","format":"wav"})"), "audio", "not supported",
                    StatusCode::kUnsupported);
  expect_chat_error(chat(R"("functions":[])"), "functions", "deprecated", StatusCode::kUnsupported);
  expect_chat_error(chat(R"("function_call":"auto")"), "function_call", "deprecated",
                    StatusCode::kUnsupported);
  expect_chat_error(chat(R"("web_search_options":{})"), "web_search_options", "not supported",
                    StatusCode::kUnsupported);
  expect_chat_error(chat(R"("reasoning_effort":"low")"), "reasoning_effort", "enable_thinking",
                    StatusCode::kUnsupported);
  expect_chat_error(chat(R"("verbosity":"low")"), "verbosity", "not supported",
                    StatusCode::kUnsupported);
  // Not an OpenAI parameter at all.
  expect_chat_error(chat(R"("temprature":0.5)"), "temprature", "unrecognized request argument");
  expect_chat_error(chat(R"("prompt":"x")"), "prompt", "unrecognized");
}

TEST(OpenAiRequestTest, TheFirstErrorIsReported) {
  const Failure f = chat_error(R"({"temperature":9,"messages":[]})");
  EXPECT_EQ(f.param, "temperature");
}

TEST(OpenAiRequestTest, ErrorResponseCarriesTheParam) {
  std::string param;
  auto r = parse_chat_completion_request(chat(R"("top_p":7)"), &param);
  ASSERT_FALSE(r.ok());
  const http::Response resp = http::error_response(r.status(), param);
  EXPECT_EQ(resp.status, 400);
  const auto j = nlohmann::json::parse(resp.body);
  EXPECT_EQ(j["error"]["param"], "top_p");
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["message"], "top_p: must be > 0 and <= 1, got 7");
}

// ---- /v1/completions ----

TEST(OpenAiRequestTest, CompletionRoundTrip) {
  std::string param;
  auto r = parse_completion_request(
      R"({"model":"m","prompt":"Once upon","max_tokens":32,"temperature":0.2,"stream":true,)"
      R"("stream_options":{"include_usage":true},"logprobs":2,"stop":"\n","seed":3,"n":1,)"
      R"("best_of":1,"suffix":null,"echo":false,"user":"x","logit_bias":{"1":-1}})",
      &param);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->model, "m");
  EXPECT_EQ(std::get<std::string>(r->prompt), "Once upon");
  EXPECT_EQ(r->sampling.max_tokens, 32);
  EXPECT_EQ(r->sampling.temperature, 0.2);
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->include_usage);
  EXPECT_EQ(r->logprobs, 2);
  EXPECT_EQ(r->sampling.stop, std::vector<std::string>{"\n"});
  EXPECT_EQ(r->sampling.seed, 3);
  EXPECT_FALSE(r->echo);

  auto defaults = parse_completion_request(R"({"prompt":""})");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->logprobs, -1);
  EXPECT_EQ(std::get<std::string>(defaults->prompt), "");
}

TEST(OpenAiRequestTest, CompletionPromptForms) {
  auto prompt = [](std::string_view p) {
    auto r = parse_completion_request(fmt::format(R"({{"prompt":{}}})", p));
    EXPECT_TRUE(r.ok()) << p << ": " << r.status().to_string();
    return r.ok() ? r->prompt : std::variant<std::string, std::vector<int32_t>>{};
  };
  EXPECT_EQ(std::get<std::string>(prompt(R"(["one"])")), "one");
  EXPECT_EQ(std::get<std::vector<int32_t>>(prompt("[1,2,3]")), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(std::get<std::vector<int32_t>>(prompt("[[4,5]]")), (std::vector<int32_t>{4, 5}));

  expect_completion_error(R"({"model":"m"})", "prompt", "required");
  expect_completion_error(R"({"prompt":null})", "prompt", "required");
  expect_completion_error(R"({"prompt":5})", "prompt", "expected a string");
  expect_completion_error(R"({"prompt":[]})", "prompt", "must not be empty");
  expect_completion_error(R"({"prompt":["a","b"]})", "prompt", "one prompt per request",
                          StatusCode::kUnsupported);
  expect_completion_error(R"({"prompt":[[1],[2]]})", "prompt", "one prompt per request",
                          StatusCode::kUnsupported);
  expect_completion_error(R"({"prompt":[1,-2]})", "prompt[1]", ">= 0");
  expect_completion_error(R"({"prompt":[1,"a"]})", "prompt[1]", "expected an integer");
  expect_completion_error(R"({"prompt":[[]]})", "prompt[0]", "must not be empty");
  expect_completion_error(R"({"prompt":[true]})", "prompt[0]", "expected a string, a token id");
}

TEST(OpenAiRequestTest, CompletionValidation) {
  expect_completion_error(R"({"prompt":"a","suffix":"b"})", "suffix", "not supported",
                          StatusCode::kUnsupported);
  EXPECT_TRUE(parse_completion_request(R"({"prompt":"a","suffix":""})").ok());
  expect_completion_error(R"({"prompt":"a","echo":true,"logprobs":1})", "echo", "not supported",
                          StatusCode::kUnsupported);
  EXPECT_TRUE(parse_completion_request(R"({"prompt":"a","echo":true})").ok());
  expect_completion_error(R"({"prompt":"a","best_of":3})", "best_of", "only best_of=1",
                          StatusCode::kUnsupported);
  expect_completion_error(R"({"prompt":"a","n":2})", "n", "only n=1", StatusCode::kUnsupported);
  expect_completion_error(R"({"prompt":"a","logprobs":6})", "logprobs", "<= 5");
  expect_completion_error(R"({"prompt":"a","logprobs":true})", "logprobs", "expected an integer");
  expect_completion_error(R"({"prompt":"a","max_tokens":0})", "max_tokens", ">= 1");
  expect_completion_error(R"({"prompt":"a","max_completion_tokens":5})", "max_completion_tokens",
                          "unrecognized");
  expect_completion_error(R"({"prompt":"a","messages":[]})", "messages", "unrecognized");
  expect_completion_error(R"({"prompt":"a","stream_options":{"include_usage":true}})",
                          "stream_options", "only allowed when stream is true");
  expect_completion_error(R"({"prompt":"a","temperature":3})", "temperature", "<= 2");
  expect_completion_error(R"({"prompt":"a","echo":"y"})", "echo", "expected a boolean");
  expect_completion_error("prompt", "", "not valid JSON");
}

}  // namespace
}  // namespace qwl::openai
