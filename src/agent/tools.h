// The ecosystem's operations as tools: one definition per operation, shared by the agent (the
// tools in the model's prompt and the grammar of its tool calls), MCP (tools/list with
// readOnlyHint / destructiveHint) and `qwenlayer tools --json` (what the default model's
// training data is generated from).
//
// Each tool has a snake_case name, an English description written for a model, a JSON Schema
// of its arguments (objects with additionalProperties false; every schema compiles into a
// tool-call grammar, runtime/json_schema.h), a sentence on what its result holds, and its side
// effect:
//   kRead          looks things up; runs at once, any number of times;
//   kWrite         changes only the user's own drafts (the cart, claimed coupons); runs at once;
//   kIrreversible  money moves or a commitment is made (checkout, top-up, booking, ride,
//                  cancellation, refund): never run because a model asked; it becomes a pending
//                  action that only the user's confirmation executes (DESIGN.md).
// Places are given as text the maps service geocodes ("office", "家", "Luna Café") or as ids;
// local dates as "YYYY-MM-DD" and times as "HH:MM" in the city's time (UTC+8); money in integer
// fen. The acting user always comes from the session, never from the arguments.
// Thread-safety: the catalog is immutable static data.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace qwl::agent {

enum class SideEffect { kRead, kWrite, kIrreversible };
std::string_view side_effect_name(SideEffect effect);  // "read", "write", "irreversible"

struct ToolDef {
  std::string_view name;
  std::string_view description;
  std::string_view parameters;  // JSON Schema text of the arguments object
  std::string_view result;      // what a successful result holds
  SideEffect effect = SideEffect::kRead;
};

// Every tool of the ecosystem, in a stable order (reads first, then writes, then irreversible).
std::span<const ToolDef> ecosystem_tools();

// The tool named `name`, or nullptr.
const ToolDef* find_tool(std::string_view name);

// The tools as an OpenAI "tools" array ([{"type":"function","function":{name, description,
// parameters}}]), what chat templates and tool_call_grammar() take. With `annotate`, each
// function also carries "x-side-effect" (for `qwenlayer tools --json`).
std::string tools_json(bool annotate = false);

}  // namespace qwl::agent
