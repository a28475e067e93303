// Response formatting: chat.completion bodies, chunk sequences for text, reasoning, one and
// several tool calls, usage and logprobs (golden strings), text completions and the model list;
// and a client's fold of the chunks (as the openai npm client accumulates them) equal to the
// non-streamed message for every way the model output can be cut into pieces.
#include "server/openai_response.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace qwl::openai {
namespace {

using json = nlohmann::ordered_json;

ChatStreamOptions stream_options(bool include_usage = false, bool logprobs = false) {
  return {.id = "chatcmpl-x",
          .created = 1700000000,
          .model = "qwen3",
          .include_usage = include_usage,
          .logprobs = logprobs};
}

// The chunk the encoder writes for `delta` (a JSON text) with the fixed header above.
std::string chunk(std::string_view delta, std::string_view finish = "null",
                  std::string_view logprobs = "null", bool usage_null = false) {
  return fmt::format(
      R"({{"id":"chatcmpl-x","object":"chat.completion.chunk","created":1700000000,"model":"qwen3",)"
      R"("choices":[{{"index":0,"delta":{},"logprobs":{},"finish_reason":{}}}]{}}})",
      delta, logprobs, finish, usage_null ? R"(,"usage":null)" : "");
}

const std::string kRoleDelta = R"({"role":"assistant","content":""})";

// Runs `text` through the streaming parser in `pieces` and the encoder; returns every chunk.
std::vector<std::string> stream_chunks(const std::vector<std::string>& pieces,
                                       FinishReason reason = FinishReason::kStop,
                                       bool include_usage = false) {
  SequentialIdGenerator ids;
  ChatStreamEncoder encoder(stream_options(include_usage), ids);
  StreamingToolCallParser parser;
  std::vector<std::string> out;
  for (const std::string& piece : pieces) {
    std::vector<ChatDelta> deltas;
    parser.feed(piece, &deltas);
    encoder.add(deltas, {}, &out);
  }
  std::vector<ChatDelta> deltas;
  parser.finish(&deltas);
  encoder.add(deltas, {}, &out);
  encoder.finish(reason, Usage{.prompt_tokens = 10, .completion_tokens = 5}, &out);
  return out;
}

TEST(OpenAiResponseTest, ChatCompletionWithContent) {
  SequentialIdGenerator ids;
  ChatCompletion c{.id = "chatcmpl-abc",
                   .created = 1700000000,
                   .model = "qwen3-0.6b",
                   .output = {.content = "Hello there."},
                   .finish_reason = FinishReason::kStop,
                   .usage = {.prompt_tokens = 12, .completion_tokens = 4, .cached_tokens = 8}};
  EXPECT_EQ(
      chat_completion_json(c, ids),
      R"({"id":"chatcmpl-abc","object":"chat.completion","created":1700000000,"model":"qwen3-0.6b",)"
      R"("choices":[{"index":0,"message":{"role":"assistant","content":"Hello there.","refusal":null},)"
      R"("logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":4,)"
      R"("total_tokens":16,"prompt_tokens_details":{"cached_tokens":8}}})");
}

TEST(OpenAiResponseTest, ChatCompletionWithReasoningAndToolCalls) {
  SequentialIdGenerator ids;
  ChatCompletion c{.id = "chatcmpl-abc", .created = 1, .model = "m"};
  c.output = parse_model_output(
      "<think>\nCheck both.\n</think>\n\n<tool_call>\n{\"name\": \"weather\", \"arguments\": "
      "{\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"time\", \"arguments\": "
      "{}}\n</tool_call>");
  c.finish_reason = finish_reason_for(StopReason::kEog, has_valid_tool_calls(c.output));
  c.usage = {.prompt_tokens = 3, .completion_tokens = 30, .reasoning_tokens = 4};
  const json j = json::parse(chat_completion_json(c, ids));
  const json& m = j["choices"][0]["message"];
  EXPECT_EQ(m["role"], "assistant");
  EXPECT_TRUE(m["content"].is_null());  // only tool calls
  EXPECT_EQ(m["reasoning_content"], "Check both.");
  ASSERT_EQ(m["tool_calls"].size(), 2u);
  EXPECT_EQ(
      m["tool_calls"][0].dump(),
      R"({"id":"call_0","type":"function","function":{"name":"weather","arguments":"{\"city\": \"Paris\"}"}})");
  EXPECT_EQ(m["tool_calls"][1]["id"], "call_1");
  EXPECT_EQ(m["tool_calls"][1]["function"]["arguments"], "{}");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_EQ(j["usage"]["completion_tokens_details"]["reasoning_tokens"], 4);
  EXPECT_EQ(j["usage"]["total_tokens"], 33);
}

