// The OpenAI API's requests: parsing and complete validation of the bodies of
// POST /v1/chat/completions and POST /v1/completions into typed structs, and their conversion to
// what the engine takes (a ChatInput for the chat template, SamplingParams for the sampler).
//
// Validation follows OpenAI's documented contract: a wrong type, a value out of range, malformed
// JSON or a parameter we cannot honour is an error (HTTP 400) whose `param` names the field as a
// path ("temperature", "messages[2].content[0].type", "tools[1].function.name"). Parameters
// OpenAI defines that do not change the output (user, metadata, store, service_tier, ...) are
// accepted and ignored; parameters that would change it and that we do not implement (n > 1,
// audio, suffix, reasoning_effort, ...) are refused with a message that says so, never silently
// dropped; a name OpenAI does not define is refused as unrecognized. A few widely used
// extensions of other OpenAI-compatible servers are honoured: top_k, min_p, repetition_penalty,
// chat_template_kwargs, reasoning_content on assistant messages. docs/API.md lists all of it.
//
// null counts as absent for every optional parameter, as OpenAI treats it. The model name is
// optional here (empty = the server's default model); checking that it exists is the server's.
//
// Errors: InvalidArgument (malformed, wrong type, out of range) or Unsupported (valid OpenAI but
// not implemented here), both HTTP 400 through http::error_response(status, param).
// Thread-safety: pure functions over plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "base/status.h"
#include "chat/chat_template.h"
#include "runtime/sampler.h"

namespace qwl::openai {

// How many stop strings a request may give (OpenAI's limit).
inline constexpr size_t kMaxStopStrings = 4;
// top_logprobs at most (chat); logprobs at most (legacy completions).
inline constexpr int kMaxTopLogprobs = 20;
inline constexpr int kMaxCompletionLogprobs = 5;
// Arrays and objects nested deeper than this in a request body are refused (400): no real
// request comes near it, and it bounds the recursion of every later copy of the JSON.
inline constexpr int kMaxJsonDepth = 128;

// The sampling and length parameters that chat and text completions share. Each is nullopt
// (or empty) when the request did not give it: the server's defaults apply.
struct SamplingRequest {
  std::optional<int64_t> max_tokens;         // >= 1; max_completion_tokens or max_tokens
  std::optional<double> temperature;         // [0, 2]
  std::optional<double> top_p;               // (0, 1]
  std::optional<int> top_k;                  // extension: >= -1; -1 and 0 turn it off
  std::optional<double> min_p;               // extension: [0, 1]
  std::optional<double> presence_penalty;    // [-2, 2]
  std::optional<double> frequency_penalty;   // [-2, 2]
  std::optional<double> repetition_penalty;  // extension: (0, 2]
  std::optional<int64_t> seed;               // any integer
  std::vector<std::string> stop;             // at most kMaxStopStrings, none empty
  // Token id -> bias in [-100, 100] (added to the logit; -100 bans the token).
  std::unordered_map<int32_t, double> logit_bias;
};

// SamplingParams for `request`: each field the request gives replaces the one of `defaults`
// (the server's defaults, e.g. from the model's generation config). A logit bias of -100
// becomes -infinity (OpenAI: "-100 should result in a ban"). Token ids of logit_bias are not
// checked against the vocabulary here: call SamplingParams::validate(n_vocab) after.
SamplingParams to_sampling_params(const SamplingRequest& request, const SamplingParams& defaults);

// One function the model may call, as given in `tools`.
struct ToolFunction {
  std::string name;         // [A-Za-z0-9_-]{1,64}, unique within the request
  std::string description;  // empty when absent
  ChatJson parameters;      // a JSON Schema object, or null when absent
  bool strict = false;
};

enum class ToolChoiceMode { kAuto, kNone, kRequired, kFunction };

struct ToolChoice {
  ToolChoiceMode mode = ToolChoiceMode::kAuto;
  std::string function_name;  // for kFunction: a name from the request's tools
};

enum class ResponseFormatType { kText, kJsonObject, kJsonSchema };

struct ResponseFormat {
  ResponseFormatType type = ResponseFormatType::kText;
  // For kJsonSchema:
  std::string name;  // [A-Za-z0-9_-]{1,64}
  std::string description;
  ChatJson schema;  // a JSON object (the schema)
  bool strict = false;
};

struct ChatCompletionRequest {
  std::string model;                  // empty: the server's default model
  std::vector<ChatMessage> messages;  // at least one; roles system, user, assistant, tool
  // The tools exactly as the request gave them (an array of {"type":"function","function":{...}},
  // keys in the client's order, for the chat template), or null when none were given.
  ChatJson tools;
  std::vector<ToolFunction> functions;  // the same tools, typed
  ToolChoice tool_choice;               // kAuto by default (kNone when there are no tools)
  bool parallel_tool_calls = true;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  ResponseFormat response_format;
  SamplingRequest sampling;
  bool logprobs = false;
  int top_logprobs = 0;  // [0, 20]; only with logprobs
  std::string user;      // accepted, unused
  // chat_template_kwargs without enable_thinking (an object; never the template's own variables).
  ChatJson template_kwargs = ChatJson::object();
  std::optional<bool> enable_thinking;  // chat_template_kwargs.enable_thinking
};

// Parses and validates a chat completion request body. On error, *error_param (when not null)
// is set to the path of the offending field, or cleared when the error concerns the body as a
// whole (not JSON, not an object).
//
// Messages: "system" (and OpenAI's newer "developer", taken as "system"), "user", "assistant",
// "tool". Content is a string or an array of {"type":"text","text":...} parts (joined with "\n",
// as other servers do for text-only templates); any other part type (image_url, input_audio,
// file) is Unsupported. Assistant messages carry content and/or tool_calls (arguments as the
// JSON string OpenAI uses, or an object) and optionally reasoning_content; a tool message needs
// tool_call_id and must follow an assistant message with tool_calls (whose ids it names).
Result<ChatCompletionRequest> parse_chat_completion_request(std::string_view body,
                                                            std::string* error_param = nullptr);

// The template input for `request`: its messages (normalized with normalize_openai_input: tool
// arguments given as JSON text become objects, null assistant content becomes ""), its tools
// (omitted when tool_choice is "none", so that the model is not offered them), enable_thinking
// and the other chat_template_kwargs; add_generation_prompt is true.
ChatInput to_chat_input(const ChatCompletionRequest& request);

struct CompletionRequest {
  std::string model;  // empty: the server's default model
  // The prompt as text, or as token ids (each >= 0; ids past the vocabulary are the server's to
  // refuse). One prompt only: an array of several is Unsupported.
  std::variant<std::string, std::vector<int32_t>> prompt;
  bool echo = false;  // the response text starts with the prompt
  bool stream = false;
  bool include_usage = false;
  int logprobs = -1;  // -1: none; 0..5: the sampled token's logprob and this many alternatives
  SamplingRequest sampling;
  std::string user;
};

// Parses and validates a text completion request body; errors as for chat. `suffix` (insertion)
// and echo together with logprobs (prompt logprobs) are Unsupported; best_of and n must be 1.
Result<CompletionRequest> parse_completion_request(std::string_view body,
                                                   std::string* error_param = nullptr);

}  // namespace qwl::openai
