// The agent's routes of the app API (api_agent.h). Sessions and actions are thin mappings onto
// SessionStore and ActionStore; the interesting part is a message: one agent turn on a thread of
// its own, its events forwarded to an SSE stream as they happen, and the turn's messages saved
// before the stream's closing events, so that "done" means "saved and free".
#include "server/api_agent.h"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/log.h"
#include "server/http_error.h"
#include "server/http_sse.h"
#include "services/geo.h"
#include "services/idempotency.h"

namespace qwl::app {
namespace {

using agent::AgentEvent;
using agent::AgentEventType;
using nlohmann::json;

constexpr int64_t kDefaultListLimit = 20;
constexpr int64_t kMaxListLimit = 50;
constexpr size_t kSmallBody = 16 * 1024;  // a message of 4000 characters, \u-escaped, fits
constexpr size_t kMaxActionIdBytes = 64;
constexpr std::string_view kConfirmOperation = "agent_action_confirm";

// ---- errors that name their parameter ------------------------------------------------------

// The error response of a failed handler: an InvalidArgument whose message starts with
// "<param>: " names that parameter (the body readers of app_api.h and ours write them so).
http::Response error_for(const Status& status) {
  std::string param;
  if (status.code() == StatusCode::kInvalidArgument) {
    const std::string& m = status.message();
    const size_t colon = m.find(": ");
    if (colon != std::string::npos && colon > 0 &&
        m.substr(0, colon).find(' ') == std::string::npos)
      param = m.substr(0, colon);
  }
  return http::error_response(status, param, error_code_for(status.code()));
}

// Wraps a handler so that its InvalidArgument errors name their parameter.
AppHandler named(AppHandler handler) {
  return [handler = std::move(handler)](http::Request& req,
                                        const Caller& caller) -> Result<http::Response> {
    Result<http::Response> r = handler(req, caller);
    if (!r.ok() && r.status().code() == StatusCode::kInvalidArgument) return error_for(r.status());
    return r;
  };
}

Status check_query(const http::Request& req, std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : req.query) {
    if (std::find(known.begin(), known.end(), name) == known.end())
      return bad_param(shown(name), "unknown query parameter");
  }
  return Status::Ok();
}

// The body as a JSON object with only `known` fields; an empty body reads as {} when `empty_ok`.
Result<json> body_of(const http::Request& req, std::initializer_list<std::string_view> known,
                     bool empty_ok = false) {
  const bool empty = req.body.find_first_not_of(" \t\r\n") == std::string::npos;
  json body = json::object();
  if (!empty || !empty_ok) {
    QWL_ASSIGN_OR_RETURN(body, parse_json_body(req));
  }
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      return bad_param(shown(it.key()), "unknown field");
  }
  return body;
}

// Chat belongs to a signed-in user: the operator key acts for no one.
Status check_user(const Caller& caller) {
  if (caller.actor.user_id > 0) return Status::Ok();
  return bad_param("Authorization",
                   "the operator key acts for no user, so it has no chat sessions or actions; use "
                   "a user's key");
}

agent::UserContext user_of(const Caller& caller) {
  return agent::UserContext{.actor = caller.actor};
}

