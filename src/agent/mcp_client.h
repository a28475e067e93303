// The MCP client: external MCP servers named in a config file add their tools to the agent's
// registry (tool_registry.h), each server through one McpToolExecutor.
//
// Config file (JSON; `parse_mcp_config`):
//   {"servers": {
//      "maps2":   {"command": "node", "args": ["x.mjs"], "env": {"KEY": "v"}, "cwd": "/srv"},
//      "weather": {"url": "http://127.0.0.1:9000/mcp",
//                  "headers": {"Authorization": "Bearer ${WEATHER_TOKEN}"}, "timeout_ms": 5000}}}
// A server has either "command" (stdio: the command is spawned, searched on PATH, with "args";
// "env" is added to our environment) or "url" (Streamable HTTP, http:// or https://, with
// extra request "headers"). "type" ("stdio" or "http") may say which, and must then agree;
// "mcpServers" is accepted for "servers". "${NAME}" in env and header values is replaced by
// the environment variable NAME (unset: an error), so secrets stay out of the file.
// "timeout_ms" (default 30000) bounds every request to that server (initialize, which waits
// for the server to start, gets at least McpClientOptions::startup_timeout). Server names are 1 to
// 32 characters of [a-zA-Z0-9_-]. Unknown fields are errors. Errors are InvalidArgument and name
// the file and the field: "mcp.json: servers.weather.url: expected an http:// or https:// URL".
//
// Protocol: initialize (we offer 2025-11-25 and accept 2025-06-18 too; any other answer is
// Unsupported), notifications/initialized, tools/list (following nextCursor), tools/call.
// Over stdio messages are JSON-RPC, one per line; the server's stderr is logged line by line
// ("mcp server 'maps2': ..."), as are its notifications/message; a ping from the server is
// answered, other requests from it are refused (we offer no client capabilities). Over HTTP
// each message is a POST (Accept: application/json, text/event-stream) whose answer is a JSON
// body or an SSE stream; the MCP-Session-Id from initialize and MCP-Protocol-Version go with
// every later request, a 404 for that session starts a new one (once per request), and
// shutdown DELETEs the session.
//
// Tools are named "<server>__<tool>" and must match ^[a-zA-Z0-9_-]{1,64}$; a tool whose name
// does not fit, that the server lists twice, or whose inputSchema does not compile into the
// tool-call grammar (runtime/json_schema.h) is skipped with a logged warning, the rest of the
// server still works. The side effect comes from the tool's annotations (`mcp_side_effect`);
// MCP's defaults (readOnlyHint false, destructiveHint true) make an unannotated tool
// irreversible, so it runs only after the user confirms it. Descriptions are cut to 1 KiB.
//
// Results: a tool's text parts joined with "\n" (other parts as "[image image/png omitted]"),
// plus its structuredContent when present, as {"server", "tool", "text", "structured"?,
// "truncated"?}: untrusted data for the model, at most 16 KiB of JSON (structuredContent is
// dropped before the text is cut). A result with isError is FailedPrecondition carrying the
// text.
//
// Errors of calls: Unavailable when the server cannot be reached, has died (the exit status is
// named) or did not answer within timeout_ms (a notifications/cancelled then tells it so);
// Unauthenticated / PermissionDenied for HTTP 401 / 403; InvalidArgument for a JSON-RPC
// "invalid params" error (e.g. an unknown tool), Internal for other JSON-RPC errors. A dead
// stdio server is not restarted.
//
// Thread-safety: an McpToolExecutor may be called from several threads at once; requests to
// one server run concurrently (matched to responses by id). The tool list is fixed at
// connect() (tools/list_changed is not followed). The destructor shuts the server down: stdin
// closed, then SIGTERM, then SIGKILL to its process group, each after a grace period, and the
// process reaped.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/executor.h"
#include "base/status.h"

namespace qwl::agent {

inline constexpr std::string_view kMcpProtocolVersion = "2025-11-25";     // offered
inline constexpr std::string_view kMcpProtocolVersionOld = "2025-06-18";  // also accepted

struct McpServerConfig {
  std::string name;  // the key under "servers": the namespace of the server's tools
  // stdio
  std::string command;  // searched on PATH
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // on top of our environment
  std::string cwd;                                       // empty: ours
  // Streamable HTTP
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;

  std::chrono::milliseconds timeout{30000};  // per request (initialize: see McpClientOptions)

  bool is_stdio() const { return !command.empty(); }
};

struct McpConfig {
  std::vector<McpServerConfig> servers;  // in the file's order
};

// Parses a config file's text; `file_name` only names it in errors.
Result<McpConfig> parse_mcp_config(std::string_view json_text, std::string_view file_name);
// Reads and parses the file at `path` (IoError / NotFound when it cannot be read).
Result<McpConfig> load_mcp_config(const std::string& path);

// The side effect of an MCP tool from its "annotations" object (null or absent: MCP's
// defaults): readOnlyHint true -> kRead; else destructiveHint false -> kWrite; else
// kIrreversible. Hints that are not booleans count as absent.
SideEffect mcp_side_effect(const nlohmann::json& annotations);

struct McpClientOptions {
  std::string client_name = "qwenlayer";
  std::string client_version = "0.1.0";
  size_t max_result_bytes = 16 * 1024;            // of a result's JSON, see above
  size_t max_description_bytes = 1024;            // of a tool's description
  std::chrono::milliseconds shutdown_grace{500};  // before SIGTERM, and again before SIGKILL
  // The least initialize waits: a server's start (node loading its modules, npx fetching a
  // package) is slower than its answers.
  std::chrono::milliseconds startup_timeout{30000};
};

// One external MCP server's tools, as a ToolExecutor.
//   run()     reads and writes: tools/call.
//   prepare() irreversible tools: no call; an ActionDraft with content {"server", "tool",
//             "arguments"} (the server's own tool name) and a summary naming the external tool.
//   commit()  tools/call with the draft's arguments and _meta {"qwenlayer/idempotency-key":
//             key}, once per (user, key) in this process: a repeated key gets the first
//             call's result (errors included) without calling again. The draft must be one
//             prepare() made: its content must match its tool and arguments.
// The acting user is not sent to the server.
class McpToolExecutor final : public ToolExecutor {
 public:
  // Starts (stdio) or reaches (HTTP) the server, initializes and lists its tools. Errors name
  // the server: "mcp server 'weather': ...".
  static Result<std::unique_ptr<McpToolExecutor>> connect(const McpServerConfig& server,
                                                          const McpClientOptions& options = {});
  ~McpToolExecutor() override;
  McpToolExecutor(const McpToolExecutor&) = delete;
  McpToolExecutor& operator=(const McpToolExecutor&) = delete;

  const std::string& server_name() const;
  const std::string& protocol_version() const;  // what initialize agreed on

  std::vector<ToolDef> tools() const override;
  Result<ToolResult> run(const UserContext& user, std::string_view name,
                         const nlohmann::json& arguments) override;
  Result<ActionDraft> prepare(const UserContext& user, std::string_view name,
                              const nlohmann::json& arguments) override;
  Result<ToolResult> commit(const UserContext& user, const ActionDraft& draft,
                            std::string_view idempotency_key) override;

  struct Impl;

 private:
  explicit McpToolExecutor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Connects to every server of `config` (in parallel). A server that fails is left out with a
// logged warning and its error appended to `failures` when given; the others still come up.
std::vector<std::unique_ptr<McpToolExecutor>> connect_mcp_servers(
    const McpConfig& config, const McpClientOptions& options = {},
    std::vector<Status>* failures = nullptr);

}  // namespace qwl::agent