TEST(OpenAiResponseTest, ContentBesideToolCallsIsKept) {
  SequentialIdGenerator ids;
  ChatCompletion c{.id = "i", .model = "m"};
  c.output = parse_model_output(
      "Let me look.\n<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>");
  const json j = json::parse(chat_completion_json(c, ids));
  EXPECT_EQ(j["choices"][0]["message"]["content"], "Let me look.");
  EXPECT_EQ(j["choices"][0]["message"]["tool_calls"].size(), 1u);
  // An empty answer without calls is "", not null.
  c.output = {};
  EXPECT_EQ(json::parse(chat_completion_json(c, ids))["choices"][0]["message"]["content"], "");
}

TEST(OpenAiResponseTest, InvalidToolCallBecomesContent) {
  SequentialIdGenerator ids;
  ChatCompletion c{.id = "i", .model = "m"};
  c.output =
      parse_model_output("Sure.<tool_call>\n{\"name\": \"f\", \"arguments\": [1]}\n</tool_call>");
  ASSERT_EQ(c.output.tool_calls.size(), 1u);
  ASSERT_FALSE(c.output.tool_calls[0].error.ok());
  c.finish_reason = finish_reason_for(StopReason::kEog, has_valid_tool_calls(c.output));
  const json j = json::parse(chat_completion_json(c, ids));
  EXPECT_EQ(j["choices"][0]["message"]["content"],
            "Sure.<tool_call>\n{\"name\": \"f\", \"arguments\": [1]}\n</tool_call>");
  EXPECT_FALSE(j["choices"][0]["message"].contains("tool_calls"));
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
}

TEST(OpenAiResponseTest, CutOffToolCallBecomesContentWithoutAClosingTag) {
  // The output ended inside the call (max_tokens): the content is what the model wrote, with
  // no "</tool_call>" it never wrote.
  SequentialIdGenerator ids;
  ChatCompletion c{.id = "i", .model = "m"};
  c.output = parse_model_output("<tool_call>\n{\"name\": \"f\", \"argu");
  const json j = json::parse(chat_completion_json(c, ids));
  EXPECT_EQ(j["choices"][0]["message"]["content"], "<tool_call>\n{\"name\": \"f\", \"argu");
  EXPECT_EQ(stream_chunks({"<tool_call>\nnot json"})[1],
            chunk(R"({"content":"<tool_call>\nnot json"})"));
}

TEST(OpenAiResponseTest, ChatLogprobs) {
  SequentialIdGenerator ids;
  ChatCompletion c{.id = "i", .model = "m", .output = {.content = "Hi"}, .logprobs = true};
  c.token_logprobs = {
      {.token = "Hi", .logprob = -0.31f, .top_logprobs = {{"Hi", -0.31f}, {"Hello", -1.5f}}},
      {.token = "\xe4", .logprob = -std::numeric_limits<float>::infinity()}};
  const json j = json::parse(chat_completion_json(c, ids));
  EXPECT_EQ(j["choices"][0]["logprobs"].dump(),
            R"({"content":[{"token":"Hi","logprob":-0.31,"bytes":[72,105],"top_logprobs":[)"
            R"({"token":"Hi","logprob":-0.31,"bytes":[72,105]},{"token":"Hello","logprob":-1.5,)"
            R"("bytes":[72,101,108,108,111]}]},{"token":")"
            "\xef\xbf\xbd"
            R"(","logprob":-9999.0,"bytes":[228],)"
            R"("top_logprobs":[]}],"refusal":null})");
}

