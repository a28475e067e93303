// `qwenlayer tools`: the ecosystem's tools as the agent, MCP and the training-data generator
// see them (agent/tools.h). Without --json a table (name, side effect, what it does); with
// --json the OpenAI "tools" array, each function annotated with "x-side-effect" and "x-result".
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "agent/tools.h"
#include "cli/common.h"

namespace qwl::cli {

void add_tools(CLI::App& app, int& exit_code) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "tools",
      "List the ecosystem's tools: name, side effect (read, write, or irreversible: needs the "
      "user's confirmation) and description.\n"
      "Example: qwenlayer tools --json > tools.json");
  cmd->add_flag("--json", *json,
                "Print the OpenAI tools array (with x-side-effect and x-result) on stdout");
  cmd->callback([json, &exit_code] {
    if (*json) {
      std::cout << agent::tools_json(/*annotate=*/true) << "\n";
    } else {
      for (const agent::ToolDef& tool : agent::ecosystem_tools()) {
        fmt::print("{:<20} {:<12} {}\n", tool.name, agent::side_effect_name(tool.effect),
                   tool.description);
      }
    }
    exit_code = 0;
  });
}

}  // namespace qwl::cli