size_t code_points(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json event_json(const AgentEvent& e) {
  return {{"event", agent::agent_event_name(e.type)}, {"data", e.data}};
}

// ---- notes after a confirmation ------------------------------------------------------------

std::string text_of(const json& j, std::string_view key) {
  auto it = j.find(std::string(key));
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return "";
}

// A line for the conversation saying what a decided action did, from its tool and result (no
// model call), in the language of its summary.
std::string action_note(const agent::PendingAction& a) {
  const bool zh = agent::detect_language(a.draft.summary) == "zh";
  const std::string& summary = a.draft.summary;
  auto with_summary = [&](std::string head) {
    if (summary.empty()) return head + (zh ? "。" : ".");
    return head + (zh ? "：" : ": ") + summary;
  };
  if (a.status == agent::ActionStatus::kCancelled) return with_summary(zh ? "已取消" : "Cancelled");
  if (a.status == agent::ActionStatus::kFailed) {
    std::string note = zh ? "未执行：" + a.error : "Not done: " + a.error;
    if (!a.replaced_by.empty())
      note += zh ? "。新的确认卡片已生成，请查看。"
                 : ". A new card with the current details is waiting.";
    return note;
  }
  // ActionStore keeps {"result": <the tool's result>, "cards": [...]}.
  static const json kEmpty = json::object();
  const json& r =
      a.result.is_object() && a.result.contains("result") && a.result["result"].is_object()
          ? a.result["result"]
          : kEmpty;
  const std::string& tool = a.draft.tool;
  const std::string order_id = text_of(r, "order_id");
  const std::string booking_id = text_of(r, "booking_id");
  std::string head;
  if (tool == "cancel_order") {
    head = zh ? fmt::format("订单 #{} 已取消", order_id)
              : fmt::format("Order #{} cancelled", order_id);
  } else if (tool == "request_refund") {
    const std::string id = text_of(r, "after_sale_id");
    head =
        zh ? fmt::format("售后申请 #{} 已提交", id) : fmt::format("Refund request #{} opened", id);
  } else if (tool == "top_up_wallet") {
    head = zh ? "已充值" : "Wallet topped up";
  } else if (tool == "request_ride") {
    head = zh ? fmt::format("行程 #{} 已叫车", booking_id)
              : fmt::format("Ride #{} requested", booking_id);
  } else if (tool == "cancel_booking") {
    head = zh ? fmt::format("预订 #{} 已取消", booking_id)
              : fmt::format("Booking #{} cancelled", booking_id);
  } else if (!order_id.empty()) {  // checkout, and any tool that places an order
    std::string note = with_summary(zh ? fmt::format("订单 #{} 已下单", order_id)
                                       : fmt::format("Order #{} placed", order_id));
    if (const std::string eta = text_of(r, "eta"); !eta.empty())
      note += zh ? fmt::format("；预计 {} 送达", eta) : fmt::format("; arrives ~{}", eta);
    return note;
  } else if (!booking_id.empty()) {  // book_table, book_hotel
    head = zh ? fmt::format("预订 #{} 已确认", booking_id)
              : fmt::format("Booking #{} confirmed", booking_id);
  } else {
    head = zh ? "已完成" : "Done";
  }
  return with_summary(head);
}

// ---- a turn's messages rebuilt from its events ---------------------------------------------

// What the turn did, from its events: the OpenAI-format messages to save when run_turn() failed
// without returning its own (the user's message, each step's assistant message with the calls
// that got a result, the results), and the events the app showed (cards, actions, errors).
class TurnRecord {
 public:
  explicit TurnRecord(std::string_view user_text) {
    messages_.push_back(ChatJson{{"role", "user"}, {"content", user_text}});
  }

  void observe(const AgentEvent& e) {
    switch (e.type) {
      case AgentEventType::kText:
        if (!calls_.empty()) flush();
        if (e.data.contains("delta") && e.data["delta"].is_string())
          text_ += e.data["delta"].get<std::string>();
        break;
      case AgentEventType::kToolCall: {
        const json& args = e.data.value("arguments", json());
        calls_.push_back(
            ChatJson{{"id", e.data.value("id", "")},
                     {"type", "function"},
                     {"function",
                      {{"name", e.data.value("name", "")},
                       {"arguments", args.is_string() ? args.get<std::string>() : dump(args)}}}});
        break;
      }
      case AgentEventType::kToolResult: {
        const std::string id = e.data.value("id", "");
        const json& body =
            e.data.contains("result") ? e.data["result"] : e.data.value("error", json());
        results_.push_back(
            ChatJson{{"role", "tool"}, {"tool_call_id", id}, {"content", dump(body)}});
        answered_.insert(id);
        break;
      }
      case AgentEventType::kCard:
      case AgentEventType::kAction:
      case AgentEventType::kError:
        shown_.push_back(event_json(e));
        break;
      case AgentEventType::kDone:
        break;
    }
  }

  // The messages so far (an unfinished step keeps only its calls that got a result).
  std::vector<ChatJson> messages() {
    flush();
    return messages_;
  }
  const json& shown() const { return shown_; }

 private:
  void flush() {
    ChatJson calls = ChatJson::array();
    for (ChatJson& c : calls_) {
      if (answered_.count(c["id"].get<std::string>()) > 0) calls.push_back(std::move(c));
    }
    if (!text_.empty() || !calls.empty()) {
      ChatJson m = {{"role", "assistant"}, {"content", text_}};
      if (!calls.empty()) m["tool_calls"] = std::move(calls);
      messages_.push_back(std::move(m));
    }
    for (ChatJson& r : results_) messages_.push_back(std::move(r));
    text_.clear();
    calls_.clear();
    results_.clear();
    answered_.clear();
  }

  std::vector<ChatJson> messages_;
  std::string text_;
  std::vector<ChatJson> calls_;
  std::vector<ChatJson> results_;
  std::set<std::string> answered_;
  json shown_ = json::array();
};

}  // namespace

