// `qwenlayer mcp`: the ecosystem's tools as an MCP server on stdio, for MCP clients that start
// a local server (Claude Desktop, IDEs, the MCP Inspector). JSON-RPC messages one per line on
// stdin and stdout (agent/mcp_server.h); logs on stderr only, so stdout carries nothing but
// protocol.
//
// A local stdio server runs as the local user, so the account it acts as is a flag (--user),
// not a credential; every tool runs as that account. Irreversible tools (checkout, bookings,
// rides, top-ups, cancellations, refunds) are never executed here: they leave a pending
// action that the user confirms in the app or with `qwenlayer chat` (docs/MCP.md).
//
// The ecosystem runs as in `serve` (search index, maps, the workers that move orders and
// bookings along), so the command is a full node on the database: SQLite by default, or the
// PostgreSQL that a `serve` cluster shares.
#include <csignal>
#include <iostream>
#include <memory>
#include <string>

#include "agent/actions.h"
#include "agent/ecosystem_tools.h"
#include "agent/mcp_server.h"
#include "base/clock.h"
#include "base/log.h"
#include "cli/common.h"
#include "server/app_ecosystem.h"
#include "services/identity.h"
#include "services/maps_adapters.h"
#include "store/db.h"

namespace qwl::cli {
namespace {

struct McpArgs {
  std::string db = kDefaultDbUrl;
  std::string user;
  std::vector<double> location;
  std::string language = "en";
};

Status run(const McpArgs& a) {
  // A client that closes our stdout makes the next write fail (IoError) instead of killing us.
  std::signal(SIGPIPE, SIG_IGN);
  auto db = open_database(a.db);
  if (!db.ok()) return db.status();
  const Clock& clock = Clock::real();
  services::Identity identity(**db, clock);
  auto found = identity.find_user(services::Actor::system(), a.user);
  if (!found.ok()) return found.status().with_context("--user");
  if (found->disabled) return PermissionDeniedError("--user {}: the account is disabled", a.user);

  agent::McpConnection connection;
  connection.user.actor = found->actor();
  connection.user.language = a.language;
  if (a.location.size() == 2) {
    connection.user.location = services::LatLon{a.location[0], a.location[1]};
  }

  QWL_ASSIGN_OR_RETURN(std::unique_ptr<app::EcosystemServer> ecosystem,
                       app::EcosystemServer::start(**db, clock));
  const services::RouteQuoter ride_quoter = services::road_route_quoter(ecosystem->maps());
  agent::EcosystemTools tools(agent::EcosystemHandles{.db = db->get(),
                                                      .clock = &clock,
                                                      .search = &ecosystem->search(),
                                                      .maps = &ecosystem->maps(),
                                                      .orders = &ecosystem->orders(),
                                                      .ride_quoter = &ride_quoter});
  agent::ActionStore actions(**db, clock, tools);
  agent::McpServer server(tools, actions);
  QWL_LOG_INFO("mcp: serving {} tools on stdio as {} (user {}), database {}",
               server.tools_list()["tools"].size(), found->email, found->id, (*db)->url());

  std::ios::sync_with_stdio(false);
  const Status served = agent::serve_mcp_stdio(server, connection, std::cin, std::cout);
  ecosystem->stop();
  QWL_LOG_INFO("mcp: stdin closed; stopped");
  return served;
}

void add_mcp(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<McpArgs>();
  CLI::App* cmd = app.add_subcommand(
      "mcp",
      "Serve the ecosystem's tools to an MCP client over stdio (JSON-RPC, one message per\n"
      "line; logs on stderr), acting as --user. Checkout, payments, bookings, rides,\n"
      "cancellations and refunds are never executed over MCP: they become pending actions\n"
      "that the user confirms in the app or with `qwenlayer chat`.\n"
      "Example (an MCP client's config):\n"
      "  {\"command\": \"qwenlayer\", \"args\": [\"mcp\", \"--user\", \"alice@example.com\"]}");
  add_db_option(cmd, args->db);
  cmd->add_option("--user", args->user, "The account the tools act as (its email)")
      ->required()
      ->envname("QWL_USER");
  cmd->add_option("--location", args->location, "The user's position for \"near me\": LAT,LON")
      ->delimiter(',')
      ->expected(2);
  cmd->add_option("--language", args->language, "Language of summaries: en or zh")
      ->check(CLI::IsMember({"en", "zh"}))
      ->capture_default_str();
  cmd->callback([args, &exit_code] { exit_code = report(run(*args)); });
}

const CommandRegistrar kRegistrar("mcp", add_mcp);

}  // namespace
}  // namespace qwl::cli
