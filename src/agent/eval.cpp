// Agent evaluation (see eval.h): the suite's parser, the matcher, one task's run over its own
// copy of the seeded database, and the report.
#include "agent/eval.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include "agent/actions.h"
#include "agent/ecosystem_tools.h"
#include "base/clock.h"
#include "services/actor.h"
#include "services/bookings.h"
#include "services/city_time.h"
#include "services/fulfilment.h"
#include "services/maps.h"
#include "services/maps_adapters.h"
#include "services/orders.h"
#include "services/search.h"
#include "services/seed.h"
#include "store/db.h"

namespace qwl::agent {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// ---- parsing ---------------------------------------------------------------------------------

// Reads one task's JSON with errors that name the suite, the line and the field.
class Reader {
 public:
  Reader(std::string_view suite, int line) : suite_(suite), line_(line) {}

  Status error(std::string_view field, std::string_view what) const {
    return InvalidArgumentError("{}:{}: {}: {}", suite_, line_, field, what);
  }

  // Refuses keys outside `allowed`, so that a misspelt field is an error, not a silent no-op.
  Status keys(const json& object, std::string_view field,
              std::initializer_list<std::string_view> allowed) const {
    if (!object.is_object()) return error(field, "must be an object");
    for (const auto& [key, value] : object.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        return error(field, fmt::format("unknown key \"{}\"", key));
      }
    }
    return Status::Ok();
  }

  Result<std::string> string(const json& object, std::string_view key, std::string_view field,
                             bool required) const {
    const auto it = object.find(key);
    if (it == object.end()) {
      if (required) return error(field, fmt::format("\"{}\" is missing", key));
      return std::string();
    }
    if (!it->is_string()) return error(fmt::format("{}.{}", field, key), "must be a string");
    return it->get<std::string>();
  }

  Result<std::vector<std::string>> strings(const json& value, std::string_view field) const {
    std::vector<std::string> out;
    if (value.is_string()) {
      out.push_back(value.get<std::string>());
      return out;
    }
    if (!value.is_array()) return error(field, "must be a string or an array of strings");
    for (const json& v : value) {
      if (!v.is_string()) return error(field, "must hold strings only");
      out.push_back(v.get<std::string>());
    }
    return out;
  }

 private:
  std::string_view suite_;
  int line_;
};

Result<EvalStep> parse_step(const Reader& r, const json& j, const std::string& field) {
  QWL_RETURN_IF_ERROR(r.keys(j, field, {"call", "as", "advance_s", "sql"}));
  const int kinds = static_cast<int>(j.contains("call")) + static_cast<int>(j.contains("sql")) +
                    static_cast<int>(j.contains("advance_s"));
  if (kinds != 1) return r.error(field, "needs exactly one of \"call\", \"advance_s\", \"sql\"");
  EvalStep step;
  if (j.contains("call")) {
    step.kind = EvalStep::Kind::kCall;
    const json& call = j["call"];
    QWL_RETURN_IF_ERROR(r.keys(call, field + ".call", {"name", "arguments"}));
    QWL_ASSIGN_OR_RETURN(step.name, r.string(call, "name", field + ".call", true));
    if (call.contains("arguments")) {
      if (!call["arguments"].is_object()) {
        return r.error(field + ".call.arguments", "must be an object");
      }
      step.arguments = call["arguments"];
    }
    QWL_ASSIGN_OR_RETURN(step.as, r.string(j, "as", field, false));
  } else if (j.contains("sql")) {
    if (j.contains("as")) return r.error(field, "\"as\" goes with \"call\" only");
    step.kind = EvalStep::Kind::kSql;
    QWL_ASSIGN_OR_RETURN(step.sql, r.string(j, "sql", field, true));
  } else {
    if (j.contains("as")) return r.error(field, "\"as\" goes with \"call\" only");
    step.kind = EvalStep::Kind::kAdvance;
    if (!j["advance_s"].is_number_integer() || j["advance_s"].get<int64_t>() <= 0) {
      return r.error(field + ".advance_s", "must be a positive integer (seconds)");
    }
    step.advance_s = j["advance_s"].get<int64_t>();
  }
  return step;
}

Result<std::vector<EvalStep>> parse_steps(const Reader& r, const json& j,
                                          const std::string& field) {
  if (!j.is_array()) return r.error(field, "must be an array of steps");
  std::vector<EvalStep> steps;
  for (size_t i = 0; i < j.size(); ++i) {
    QWL_ASSIGN_OR_RETURN(EvalStep step, parse_step(r, j[i], fmt::format("{}[{}]", field, i)));
    steps.push_back(std::move(step));
  }
  return steps;
}

Result<EvalTurn> parse_turn(const Reader& r, const json& j, const std::string& field) {
  QWL_RETURN_IF_ERROR(
      r.keys(j, field, {"user", "script", "confirm", "before_confirm", "confirm_error"}));
  EvalTurn turn;
  QWL_ASSIGN_OR_RETURN(turn.user, r.string(j, "user", field, true));
  if (turn.user.empty()) return r.error(field + ".user", "is empty");
  if (!j.contains("script")) return r.error(field, "\"script\" is missing");
  QWL_ASSIGN_OR_RETURN(turn.script, r.strings(j["script"], field + ".script"));
  if (turn.script.empty()) return r.error(field + ".script", "needs at least one model output");
  if (const auto it = j.find("confirm"); it != j.end()) {
    if (it->is_boolean()) {
      turn.decision = it->get<bool>() ? EvalDecision::kConfirm : EvalDecision::kNone;
    } else if (it->is_string() && it->get<std::string>() == "cancel") {
      turn.decision = EvalDecision::kCancel;
    } else {
      return r.error(field + ".confirm", "must be true, false or \"cancel\"");
    }
  }
  if (j.contains("before_confirm")) {
    QWL_ASSIGN_OR_RETURN(turn.before_confirm,
                         parse_steps(r, j["before_confirm"], field + ".before_confirm"));
  }
  QWL_ASSIGN_OR_RETURN(turn.confirm_error, r.string(j, "confirm_error", field, false));
  if (!turn.confirm_error.empty() && turn.decision != EvalDecision::kConfirm) {
    return r.error(field + ".confirm_error", "needs \"confirm\": true");
  }
  return turn;
}

