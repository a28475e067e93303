// Assembling the agent for the commands (see agent_stack.h).
#include "cli/agent_stack.h"

#include <CLI/CLI.hpp>

#include "base/log.h"
#include "base/mmap_file.h"
#include "cli/common.h"
#include "services/maps_adapters.h"

namespace qwl::cli {

void AgentFlags::add_to(CLI::App& cmd) {
  cmd.add_option("--backend", backend_url,
                 "The agent's model: an OpenAI-compatible base URL (e.g. http://gpu-box:8000/v1 "
                 "for vLLM), or scripted:FILE (given outputs, one JSON string per line, for "
                 "tests and demos); default: the local engine")
      ->envname("QWL_BACKEND");
  cmd.add_option("--backend-model", backend_model,
                 "\"model\" to send to --backend (default: the first it lists)");
  cmd.add_option("--backend-key", backend_key, "API key for --backend")->envname("QWL_BACKEND_KEY");
  cmd.add_option("--backend-context", backend_context,
                 "Context length of the --backend model in tokens")
      ->check(CLI::Range(int64_t{1024}, int64_t{1} << 24))
      ->capture_default_str();
  cmd.add_option("--mcp-config", mcp_config,
                 "JSON file naming external MCP servers whose tools the agent may use "
                 "(docs/agent/mcp-client.md)")
      ->check(CLI::ExistingFile);
  cmd.add_option("--max-steps", max_steps, "Model calls per user message at most")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd.add_option("--turn-timeout", turn_timeout_s, "Seconds per user message at most")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
}

Result<std::unique_ptr<AgentStack>> make_agent_stack(
    Db& db, const Clock& clock, app::EcosystemServer& ecosystem, const AgentFlags& flags,
    const std::string& local_v1_url, const std::string& local_key, int64_t local_context) {
  auto stack = std::make_unique<AgentStack>();
  stack->ride_quoter = services::road_route_quoter(ecosystem.maps());
  stack->ecosystem_tools = std::make_unique<agent::EcosystemTools>(
      agent::EcosystemHandles{.db = &db,
                              .clock = &clock,
                              .search = &ecosystem.search(),
                              .maps = &ecosystem.maps(),
                              .orders = &ecosystem.orders(),
                              .ride_quoter = &stack->ride_quoter});
  QWL_RETURN_IF_ERROR(stack->registry.add(stack->ecosystem_tools.get()));
  if (!flags.mcp_config.empty()) {
    QWL_ASSIGN_OR_RETURN(agent::McpConfig config, agent::load_mcp_config(flags.mcp_config));
    std::vector<Status> failures;
    for (auto& server : agent::connect_mcp_servers(config, {}, &failures)) {
      const std::string name = server->server_name();
      const size_t n = server->tools().size();
      QWL_RETURN_IF_ERROR(stack->registry.add(std::move(server)).with_context(flags.mcp_config));
      QWL_LOG_INFO("mcp server '{}': {} tools", name, n);
    }
    for (const Status& f : failures) QWL_LOG_WARN("{}", f.message());
  }
  stack->actions = std::make_unique<agent::ActionStore>(db, clock, stack->registry);
  stack->sessions = std::make_unique<agent::SessionStore>(db, clock);
  if (flags.backend_url.starts_with("scripted:")) {
    // Given model outputs, one JSON string each (a JSON array, or one string per line): demos
    // and end-to-end tests of the commands without a model.
    const std::string path = flags.backend_url.substr(9);
    QWL_ASSIGN_OR_RETURN(std::string text, read_file(path));
    std::vector<std::string> outputs;
    nlohmann::json all = nlohmann::json::parse(text, nullptr, false);
    if (all.is_array()) {
      for (const nlohmann::json& o : all) {
        if (!o.is_string()) return InvalidArgumentError("{}: every output must be a string", path);
        outputs.push_back(o.get<std::string>());
      }
    } else {
      size_t line_no = 0;
      for (size_t start = 0; start < text.size();) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        ++line_no;
        const std::string_view line(text.data() + start, end - start);
        start = end + 1;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        nlohmann::json o = nlohmann::json::parse(line, nullptr, false);
        if (!o.is_string()) {
          return InvalidArgumentError("{}:{}: expected a JSON string (one model output)", path,
                                      line_no);
        }
        outputs.push_back(o.get<std::string>());
      }
    }
    stack->backend = std::make_unique<agent::ScriptedBackend>(std::move(outputs));
  } else if (!flags.backend_url.empty()) {
    stack->backend = std::make_unique<agent::OpenAiBackend>(
        agent::OpenAiBackendOptions{.base_url = flags.backend_url,
                                    .model = flags.backend_model,
                                    .api_key = flags.backend_key,
                                    .context_tokens = flags.backend_context});
  } else {
    auto local = std::make_unique<agent::OpenAiBackend>(agent::OpenAiBackendOptions{
        .base_url = local_v1_url, .api_key = local_key, .context_tokens = local_context});
    stack->local_backend = local.get();
    stack->backend = std::move(local);
  }
  agent::AgentOptions options;
  options.max_steps = flags.max_steps;
  options.turn_timeout = std::chrono::seconds(flags.turn_timeout_s);
  stack->agent = std::make_unique<agent::Agent>(*stack->backend, stack->registry, *stack->actions,
                                                db, clock, options);
  return stack;
}

}  // namespace qwl::cli
