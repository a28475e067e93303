// `qwenlayer chat`: the assistant in the terminal. One line is one message; the answer streams
// as it is written, tool calls and cards show as indented lines, and a pending action (an
// order, a booking, a ride, a refund...) is shown as a card and asks "Confirm? [y/n]": y
// executes it (once), n cancels it, anything else is a new message (a change, which replaces
// the card). The conversation is a session in the database (--session resumes one).
//
// The model is the local engine (-m, on a private server on 127.0.0.1) or an OpenAI-compatible
// endpoint (--backend URL). Reads stdin to its end, so it can be scripted:
//   printf 'order two oat lattes to my office\ny\n' | qwenlayer chat --user alice@example.com
#include <unistd.h>

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "cli/agent_stack.h"
#include "cli/common.h"
#include "cli/local_engine.h"
#include "server/app_ecosystem.h"
#include "server/http_server.h"
#include "server/openai_service.h"
#include "services/identity.h"
#include "services/seed.h"

namespace qwl::cli {
namespace {

struct ChatArgs {
  EngineOptions engine;
  AgentFlags agent;
  std::string db = kDefaultDbUrl;
  std::string user = "alice@example.com";
  std::string session;
  std::vector<double> location;
  std::vector<std::string> messages;  // -e: these instead of stdin
  bool quiet_tools = false;
};

std::string field(const nlohmann::json& data, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    const auto it = data.find(k);
    if (it == data.end()) continue;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number()) return it->dump();
  }
  return "";
}

// One line per card: its type and the fields a person looks at first.
std::string card_line(const nlohmann::json& card) {
  const nlohmann::json& d = card.value("data", nlohmann::json::object());
  std::string line = fmt::format("  [{}]", card.value("type", "card"));
  for (const auto& part :
       {field(d, {"name_zh", "name"}), field(d, {"title"}),
        field(d, {"price_text", "total_text", "amount_text"}),
        field(d, {"distance_text", "duration_text", "eta_text"}), field(d, {"status"})}) {
    if (!part.empty()) line += " " + part;
  }
  if (line.find(']') + 1 == line.size()) line += " " + d.dump().substr(0, 160);
  return line;
}

void print_action(const nlohmann::json& action, bool zh) {
  fmt::print("\n  +-- {} --\n", zh ? "待确认" : "needs your confirmation");
  fmt::print("  | {}\n", action.value("summary", ""));
  const nlohmann::json& info = action.value("info", nlohmann::json::object());
  if (info.is_object() && !info.empty()) fmt::print("  | {}\n", info.dump());
  fmt::print("  +-- {} {}\n", zh ? "编号" : "id", action.value("id", ""));
}

