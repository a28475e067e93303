// The agent loop: one user turn, observe -> decide -> act, until the model answers in words,
// an irreversible action waits for the user, or a limit is reached.
//
// Each step renders the conversation for the model (ModelRequest: the system prompt with the
// user's context -- saved places, location, local time, language, the pending action -- the
// tools, and as much of the history as fits), asks the backend, and handles the tool calls it
// made: a malformed call or one whose arguments fail the tool's schema goes back to the model
// as the tool's response (an error it can correct); a read or write runs through the
// executor with the session's user (never anyone the model names); independent reads of one
// step run in parallel; an irreversible call is prepared and proposed as a pending action
// (actions.h), never executed, and the turn ends with its card. Tool output is untrusted data:
// text that could pose as chat-template markup (<|im_start|>, <tool_call>, ...) is defanged
// before any model sees it, and nothing in it is executed.
//
// Events stream to the sink as they happen: text (deltas), tool_call, tool_result, card,
// action, done, error (the names of the app API's SSE events, docs/API.md).
//
// Limits per turn: max_steps model calls and turn_timeout; reaching one ends the turn with an
// error event and a short apology, keeping everything done so far. When the history no longer
// fits the model's context, the oldest whole exchanges are dropped first (the system prompt,
// tools and the pending action are always kept), never an error.
// The executor's tool list is read once, when the Agent is made.
// Thread-safety: an Agent may run turns of different sessions at once; one session's turns
// must not overlap (the session store serialises them).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/actions.h"
#include "agent/backend.h"
#include "agent/executor.h"
#include "base/clock.h"
#include "base/status.h"
#include "store/db.h"

namespace qwl::agent {

enum class AgentEventType { kText, kToolCall, kToolResult, kCard, kAction, kDone, kError };
std::string_view agent_event_name(AgentEventType type);  // "text", "tool_call", ...

struct AgentEvent {
  AgentEventType type;
  // text: {"delta"}; tool_call: {"id", "name", "arguments"}; tool_result: {"id", "name", "ok",
  // "result" | "error"}; card: Card::to_json(); action: PendingAction::to_json(); done:
  // {"steps", "finish", "action_id"?}; error: {"code", "message"}.
  nlohmann::json data;
};
using AgentSink = std::function<void(const AgentEvent& event)>;

struct AgentOptions {
  int max_steps = 8;  // model calls per turn
  std::chrono::seconds turn_timeout{120};
  int max_parallel_reads = 4;
  int max_tokens = 1024;  // per model call
  float temperature = 0.0f;
  std::optional<bool> enable_thinking = false;  // Qwen3: answer directly by default
  int64_t reserve_tokens = 1024;                // context kept free for the model's answer
  size_t max_tool_result_bytes = 8192;          // what the model sees of one result
};

struct TurnResult {
  // The messages to append to the session's history, in order: the user's message, the
  // assistant's (with tool_calls), the tool responses, the final answer.
  std::vector<ChatJson> messages;
  std::string answer;                    // the final assistant text
  std::optional<std::string> action_id;  // the pending action the turn proposed
  int steps = 0;                         // model calls made
  int dropped_messages = 0;              // history messages left out to fit the context
};

class Agent {
 public:
  // Everything must outlive the agent.
  Agent(ModelBackend& backend, ToolExecutor& tools, ActionStore& actions, Db& db,
        const Clock& clock, AgentOptions options = {});

  // Runs one turn: `history` is the session's earlier messages (OpenAI format, no system
  // prompt). Errors of the backend end the turn with an error event and come back as the
  // Status; tool errors never do (they go to the model).
  Result<TurnResult> run_turn(const UserContext& user, std::string_view session_id,
                              const ChatJson& history, std::string_view user_text,
                              const AgentSink& sink, std::stop_token stop = {});

  // The system prompt for `user` now, with the session's pending action when there is one.
  Result<std::string> system_prompt(const UserContext& user, std::string_view session_id);

  // The tools as the model sees them (OpenAI tools array).
  const ChatJson& tools_json() const { return tools_json_; }

 private:
  ModelBackend& backend_;
  ToolExecutor& tools_;
  ActionStore& actions_;
  Db& db_;
  const Clock& clock_;
  AgentOptions options_;
  ChatJson tools_json_;
  size_t tools_bytes_ = 0;  // of tools_json_ as text, for the context estimate
  struct Tool {
    ToolDef def;
    nlohmann::json schema;  // parsed once
  };
  std::map<std::string, Tool, std::less<>> tools_by_name_;
};

// "zh" when the text has CJK characters, else "en".
std::string detect_language(std::string_view text);

// Untrusted text made safe to put in a prompt: chat-template markup ("<|...|>", "<tool_call>",
// "</tool_call>", "<tool_response>", "<think>", ...) is broken up so that no tokenizer reads it
// as a special token; everything else is kept.
std::string defang(std::string_view text);

}  // namespace qwl::agent
