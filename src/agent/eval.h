// Agent evaluation: task suites (eval/*.jsonl, eval/README.md) run end to end on a freshly
// seeded ecosystem, scored for tool choice, arguments, task success and latency
// (`qwenlayer eval`, docs/agent/eval.md).
//
// A task is a user, a few turns of what they say, and the outcome expected: the tool calls
// (name and a subset of the arguments, in order), the pending action's content, the database
// after the user confirmed or cancelled, words in the last answer. Each turn also carries a
// script: the raw outputs an ideal model writes in Qwen's format. With the scripted backend
// (`EvalOptions::backend` null) the agent hears the script, so the run is exact and any failure
// is a regression of the pipeline (parsing, validation, tools, pending actions, confirmation);
// the checks never look at the script. With a real backend the script is ignored and the
// model's own calls are scored: a measurement.
//
// run_eval() seeds one SQLite database (services::seed_ecosystem, the demo city) once, then
// for each task copies the file, opens the copy with its own clock (EvalTask::now), maps,
// orders, EcosystemTools, ActionStore and Agent, runs the setup steps and the turns
// (confirming through ActionStore::confirm with the hash the card carried, or cancelling),
// checks the expectations and deletes the copy. The search index (in memory; the tools read
// what they show from the task's copy) is built once from the seeded file and shared, except by
// tasks with kSql steps, which build their own and refresh it after each. Tasks may run on
// several threads (`jobs`); each has its own copy, clock and agent; the backend and the shared
// index are shared.
//
// Errors: parse_eval_suite() returns InvalidArgument naming the suite, the line and the field;
// run_eval() returns the seed's and the file system's errors. A task that fails for any reason
// (a broken setup step included) is a failed task in the report, not an error.
// Thread-safety: run_eval() may run beside other work; the backend must be thread-safe when
// jobs > 1 (every backend in backend.h is).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "agent/backend.h"
#include "base/status.h"
#include "services/geo.h"