Result<EvalExpect> parse_expect(const Reader& r, const json& j) {
  QWL_RETURN_IF_ERROR(r.keys(j, "expect", {"calls", "forbid", "action", "db", "answer_contains"}));
  EvalExpect e;
  if (const auto it = j.find("calls"); it != j.end()) {
    if (!it->is_array()) return r.error("expect.calls", "must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const std::string field = fmt::format("expect.calls[{}]", i);
      const json& c = (*it)[i];
      QWL_RETURN_IF_ERROR(r.keys(c, field, {"name", "arguments", "error", "result"}));
      EvalExpectedCall call;
      QWL_ASSIGN_OR_RETURN(call.name, r.string(c, "name", field, true));
      if (c.contains("arguments")) {
        if (!c["arguments"].is_object()) return r.error(field + ".arguments", "must be an object");
        call.arguments = c["arguments"];
      }
      QWL_ASSIGN_OR_RETURN(call.error, r.string(c, "error", field, false));
      if (c.contains("result")) call.result = c["result"];
      e.calls.push_back(std::move(call));
    }
  }
  if (const auto it = j.find("forbid"); it != j.end()) {
    QWL_ASSIGN_OR_RETURN(e.forbid, r.strings(*it, "expect.forbid"));
  }
  if (const auto it = j.find("action"); it != j.end()) {
    if (!it->is_null()) {
      QWL_RETURN_IF_ERROR(r.keys(*it, "expect.action", {"tool", "status", "content", "summary"}));
      if (!it->contains("tool")) return r.error("expect.action", "\"tool\" is missing");
    }
    e.action = *it;
  }
  if (const auto it = j.find("db"); it != j.end()) {
    if (!it->is_array()) return r.error("expect.db", "must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const std::string field = fmt::format("expect.db[{}]", i);
      const json& c = (*it)[i];
      QWL_RETURN_IF_ERROR(r.keys(c, field, {"sql", "rows"}));
      EvalDbCheck check;
      QWL_ASSIGN_OR_RETURN(check.sql, r.string(c, "sql", field, true));
      if (!c.contains("rows") || !c["rows"].is_array()) {
        return r.error(field + ".rows", "must be an array of rows");
      }
      for (const json& row : c["rows"]) {
        if (!row.is_array()) return r.error(field + ".rows", "every row must be an array");
      }
      check.rows = c["rows"];
      e.db.push_back(std::move(check));
    }
  }
  if (const auto it = j.find("answer_contains"); it != j.end()) {
    QWL_ASSIGN_OR_RETURN(e.answer_contains, r.strings(*it, "expect.answer_contains"));
  }
  return e;
}

Result<EvalTask> parse_task(const Reader& r, const json& j) {
  QWL_RETURN_IF_ERROR(r.keys(
      j, "task",
      {"id", "lang", "user", "location", "now", "tags", "setup", "turns", "expect", "note"}));
  EvalTask t;
  QWL_ASSIGN_OR_RETURN(t.id, r.string(j, "id", "task", true));
  if (t.id.empty()) return r.error("id", "is empty");
  QWL_ASSIGN_OR_RETURN(t.lang, r.string(j, "lang", "task", true));
  if (t.lang != "en" && t.lang != "zh") return r.error("lang", "must be \"en\" or \"zh\"");
  QWL_ASSIGN_OR_RETURN(t.user, r.string(j, "user", "task", true));
  if (const auto it = j.find("location"); it != j.end()) {
    QWL_RETURN_IF_ERROR(r.keys(*it, "location", {"lat", "lon"}));
    if (!(*it)["lat"].is_number() || !(*it)["lon"].is_number()) {
      return r.error("location", "needs numbers \"lat\" and \"lon\"");
    }
    t.location =
        services::LatLon{.lat = (*it)["lat"].get<double>(), .lon = (*it)["lon"].get<double>()};
  }
  QWL_ASSIGN_OR_RETURN(t.now, r.string(j, "now", "task", false));
  if (const auto it = j.find("tags"); it != j.end()) {
    QWL_ASSIGN_OR_RETURN(t.tags, r.strings(*it, "tags"));
  }
  if (const auto it = j.find("setup"); it != j.end()) {
    QWL_ASSIGN_OR_RETURN(t.setup, parse_steps(r, *it, "setup"));
  }
  const auto turns = j.find("turns");
  if (turns == j.end() || !turns->is_array() || turns->empty()) {
    return r.error("turns", "must be a non-empty array");
  }
  for (size_t i = 0; i < turns->size(); ++i) {
    QWL_ASSIGN_OR_RETURN(EvalTurn turn, parse_turn(r, (*turns)[i], fmt::format("turns[{}]", i)));
    t.turns.push_back(std::move(turn));
  }
  const auto expect = j.find("expect");
  if (expect == j.end()) return r.error("task", "\"expect\" is missing");
  QWL_ASSIGN_OR_RETURN(t.expect, parse_expect(r, *expect));
  return t;
}