TEST(OpenAiResponseTest, FinishReasons) {
  EXPECT_EQ(finish_reason_for(StopReason::kEog, false), FinishReason::kStop);
  EXPECT_EQ(finish_reason_for(StopReason::kStopString, false), FinishReason::kStop);
  EXPECT_EQ(finish_reason_for(StopReason::kEog, true), FinishReason::kToolCalls);
  EXPECT_EQ(finish_reason_for(StopReason::kMaxTokens, true), FinishReason::kLength);
  EXPECT_EQ(finish_reason_for(StopReason::kContextFull, false), FinishReason::kLength);
  EXPECT_EQ(finish_reason_name(FinishReason::kStop), "stop");
  EXPECT_EQ(finish_reason_name(FinishReason::kLength), "length");
  EXPECT_EQ(finish_reason_name(FinishReason::kToolCalls), "tool_calls");
  EXPECT_EQ(finish_reason_name(FinishReason::kContentFilter), "content_filter");
}

TEST(OpenAiResponseTest, StreamOfText) {
  const auto chunks = stream_chunks({"Hel", "lo", "!"});
  const std::vector<std::string> expected = {
      R"({"id":"chatcmpl-x","object":"chat.completion.chunk","created":1700000000,"model":"qwen3",)"
      R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]})",
      chunk(R"({"content":"Hel"})"),
      chunk(R"({"content":"lo"})"),
      chunk(R"({"content":"!"})"),
      R"({"id":"chatcmpl-x","object":"chat.completion.chunk","created":1700000000,"model":"qwen3",)"
      R"("choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]})",
      "[DONE]",
  };
  EXPECT_EQ(chunks, expected);
}

TEST(OpenAiResponseTest, StreamOfReasoningThenContent) {
  const auto chunks = stream_chunks({"<think>\nHm", "m.\n</think>\n\nYes", "."});
  const std::vector<std::string> expected = {
      chunk(kRoleDelta),
      chunk(R"({"reasoning_content":"Hm"})"),
      chunk(R"({"reasoning_content":"m."})"),
      chunk(R"({"content":"Yes"})"),
      chunk(R"({"content":"."})"),
      chunk("{}", R"("stop")"),
      "[DONE]",
  };
  EXPECT_EQ(chunks, expected);
}

TEST(OpenAiResponseTest, StreamOfOneToolCall) {
  const auto chunks =
      stream_chunks({"<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"ci", "ty\": 1}}",
                     "\n</tool_call>"},
                    FinishReason::kToolCalls);
  const std::vector<std::string> expected = {
      chunk(kRoleDelta),
      chunk(
          R"({"tool_calls":[{"index":0,"id":"call_0","type":"function","function":{"name":"get_weather","arguments":""}}]})"),
      chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]})"),
      chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"ty\": 1}"}}]})"),
      chunk("{}", R"("tool_calls")"),
      "[DONE]",
  };
  EXPECT_EQ(chunks, expected);
}

TEST(OpenAiResponseTest, StreamOfSeveralToolCallsAfterContent) {
  const std::string text =
      "Checking.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": 1}}\n</tool_call>\n"
      "<tool_call>\n{\"name\": \"b\", \"arguments\": {}}\n</tool_call>";
  const auto chunks = stream_chunks({text}, FinishReason::kToolCalls);
  const std::vector<std::string> expected = {
      chunk(kRoleDelta),
      chunk(R"({"content":"Checking."})"),
      chunk(
          R"({"tool_calls":[{"index":0,"id":"call_0","type":"function","function":{"name":"a","arguments":""}}]})"),
      chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"x\": 1}"}}]})"),
      chunk(
          R"({"tool_calls":[{"index":1,"id":"call_1","type":"function","function":{"name":"b","arguments":""}}]})"),
      chunk(R"({"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]})"),
      chunk("{}", R"("tool_calls")"),
      "[DONE]",
  };
  EXPECT_EQ(chunks, expected);
}