// ---- state shared by the routes and the turns' threads -------------------------------------

struct AgentRoutes::State {
  State(AgentRoutesDeps d, AgentRoutesOptions o) : deps(d), options(o) {}

  AgentRoutesDeps deps;
  AgentRoutesOptions options;

  mutable std::mutex mu;
  std::condition_variable idle;
  bool stopping = false;                    // guarded by mu
  int running = 0;                          // guarded by mu: turns holding a slot
  uint64_t next_turn = 0;                   // guarded by mu
  std::map<uint64_t, std::thread> threads;  // guarded by mu
  std::vector<uint64_t> finished;           // guarded by mu: threads to join
  std::stop_source shutdown;

  // Joins threads that have finished (they are past the last use of anything but `this`).
  void reap(std::unique_lock<std::mutex>& lock) {
    std::vector<std::thread> done;
    for (uint64_t id : finished) {
      auto it = threads.find(id);
      if (it == threads.end()) continue;
      done.push_back(std::move(it->second));
      threads.erase(it);
    }
    finished.clear();
    lock.unlock();
    for (std::thread& t : done) t.join();
    lock.lock();
  }

  // ---- routes ----

  Result<http::Response> create_session(http::Request& req, const Caller& c);
  Result<http::Response> list_sessions(http::Request& req, const Caller& c);
  Result<http::Response> get_session(http::Request& req, const Caller& c);
  Result<http::Response> rename_session(http::Request& req, const Caller& c);
  Result<http::Response> delete_session(http::Request& req, const Caller& c);
  Result<http::Response> post_message(http::Request& req, const Caller& c);
  Result<http::Response> get_action(http::Request& req, const Caller& c);
  Result<http::Response> confirm_action(http::Request& req, const Caller& c);
  Result<http::Response> cancel_action(http::Request& req, const Caller& c);

  struct Turn {
    uint64_t id = 0;
    services::Actor actor;
    agent::UserContext user;
    std::string session_id;
    std::string text;
    ChatJson history;
    http::EventSink sink;
    std::stop_token request_cancel;
  };
  void run_turn(Turn& turn);
  void note(const services::Actor& actor, const agent::PendingAction& action);
};