Status run(const ChatArgs& a) {
  if (!a.location.empty() && a.location.size() != 2) {
    return InvalidArgumentError("--location takes LAT,LON");
  }
  if (a.agent.backend_url.empty()) QWL_RETURN_IF_ERROR(a.engine.check_model());
  QWL_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, open_database(a.db));
  const Clock& clock = Clock::real();
  QWL_ASSIGN_OR_RETURN(bool has_data, services::has_ecosystem_data(*db));
  if (!has_data) {
    QWL_LOG_INFO("database {} is empty: seeding the demo city", db->url());
    QWL_RETURN_IF_ERROR(services::seed_ecosystem(*db, services::SeedOptions{}, clock).status());
  }
  services::Identity identity(*db, clock);
  auto found = identity.find_user(services::Actor::system(), a.user);
  if (!found.ok()) return found.status().with_context("--user");
  agent::UserContext user;
  user.actor = services::Actor{.user_id = found->id, .role = found->role};
  if (a.location.size() == 2) user.location = services::LatLon{a.location[0], a.location[1]};

  QWL_ASSIGN_OR_RETURN(std::unique_ptr<app::EcosystemServer> ecosystem,
                       app::EcosystemServer::start(*db, clock));

  // The local engine on a private port, unless the model is elsewhere.
  std::unique_ptr<LocalEngine> local;
  std::unique_ptr<openai::Service> service;
  std::unique_ptr<http::Server> server;
  std::string local_url;
  if (a.agent.backend_url.empty()) {
    fmt::print(stderr, "loading {} ...\n", a.engine.model_path());
    QWL_ASSIGN_OR_RETURN(local, load_local_engine(a.engine, LocalEngineOptions{.parallel = 4}));
    service = std::make_unique<openai::Service>(openai::ServiceOptions{});
    server = std::make_unique<http::Server>(http::ServerOptions{.host = "127.0.0.1", .port = 0});
    QWL_RETURN_IF_ERROR(service->add_routes(*server));
    QWL_RETURN_IF_ERROR(server->start());
    service->set_engine(&*local->engine);
    local_url = fmt::format("http://127.0.0.1:{}/v1", server->port());
  }
  QWL_ASSIGN_OR_RETURN(
      std::unique_ptr<AgentStack> stack,
      make_agent_stack(*db, clock, *ecosystem, a.agent, local_url, "", a.engine.ctx_size));

  std::string session_id = a.session;
  if (session_id.empty()) {
    QWL_ASSIGN_OR_RETURN(agent::SessionInfo info, stack->sessions->create(user.actor));
    session_id = info.id;
  } else {
    QWL_RETURN_IF_ERROR(stack->sessions->get(user.actor, session_id).status());
  }
  fmt::print(stderr, "session {} as {} (model: {}); Ctrl-D ends\n", session_id, a.user,
             stack->backend->describe());

  const bool tty = ::isatty(0) != 0;
  size_t next_message = 0;
  auto read_line = [&](std::string_view prompt, std::string* line) -> bool {
    if (!a.messages.empty()) {  // -e: only those messages, stdin is not read
      if (next_message >= a.messages.size()) return false;
      *line = a.messages[next_message++];
      return true;
    }
    if (tty) fmt::print("{}", prompt);
    std::fflush(stdout);
    return static_cast<bool>(std::getline(std::cin, *line));
  };

  std::optional<nlohmann::json> pending;  // the card waiting for y/n
  std::string line;
  while (true) {
    if (pending.has_value()) {
      const bool zh = user.language == "zh";
      if (!read_line(zh ? "确认？[y/n] " : "Confirm? [y/n] ", &line)) break;
      if (line == "y" || line == "Y" || line == "yes" || line == "是") {
        auto done =
            stack->actions->confirm(user, pending->value("id", ""), pending->value("hash", ""));
        if (done.ok()) {
          fmt::print("  {} {}\n  {}\n", zh ? "已确认：" : "Confirmed:", done->draft.summary,
                     done->result.dump().substr(0, 400));
          const std::string note =
              fmt::format("{} {}", zh ? "已确认：" : "Confirmed:", done->draft.summary);
          QWL_RETURN_IF_ERROR(stack->sessions->append(
              user.actor, session_id, {ChatJson{{"role", "assistant"}, {"content", note}}},
              {nlohmann::json::array({{{"type", "action"}, {"data", done->to_json()}}})}));
        } else {
          fmt::print("  {} {}\n", zh ? "未能执行：" : "Not done:", done.status().message());
        }
        pending.reset();
        continue;
      }
      if (line == "n" || line == "N" || line == "no" || line == "否") {
        auto cancelled = stack->actions->cancel(user, pending->value("id", ""));
        fmt::print("  {}\n", cancelled.ok() ? (zh ? "已取消。" : "Cancelled.")
                                            : cancelled.status().message());
        pending.reset();
        continue;
      }
      pending.reset();  // a new message: a change replaces the card, or it simply waits
    } else if (!read_line("> ", &line)) {
      break;
    }
    if (line.empty()) continue;
    user.language = agent::detect_language(line);
    QWL_RETURN_IF_ERROR(stack->sessions->begin_turn(user.actor, session_id));
    auto history = stack->sessions->history(user.actor, session_id);
    if (!history.ok()) {
      stack->sessions->end_turn(session_id);
      return history.status();
    }
    std::vector<nlohmann::json> shown;
    bool at_line_start = true;
    auto turn =
        stack->agent->run_turn(user, session_id, *history, line, [&](const agent::AgentEvent& e) {
          switch (e.type) {
            case agent::AgentEventType::kText: {
              const std::string delta = e.data.value("delta", "");
              fmt::print("{}", delta);
              if (!delta.empty()) at_line_start = delta.back() == '\n';
              std::fflush(stdout);
              break;
            }
            case agent::AgentEventType::kToolCall:
              if (!a.quiet_tools) {
                fmt::print("{}  -> {} {}\n", at_line_start ? "" : "\n", e.data.value("name", ""),
                           e.data.value("arguments", ""));
                at_line_start = true;
              }
              break;
            case agent::AgentEventType::kToolResult:
              if (!a.quiet_tools && !e.data.value("ok", false)) {
                fmt::print("  !! {}\n", e.data["error"].value("message", ""));
              }
              break;
            case agent::AgentEventType::kCard:
              shown.push_back(e.data);
              if (!a.quiet_tools) fmt::print("{}\n", card_line(e.data));
              break;
            case agent::AgentEventType::kAction:
              shown.push_back({{"type", "action"}, {"data", e.data}});
              pending = e.data;
              break;
            case agent::AgentEventType::kError:
              fmt::print("{}  !! {}\n", at_line_start ? "" : "\n", e.data.value("message", ""));
              at_line_start = true;
              break;
            case agent::AgentEventType::kDone:
              if (!at_line_start) fmt::print("\n");
              at_line_start = true;
              break;
          }
        });
    if (turn.ok()) {
      std::vector<nlohmann::json> events(turn->messages.size(), nlohmann::json::array());
      if (!events.empty()) events.back() = shown;
      std::vector<ChatJson> messages(turn->messages.begin(), turn->messages.end());
      const Status saved = stack->sessions->append(user.actor, session_id, messages, events);
      if (!saved.ok()) QWL_LOG_WARN("session {}: {}", session_id, saved.message());
    }
    stack->sessions->end_turn(session_id);
    if (!turn.ok()) fmt::print("  !! {}\n", turn.status().message());
    if (pending.has_value()) print_action(*pending, user.language == "zh");
  }
  if (server) server->stop(std::chrono::milliseconds(0));
  ecosystem->stop();
  return Status::Ok();
}

