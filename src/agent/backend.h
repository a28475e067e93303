// Model backends: where the agent's model turns come from.
//
//   OpenAiBackend    any OpenAI-compatible /v1/chat/completions endpoint, streamed (our own
//                    `qwenlayer serve`, which is how the local engine is reached, or vLLM,
//                    llama-server, ... serving a larger Qwen model: `--backend URL`);
//   ScriptedBackend  given outputs, in order: the loop's unit tests and `eval --backend
//                    scripted` are exact with it.
//
// A request is an OpenAI chat request (messages, tools); the reply is the assistant's content,
// reasoning and tool calls, parsed the same way for every backend (chat/tool_call_parser.h):
// OpenAiBackend takes the server's parsed tool_calls, ScriptedBackend parses its raw text
// ("<tool_call>\n{...}\n</tool_call>") as our server would. Text arrives in pieces through
// `on_text` while the model writes (content only, never reasoning or call syntax).
//
// Errors: Unavailable (cannot connect, the server answered 5xx or went away), OutOfRange
// (past the request's deadline), Cancelled (the stop token was triggered), InvalidArgument
// (the server refused the request: 4xx, with its message), Internal (a reply that is not
// OpenAI's format). Thread-safety: a backend may serve several requests at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "chat/chat_template.h"

namespace qwl::agent {

struct ModelRequest {
  ChatJson messages = ChatJson::array();  // OpenAI chat messages
  ChatJson tools;                         // OpenAI tools array, or null
  float temperature = 0.0f;
  int max_tokens = 1024;
  std::optional<bool> enable_thinking;  // chat_template_kwargs.enable_thinking when set
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::stop_token stop;
};

struct ModelToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // the JSON text the model wrote
  std::string error;      // why the call is malformed ("" when it parsed)
};

struct ModelReply {
  std::string content;
  std::string reasoning;
  std::vector<ModelToolCall> tool_calls;
  std::string finish_reason;  // "stop", "length", "tool_calls"
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

using TextSink = std::function<void(std::string_view piece)>;

class ModelBackend {
 public:
  virtual ~ModelBackend() = default;
  virtual Result<ModelReply> complete(const ModelRequest& request, const TextSink& on_text) = 0;
  // The model's context in tokens (0 when unknown).
  virtual int64_t context_tokens() const = 0;
  // An estimate of the request's prompt in tokens, for fitting the history into the context.
  virtual int64_t estimate_tokens(const ModelRequest& request) const;
  // "scripted", or the endpoint's URL and model.
  virtual std::string describe() const = 0;
};

struct OpenAiBackendOptions {
  std::string base_url;  // e.g. "http://127.0.0.1:8080/v1" (".../chat/completions" is added)
  std::string model;     // "model" in requests; "" = the first of GET /models
  std::string api_key;   // sent as "Authorization: Bearer KEY" when not empty
  int64_t context_tokens = 32768;
  std::chrono::seconds connect_timeout{10};
};

class OpenAiBackend final : public ModelBackend {
 public:
  explicit OpenAiBackend(OpenAiBackendOptions options);
  Result<ModelReply> complete(const ModelRequest& request, const TextSink& on_text) override;
  int64_t context_tokens() const override { return options_.context_tokens; }
  std::string describe() const override;
  // Points the backend elsewhere (a server that learned its port after the backend was made).
  void set_base_url(std::string base_url);

 private:
  Result<std::string> model_name();
  std::string base_url() const;
  OpenAiBackendOptions options_;
  mutable std::mutex mu_;
  std::string resolved_model_;
};

// Replies with `outputs` in order, each raw model text parsed like our server's output; past
// the end it answers FailedPrecondition. With a responder instead, each reply is computed from
// the request (eval's scripted backend matches the conversation so far).
class ScriptedBackend final : public ModelBackend {
 public:
  using Responder = std::function<Result<std::string>(const ModelRequest& request)>;
  explicit ScriptedBackend(std::vector<std::string> outputs, int64_t context_tokens = 32768);
  explicit ScriptedBackend(Responder responder, int64_t context_tokens = 32768);

  Result<ModelReply> complete(const ModelRequest& request, const TextSink& on_text) override;
  int64_t context_tokens() const override { return context_tokens_; }
  std::string describe() const override { return "scripted"; }

  // The requests seen so far (for tests).
  std::vector<ModelRequest> requests() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> outputs_;
  size_t next_ = 0;
  Responder responder_;
  int64_t context_tokens_;
  std::vector<ModelRequest> requests_;
};

// Parses raw model text (Qwen's format) into a reply, as ScriptedBackend does.
ModelReply parse_reply(std::string_view raw);

}  // namespace qwl::agent
