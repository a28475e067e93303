// The OpenAI API's responses: chat.completion and text_completion bodies, the chunks of their
// streams (chat.completion.chunk, text_completion), the /v1/models list, in the shapes OpenAI
// sends and its official clients (the `openai` npm package v4/v5, openai-python) parse.
//
// A streamed chat completion is, as OpenAI sends it: a first chunk whose delta is
// {"role":"assistant","content":""}; one chunk per content or reasoning_content delta; per tool
// call a chunk {"index":k,"id":"call_...","type":"function","function":{"name":N,"arguments":""}}
// and then chunks {"index":k,"function":{"arguments":FRAGMENT}}; a last chunk with an empty delta
// and the finish_reason; with stream_options.include_usage one more chunk whose choices are []
// and that carries the usage (every earlier chunk then has "usage": null); then "[DONE]". Each
// string the encoders produce is the data of one SSE event (http::EventSink::send(data)).
//
// Tool calls the model wrote that do not parse (ParsedToolCall::error set) are not tool calls:
// their text, between the <tool_call> tags the model wrote, is given back as content, so that
// nothing the model produced is lost: in a chat.completion after the content (ParsedOutput keeps
// no positions), in a stream where the model wrote it. Streamed, this holds for a call whose
// name had not been seen yet; a call whose name was already sent as a tool-call chunk cannot be
// taken back and stays a (broken) tool call.
//
// Ids: chat completions are "chatcmpl-<24 chars>", text completions "cmpl-<24>", tool calls
// "call_<24>", from an IdGenerator (random by default, sequential in tests). Times are Unix
// seconds, given by the caller (its clock). Text is written as UTF-8; invalid bytes (a token
// that is half a character) become U+FFFD in "token" and "text", while "bytes" keeps them.
//
// Thread-safety: the functions are pure; an encoder belongs to one stream (one thread at a
// time); IdGenerator::random() and SequentialIdGenerator may be shared by all threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "chat/chat_template.h"
#include "chat/tool_call_parser.h"
#include "runtime/generator.h"

namespace qwl::openai {

// Makes the unique part of response and tool call ids.
class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  // `prefix` followed by a new unique suffix. Thread-safe.
  virtual std::string next(std::string_view prefix) = 0;
  // Suffixes of 24 random characters [A-Za-z0-9] (a generator per thread, seeded by the OS).
  static IdGenerator& random();
};

// Suffixes "0", "1", "2", ... in call order, for tests and reproducible dumps.
class SequentialIdGenerator : public IdGenerator {
 public:
  std::string next(std::string_view prefix) override;

 private:
  std::atomic<uint64_t> next_{0};
};

enum class FinishReason { kStop, kLength, kToolCalls, kContentFilter };
// "stop", "length", "tool_calls", "content_filter".
std::string_view finish_reason_name(FinishReason reason);
// End of generation and stop strings are "stop" ("tool_calls" when the output has a tool call);
// the token limit and a full context are "length"; a cancelled request is "stop" (nobody reads
// it).
FinishReason finish_reason_for(StopReason stop, bool has_tool_calls);
// True when `output` has a tool call that parsed (one that becomes a tool_calls entry).
bool has_valid_tool_calls(const ParsedOutput& output);

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;                // prompt tokens whose KV came from the prefix cache
  std::optional<int64_t> reasoning_tokens;  // completion tokens inside <think>, when counted
};

struct TopLogprob {
  std::string token;  // the token's bytes
  float logprob = 0;  // natural log of its probability
};

// One generated token and its logprob, with the most likely alternatives at that step.
struct TokenLogprob {
  std::string token;
  float logprob = 0;
  std::vector<TopLogprob> top_logprobs;  // most likely first
};

struct ChatCompletion {
  std::string id;       // "chatcmpl-..."
  int64_t created = 0;  // Unix seconds
  std::string model;
  ParsedOutput output;  // content, reasoning and tool calls of the generated text
  FinishReason finish_reason = FinishReason::kStop;
  bool logprobs = false;                     // the request asked for logprobs
  std::vector<TokenLogprob> token_logprobs;  // every generated token, in order, when asked
  Usage usage;
};