namespace {

// The path's session id, checked here so that a malformed one is a 400 naming "id".
Result<std::string> session_id_of(const http::Request& req) {
  const std::string_view id = req.param("id");
  bool ok = id.size() == 28 && id.starts_with("ses_");
  for (size_t i = 4; ok && i < id.size(); ++i)
    ok = (id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f');
  if (!ok)
    return bad_param("id", "'{}' is not a session id (\"ses_\" and 24 hex digits)", shown(id));
  return std::string(id);
}

Result<std::string> action_id_of(const http::Request& req) {
  const std::string_view id = req.param("id");
  if (id.empty() || id.size() > kMaxActionIdBytes)
    return bad_param("id", "'{}' is not an action id", shown(id));
  return std::string(id);
}

}  // namespace

Result<http::Response> AgentRoutes::State::create_session(http::Request& req, const Caller& c) {
  QWL_RETURN_IF_ERROR(check_user(c));
  QWL_RETURN_IF_ERROR(check_query(req, {}));
  QWL_ASSIGN_OR_RETURN(json body, body_of(req, {"title"}, /*empty_ok=*/true));
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> title, optional_string(body, "title"));
  if (title && code_points(*title) > 200)
    return bad_param("title", "holds {} characters, at most 200", code_points(*title));
  QWL_ASSIGN_OR_RETURN(agent::SessionInfo s, deps.sessions.create(c.actor, title.value_or("")));
  return json_response(s.to_json(), 201);
}

Result<http::Response> AgentRoutes::State::list_sessions(http::Request& req, const Caller& c) {
  QWL_RETURN_IF_ERROR(check_user(c));
  QWL_RETURN_IF_ERROR(check_query(req, {"limit", "before"}));
  QWL_ASSIGN_OR_RETURN(int64_t limit, query_int(req, "limit", kDefaultListLimit, 1, kMaxListLimit));
  QWL_ASSIGN_OR_RETURN(int64_t before,
                       query_int(req, "before", 0, 1, std::numeric_limits<int64_t>::max()));
  QWL_ASSIGN_OR_RETURN(std::vector<agent::SessionInfo> list,
                       deps.sessions.list(c.actor, static_cast<int>(limit + 1), before));
  const bool has_more = static_cast<int64_t>(list.size()) > limit;
  if (has_more) list.resize(static_cast<size_t>(limit));
  json data = json::array();
  for (const agent::SessionInfo& s : list) data.push_back(s.to_json());
  json out = {{"object", "list"}, {"data", std::move(data)}, {"has_more", has_more}};
  // The cursor is the last session's update time in microseconds (the JSON's "updated_at" is
  // in seconds and would skip sessions updated within the same second).
  if (has_more) out["next_before"] = list.back().updated_us;
  return json_response(out);
}

Result<http::Response> AgentRoutes::State::get_session(http::Request& req, const Caller& c) {
  QWL_RETURN_IF_ERROR(check_user(c));
  QWL_RETURN_IF_ERROR(check_query(req, {}));
  QWL_ASSIGN_OR_RETURN(const std::string id, session_id_of(req));
  QWL_ASSIGN_OR_RETURN(agent::SessionInfo s, deps.sessions.get(c.actor, id));
  QWL_ASSIGN_OR_RETURN(std::vector<agent::StoredMessage> messages,
                       deps.sessions.messages(c.actor, id));
  QWL_ASSIGN_OR_RETURN(std::vector<agent::PendingAction> actions,
                       deps.actions.list(user_of(c), id));
  json out = s.to_json();
  json history = json::array();
  for (const agent::StoredMessage& m : messages) history.push_back(m.to_json());
  json list = json::array();
  for (const agent::PendingAction& a : actions) list.push_back(a.to_json());
  out["history"] = std::move(history);
  out["actions"] = std::move(list);
  return json_response(out);
}

Result<http::Response> AgentRoutes::State::rename_session(http::Request& req, const Caller& c) {
  QWL_RETURN_IF_ERROR(check_user(c));
  QWL_RETURN_IF_ERROR(check_query(req, {}));
  QWL_ASSIGN_OR_RETURN(const std::string id, session_id_of(req));
  QWL_ASSIGN_OR_RETURN(json body, body_of(req, {"title"}));
  QWL_ASSIGN_OR_RETURN(std::string title, required_string(body, "title"));
  if (code_points(title) > 200)
    return bad_param("title", "holds {} characters, at most 200", code_points(title));
  QWL_RETURN_IF_ERROR(deps.sessions.rename(c.actor, id, title));
  QWL_ASSIGN_OR_RETURN(agent::SessionInfo s, deps.sessions.get(c.actor, id));
  return json_response(s.to_json());
}