TEST(OpenAiResponseTest, StreamWithUsage) {
  const auto chunks = stream_chunks({"Hi"}, FinishReason::kLength, /*include_usage=*/true);
  const std::vector<std::string> expected = {
      chunk(kRoleDelta, "null", "null", true),
      chunk(R"({"content":"Hi"})", "null", "null", true),
      chunk("{}", R"("length")", "null", true),
      R"({"id":"chatcmpl-x","object":"chat.completion.chunk","created":1700000000,"model":"qwen3",)"
      R"("choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,)"
      R"("prompt_tokens_details":{"cached_tokens":0}}})",
      "[DONE]",
  };
  EXPECT_EQ(chunks, expected);
}

TEST(OpenAiResponseTest, EmptyStreamStillHasRoleAndFinish) {
  SequentialIdGenerator ids;
  ChatStreamEncoder encoder(stream_options(), ids);
  std::vector<std::string> out;
  encoder.finish(FinishReason::kStop, {}, &out);
  EXPECT_EQ(out, (std::vector<std::string>{chunk(kRoleDelta), chunk("{}", R"("stop")"), "[DONE]"}));
}

TEST(OpenAiResponseTest, InvalidCallThatNeverBeganIsStreamedAsContent) {
  // The body never shows a name, so no tool call chunk went out before it failed.
  const auto chunks = stream_chunks({"<tool_call>\nnot json\n</tool_call>"});
  const std::vector<std::string> expected = {
      chunk(kRoleDelta),
      chunk(R"({"content":"<tool_call>\nnot json\n</tool_call>"})"),
      chunk("{}", R"("stop")"),
      "[DONE]",
  };
  EXPECT_EQ(chunks, expected);
}

TEST(OpenAiResponseTest, StreamLogprobsRideOnTheNextChunk) {
  SequentialIdGenerator ids;
  ChatStreamEncoder encoder(stream_options(false, true), ids);
  StreamingToolCallParser parser;
  std::vector<std::string> out;
  const TokenLogprob a{.token = "<tool_", .logprob = -0.5f};
  const TokenLogprob b{.token = "x", .logprob = -0.25f};
  std::vector<ChatDelta> deltas;
  parser.feed("<tool_", &deltas);  // held back: could be a tag
  EXPECT_TRUE(deltas.empty());
  encoder.add(deltas, std::span(&a, 1), &out);
  deltas.clear();
  parser.feed("x", &deltas);  // not a tag after all
  encoder.add(deltas, std::span(&b, 1), &out);
  encoder.finish(FinishReason::kStop, {}, &out);
  const std::string lp_a =
      R"({"token":"<tool_","logprob":-0.5,"bytes":[60,116,111,111,108,95],"top_logprobs":[]})";
  const std::string lp_b = R"({"token":"x","logprob":-0.25,"bytes":[120],"top_logprobs":[]})";
  const std::vector<std::string> expected = {
      // Never on the role chunk (the npm client would count them twice): both tokens' logprobs
      // wait for the first content chunk.
      chunk(kRoleDelta),
      chunk(R"({"content":"<tool_x"})", "null",
            fmt::format(R"({{"content":[{},{}],"refusal":null}})", lp_a, lp_b)),
      chunk("{}", R"("stop")"),
      "[DONE]",
  };
  EXPECT_EQ(out, expected);
}

// Folds chunks as the openai npm client's ChatCompletionStream does: content and reasoning
// appended, tool calls by index (id, type and name set, arguments appended), the finish reason.
json fold(const std::vector<std::string>& chunks) {
  json message = {{"content", nullptr}};
  std::string finish;
  EXPECT_EQ(chunks.back(), "[DONE]");
  for (size_t i = 0; i + 1 < chunks.size(); ++i) {
    const json c = json::parse(chunks[i]);
    EXPECT_EQ(c["object"], "chat.completion.chunk");
    if (c["choices"].empty()) continue;
    const json& choice = c["choices"][0];
    EXPECT_EQ(choice["index"], 0);
    if (!choice["finish_reason"].is_null()) finish = choice["finish_reason"];
    const json& d = choice["delta"];
    if (d.contains("role")) message["role"] = d["role"];
    if (d.contains("content") && !d["content"].is_null()) {
      const std::string prev =
          message["content"].is_null() ? "" : message["content"].get<std::string>();
      message["content"] = prev + d["content"].get<std::string>();
    }
    if (d.contains("reasoning_content")) {
      std::string r = message.value("reasoning_content", "");
      message["reasoning_content"] = r + d["reasoning_content"].get<std::string>();
    }
    if (d.contains("tool_calls")) {
      for (const json& tc : d["tool_calls"]) {
        const size_t k = tc["index"];
        json& calls = message["tool_calls"];
        while (calls.size() <= k) calls.push_back(json::object());
        json& call = calls[k];
        if (tc.contains("id")) call["id"] = tc["id"];
        if (tc.contains("type")) call["type"] = tc["type"];
        if (tc["function"].contains("name")) call["function"]["name"] = tc["function"]["name"];
        std::string args = call["function"].value("arguments", "");
        call["function"]["arguments"] = args + tc["function"].value("arguments", "");
      }
    }
  }
  message["finish_reason"] = finish;
  return message;
}