// ---- matching --------------------------------------------------------------------------------

std::string fold(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  std::string out(s.substr(b, e - b));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool all_strings(const json& a) {
  return std::all_of(a.begin(), a.end(), [](const json& v) { return v.is_string(); });
}

bool matches(const json& expected, const json& actual, bool loose) {
  if (expected.is_object() && expected.size() == 1 && expected.contains("$contains")) {
    const json& needle = expected["$contains"];
    if (!needle.is_string() || !actual.is_string()) return false;
    return loose ? fold(actual.get<std::string>()).find(fold(needle.get<std::string>())) !=
                       std::string::npos
                 : actual.get<std::string>().find(needle.get<std::string>()) != std::string::npos;
  }
  if (expected.is_object() && expected.size() == 1 && expected.contains("$has")) {
    if (!actual.is_array()) return false;
    return std::any_of(actual.begin(), actual.end(),
                       [&](const json& a) { return matches(expected["$has"], a, loose); });
  }
  if (expected.is_object()) {
    if (!actual.is_object()) return false;
    for (const auto& [key, value] : expected.items()) {
      const auto it = actual.find(key);
      if (it == actual.end() || !matches(value, *it, loose)) return false;
    }
    return true;
  }
  if (expected.is_array()) {
    if (!actual.is_array() || actual.size() != expected.size()) return false;
    if (loose && all_strings(expected) && all_strings(actual)) {
      std::multiset<std::string> a, b;
      for (const json& v : expected) a.insert(fold(v.get<std::string>()));
      for (const json& v : actual) b.insert(fold(v.get<std::string>()));
      return a == b;
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      if (!matches(expected[i], actual[i], loose)) return false;
    }
    return true;
  }
  if (expected.is_boolean()) {
    if (actual.is_boolean()) return actual.get<bool>() == expected.get<bool>();
    // Booleans read back from the database as 0/1.
    return actual.is_number_integer() && actual.get<int64_t>() == (expected.get<bool>() ? 1 : 0);
  }
  if (expected.is_number()) {
    if (!actual.is_number()) return false;
    if (expected.is_number_float() || actual.is_number_float()) {
      return std::abs(expected.get<double>() - actual.get<double>()) <=
             1e-9 * std::max(1.0, std::abs(expected.get<double>()));
    }
    return expected.get<int64_t>() == actual.get<int64_t>();
  }
  if (expected.is_string()) {
    if (!actual.is_string()) return false;
    return loose ? fold(expected.get<std::string>()) == fold(actual.get<std::string>())
                 : expected.get<std::string>() == actual.get<std::string>();
  }
  return expected == actual;  // null
}

json value_json(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      return nullptr;
    case Value::Type::kInt64:
      return v.int64();
    case Value::Type::kDouble:
      return v.real();
    case Value::Type::kText:
      return v.text();
    case Value::Type::kBlob:
      return v.blob_bytes();
  }
  return nullptr;
}

// ---- one task --------------------------------------------------------------------------------

// The session of the conversation's actions is "eval-<task id>"; setup steps propose theirs in
// this one, so that checks can tell them apart.
constexpr std::string_view kSetupSession = "setup";

int64_t steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Times every model call of a task; forwards everything else.
class TimedBackend final : public ModelBackend {
 public:
  explicit TimedBackend(ModelBackend& inner) : inner_(inner) {}
  Result<ModelReply> complete(const ModelRequest& request, const TextSink& on_text) override {
    const int64_t start = steady_us();
    Result<ModelReply> reply = inner_.complete(request, on_text);
    std::lock_guard lock(mu_);
    calls_.push_back({start, steady_us()});
    return reply;
  }
  int64_t context_tokens() const override { return inner_.context_tokens(); }
  int64_t estimate_tokens(const ModelRequest& request) const override {
    return inner_.estimate_tokens(request);
  }
  std::string describe() const override { return inner_.describe(); }

  // (start, end) of each call so far, steady microseconds.
  std::vector<std::pair<int64_t, int64_t>> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  ModelBackend& inner_;
  mutable std::mutex mu_;
  std::vector<std::pair<int64_t, int64_t>> calls_;
};

// Everything one task runs over: its copy of the database, clock, services and agent parts.
struct TaskWorld {
  ManualClock clock;
  std::unique_ptr<Db> db;
  std::unique_ptr<services::Maps> maps;
  std::unique_ptr<services::SearchIndex> own_search;  // when the task cannot share one
  services::SearchIndex* search = nullptr;
  std::unique_ptr<services::RoadDeliveryEstimator> estimator;
  std::unique_ptr<services::Orders> orders;
  std::unique_ptr<services::Fulfilment> fulfilment;
  services::RouteQuoter quoter;
  std::unique_ptr<EcosystemTools> tools;
  std::unique_ptr<ActionStore> actions;

  explicit TaskWorld(int64_t now_us) : clock(now_us) {}
  // Services hold references to each other and to the database: tear down in reverse.
  ~TaskWorld() {
    actions.reset();
    tools.reset();
    fulfilment.reset();
    orders.reset();
    estimator.reset();
    own_search.reset();
    maps.reset();
    db.reset();
  }
};

