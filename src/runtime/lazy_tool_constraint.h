// A tool-call constraint for tool_choice "auto": the model writes freely until it emits the
// special token "<tool_call>", from there the tool-call grammar (json_schema.h,
// tool_call_grammar) constrains the call's body — the name is one of the tools, the arguments
// validate against that tool's "parameters", "\n</tool_call>" closes it — and after
// "</tool_call>" the text is free again (another call may follow, each constrained anew, or the
// end of generation).
//
// What counts as a call follows the chat layer's parser (chat/tool_call_parser.h), which reads
// the decoded text: calls written inside a Qwen3 reasoning block are reasoning, so a <think> at
// the start of the output (after whitespace; or the prompt itself opened the block) leaves the
// text free up to the first </think>, the tags' special tokens and their text spelled out
// alike. The text is watched byte by byte against the parser's tags, and two tokens are
// refused so that the parser never sees a call the grammar did not write: in free text, a text
// token that would spell out "<tool_call>" (a call starts only with the special token), and
// inside a call, a text token that would spell out "</tool_call>" within the JSON (a string
// may still hold it escaped, "<\/tool_call>").
//
// Cost: LazyToolCallProgram::compile() builds the grammar of one call and compiles it into a
// ConstraintProgram once (the per-node analyses of the vocabulary it accumulates are shared by
// every constraint made from it, across requests and threads); a constraint made from a
// program is cheap, and each call it meets gets a fresh TokenConstraint from that program.
// Outside calls apply() touches only the few tokens it refuses.
//
// LogitsConstraint semantics here: apply() in free text masks only the refused tokens above
// (and ids at or above the vocabulary's size); complete() is true whenever the output may end
// with every call well-formed, i.e. outside a call (free text, reasoning, or after the end of
// generation); inside a call it is false and end of generation is allowed only at a dead end
// of the grammar, as with TokenConstraint. accept() of a token apply() would have masked is
// InvalidArgument and leaves the constraint unchanged. After an end-of-generation token only
// end-of-generation tokens are allowed.
//
// Thread-safety: a LazyToolCallProgram is immutable after compile() (its ConstraintProgram
// synchronises itself) and may be shared by any number of threads; a constraint is used by one
// thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "runtime/constraint_vocab.h"
#include "runtime/json_schema.h"
#include "runtime/logits_constraint.h"
#include "runtime/token_constraint.h"

namespace qwl {

// What a request adds to a program.
struct LazyToolCallOptions {
  // The prompt ended inside an open <think> block (chat/tool_call_parser.h,
  // prompt_opens_thinking): the output starts as reasoning.
  bool thinking_open = false;
  // false: at most one call (OpenAI's parallel_tool_calls); the text stays free after it.
  bool parallel = true;
};

// The tools' call grammar compiled against a vocabulary, with the byte tables that follow the
// parser's tags. Immutable; share it between requests that send the same tools.
class LazyToolCallProgram {
 public:
  // NotFound when the vocabulary has no "<tool_call>" special token (then leave the output
  // free); otherwise tool_call_grammar()'s errors for the tools ("tools[2] (get_weather):
  // parameters: /properties/...").
  static Result<std::shared_ptr<const LazyToolCallProgram>> compile(
      std::shared_ptr<const ConstraintVocab> vocab, std::string_view tools_json,
      const JsonGrammarOptions& options = {});

  const std::shared_ptr<const ConstraintVocab>& vocab() const { return vocab_; }
  // The grammar of one call, "<tool_call>\n{...}\n</tool_call>"; TokenConstraints are made
  // from it per call.
  const std::shared_ptr<ConstraintProgram>& call_program() const { return call_program_; }

  // The text scanner's states: the parser's position in the decoded text (before anything but
  // whitespace, inside reasoning, free text, inside a call) with how much of the next tag it
  // has matched. Exposed for the constraint (lazy_tool_constraint.cpp); not a stable API.
  static constexpr int kStart = 0;  // + bytes of "<think>" matched after leading whitespace
  static constexpr int kThink = 7;  // + bytes of "</think>" matched
  static constexpr int kFree = 15;  // + bytes of "<tool_call>" matched
  static constexpr int kCall = 26;  // + bytes of "</tool_call>" matched
  static constexpr int kStates = 38;
  static constexpr int kRefused = -1;  // the bytes would spell a tag the scanner refuses
  int next(int state, uint8_t byte) const { return next_[state][byte]; }
  // The state after `bytes` from `state`, or kRefused.
  int next(int state, std::string_view bytes) const;
  // The text tokens that lead from `state` to kRefused, ascending.
  const std::vector<int32_t>& refused(int state) const { return refused_[state]; }
  int32_t call_open() const { return call_open_; }
  int32_t call_close() const { return call_close_; }
  // The text of a special token the scanner follows ("<think>", "</think>", "<tool_call>",
  // "</tool_call>"), or empty for other special tokens (which reset the tag being matched).
  std::string_view tag_text(int32_t token) const;

 private:
  LazyToolCallProgram() = default;
  void build_tables();

  std::shared_ptr<const ConstraintVocab> vocab_;
  std::shared_ptr<ConstraintProgram> call_program_;
  int32_t call_open_ = -1;
  int32_t call_close_ = -1;
  std::array<int32_t, 4> tag_tokens_{-1, -1, -1, -1};  // kTags' ids (-1 when missing)
  std::array<std::array<int8_t, 256>, kStates> next_{};
  std::array<std::vector<int32_t>, kStates> refused_;
};

// A constraint over `program` (cheap: no compilation).
std::unique_ptr<LogitsConstraint> make_lazy_tool_call_constraint(
    std::shared_ptr<const LazyToolCallProgram> program, const LazyToolCallOptions& options = {});

// Compiles a program and makes one constraint from it (servers should keep the program).
// NotFound when the vocabulary has no "<tool_call>" special token.
Result<std::unique_ptr<LogitsConstraint>> make_lazy_tool_call_constraint(
    std::shared_ptr<const ConstraintVocab> vocab, std::string_view tools_json,
    const JsonGrammarOptions& options = {});

}  // namespace qwl