TEST(OpenAiResponseTest, StreamFoldsToTheNonStreamedMessageHoweverTheOutputIsCut) {
  const std::vector<std::string> outputs = {
      "Plain answer, no tags.",
      "<think>\nstep 1\nstep 2\n</think>\n\nThe answer is 42.",
      "<think>\nplan\n</think>\n\nOk.\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"q\": "
      "\"a \\\"b\\\" ü\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"g\", \"arguments\": {}}\n"
      "</tool_call>",
      "x <tool_call>\nbroken\n</tool_call>",
      "a < b <tool and </tool_call> <think> inside",
  };
  for (const std::string& text : outputs) {
    const ParsedOutput parsed = parse_model_output(text);
    const bool calls = has_valid_tool_calls(parsed);
    const FinishReason reason = finish_reason_for(StopReason::kEog, calls);
    SequentialIdGenerator ids;
    const json full = json::parse(chat_completion_json(
        ChatCompletion{.id = "chatcmpl-x", .output = parsed, .finish_reason = reason}, ids));
    json expected = full["choices"][0]["message"];
    expected.erase("refusal");
    // The first chunk's content is "" (nothing is known yet), so a client's fold of a
    // tool-calls-only stream has "" where the non-streamed message has null.
    if (expected["content"].is_null()) expected["content"] = "";
    expected["finish_reason"] = full["choices"][0]["finish_reason"];
    // Every cut into two pieces and the one-byte-at-a-time stream.
    std::vector<std::vector<std::string>> cuts;
    for (size_t cut = 0; cut <= text.size(); ++cut) {
      cuts.push_back({text.substr(0, cut), text.substr(cut)});
    }
    std::vector<std::string> bytes;
    for (char ch : text) bytes.emplace_back(1, ch);
    cuts.push_back(bytes);
    for (const auto& pieces : cuts) {
      json got = fold(stream_chunks(pieces, reason));
      if (got.contains("tool_calls")) {
        // Ids are generated per call: check their shape, then compare the rest.
        for (size_t k = 0; k < got["tool_calls"].size(); ++k) {
          EXPECT_EQ(got["tool_calls"][k]["id"], fmt::format("call_{}", k));
        }
      }
      // Compared without key order (the fold adds keys in arrival order).
      ASSERT_EQ(nlohmann::json::parse(got.dump()), nlohmann::json::parse(expected.dump()))
          << text << "\ncut into " << pieces.size() << " pieces, first '" << pieces[0] << "'";
    }
  }
}

TEST(OpenAiResponseTest, TextCompletion) {
  TextCompletion c{.id = "cmpl-1",
                   .created = 5,
                   .model = "m",
                   .text = " upon a time",
                   .finish_reason = FinishReason::kLength,
                   .usage = {.prompt_tokens = 2, .completion_tokens = 3}};
  EXPECT_EQ(text_completion_json(c),
            R"({"id":"cmpl-1","object":"text_completion","created":5,"model":"m","choices":[)"
            R"({"text":" upon a time","index":0,"logprobs":null,"finish_reason":"length"}],)"
            R"("usage":{"prompt_tokens":2,"completion_tokens":3,"total_tokens":5,)"
            R"("prompt_tokens_details":{"cached_tokens":0}}})");
  c.logprobs = true;
  c.text = " upon";
  c.token_logprobs = {
      {.token = " up", .logprob = -1.0f, .top_logprobs = {{" up", -1.0f}, {" in", -2.0f}}},
      {.token = "on", .logprob = -0.5f}};
  EXPECT_EQ(json::parse(text_completion_json(c))["choices"][0]["logprobs"].dump(),
            R"({"tokens":[" up","on"],"token_logprobs":[-1.0,-0.5],"top_logprobs":[{" up":-1.0,)"
            R"(" in":-2.0},{}],"text_offset":[0,3]})");
}