// `shared`: the search index of the seeded file, or nullptr to build the task's own.
Result<std::unique_ptr<TaskWorld>> open_world(const std::string& path, int64_t now_us,
                                              services::SearchIndex* shared) {
  auto w = std::make_unique<TaskWorld>(now_us);
  QWL_ASSIGN_OR_RETURN(w->db, Db::open(path));
  QWL_ASSIGN_OR_RETURN(w->maps, services::Maps::load(*w->db, w->clock));
  w->search = shared;
  if (w->search == nullptr) {
    QWL_ASSIGN_OR_RETURN(w->own_search, services::SearchIndex::build(*w->db, w->clock));
    w->search = w->own_search.get();
  }
  w->estimator = std::make_unique<services::RoadDeliveryEstimator>(*w->maps);
  w->orders = std::make_unique<services::Orders>(
      *w->db, w->clock, services::OrdersOptions{.estimator = w->estimator.get()});
  w->fulfilment = std::make_unique<services::Fulfilment>(*w->orders);
  w->quoter = services::road_route_quoter(*w->maps);
  w->tools = std::make_unique<EcosystemTools>(EcosystemHandles{.db = w->db.get(),
                                                               .clock = &w->clock,
                                                               .search = w->search,
                                                               .maps = w->maps.get(),
                                                               .orders = w->orders.get(),
                                                               .ride_quoter = &w->quoter});
  w->actions = std::make_unique<ActionStore>(*w->db, w->clock, *w->tools);
  return w;
}

Result<UserContext> user_context(Db& db, const std::string& email, const EvalTask& task) {
  UserContext user;
  std::string role;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(Row row, tx.query_row("SELECT id, role FROM users WHERE email = ?",
                                               {std::string_view(email)}));
    user.actor.user_id = row.int64(0);
    role = row.text(1);
    return Status::Ok();
  }));
  const std::optional<services::Role> parsed = services::parse_role(role);
  if (!parsed) return InternalError("user {}: unknown role '{}'", email, role);
  user.actor.role = *parsed;
  user.location = task.location;
  user.language = task.lang;
  return user;
}

class TaskRun {
 public:
  TaskRun(const EvalTask& task, TaskWorld& world, ModelBackend* model, const AgentOptions& options)
      : task_(task), world_(world), model_(model), options_(options) {}

  EvalTaskResult run();

 private:
  void fail(std::string why) { result_.failures.push_back(std::move(why)); }
  Status run_step(const EvalStep& step, const UserContext& user);
  void run_turns(const UserContext& user);
  void check(const UserContext& user);
  void score_calls();
  Result<std::string> scripted_output(const ModelRequest& request) const;
  void on_event(const AgentEvent& event, int turn);

  const EvalTask& task_;
  TaskWorld& world_;
  ModelBackend* model_;
  const AgentOptions& options_;
  EvalTaskResult result_;
  size_t turn_ = 0;  // the turn being run (the scripted backend answers from its script)
  std::map<std::string, size_t> open_calls_;  // call id -> index in result_.calls, this step
  std::optional<std::string> last_action_;    // the last action proposed, any turn
  std::string last_answer_;
};

Result<std::string> TaskRun::scripted_output(const ModelRequest& request) const {
  // The model's step within the turn: the assistant messages since the user's last message.
  size_t step = 0;
  for (auto it = request.messages.rbegin(); it != request.messages.rend(); ++it) {
    const std::string role = it->value("role", "");
    if (role == "user") break;
    if (role == "assistant") ++step;
  }
  const EvalTurn& turn = task_.turns[turn_];
  if (step >= turn.script.size()) {
    return FailedPreconditionError(
        "the script of turn {} has {} output(s) and the agent asked for output {}", turn_ + 1,
        turn.script.size(), step + 1);
  }
  return turn.script[step];
}

void TaskRun::on_event(const AgentEvent& event, int turn) {
  switch (event.type) {
    case AgentEventType::kToolCall: {
      EvalCall call;
      call.name = event.data.value("name", "");
      const std::string raw = event.data.value("arguments", "");
      call.arguments = json::parse(raw, nullptr, /*allow_exceptions=*/false);
      if (call.arguments.is_discarded()) call.arguments = raw;
      call.turn = turn;
      open_calls_[event.data.value("id", "")] = result_.calls.size();
      result_.calls.push_back(std::move(call));
      break;
    }
    case AgentEventType::kToolResult: {
      const auto it = open_calls_.find(event.data.value("id", ""));
      if (it == open_calls_.end()) break;
      EvalCall& call = result_.calls[it->second];
      call.ok = event.data.value("ok", false);
      if (!call.ok && event.data.contains("error") && event.data["error"].is_object()) {
        call.error = event.data["error"].value("error", "");
      }
      call.result = event.data.value(call.ok ? "result" : "error", json());
      break;
    }
    case AgentEventType::kAction:
      last_action_ = event.data.value("id", "");
      result_.actions.push_back(event.data);
      break;
    case AgentEventType::kError:
      fail(fmt::format("turn {}: the agent stopped with {}: {}", turn, event.data.value("code", ""),
                       event.data.value("message", "")));
      if (event.data.value("code", "") == "model_error") result_.model_error = true;
      break;
    default:
      break;
  }
}