namespace qwl::agent {

// The local time tasks start at unless they say otherwise: Tuesday 2026-01-06 11:30 in the
// city (UTC+8), the day after the seed's epoch, when the cafés, tea shops and the Sichuan
// kitchen are open and Night Owl BBQ is not.
inline constexpr std::string_view kEvalDefaultNow = "2026-01-06T11:30";

// A step run outside the conversation: before the first turn (setup) or between a turn and
// its confirmation (before_confirm). Exactly one of the three kinds.
struct EvalStep {
  enum class Kind { kCall, kAdvance, kSql };
  Kind kind = Kind::kCall;
  // kCall: a tool run directly, as `as` (an email; "" = the task's user). Irreversible tools
  // are prepared, proposed (in session "setup"; the conversation's session is "eval-<task id>")
  // and confirmed through the ActionStore, as a user would.
  std::string as;
  std::string name;
  nlohmann::json arguments = nlohmann::json::object();
  // kAdvance: moves the task's clock on by this many seconds and runs the fulfilment and
  // bookings workers at the new time (orders and rides move along, pending actions expire).
  int64_t advance_s = 0;
  // kSql: one statement on the task's database (a price change, a closed shop); the search
  // index and the maps are refreshed after it, as the server's refresher would.
  std::string sql;
};

enum class EvalDecision { kNone, kConfirm, kCancel };

struct EvalTurn {
  std::string user;                 // what the user says
  std::vector<std::string> script;  // raw model outputs of this turn, one per model call
  // What the user does after the turn with the card on screen: the last action proposed in
  // this turn or an earlier one.
  EvalDecision decision = EvalDecision::kNone;
  std::vector<EvalStep> before_confirm;
  // The status code name ("FailedPrecondition", ...) the confirmation is expected to be
  // refused with; "" = it must succeed.
  std::string confirm_error;
};

struct EvalExpectedCall {
  std::string name;
  nlohmann::json arguments = nlohmann::json::object();  // a subset of the call's arguments
  std::string error;  // the status code name the call must fail with; "" = it must succeed
  // What the tool's answer must hold (matched as eval_json_matches() does; an error's answer
  // is {"error", "message"}). Checked only on a call matched with its arguments; a mismatch
  // fails the task without counting against argument match.
  std::optional<nlohmann::json> result;
};

struct EvalDbCheck {
  std::string sql;
  nlohmann::json rows = nlohmann::json::array();  // every row, in order, as JSON arrays
};

struct EvalExpect {
  std::vector<EvalExpectedCall> calls;  // in order; other calls may come between them
  std::vector<std::string> forbid;      // tools that must not be called at all
  // Unset: not checked. Null: no action may be proposed. An object: the last action proposed
  // matches it ({"tool", "status"?, "content"?: a subset of the content}).
  std::optional<nlohmann::json> action;
  std::vector<EvalDbCheck> db;               // run after the last turn and its confirmation
  std::vector<std::string> answer_contains;  // in the last answer, ASCII case ignored
};

struct EvalTask {
  std::string id;
  std::string lang;  // "en" or "zh"
  std::string user;  // the email of the acting user
  std::optional<services::LatLon> location;
  std::string now;  // local "YYYY-MM-DDTHH:MM"; "" = kEvalDefaultNow
  std::vector<std::string> tags;
  std::vector<EvalStep> setup;
  std::vector<EvalTurn> turns;
  EvalExpect expect;
  int line = 0;  // in the suite file (1-based)
};

// One task per non-empty line (JSONL; eval/README.md is the format). `name` is used in errors.
Result<std::vector<EvalTask>> parse_eval_suite(std::string_view text, std::string_view name);
// Reads and parses a suite file; IoError when it cannot be read.
Result<std::vector<EvalTask>> load_eval_suite(const std::string& path);

// Whether `actual` holds `expected`: objects key by key (extra keys in `actual` are fine),
// arrays element by element with the same length, numbers by value (2 == 2.0), a boolean
// against 0/1 too, {"$contains": "text"} against any string containing the text, and
// {"$has": x} against any array with an element that matches x. With
// `loose` (call arguments), strings compare ignoring ASCII case and surrounding spaces, and
// arrays of strings in any order.
bool eval_json_matches(const nlohmann::json& expected, const nlohmann::json& actual,
                       bool loose = false);

// One model call of a task and what followed it until the next call or the end of the turn.
struct EvalStepTiming {
  int64_t step_us = 0;   // the whole step: the model call and the tools it led to
  int64_t model_us = 0;  // the model call alone
};

struct EvalCall {
  std::string name;
  nlohmann::json arguments;  // parsed; the raw text when it is not JSON
  bool ok = false;
  std::string error;      // the status code name when !ok
  nlohmann::json result;  // what the tool answered (its result, or the error with its message)
  int turn = 0;
};

struct EvalTaskResult {
  std::string id;
  std::string lang;
  std::vector<std::string> tags;
  bool passed = false;
  std::vector<std::string> failures;        // why it failed, one sentence each
  std::vector<EvalCall> calls;              // the calls the agent made, in order
  std::vector<nlohmann::json> actions;      // the actions proposed (PendingAction::to_json())
  std::vector<std::string> expected_tools;  // the expected calls' names, in order
  int calls_expected = 0;
  int calls_name_matched = 0;               // expected calls matched by a call of that tool
  int calls_args_matched = 0;               // ... with the expected arguments (and outcome)
  std::vector<bool> expected_name_matched;  // per expected call
  std::vector<bool> expected_args_matched;
  bool model_error = false;  // a model call failed (the backend refused or was unreachable)
  int64_t task_us = 0;       // the turns and confirmations, without the copy, setup and checks
  std::vector<EvalStepTiming> steps;
};

struct EvalPercentiles {
  int64_t count = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

struct EvalReport {
  std::string suite;
  std::string backend;                // "scripted" or the endpoint
  std::vector<EvalTaskResult> tasks;  // in the suite's order
  double seed_s = 0;                  // seeding the one database
  double wall_s = 0;                  // the whole run
  int jobs = 1;

  int passed() const;
  // The summary: counts (model_errors: tasks where a model call failed), tool-choice
  // accuracy, argument match, task success, latency
  // percentiles (task, step, model call, step without the model) and breakdowns by language,
  // tag and tool; with `per_task`, every task's result too.
  nlohmann::ordered_json summary(bool per_task) const;
};

struct EvalOptions {
  // The model; nullptr = the scripted backend, each turn answered from its script.
  ModelBackend* backend = nullptr;
  std::string work_dir;  // where the seeded file and the task copies go (must exist)
  std::string filter;    // run only tasks whose id starts with this
  int jobs = 1;          // tasks run at once
  AgentOptions agent;
  // Called after each task (from the worker threads, one call at a time), for progress.
  std::function<void(const EvalTaskResult& result, size_t done, size_t total)> on_task;
};

// Runs the tasks (see above). `suite` names the suite in the report.
Result<EvalReport> run_eval(const std::vector<EvalTask>& tasks, std::string_view suite,
                            const EvalOptions& options);

// Percentiles (nearest rank) of durations in microseconds.
EvalPercentiles eval_percentiles(std::vector<int64_t> durations_us);

}  // namespace qwl::agent
