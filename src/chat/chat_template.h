// Chat templates: renders the Jinja chat template shipped with a model (tokenizer_config.json
// "chat_template", GGUF tokenizer.chat_template) into the prompt text, byte for byte as Hugging
// Face transformers renders it.
//
// The reference is python3-jinja2 (3.1) configured as transformers does:
// ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
// extensions=[loopcontrols, a {% generation %} tag that renders its body]); the tojson filter
// is json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False); the
// globals raise_exception(message) and strftime_now(format) exist. Templates are rendered with
// the variables messages, tools, add_generation_prompt, the special tokens given, and any
// chat_template_kwargs (enable_thinking, ...). docs/CHAT.md lists the Jinja subset supported.
//
// JSON at this API is nlohmann::ordered_json (ChatJson): object keys keep their order, which
// decides the text of "tool | tojson" in prompts. This header is the chat layer's only
// third-party type in a public signature; the engine layers below never see it.
//
// Errors (Status): InvalidArgument for a template that does not parse or an input the template
// rejects (raise_exception, a type error such as str + None), with "chat template:LINE:COL: "
// in front; Unsupported for valid Jinja this interpreter does not implement (include,
// recursive loops, 64-bit integer overflow); ResourceExhausted when a render limit is reached.
// A render never crashes or hangs, whatever the template.
// Thread-safety: a ChatTemplate is immutable after parse(); render() may be called from several
// threads at once. Copies share the parsed template.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace qwl {

using ChatJson = nlohmann::ordered_json;

// One call of a tool, as an assistant message carries it.
struct ToolCall {
  std::string id;                           // omitted from the template input when empty
  std::string name;                         // the function's name
  ChatJson arguments = ChatJson::object();  // a JSON object (a string is passed through)
};

// One message of a conversation. In the template input the keys come in this order: role,
// content, reasoning_content, tool_calls, tool_call_id, name, then the keys of `extra`.
struct ChatMessage {
  std::string role;                              // "system", "user", "assistant", "tool"
  std::optional<std::string> content;            // nullopt: content is null
  std::optional<std::string> reasoning_content;  // nullopt: key absent
  std::vector<ToolCall> tool_calls;              // empty: key absent
  std::optional<std::string> tool_call_id;       // nullopt: key absent
  std::optional<std::string> name;               // nullopt: key absent
  // Other keys (an object). A key that is also one of the fields above replaces that field's
  // value in place, e.g. "content" as a list of parts for multimodal templates.
  ChatJson extra = ChatJson::object();
};

struct ChatInput {
  std::vector<ChatMessage> messages;
  ChatJson tools;  // null (no tools) or an array of tool schemas
  bool add_generation_prompt = true;
  std::optional<bool> enable_thinking;   // nullopt: not passed (the template's default)
  std::optional<std::string> bos_token;  // nullopt: not passed
  std::optional<std::string> eos_token;
  ChatJson kwargs = ChatJson::object();  // chat_template_kwargs, passed as top-level variables
};

struct RenderLimits {
  size_t max_output_bytes = size_t{64} << 20;  // the prompt, and any string built on the way
  int64_t max_loop_iterations = 10'000'000;    // summed over all loops and list filters
  int max_call_depth = 200;                    // nested macro calls
};

struct RenderOptions {
  RenderLimits limits;
  // The time strftime_now() formats (local time of clock->wall_us()); Clock::real() if null.
  const Clock* clock = nullptr;
};

namespace jinja {
struct Program;
}

class ChatTemplate {
 public:
  // Parses `source` (the template text). InvalidArgument with line and column on a syntax
  // error; Unsupported for template inheritance, include/import and recursive loops.
  static Result<ChatTemplate> parse(std::string_view source);

  // Renders the conversation: the template sees chat_input_to_context(input).
  Result<std::string> render(const ChatInput& input, const RenderOptions& options = {}) const;

  // Renders with `context` (a JSON object) as the template's top-level variables.
  Result<std::string> render_context(const ChatJson& context,
                                     const RenderOptions& options = {}) const;

  const std::string& source() const { return *source_; }

 private:
  ChatTemplate() = default;
  std::shared_ptr<const jinja::Program> program_;
  std::shared_ptr<const std::string> source_;
};

// The template variables for `input`: {"messages": [...], "tools": ..., "add_generation_prompt":
// ..., then enable_thinking, bos_token, eos_token when set, then the kwargs}.
ChatJson chat_input_to_context(const ChatInput& input);

// The reverse of chat_input_to_context for a context object with those keys (messages is
// required; other unknown top-level keys become kwargs). Message fields whose JSON type does
// not fit the typed field (content as a list, reasoning_content null, tool calls of another
// shape) are kept in ChatMessage::extra. InvalidArgument names the offending field
// ("messages[2].role: expected a string").
Result<ChatInput> chat_input_from_json(const ChatJson& context);

// Adapts a conversation from an OpenAI-style request to what the Qwen templates expect, as
// inference servers do before rendering:
//   - tool-call arguments sent as a JSON string (OpenAI's "function.arguments") become the JSON
//     object they encode (Qwen2.5 and QwQ print `arguments | tojson`, which would otherwise
//     quote the string); a string that is not a JSON object is left as it is;
//   - an assistant message whose content is null gets "" (Qwen3's and QwQ's templates fail on
//     null content; for every Qwen template "" renders as null would where null works).
void normalize_openai_input(ChatInput* input);

}  // namespace qwl