Status TaskRun::run_step(const EvalStep& step, const UserContext& user) {
  switch (step.kind) {
    case EvalStep::Kind::kSql:
      QWL_RETURN_IF_ERROR(
          world_.db->transact([&](Tx& tx) -> Status { return tx.exec(step.sql).status(); }));
      // As the server's refresher would, so that searches and maps see the change.
      QWL_RETURN_IF_ERROR(world_.search->refresh());
      return world_.maps->refresh(*world_.db);
    case EvalStep::Kind::kAdvance: {
      world_.clock.advance_us(step.advance_s * 1'000'000);
      QWL_RETURN_IF_ERROR(world_.fulfilment->run_due(world_.clock.wall_us()).status());
      return services::run_bookings_worker(*world_.db, world_.clock).status();
    }
    case EvalStep::Kind::kCall:
      break;
  }
  UserContext as = user;
  if (!step.as.empty()) {
    QWL_ASSIGN_OR_RETURN(as, user_context(*world_.db, step.as, task_));
  }
  const ToolDef* def = find_tool(step.name);
  if (def == nullptr) return InvalidArgumentError("there is no tool named '{}'", step.name);
  if (def->effect != SideEffect::kIrreversible) {
    return world_.tools->run(as, step.name, step.arguments).status();
  }
  QWL_ASSIGN_OR_RETURN(ActionDraft draft, world_.tools->prepare(as, step.name, step.arguments));
  QWL_ASSIGN_OR_RETURN(PendingAction action,
                       world_.actions->propose(as, kSetupSession, std::move(draft)));
  return world_.actions->confirm(as, action.id, action.hash).status();
}

void TaskRun::run_turns(const UserContext& user) {
  ScriptedBackend scripted(
      [this](const ModelRequest& request) { return scripted_output(request); });
  TimedBackend timed(model_ != nullptr ? *model_ : static_cast<ModelBackend&>(scripted));
  Agent agent(timed, *world_.tools, *world_.actions, *world_.db, world_.clock, options_);
  const std::string session = "eval-" + task_.id;
  ChatJson history = ChatJson::array();

  // The card on the user's screen: the last action proposed in any turn so far, and the hash
  // it was shown with. The user confirms or cancels that one, as in the app.
  std::optional<std::string> card_id;
  std::string card_hash;
  const int64_t start_us = steady_us();
  for (turn_ = 0; turn_ < task_.turns.size(); ++turn_) {
    const EvalTurn& turn = task_.turns[turn_];
    const int number = static_cast<int>(turn_) + 1;
    const size_t first_call = timed.calls().size();
    Result<TurnResult> r =
        agent.run_turn(user, session, history, turn.user, [&](const AgentEvent& event) {
          if (event.type == AgentEventType::kAction) {
            card_id = event.data.value("id", "");
            card_hash = event.data.value("hash", "");
          }
          on_event(event, number);
        });
    const int64_t turn_end = steady_us();
    const auto calls = timed.calls();
    for (size_t i = first_call; i < calls.size(); ++i) {
      const int64_t next = i + 1 < calls.size() ? calls[i + 1].first : turn_end;
      result_.steps.push_back(EvalStepTiming{.step_us = next - calls[i].first,
                                             .model_us = calls[i].second - calls[i].first});
    }
    if (!r.ok()) {
      fail(fmt::format("turn {}: {}", number, r.status().to_string()));
      break;
    }
    for (const ChatJson& m : r->messages) history.push_back(m);
    last_answer_ = r->answer;

    for (size_t i = 0; i < turn.before_confirm.size(); ++i) {
      if (Status s = run_step(turn.before_confirm[i], user); !s.ok()) {
        fail(fmt::format("turn {}: before_confirm[{}]: {}", number, i, s.to_string()));
      }
    }
    if (turn.decision == EvalDecision::kNone) continue;
    const char* verb = turn.decision == EvalDecision::kConfirm ? "confirm" : "cancel";
    if (!card_id.has_value()) {
      fail(
          fmt::format("turn {}: the user would {} an action, but none was proposed", number, verb));
      continue;
    }
    if (turn.decision == EvalDecision::kCancel) {
      if (Result<PendingAction> c = world_.actions->cancel(user, *card_id); !c.ok()) {
        fail(fmt::format("turn {}: cancel: {}", number, c.status().to_string()));
      }
      continue;
    }
    Result<PendingAction> c = world_.actions->confirm(user, *card_id, card_hash);
    if (turn.confirm_error.empty()) {
      if (!c.ok()) fail(fmt::format("turn {}: confirm: {}", number, c.status().to_string()));
    } else if (c.ok()) {
      fail(fmt::format("turn {}: confirm succeeded; expected it refused with {}", number,
                       turn.confirm_error));
    } else if (status_code_name(c.status().code()) != turn.confirm_error) {
      fail(fmt::format("turn {}: confirm refused with {}; expected {}", number,
                       c.status().to_string(), turn.confirm_error));
    }
  }
  result_.task_us = steady_us() - start_us;
}