Result<http::Response> AgentRoutes::State::delete_session(http::Request& req, const Caller& c) {
  QWL_RETURN_IF_ERROR(check_user(c));
  QWL_RETURN_IF_ERROR(check_query(req, {}));
  QWL_ASSIGN_OR_RETURN(const std::string id, session_id_of(req));
  QWL_RETURN_IF_ERROR(deps.sessions.remove(c.actor, id));
  return json_response({{"object", "session"}, {"id", id}, {"deleted", true}});
}

Result<http::Response> AgentRoutes::State::post_message(http::Request& req, const Caller& c) {
  QWL_RETURN_IF_ERROR(check_user(c));
  QWL_RETURN_IF_ERROR(check_query(req, {}));
  QWL_ASSIGN_OR_RETURN(const std::string id, session_id_of(req));
  QWL_ASSIGN_OR_RETURN(json body, body_of(req, {"text", "location"}));
  QWL_ASSIGN_OR_RETURN(std::string text, required_string(body, "text"));
  const size_t chars = code_points(text);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return bad_param("text", "is empty");
  if (chars > options.max_text_chars)
    return bad_param("text", "holds {} characters, at most {}", chars, options.max_text_chars);
  agent::UserContext user = user_of(c);
  if (body.contains("location") && !body["location"].is_null()) {
    const json& loc = body["location"];
    if (!loc.is_object()) return bad_param("location", "expected {{\"lat\", \"lon\"}}");
    for (auto it = loc.begin(); it != loc.end(); ++it) {
      if (it.key() != "lat" && it.key() != "lon")
        return bad_param(fmt::format("location.{}", shown(it.key())), "unknown field");
    }
    for (std::string_view f : {"lat", "lon"}) {
      if (!loc.contains(f) || !loc[std::string(f)].is_number())
        return bad_param(fmt::format("location.{}", f), "expected a number");
    }
    services::LatLon p{.lat = loc["lat"].get<double>(), .lon = loc["lon"].get<double>()};
    QWL_RETURN_IF_ERROR(services::check_lat_lon(p, "location"));
    user.location = p;
  }
  user.language = agent::detect_language(text);

  // A slot first (cheap, local), then the session's lease (the database, across nodes).
  uint64_t turn_id = 0;
  {
    std::unique_lock lock(mu);
    reap(lock);
    if (stopping) return UnavailableError("the server is shutting down; send the message again");
    if (running >= options.max_running_turns)
      return ResourceExhaustedError(
          "{} messages are being answered on this server, at most {}; "
          "try again shortly",
          running, options.max_running_turns);
    ++running;
    turn_id = ++next_turn;
  }
  auto release_slot = [&] {
    std::lock_guard lock(mu);
    --running;
    idle.notify_all();
  };
  if (Status s = deps.sessions.begin_turn(c.actor, id, options.turn_lease); !s.ok()) {
    release_slot();
    return s;
  }
  Result<ChatJson> history = deps.sessions.history(c.actor, id);
  if (!history.ok()) {
    deps.sessions.end_turn(id);
    release_slot();
    return history.status();
  }

  auto turn = std::make_unique<Turn>();
  turn->id = turn_id;
  turn->actor = c.actor;
  turn->user = std::move(user);
  turn->session_id = id;
  turn->text = std::move(text);
  turn->history = std::move(*history);
  turn->sink = http::EventSink::create({.max_queued_events = options.max_queued_events});
  turn->request_cancel = req.cancel;
  http::Response response = http::Response::event_stream(turn->sink);
  {
    std::lock_guard lock(mu);
    threads.emplace(turn_id, std::thread([this, t = std::move(turn)]() mutable {
                      run_turn(*t);
                      const uint64_t tid = t->id;
                      t.reset();
                      std::lock_guard lock2(mu);
                      --running;
                      finished.push_back(tid);
                      idle.notify_all();
                    }));
  }
  return response;
}

