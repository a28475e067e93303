// The agent's tools from every source in one place: the ecosystem's (ecosystem_tools.h) and
// those of external MCP servers (mcp_client.h), each behind its own ToolExecutor. The loop and
// the MCP server see one ToolExecutor: tools() lists every executor's tools in the order they
// were added, and run / prepare / commit go to the executor that owns the tool's name.
//
// A tool name is owned by one executor: add() refuses an executor that brings a name already
// registered, or the same name twice, and then adds none of its tools (InvalidArgument naming
// the tool). Unknown names are InvalidArgument, as executor.h asks.
//
// Ownership: add() either takes the executor or borrows it (the caller keeps it alive for the
// registry's lifetime). The executors' tool lists are read once, at add(): an executor's tools()
// must not change afterwards, and the ToolDef views stay valid while the executor lives.
// Thread-safety: every method may be called concurrently, add() included; calls run in the
// caller's thread, so executors see the concurrency they promise to handle.
#pragma once

#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/executor.h"
#include "base/status.h"

namespace qwl::agent {

class ToolRegistry final : public ToolExecutor {
 public:
  ToolRegistry() = default;
  ToolRegistry(const ToolRegistry&) = delete;
  ToolRegistry& operator=(const ToolRegistry&) = delete;

  Status add(std::unique_ptr<ToolExecutor> executor);  // owned
  Status add(ToolExecutor* executor);                  // borrowed; must outlive the registry

  // The tool named `name`, or nullopt.
  std::optional<ToolDef> find(std::string_view name) const;

  // Every tool as an OpenAI "tools" array, as tools_json() in tools.h does for the ecosystem's:
  // what chat templates and tool_call_grammar() take; with `annotate`, "x-side-effect" and
  // "x-result" too. A tool whose parameters are not JSON (a broken executor) is left out with
  // a logged warning.
  std::string tools_json(bool annotate = false) const;

  std::vector<ToolDef> tools() const override;
  Result<ToolResult> run(const UserContext& user, std::string_view name,
                         const nlohmann::json& arguments) override;
  Result<ActionDraft> prepare(const UserContext& user, std::string_view name,
                              const nlohmann::json& arguments) override;
  Result<ToolResult> commit(const UserContext& user, const ActionDraft& draft,
                            std::string_view idempotency_key) override;

 private:
  struct Entry {
    ToolDef def;
    ToolExecutor* executor;
  };
  const Entry* entry(std::string_view name) const;  // under mu_

  mutable std::shared_mutex mu_;
  std::vector<std::unique_ptr<ToolExecutor>> owned_;
  std::vector<Entry> entries_;                       // in order of registration
  std::unordered_map<std::string, size_t> by_name_;  // name -> index in entries_
};

}  // namespace qwl::agent