void TaskRun::score_calls() {
  const std::vector<EvalExpectedCall>& expected = task_.expect.calls;
  const std::vector<EvalCall>& calls = result_.calls;
  result_.calls_expected = static_cast<int>(expected.size());
  size_t cursor = 0;
  for (const EvalExpectedCall& e : expected) {
    result_.expected_tools.push_back(e.name);
    auto outcome_ok = [&](const EvalCall& c) {
      return e.error.empty() ? c.ok : (!c.ok && c.error == e.error);
    };
    // The first later call of the tool with the arguments and outcome expected; else the first
    // later call of the tool at all (the tool was right, the arguments not).
    std::optional<size_t> exact, named;
    for (size_t i = cursor; i < calls.size() && !exact; ++i) {
      if (calls[i].name != e.name) continue;
      if (!named) named = i;
      if (eval_json_matches(e.arguments, calls[i].arguments, /*loose=*/true) &&
          outcome_ok(calls[i])) {
        exact = i;
      }
    }
    const bool name_ok = exact.has_value() || named.has_value();
    result_.expected_name_matched.push_back(name_ok);
    result_.expected_args_matched.push_back(exact.has_value());
    if (exact) {
      ++result_.calls_name_matched;
      ++result_.calls_args_matched;
      cursor = *exact + 1;
      if (e.result.has_value() && !eval_json_matches(*e.result, calls[*exact].result)) {
        fail(fmt::format("call {} {}: the result does not hold {}: {}", e.name, e.arguments.dump(),
                         e.result->dump(), calls[*exact].result.dump().substr(0, 2000)));
      }
    } else if (named) {
      ++result_.calls_name_matched;
      cursor = *named + 1;
      fail(fmt::format(
          "call {} {}: got {} {}{}", e.name, e.arguments.dump(), calls[*named].name,
          calls[*named].arguments.dump(),
          calls[*named].ok ? std::string() : fmt::format(" (failed: {})", calls[*named].error)));
    } else {
      fail(fmt::format("call {} {}: not made", e.name, e.arguments.dump()));
    }
  }
  for (const EvalCall& c : calls) {
    if (std::find(task_.expect.forbid.begin(), task_.expect.forbid.end(), c.name) !=
        task_.expect.forbid.end()) {
      fail(fmt::format("forbidden call {} {} (turn {})", c.name, c.arguments.dump(), c.turn));
    }
  }
}

void TaskRun::check(const UserContext& user) {
  score_calls();
  const EvalExpect& e = task_.expect;
  if (e.action.has_value()) {
    if (e.action->is_null()) {
      if (last_action_)
        fail(fmt::format("an action was proposed ({}); none expected", *last_action_));
    } else if (!last_action_) {
      fail(fmt::format("no action was proposed; expected {}", e.action->dump()));
    } else if (Result<PendingAction> a = world_.actions->get(user, *last_action_); !a.ok()) {
      fail(fmt::format("action {}: {}", *last_action_, a.status().to_string()));
    } else {
      const json actual = {{"tool", a->draft.tool},
                           {"status", std::string(action_status_name(a->status))},
                           {"content", a->draft.content},
                           {"summary", a->draft.summary}};
      if (!eval_json_matches(*e.action, actual)) {
        fail(fmt::format("action: expected {}, got {}", e.action->dump(), actual.dump()));
      }
    }
  }
  for (const EvalDbCheck& check : e.db) {
    json rows = json::array();
    Status s = world_.db->read([&](Tx& tx) -> Status {
      rows = json::array();
      QWL_ASSIGN_OR_RETURN(Rows got, tx.query(check.sql));
      for (const Row& row : got.rows) {
        json r = json::array();
        for (const Value& v : row.values()) r.push_back(value_json(v));
        rows.push_back(std::move(r));
      }
      return Status::Ok();
    });
    if (!s.ok()) {
      fail(fmt::format("db: {}: {}", check.sql, s.to_string()));
    } else if (!eval_json_matches(check.rows, rows)) {
      fail(fmt::format("db: {}: expected {}, got {}", check.sql, check.rows.dump(), rows.dump()));
    }
  }
  const std::string answer = fold(last_answer_);
  for (const std::string& words : e.answer_contains) {
    if (answer.find(fold(words)) == std::string::npos) {
      fail(fmt::format("answer lacks \"{}\": {}", words, last_answer_));
    }
  }
}

EvalTaskResult TaskRun::run() {
  result_.id = task_.id;
  result_.lang = task_.lang;
  result_.tags = task_.tags;
  Result<UserContext> user = user_context(*world_.db, task_.user, task_);
  if (!user.ok()) {
    fail(fmt::format("user {}: {}", task_.user, user.status().to_string()));
    return std::move(result_);
  }
  for (size_t i = 0; i < task_.setup.size(); ++i) {
    if (Status s = run_step(task_.setup[i], *user); !s.ok()) {
      fail(fmt::format("setup[{}]: {}", i, s.to_string()));
      return std::move(result_);
    }
  }
  run_turns(*user);
  check(*user);
  result_.passed = result_.failures.empty();
  return std::move(result_);
}

void remove_db_files(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix, ec);
}

// Whether a task changes the database behind the tools' back (kSql steps): then its search
// index must be its own, refreshed after each such step.
bool writes_sql(const EvalTask& task) {
  auto sql = [](const EvalStep& s) { return s.kind == EvalStep::Kind::kSql; };
  if (std::any_of(task.setup.begin(), task.setup.end(), sql)) return true;
  return std::any_of(task.turns.begin(), task.turns.end(), [&](const EvalTurn& t) {
    return std::any_of(t.before_confirm.begin(), t.before_confirm.end(), sql);
  });
}