void AgentRoutes::State::run_turn(Turn& turn) {
  std::stop_source stop;
  auto cancel = [&stop] { stop.request_stop(); };
  std::stop_callback on_stream(turn.sink.cancel_token(), cancel);
  std::stop_callback on_request(turn.request_cancel, cancel);
  std::stop_callback on_shutdown(shutdown.get_token(), cancel);

  bool gone = false;  // the client no longer reads: nothing more is sent
  auto send = [&](const AgentEvent& e) {
    if (gone) return;
    const std::string data = dump(e.data);
    const Status s =
        turn.sink.send(http::Event{.data = data, .event = agent::agent_event_name(e.type)});
    if (!s.ok()) {
      gone = true;
      stop.request_stop();
    }
  };
  TurnRecord record(turn.text);
  std::vector<AgentEvent> closing;  // error and done: sent once the turn is saved
  std::mutex sink_mu;               // the agent may emit from its parallel reads' threads
  agent::AgentSink sink = [&](const AgentEvent& e) {
    std::lock_guard lock(sink_mu);
    record.observe(e);
    if (e.type == AgentEventType::kDone || e.type == AgentEventType::kError) {
      closing.push_back(e);
      return;
    }
    send(e);
  };

  Result<agent::TurnResult> result = deps.agent.run_turn(turn.user, turn.session_id, turn.history,
                                                         turn.text, sink, stop.get_token());
  std::vector<ChatJson> messages;
  int steps = 0;
  if (result.ok()) {
    messages = std::move(result->messages);
    steps = result->steps;
  } else {
    QWL_LOG_WARN("session {}: the turn failed: {}", turn.session_id, result.status().to_string());
    messages = record.messages();
    const bool had_error = std::any_of(closing.begin(), closing.end(), [](const AgentEvent& e) {
      return e.type == AgentEventType::kError;
    });
    if (!had_error) {
      const Status& s = result.status();
      const bool hidden = http::http_status_for(s.code()) >= 500;
      AgentEvent e{AgentEventType::kError,
                   {{"code", error_code_for(s.code())},
                    {"message", hidden ? "the message could not be answered" : s.message()}}};
      record.observe(e);
      closing.push_back(std::move(e));
    }
  }
  // The cards, actions and errors shown go with the turn's last message.
  std::vector<json> events(messages.size(), json::array());
  if (!events.empty()) events.back() = record.shown();
  if (Status s = deps.sessions.append(turn.actor, turn.session_id, messages, events); !s.ok()) {
    QWL_LOG_WARN("session {}: saving the turn failed: {}", turn.session_id, s.to_string());
    closing.insert(
        closing.begin(),
        AgentEvent{AgentEventType::kError,
                   {{"code", s.code() == StatusCode::kNotFound ? "not_found" : "server_error"},
                    {"message", s.code() == StatusCode::kNotFound
                                    ? "the session was deleted during the turn"
                                    : "the conversation could not be saved"}}});
  }
  deps.sessions.end_turn(turn.session_id);

  const bool has_done = std::any_of(closing.begin(), closing.end(), [](const AgentEvent& e) {
    return e.type == AgentEventType::kDone;
  });
  if (!has_done)
    closing.push_back({AgentEventType::kDone, {{"steps", steps}, {"finish", "error"}}});
  // An error the save added goes just before done.
  std::stable_partition(closing.begin(), closing.end(),
                        [](const AgentEvent& e) { return e.type != AgentEventType::kDone; });
  for (const AgentEvent& e : closing) send(e);
  turn.sink.close();
}

// An assistant line in the action's session saying what happened (best effort: the action is
// decided whether or not the note is saved).
void AgentRoutes::State::note(const services::Actor& actor, const agent::PendingAction& action) {
  if (action.session_id.empty()) return;
  json events = json::array({json{{"event", "action"}, {"data", action.to_json()}}});
  if (action.status == agent::ActionStatus::kFailed && !action.replaced_by.empty()) {
    Result<agent::PendingAction> next =
        deps.actions.get(agent::UserContext{.actor = actor}, action.replaced_by);
    if (next.ok()) events.push_back(json{{"event", "action"}, {"data", next->to_json()}});
  }
  const ChatJson message = {{"role", "assistant"}, {"content", action_note(action)}};
  const Status s = deps.sessions.append(actor, action.session_id, {message}, {events});
  if (!s.ok() && s.code() != StatusCode::kNotFound)
    QWL_LOG_WARN("action {}: adding the note to session {} failed: {}", action.id,
                 action.session_id, s.to_string());
}