TEST(OpenAiResponseTest, TextCompletionStream) {
  TextStreamEncoder encoder(
      {.id = "cmpl-1", .created = 5, .model = "m", .include_usage = true, .logprobs = true});
  std::vector<std::string> out;
  const TokenLogprob a{.token = "ab", .logprob = -1.0f};
  const TokenLogprob b{.token = "c", .logprob = -2.0f};
  encoder.add("ab", std::span(&a, 1), &out);
  encoder.add("", {}, &out);  // nothing to send
  encoder.add("c", std::span(&b, 1), &out);
  encoder.finish(FinishReason::kStop, {.prompt_tokens = 1, .completion_tokens = 2}, &out);
  const std::string head = R"({"id":"cmpl-1","object":"text_completion","created":5,"model":"m",)";
  const std::vector<std::string> expected = {
      head +
          R"("choices":[{"text":"ab","index":0,"logprobs":{"tokens":["ab"],"token_logprobs":[-1.0],)"
          R"("top_logprobs":[{}],"text_offset":[0]},"finish_reason":null}],"usage":null})",
      head +
          R"("choices":[{"text":"c","index":0,"logprobs":{"tokens":["c"],"token_logprobs":[-2.0],)"
          R"("top_logprobs":[{}],"text_offset":[2]},"finish_reason":null}],"usage":null})",
      head +
          R"("choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"stop"}],"usage":null})",
      head + R"("choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,)"
             R"("prompt_tokens_details":{"cached_tokens":0}}})",
      "[DONE]",
  };
  EXPECT_EQ(out, expected);
}

TEST(OpenAiResponseTest, Models) {
  const ModelCard models[] = {{.id = "qwen3-0.6b", .created = 10},
                              {.id = "b", .created = 0, .owned_by = "me"}};
  EXPECT_EQ(model_json(models[0]),
            R"({"id":"qwen3-0.6b","object":"model","created":10,"owned_by":"qwenlayer"})");
  EXPECT_EQ(model_list_json(models),
            R"({"object":"list","data":[{"id":"qwen3-0.6b","object":"model","created":10,)"
            R"("owned_by":"qwenlayer"},{"id":"b","object":"model","created":0,"owned_by":"me"}]})");
  EXPECT_EQ(model_list_json({}), R"({"object":"list","data":[]})");
}

TEST(OpenAiResponseTest, StreamErrorIsTheOpenAiErrorJson) {
  const json j = json::parse(stream_error_json(ResourceExhaustedError("queue full")));
  EXPECT_EQ(j["error"]["message"], "queue full");
  EXPECT_EQ(j["error"]["type"], "rate_limit_error");
  // 5xx details stay on the server.
  const json k = json::parse(stream_error_json(InternalError("/secret/path broke")));
  EXPECT_EQ(k["error"]["message"], "internal server error");
}

TEST(OpenAiResponseTest, Ids) {
  SequentialIdGenerator seq;
  EXPECT_EQ(seq.next("call_"), "call_0");
  EXPECT_EQ(seq.next("chatcmpl-"), "chatcmpl-1");
  const std::string a = IdGenerator::random().next("chatcmpl-");
  const std::string b = IdGenerator::random().next("chatcmpl-");
  EXPECT_EQ(a.size(), 9u + 24u);
  EXPECT_EQ(a.rfind("chatcmpl-", 0), 0u);
  EXPECT_NE(a, b);
  for (char c : a.substr(9)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << a;
}

}  // namespace
}  // namespace qwl::openai