EvalTaskResult run_one(const EvalTask& task, size_t index, const std::string& seeded,
                       services::SearchIndex* shared_search, const EvalOptions& options) {
  const std::string path = (fs::path(options.work_dir) / fmt::format("task-{}.db", index)).string();
  EvalTaskResult broken;
  broken.id = task.id;
  broken.lang = task.lang;
  broken.tags = task.tags;
  remove_db_files(path);
  std::error_code ec;
  if (!fs::copy_file(seeded, path, fs::copy_options::overwrite_existing, ec)) {
    broken.failures.push_back(fmt::format("copying {} to {}: {}", seeded, path, ec.message()));
    return broken;
  }
  Result<int64_t> now = services::parse_local_time(task.now.empty() ? kEvalDefaultNow : task.now);
  if (!now.ok()) {
    broken.failures.push_back(now.status().to_string());
    remove_db_files(path);
    return broken;
  }
  EvalTaskResult result;
  {
    Result<std::unique_ptr<TaskWorld>> world =
        open_world(path, *now, writes_sql(task) ? nullptr : shared_search);
    if (!world.ok()) {
      broken.failures.push_back(fmt::format("opening {}: {}", path, world.status().to_string()));
      remove_db_files(path);
      return broken;
    }
    result = TaskRun(task, **world, options.backend, options.agent).run();
  }
  remove_db_files(path);
  return result;
}

double ratio(int64_t a, int64_t b) {
  return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 1.0;
}

json percentiles_json(const EvalPercentiles& p) {
  return {{"count", p.count}, {"p50_ms", p.p50_ms}, {"p99_ms", p.p99_ms}, {"max_ms", p.max_ms}};
}

}  // namespace

// ---- public ----------------------------------------------------------------------------------

Result<std::vector<EvalTask>> parse_eval_suite(std::string_view text, std::string_view name) {
  std::vector<EvalTask> tasks;
  std::set<std::string> ids;
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const Reader r(name, line_no);
    const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return r.error("line", "is not valid JSON");
    QWL_ASSIGN_OR_RETURN(EvalTask task, parse_task(r, j));
    if (!task.now.empty()) {
      if (Result<int64_t> now = services::parse_local_time(task.now); !now.ok()) {
        return r.error("now", now.status().message());
      }
    }
    if (!ids.insert(task.id).second) return r.error("id", fmt::format("'{}' repeats", task.id));
    task.line = line_no;
    tasks.push_back(std::move(task));
  }
  return tasks;
}

Result<std::vector<EvalTask>> load_eval_suite(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoErrorError("cannot read the suite {}", path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return IoErrorError("reading the suite {} failed", path);
  return parse_eval_suite(text.str(), path);
}

bool eval_json_matches(const nlohmann::json& expected, const nlohmann::json& actual, bool loose) {
  return matches(expected, actual, loose);
}

EvalPercentiles eval_percentiles(std::vector<int64_t> durations_us) {
  EvalPercentiles p;
  p.count = static_cast<int64_t>(durations_us.size());
  if (durations_us.empty()) return p;
  std::sort(durations_us.begin(), durations_us.end());
  // Nearest rank: the smallest value with at least q of the values at or below it.
  auto rank = [&](double q) {
    size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(durations_us.size())));
    k = std::clamp<size_t>(k, 1, durations_us.size());
    return static_cast<double>(durations_us[k - 1]) / 1000.0;
  };
  p.p50_ms = rank(0.50);
  p.p99_ms = rank(0.99);
  p.max_ms = static_cast<double>(durations_us.back()) / 1000.0;
  return p;
}

int EvalReport::passed() const {
  return static_cast<int>(
      std::count_if(tasks.begin(), tasks.end(), [](const EvalTaskResult& t) { return t.passed; }));
}

