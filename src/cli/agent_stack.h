// The agent as the commands run it (`serve`, `chat`, `mcp`): the ecosystem's tools over the
// indexes of an EcosystemServer, the tools of the external MCP servers named in --mcp-config,
// the pending actions and sessions in the database, a model backend and the loop over them.
//
// The backend is the given OpenAI-compatible endpoint (--backend URL), or, when none is given,
// the caller's local engine reached at its own /v1 (`serve` points it at itself, `chat` starts
// a private server on 127.0.0.1). Thread-safety: build once; the parts are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/actions.h"
#include "agent/agent.h"
#include "agent/backend.h"
#include "agent/ecosystem_tools.h"
#include "agent/mcp_client.h"
#include "agent/sessions.h"
#include "agent/tool_registry.h"
#include "base/clock.h"
#include "base/status.h"
#include "server/app_ecosystem.h"
#include "services/rides.h"
#include "store/db.h"

namespace CLI {
class App;
}

namespace qwl::cli {

struct AgentFlags {
  std::string backend_url;    // --backend: an OpenAI-compatible /v1 base URL
  std::string backend_model;  // --backend-model
  std::string backend_key;    // --backend-key (QWL_BACKEND_KEY)
  int64_t backend_context = 32768;
  std::string mcp_config;  // --mcp-config FILE
  int max_steps = 8;
  int turn_timeout_s = 120;

  void add_to(CLI::App& cmd);
};

struct AgentStack {
  services::RouteQuoter ride_quoter;
  std::unique_ptr<agent::EcosystemTools> ecosystem_tools;
  agent::ToolRegistry registry;  // the ecosystem's tools and the external ones
  std::unique_ptr<agent::ActionStore> actions;
  std::unique_ptr<agent::SessionStore> sessions;
  std::unique_ptr<agent::ModelBackend> backend;
  agent::OpenAiBackend* local_backend = nullptr;  // the backend when it is the local engine
  std::unique_ptr<agent::Agent> agent;
};

// `local_v1_url` is the local engine's /v1 (used when flags.backend_url is empty), `local_key`
// the key to reach it with ("" when it needs none). `db`, `clock` and `ecosystem` must outlive
// the stack.
Result<std::unique_ptr<AgentStack>> make_agent_stack(
    Db& db, const Clock& clock, app::EcosystemServer& ecosystem, const AgentFlags& flags,
    const std::string& local_v1_url, const std::string& local_key, int64_t local_context);

}  // namespace qwl::cli