void add_chat(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ChatArgs>();
  CLI::App* cmd = app.add_subcommand(
      "chat",
      "Talk to the assistant in the terminal: it searches, compares and prepares orders,\n"
      "bookings and rides across the ecosystem (--db); nothing that moves money or books\n"
      "anything happens until you answer y to its card.\n"
      "Examples:\n"
      "  qwenlayer chat --user alice@example.com\n"
      "  qwenlayer chat --backend http://gpu-box:8000/v1 --backend-model Qwen/Qwen3-32B\n"
      "  printf 'order two oat lattes to my office\\ny\\n' | qwenlayer chat");
  args->engine.add_to(*cmd, true);
  args->agent.add_to(*cmd);
  add_db_option(cmd, args->db);
  cmd->add_option("--user", args->user, "The account you act as (its email)")
      ->capture_default_str();
  cmd->add_option("--session", args->session, "Continue this session (id from a previous chat)");
  cmd->add_option("--location", args->location, "Where you are: LAT,LON")
      ->delimiter(',')
      ->expected(2);
  cmd->add_option("-e,--message", args->messages,
                  "Send these messages in order instead of reading stdin (y / n among them "
                  "answer a card)");
  cmd->add_flag("--quiet-tools", args->quiet_tools, "Do not show tool calls and cards");
  cmd->callback([args, &exit_code] { exit_code = report(run(*args)); });
}

const CommandRegistrar kRegistrar("chat", add_chat);

}  // namespace
}  // namespace qwl::cli