Result<http::Response> AgentRoutes::State::get_action(http::Request& req, const Caller& c) {
  QWL_RETURN_IF_ERROR(check_user(c));
  QWL_RETURN_IF_ERROR(check_query(req, {}));
  QWL_ASSIGN_OR_RETURN(std::string id, action_id_of(req));
  QWL_ASSIGN_OR_RETURN(agent::PendingAction a, deps.actions.get(user_of(c), id));
  return json_response(a.to_json());
}

Result<http::Response> AgentRoutes::State::confirm_action(http::Request& req, const Caller& c) {
  QWL_RETURN_IF_ERROR(check_user(c));
  QWL_RETURN_IF_ERROR(check_query(req, {}));
  QWL_ASSIGN_OR_RETURN(std::string id, action_id_of(req));
  QWL_ASSIGN_OR_RETURN(json body, body_of(req, {"hash"}));
  QWL_ASSIGN_OR_RETURN(std::string hash, required_string(body, "hash"));
  if (hash.empty() || hash.size() > 128)
    return bad_param("hash", "'{}' is not a hash", shown(hash));
  const agent::UserContext user = user_of(c);

  // With an Idempotency-Key: a retry gets the first answer back. The key is looked at before
  // anything runs (a probe whose callable fails stores nothing), so a key used for another
  // action or hash confirms nothing; the answer is stored after the confirmation, which is
  // itself exactly-once per action (ActionStore), so a crash between the two is harmless.
  const std::string request = id + "\n" + hash;
  const services::IdempotentRequest idem{.user_id = c.actor.user_id,
                                         .key = c.idempotency_key,
                                         .operation = kConfirmOperation,
                                         .request = request};
  auto replay = [](const std::string& stored) {
    http::Response r = http::Response::json(stored, 200);
    r.headers.set("Idempotent-Replayed", "true");
    return r;
  };
  if (!c.idempotency_key.empty()) {
    const Status probe = Status(StatusCode::kCancelled, "idempotency probe");
    Result<services::IdempotentResult> seen = services::run_idempotent(
        deps.db, idem, deps.clock.wall_us(), [&](Tx&) -> Result<std::string> { return probe; });
    if (seen.ok()) return replay(seen->response);
    const Status& s = seen.status();
    if (s.code() != StatusCode::kCancelled || s.message() != probe.message()) {
      if (s.code() == StatusCode::kInvalidArgument)
        return InvalidArgumentError("Idempotency-Key: {}", s.message());
      return s;
    }
  }

  QWL_ASSIGN_OR_RETURN(agent::PendingAction before, deps.actions.get(user, id));
  Result<agent::PendingAction> confirmed = deps.actions.confirm(user, id, hash);
  if (!confirmed.ok()) {
    // The content changed: the action failed and a new one waits; the conversation says so.
    if (before.status == agent::ActionStatus::kPending &&
        confirmed.status().code() == StatusCode::kFailedPrecondition) {
      Result<agent::PendingAction> after = deps.actions.get(user, id);
      if (after.ok() && after->status == agent::ActionStatus::kFailed) note(c.actor, *after);
    }
    if (confirmed.status().code() == StatusCode::kInvalidArgument)
      return InvalidArgumentError("hash: {}", confirmed.status().message());
    return confirmed.status();
  }
  if (before.status == agent::ActionStatus::kPending &&
      confirmed->status == agent::ActionStatus::kConfirmed)
    note(c.actor, *confirmed);
  const std::string out = dump(confirmed->to_json());
  if (!c.idempotency_key.empty()) {
    Result<services::IdempotentResult> stored = services::run_idempotent(
        deps.db, idem, deps.clock.wall_us(), [&](Tx&) -> Result<std::string> { return out; });
    if (stored.ok() && stored->replayed) return replay(stored->response);
    if (!stored.ok())
      QWL_LOG_WARN("action {}: storing the idempotent answer failed: {}", id,
                   stored.status().to_string());
  }
  return http::Response::json(out, 200);
}

