// The MCP server: the ecosystem's tools for MCP clients (Claude Desktop, IDEs, other agents), as
// a transport-free JSON-RPC 2.0 handler that `qwenlayer mcp` (stdio, serve_mcp_stdio() below)
// and `/mcp` in `qwenlayer serve` (Streamable HTTP, server/api_mcp.h) both drive.
//
// Protocol (MCP 2025-06-18 and 2025-11-25):
//   initialize                the client's protocolVersion when we speak it, else our newest
//                             (2025-11-25), as the spec's negotiation says; serverInfo,
//                             capabilities {tools: {listChanged: false}}, instructions.
//   notifications/initialized noted; other notifications (cancelled, ...) are ignored.
//   ping                      {}.
//   tools/list                every tool of the executor: name, title, description,
//                             inputSchema (the tool's JSON Schema), annotations {title,
//                             readOnlyHint, destructiveHint, idempotentHint, openWorldHint}:
//                             reads readOnlyHint true; writes readOnlyHint false,
//                             destructiveHint false; irreversible tools destructiveHint true.
//                             One page (no cursor).
//   tools/call                arguments validated against the tool's schema (schema_validate.h)
//                             and run with the connection's user:
//                               read / write: run at once; the result is content [{type
//                               "text", text: the result's JSON}] + structuredContent (the
//                               result object; a non-object result as {"result": ...});
//                               irreversible: NOT executed. The executor prepares it, the
//                               ActionStore stores it as a pending action (session "") and the
//                               result says so: structuredContent {"status":
//                               "pending_confirmation", "action": {id, summary, content, hash,
//                               expires_at, ...}} and a text telling the model that the user
//                               must confirm it in qwenlayer. An MCP client cannot confirm: no
//                               MCP method or tool does; confirmation is the user's, through the
//                               app (POST /api/v1/actions/{id}/confirm with the hash) or
//                               `qwenlayer chat`.
//                             Tool failures (NotFound, FailedPrecondition, ...) are results
//                             with isError true and the message as text.
// Errors (JSON-RPC): -32700 parse error, -32600 invalid request (not an object, no "jsonrpc":
// "2.0", an id that is not a string or an integer, a batch array, a request before initialize,
// a second initialize), -32601 unknown method, -32602 invalid params (params not an object, no
// protocolVersion, unknown tool, arguments not an object; arguments that fail the schema under
// 2025-06-18 only: under 2025-11-25 they are an isError result, SEP-1303, so that the model can
// correct the call), -32603 internal error. Responses from the client (we send no requests)
// are ignored.
//
// The acting user is the connection's (the --user of `qwenlayer mcp`, the authenticated caller
// over HTTP), never anything in the arguments.
// Thread-safety: an McpServer is immutable after construction and may serve many connections
// from many threads; one McpConnection belongs to one caller at a time.
#pragma once

#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "agent/actions.h"
#include "agent/executor.h"
#include "base/status.h"

namespace qwl::agent {

// The protocol versions we speak, newest first.
inline constexpr std::string_view kMcpServerProtocolVersions[] = {"2025-11-25", "2025-06-18"};
bool mcp_server_supports_version(std::string_view version);

// JSON-RPC 2.0 error codes.
inline constexpr int kJsonRpcParseError = -32700;
inline constexpr int kJsonRpcInvalidRequest = -32600;
inline constexpr int kJsonRpcMethodNotFound = -32601;
inline constexpr int kJsonRpcInvalidParams = -32602;
inline constexpr int kJsonRpcInternalError = -32603;

// {"jsonrpc": "2.0", "id": id, "error": {"code", "message"}}; id null when unknown.
nlohmann::json jsonrpc_error(const nlohmann::json& id, int code, std::string_view message);

struct McpServerInfo {
  std::string name = "qwenlayer";
  std::string title = "qwenlayer ecosystem";
  std::string version = "0.1.0";
  // Sent with initialize; tells the client's model how to use the tools.
  std::string instructions =
      "Tools of the qwenlayer ecosystem (shopping, food and drinks, maps and routes, bookings, "
      "wallet) acting as the signed-in user. Reads and cart changes run at once. Checkout, "
      "payments, bookings, rides, cancellations and refunds are never executed here: they "
      "return a pending action that the user must confirm in qwenlayer; tell the user what it "
      "contains and that it awaits their confirmation.";
};

// One client connection: who it acts as and what initialize agreed.
struct McpConnection {
  UserContext user;
  std::string protocol_version;  // negotiated; "" until initialize
  bool initialized = false;      // notifications/initialized was received
  std::string client_name;       // clientInfo.name
};

class McpServer {
 public:
  // Lists the executor's tools once (a tool whose schema is not JSON is left out with a
  // warning). `executor` and `actions` must outlive the server.
  McpServer(ToolExecutor& executor, ActionStore& actions, McpServerInfo info = {});
  McpServer(const McpServer&) = delete;
  McpServer& operator=(const McpServer&) = delete;

  // Handles one JSON-RPC message; returns the response, or nullopt for a notification or a
  // client's response (nothing to send back). Never throws.
  std::optional<nlohmann::json> handle(McpConnection& connection, const nlohmann::json& message);
  // The same for a message's text (one JSON value); a parse error is answered with -32700.
  std::optional<std::string> handle_text(McpConnection& connection, std::string_view text);

  // The tools/list result {"tools": [...]}.
  const nlohmann::json& tools_list() const { return tools_list_; }
  const McpServerInfo& info() const { return info_; }

 private:
  struct Tool {
    SideEffect effect = SideEffect::kRead;
    nlohmann::json schema;
  };
  nlohmann::json initialize(McpConnection& connection, const nlohmann::json& id,
                            const nlohmann::json& params);
  nlohmann::json call_tool(McpConnection& connection, const nlohmann::json& id,
                           const nlohmann::json& params);

  ToolExecutor& executor_;
  ActionStore& actions_;
  McpServerInfo info_;
  nlohmann::json tools_list_;
  std::unordered_map<std::string, Tool> tools_;
};

// Serves MCP over stdio: one JSON-RPC message per line from `in`, each answer as one line on
// `out` (flushed), until `in` ends. Blank lines are skipped; a line that is not JSON gets a
// -32700 answer. Logs go to stderr, never to `out`. Returns IoError when `out` fails.
Status serve_mcp_stdio(McpServer& server, McpConnection& connection, std::istream& in,
                       std::ostream& out);

}  // namespace qwl::agent
