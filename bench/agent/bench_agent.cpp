// bench_agent: the agent loop's own cost per step, without the model (issue 5: at most 5 ms
// p99). A scripted model answers instantly, so everything measured is the loop's: the system
// prompt (the user's places and pending action read from the database), the request with the
// 27 tools and the history, fitting it to the context, parsing the reply, checking the call
// against its schema, running it and the events.
//
// Two runs on one seeded demo city (a temporary SQLite file):
//   loop   the tool is a no-op: the loop alone;
//   tools  the real ecosystem tools (search_merchants near "office", get_menu, view_cart):
//          the loop plus the services' work a step does.
// Each turn is two steps (a tool call, then the answer); the history grows to 20 earlier
// exchanges, as a conversation does. Per step p50 / p99 / max in milliseconds.
//
//   bench_agent [--turns 500] [--db PATH]
//
// docs/PERFORMANCE.md ("Agent") records the figures.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/actions.h"
#include "agent/agent.h"
#include "agent/backend.h"
#include "agent/ecosystem_tools.h"
#include "base/clock.h"
#include "server/app_ecosystem.h"
#include "services/identity.h"
#include "services/maps_adapters.h"
#include "services/schema.h"
#include "services/seed.h"
#include "store/db.h"
#include "store/migrations.h"

namespace qwl::agent {
namespace {

[[noreturn]] void die(const Status& s) {
  std::fprintf(stderr, "bench_agent: %s\n", s.to_string().c_str());
  std::exit(1);
}

template <typename T>
T check(Result<T> r) {
  if (!r.ok()) die(r.status());
  return std::move(r).value();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// The ecosystem's tool list, with run() answering at once.
class NoopTools final : public ToolExecutor {
 public:
  std::vector<ToolDef> tools() const override {
    return {ecosystem_tools().begin(), ecosystem_tools().end()};
  }
  Result<ToolResult> run(const UserContext&, std::string_view, const nlohmann::json&) override {
    ToolResult r;
    r.result = {{"merchants", nlohmann::json::array({{{"id", 3}, {"name", "Luna Café"}}})}};
    return r;
  }
  Result<ActionDraft> prepare(const UserContext&, std::string_view,
                              const nlohmann::json&) override {
    return UnsupportedError("not in this benchmark");
  }
  Result<ToolResult> commit(const UserContext&, const ActionDraft&, std::string_view) override {
    return UnsupportedError("not in this benchmark");
  }
};

const char* const kCalls[] = {
    R"({"name": "search_merchants", "arguments": {"query": "oat latte", "near": "office", "open_now": true}})",
    R"({"name": "get_menu", "arguments": {"merchant_id": 3}})",
    R"({"name": "view_cart", "arguments": {}})",
};

void run(std::string_view tag, ToolExecutor& tools, Db& db, const Clock& clock,
         const UserContext& user, int turns) {
  ActionStore actions(db, clock, tools);
  int call_index = 0;
  ScriptedBackend backend(
      [&](const ModelRequest& request) -> Result<std::string> {
        // A tool call when the last message is the user's, the answer after the tool's reply.
        if (request.messages.back().value("role", "") == "user") {
          return fmt::format("<tool_call>\n{}\n</tool_call>", kCalls[call_index++ % 3]);
        }
        return std::string("Luna Café has the Oat Latte for ¥23.00, 300 m from your office.");
      },
      /*context_tokens=*/32768);
  Agent agent(backend, tools, actions, db, clock);
  ChatJson history = ChatJson::array();
  std::vector<double> step_ms;
  int64_t events = 0;
  for (int t = 0; t < turns; ++t) {
    Stopwatch watch;
    Result<TurnResult> turn =
        agent.run_turn(user, "ses_bench", history, "order two oat lattes to my office",
                       [&](const AgentEvent&) { ++events; });
    const double ms = watch.elapsed_s() * 1000.0;
    if (!turn.ok()) die(turn.status());
    if (turn->steps != 2) die(InternalError("turn {} took {} steps", t, turn->steps));
    step_ms.push_back(ms / turn->steps);
    for (const ChatJson& m : turn->messages) history.push_back(m);
    // Keep the last 20 exchanges (4 messages each), as a long conversation would.
    while (history.size() > 80) history.erase(history.begin(), history.begin() + 4);
  }
  fmt::print(
      "{:<6} {:>6} steps  per step p50 {:.3f} ms  p99 {:.3f} ms  max {:.3f} ms  ({} events)\n", tag,
      step_ms.size() * 2, percentile(step_ms, 0.5), percentile(step_ms, 0.99),
      percentile(step_ms, 1.0), events);
}

}  // namespace
}  // namespace qwl::agent

int main(int argc, char** argv) {
  using namespace qwl;
  int turns = 500;
  std::string path = (std::filesystem::temp_directory_path() / "qwl_bench_agent.db").string();
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--turns" && i + 1 < argc) {
      turns = std::atoi(argv[++i]);
    } else if (arg == "--db" && i + 1 < argc) {
      path = argv[++i];
    } else {
      std::fprintf(stderr, "usage: bench_agent [--turns N] [--db PATH]\n");
      return 2;
    }
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  auto db = agent::check(Db::open(path));
  if (Status s = migrate(*db, services::migrations()).status(); !s.ok()) agent::die(s);
  const Clock& clock = Clock::real();
  if (Status s = services::seed_ecosystem(*db, services::SeedOptions{}, clock).status(); !s.ok())
    agent::die(s);
  services::Identity identity(*db, clock);
  services::User alice =
      agent::check(identity.find_user(services::Actor::system(), "alice@example.com"));
  agent::UserContext user;
  user.actor = services::Actor{.user_id = alice.id, .role = alice.role};

  agent::NoopTools noop;
  agent::run("loop", noop, *db, clock, user, turns);

  auto ecosystem = agent::check(app::EcosystemServer::start(*db, clock));
  services::RouteQuoter quoter = services::road_route_quoter(ecosystem->maps());
  agent::EcosystemTools tools(agent::EcosystemHandles{.db = db.get(),
                                                      .clock = &clock,
                                                      .search = &ecosystem->search(),
                                                      .maps = &ecosystem->maps(),
                                                      .orders = &ecosystem->orders(),
                                                      .ride_quoter = &quoter});
  agent::run("tools", tools, *db, clock, user, turns);
  ecosystem->stop();
  return 0;
}