nlohmann::ordered_json EvalReport::summary(bool per_task) const {
  using ojson = nlohmann::ordered_json;
  int64_t expected = 0, named = 0, exact = 0, made = 0;
  std::vector<int64_t> task_us, step_us, model_us, overhead_us;
  struct Tally {
    int64_t tasks = 0, passed = 0;
  };
  struct ToolTally {
    int64_t tasks = 0, expected = 0, named = 0, exact = 0, made = 0;
  };
  std::map<std::string, Tally> by_lang, by_tag;
  std::map<std::string, ToolTally> by_tool;
  for (const ToolDef& def : ecosystem_tools()) by_tool[std::string(def.name)];
  for (const EvalTaskResult& t : tasks) {
    expected += t.calls_expected;
    named += t.calls_name_matched;
    exact += t.calls_args_matched;
    made += static_cast<int64_t>(t.calls.size());
    task_us.push_back(t.task_us);
    for (const EvalStepTiming& s : t.steps) {
      step_us.push_back(s.step_us);
      model_us.push_back(s.model_us);
      overhead_us.push_back(s.step_us - s.model_us);
    }
    by_lang[t.lang].tasks++;
    by_lang[t.lang].passed += t.passed ? 1 : 0;
    for (const std::string& tag : t.tags) {
      by_tag[tag].tasks++;
      by_tag[tag].passed += t.passed ? 1 : 0;
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < t.expected_tools.size(); ++i) {
      ToolTally& tt = by_tool[t.expected_tools[i]];
      if (seen.insert(t.expected_tools[i]).second) tt.tasks++;
      tt.expected++;
      tt.named += t.expected_name_matched[i] ? 1 : 0;
      tt.exact += t.expected_args_matched[i] ? 1 : 0;
    }
    for (const EvalCall& c : t.calls) by_tool[c.name].made++;
  }
  const int ok = passed();
  ojson j;
  j["suite"] = suite;
  j["backend"] = backend;
  j["tasks"] = tasks.size();
  j["passed"] = ok;
  j["failed"] = static_cast<int64_t>(tasks.size()) - ok;
  j["model_errors"] = std::count_if(tasks.begin(), tasks.end(),
                                    [](const EvalTaskResult& t) { return t.model_error; });
  j["task_success"] = ratio(ok, static_cast<int64_t>(tasks.size()));
  j["tool_choice_accuracy"] = ratio(named, expected);
  j["argument_match"] = ratio(exact, expected);
  j["calls"] = {{"expected", expected},
                {"tool_matched", named},
                {"arguments_matched", exact},
                {"made", made}};
  ojson latency;
  latency["task"] = percentiles_json(eval_percentiles(task_us));
  latency["step"] = percentiles_json(eval_percentiles(step_us));
  latency["model"] = percentiles_json(eval_percentiles(model_us));
  latency["step_without_model"] = percentiles_json(eval_percentiles(overhead_us));
  j["latency"] = std::move(latency);
  j["seed_s"] = seed_s;
  j["wall_s"] = wall_s;
  j["jobs"] = jobs;
  ojson langs = ojson::object();
  for (const auto& [lang, t] : by_lang) {
    langs[lang] = {{"tasks", t.tasks}, {"passed", t.passed}};
  }
  j["by_lang"] = std::move(langs);
  ojson tags = ojson::object();
  for (const auto& [tag, t] : by_tag) tags[tag] = {{"tasks", t.tasks}, {"passed", t.passed}};
  j["by_tag"] = std::move(tags);
  ojson tools = ojson::object();
  for (const auto& [name, t] : by_tool) {
    tools[name] = {{"tasks", t.tasks},
                   {"expected", t.expected},
                   {"tool_matched", t.named},
                   {"arguments_matched", t.exact},
                   {"made", t.made}};
  }
  j["by_tool"] = std::move(tools);
  ojson failures = ojson::array();
  for (const EvalTaskResult& t : tasks) {
    if (!t.passed) failures.push_back({{"id", t.id}, {"reasons", t.failures}});
  }
  j["failures"] = std::move(failures);
  if (per_task) {
    ojson list = ojson::array();
    for (const EvalTaskResult& t : tasks) {
      ojson calls = ojson::array();
      for (const EvalCall& c : t.calls) {
        ojson call = {{"turn", c.turn}, {"name", c.name}, {"arguments", c.arguments}, {"ok", c.ok}};
        if (!c.ok) call["error"] = c.error;
        call["result"] = c.result;
        calls.push_back(std::move(call));
      }
      int64_t steps_us = 0;
      for (const EvalStepTiming& s : t.steps) steps_us += s.step_us;
      list.push_back({{"id", t.id},
                      {"lang", t.lang},
                      {"passed", t.passed},
                      {"failures", t.failures},
                      {"calls_expected", t.calls_expected},
                      {"tool_matched", t.calls_name_matched},
                      {"arguments_matched", t.calls_args_matched},
                      {"ms", static_cast<double>(t.task_us) / 1000.0},
                      {"steps", t.steps.size()},
                      {"calls", std::move(calls)},
                      {"actions", t.actions}});
    }
    j["results"] = std::move(list);
  }
  return j;
}

Result<EvalReport> run_eval(const std::vector<EvalTask>& tasks, std::string_view suite,
                            const EvalOptions& options) {
  Stopwatch wall;
  EvalReport report;
  report.suite = std::string(suite);
  report.backend = options.backend != nullptr ? options.backend->describe() : "scripted";
  report.jobs = std::max(1, options.jobs);

  std::vector<const EvalTask*> selected;
  for (const EvalTask& t : tasks) {
    if (t.id.starts_with(options.filter)) selected.push_back(&t);
  }

  // One seeded database; each task gets a copy of the file. The Db is closed before copying,
  // which checkpoints the WAL into the main file.
  const std::string seeded = (fs::path(options.work_dir) / "seeded.db").string();
  remove_db_files(seeded);
  {
    Stopwatch seeding;
    QWL_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::open(seeded));
    QWL_RETURN_IF_ERROR(
        services::seed_ecosystem(*db, services::SeedOptions{}, Clock::real()).status());
    report.seed_s = seeding.elapsed_s();
  }
  // Building the search index is most of a task's set-up (about 40 ms of the demo city's), and
  // search() answers from memory alone: the tools read what they show from the task's own
  // copy. So one index of the seeded file serves every task that does not write behind the
  // tools' back (kSql steps), like a server's index between two refreshes. The file is only
  // read from here on, so copying it stays safe.
  QWL_ASSIGN_OR_RETURN(std::unique_ptr<Db> seeded_db, Db::open(seeded));
  QWL_ASSIGN_OR_RETURN(std::unique_ptr<services::SearchIndex> search,
                       services::SearchIndex::build(*seeded_db, Clock::real()));

  report.tasks.resize(selected.size());
  std::atomic<size_t> next{0};
  std::mutex progress_mu;
  size_t done = 0;
  auto worker = [&] {
    for (size_t i = next++; i < selected.size(); i = next++) {
      report.tasks[i] = run_one(*selected[i], i, seeded, search.get(), options);
      if (options.on_task) {
        std::lock_guard lock(progress_mu);
        options.on_task(report.tasks[i], ++done, selected.size());
      }
    }
  };
  {
    std::vector<std::jthread> threads;
    for (int i = 1; i < report.jobs; ++i) threads.emplace_back(worker);
    worker();
  }
  search.reset();
  seeded_db.reset();
  remove_db_files(seeded);
  report.wall_s = wall.elapsed_s();
  return report;
}

}  // namespace qwl::agent
