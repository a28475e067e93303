// Parsing Qwen model output into content, reasoning and tool calls, in one piece or streamed.
//
// The format (Qwen2.5 / Qwen3 / QwQ chat templates):
//   [<think>\n REASONING \n</think>\n\n] CONTENT [<tool_call>\n{"name": N, "arguments": {...}}\n
//   </tool_call>]...
// Rules, the same for parse_model_output and the streaming parser:
//   - Reasoning: a <think> at the start of the output (after whitespace) opens it; with
//     thinking_open (the prompt itself ended with "<think>\n", as Qwen3-Thinking-2507 and
//     Qwen3.5 templates do) the output starts inside it. It ends at the first </think> or at
//     the end of the output. Leading and trailing "\n" are removed from it, and leading "\n"
//     from the content that follows </think> (the templates put them back when rendering).
//   - Tool calls: each <tool_call>...</tool_call> outside the reasoning (calls written inside
//     <think> are reasoning text, never calls). An unclosed <tool_call> runs to the end of the
//     output. The body must be a JSON object with a non-empty string "name" and an object
//     "arguments" (no repeated top-level keys); the arguments are kept as the exact JSON text
//     the model wrote. A body that fails keeps its text in ParsedToolCall::raw with the error,
//     and its name and arguments empty.
//   - Content: the text outside reasoning and calls. Whitespace between content and a call,
//     between calls, and after the last call is dropped; other text after a call is appended.
//
// Streaming emits OpenAI-style deltas: content and reasoning text, and per tool call (index
// 0, 1, ...) one kToolCallBegin with the name as soon as it is known, kToolCallArguments
// fragments of the arguments text as they arrive, and one kToolCallEnd (ok, or the error that
// makes the whole call invalid: a client should then drop what it streamed for that index).
// No tag text leaks into content: a piece ending in "<tool_" is held back until the next
// piece decides. Text is never split inside a UTF-8 character. Folding the deltas with
// apply_delta gives exactly parse_model_output's result, however the output was cut.
// Thread-safety: a StreamingToolCallParser is one stream; distinct parsers are independent.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace qwl {

struct ParsedToolCall {
  std::string name;       // the function's name; empty when error is set
  std::string arguments;  // the arguments object as the model wrote it; empty when error is set
  std::string raw;        // the text between <tool_call> and </tool_call> (or the output's end)
  Status error;           // ok, or InvalidArgument saying why the body is not a valid call
  bool closed = true;     // the model wrote </tool_call> (false: the output ended inside the call)
};

struct ParsedOutput {
  std::string content;
  std::string reasoning_content;
  std::vector<ParsedToolCall> tool_calls;
};

struct ToolCallParserOptions {
  // The prompt ended inside a <think> block: the output starts with reasoning.
  bool thinking_open = false;
};

// True when a rendered prompt ends inside an open <think> block (its last tag is "<think>"):
// pass the result as ToolCallParserOptions::thinking_open.
bool prompt_opens_thinking(std::string_view prompt);

// Splits a complete model output into reasoning, content and tool calls.
ParsedOutput parse_model_output(std::string_view text, const ToolCallParserOptions& options = {});

enum class ChatDeltaKind {
  kContent,            // text
  kReasoning,          // text
  kToolCallBegin,      // index, text = the function name
  kToolCallArguments,  // index, text = the next fragment of the arguments JSON
  kToolCallEnd,        // index, raw = the call's text, error = ok or why it is invalid
};

struct ChatDelta {
  ChatDeltaKind kind;
  int index = -1;  // tool call index, from 0, for the tool-call kinds
  std::string text;
  std::string raw;
  Status error;
  bool closed = true;  // kToolCallEnd: the call's closing tag was written
};

class StreamingToolCallParser {
 public:
  explicit StreamingToolCallParser(const ToolCallParserOptions& options = {});
  ~StreamingToolCallParser();
  StreamingToolCallParser(StreamingToolCallParser&&) noexcept;
  StreamingToolCallParser& operator=(StreamingToolCallParser&&) noexcept;

  // Consumes the next piece of output and appends the deltas it makes final to *out (adjacent
  // text deltas of one kind are merged).
  void feed(std::string_view piece, std::vector<ChatDelta>* out);
  // The output ended: flushes held-back text and ends an unclosed tool call.
  void finish(std::vector<ChatDelta>* out);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Folds one delta into *out, as a client rebuilding the message does (an ended call with an
// error loses its streamed name and arguments).
void apply_delta(const ChatDelta& delta, ParsedOutput* out);

}  // namespace qwl