Result<http::Response> AgentRoutes::State::cancel_action(http::Request& req, const Caller& c) {
  QWL_RETURN_IF_ERROR(check_user(c));
  QWL_RETURN_IF_ERROR(check_query(req, {}));
  QWL_ASSIGN_OR_RETURN(std::string id, action_id_of(req));
  QWL_RETURN_IF_ERROR(body_of(req, {}, /*empty_ok=*/true).status());
  const agent::UserContext user = user_of(c);
  QWL_ASSIGN_OR_RETURN(agent::PendingAction before, deps.actions.get(user, id));
  QWL_ASSIGN_OR_RETURN(agent::PendingAction cancelled, deps.actions.cancel(user, id));
  if (before.status == agent::ActionStatus::kPending &&
      cancelled.status == agent::ActionStatus::kCancelled)
    note(c.actor, cancelled);
  return json_response(cancelled.to_json());
}

// ---- AgentRoutes ---------------------------------------------------------------------------

AgentRoutes::AgentRoutes(AgentRoutesDeps deps, AgentRoutesOptions options)
    : state_(std::make_shared<State>(deps, options)) {}

AgentRoutes::~AgentRoutes() {
  stop();
}

Status AgentRoutes::add_routes(AppApi& api) {
  using http::Method;
  State* s = state_.get();
  const AppRouteOptions small{.max_body_bytes = kSmallBody};
  auto bind = [s](Result<http::Response> (State::*fn)(http::Request&, const Caller&)) {
    return named([s, fn](http::Request& req, const Caller& c) { return (s->*fn)(req, c); });
  };
  QWL_RETURN_IF_ERROR(
      api.add_route(Method::kPost, "/api/v1/sessions", bind(&State::create_session), small));
  QWL_RETURN_IF_ERROR(
      api.add_route(Method::kGet, "/api/v1/sessions", bind(&State::list_sessions), small));
  QWL_RETURN_IF_ERROR(
      api.add_route(Method::kGet, "/api/v1/sessions/{id}", bind(&State::get_session), small));
  QWL_RETURN_IF_ERROR(
      api.add_route(Method::kPatch, "/api/v1/sessions/{id}", bind(&State::rename_session), small));
  QWL_RETURN_IF_ERROR(
      api.add_route(Method::kDelete, "/api/v1/sessions/{id}", bind(&State::delete_session), small));
  QWL_RETURN_IF_ERROR(api.add_route(Method::kPost, "/api/v1/sessions/{id}/messages",
                                    bind(&State::post_message), small));
  QWL_RETURN_IF_ERROR(
      api.add_route(Method::kGet, "/api/v1/actions/{id}", bind(&State::get_action), small));
  QWL_RETURN_IF_ERROR(api.add_route(Method::kPost, "/api/v1/actions/{id}/confirm",
                                    bind(&State::confirm_action), small));
  return api.add_route(Method::kPost, "/api/v1/actions/{id}/cancel", bind(&State::cancel_action),
                       small);
}

void AgentRoutes::stop() {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  s.stopping = true;
  s.shutdown.request_stop();
  s.idle.wait(lock, [&] { return s.running == 0; });
  s.reap(lock);
  // Threads that ended between the wait and the reap are all in `finished` by now.
  QWL_CHECK(s.threads.empty(), "AgentRoutes::stop: {} turn threads left", s.threads.size());
}

int AgentRoutes::running_turns() const {
  std::lock_guard lock(state_->mu);
  return state_->running;
}

}  // namespace qwl::app