// The chat.completion body. Tool call ids come from `ids`.
std::string chat_completion_json(const ChatCompletion& completion, IdGenerator& ids);

struct ChatStreamOptions {
  std::string id;  // the same for every chunk
  int64_t created = 0;
  std::string model;
  bool include_usage = false;  // stream_options.include_usage
  bool logprobs = false;       // the request asked for logprobs
};

// Turns the deltas of a StreamingToolCallParser into chat.completion.chunk payloads.
class ChatStreamEncoder {
 public:
  // `ids` (for tool call ids) must outlive the encoder.
  ChatStreamEncoder(ChatStreamOptions options, IdGenerator& ids);

  // Appends one chunk per delta to *out (the role chunk first, on the first call).
  // `logprobs` are those of the tokens that produced these deltas; they ride on the first chunk
  // appended, or wait for the next chunk when this call appends none (text held back by the
  // parser), so that the chunks' logprobs together list every token once, in order.
  void add(std::span<const ChatDelta> deltas, std::span<const TokenLogprob> logprobs,
           std::vector<std::string>* out);
  // Appends the last chunk (empty delta, `reason`), the usage chunk when include_usage, and
  // "[DONE]". Use finish_reason_for(stop, has_tool_calls()). Call once, after the parser's
  // finish() deltas were added.
  void finish(FinishReason reason, const Usage& usage, std::vector<std::string>* out);

  // True once a tool call chunk was sent.
  bool has_tool_calls() const { return n_calls_ > 0; }

 private:
  std::string chunk(ChatJson delta, const char* finish_reason, bool with_logprobs = true);
  void ensure_started(std::vector<std::string>* out);

  ChatStreamOptions options_;
  IdGenerator* ids_;
  bool started_ = false;
  bool finished_ = false;
  std::vector<int> call_index_;  // parser call index -> OpenAI tool call index, -1: not begun
  int n_calls_ = 0;              // tool calls sent
  std::vector<TokenLogprob> pending_logprobs_;
};

struct TextCompletion {
  std::string id;  // "cmpl-..."
  int64_t created = 0;
  std::string model;
  std::string text;  // with echo, the prompt text and then the generated text
  FinishReason finish_reason = FinishReason::kStop;
  bool logprobs = false;  // the request asked for logprobs (0..5)
  std::vector<TokenLogprob> token_logprobs;
  int64_t text_offset = 0;  // where the first logprob token starts in `text` (bytes)
  Usage usage;
};

// The text_completion body.
std::string text_completion_json(const TextCompletion& completion);

struct TextStreamOptions {
  std::string id;
  int64_t created = 0;
  std::string model;
  bool include_usage = false;
  bool logprobs = false;
};

// The text_completion chunks of a streamed text completion.
class TextStreamEncoder {
 public:
  explicit TextStreamEncoder(TextStreamOptions options);
  // Appends a chunk with `text` (and the logprobs of its tokens); nothing when both are empty.
  void add(std::string_view text, std::span<const TokenLogprob> logprobs,
           std::vector<std::string>* out);
  // Appends the last chunk (text "", `reason`), the usage chunk when include_usage, "[DONE]".
  void finish(FinishReason reason, const Usage& usage, std::vector<std::string>* out);

 private:
  std::string chunk(std::string_view text, ChatJson logprobs, const char* finish_reason);

  TextStreamOptions options_;
  int64_t text_offset_ = 0;  // bytes of text sent so far
  bool finished_ = false;
};

// The data of the SSE event that reports an error after a stream has started (OpenAI's clients
// raise it as an APIError): the error JSON of http::error_response(status).
std::string stream_error_json(const Status& status);

struct ModelCard {
  std::string id;
  int64_t created = 0;  // Unix seconds (e.g. the model file's modification time)
  std::string owned_by = "qwenlayer";
};

// {"id":...,"object":"model","created":...,"owned_by":...} for GET /v1/models/{id}.
std::string model_json(const ModelCard& model);
// {"object":"list","data":[...]} for GET /v1/models.
std::string model_list_json(std::span<const ModelCard> models);

}  // namespace qwl::openai
