// The MCP server's protocol core (see mcp_server.h).
//
// Everything here is a pure function of the message, the connection and the executor, so the
// same code answers stdio and HTTP and is tested without either. The transport decides only
// how messages arrive and where the connection state lives (a local variable for stdio, the
// database for HTTP sessions).
#include "agent/mcp_server.h"

#include <istream>
#include <ostream>

#include <fmt/format.h>

#include "agent/schema_validate.h"
#include "base/log.h"

namespace qwl::agent {
namespace {

using nlohmann::json;

json ok_response(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// "search_products" -> "Search products".
std::string title_of(std::string_view name) {
  std::string title(name);
  for (char& c : title) {
    if (c == '_') c = ' ';
  }
  if (!title.empty() && title[0] >= 'a' && title[0] <= 'z')
    title[0] = static_cast<char>(title[0] - 32);
  return title;
}

std::string_view code_text(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kFailedPrecondition:
      return "failed_precondition";
    case StatusCode::kPermissionDenied:
      return "permission_denied";
    case StatusCode::kUnauthenticated:
      return "unauthenticated";
    case StatusCode::kResourceExhausted:
      return "resource_exhausted";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kOutOfRange:
      return "out_of_range";
    case StatusCode::kUnsupported:
      return "unsupported";
    default:
      return "internal";
  }
}

// A tool execution error: a result the client's model reads, not a protocol error.
json tool_error(const Status& status) {
  const std::string_view code = code_text(status.code());
  // Internal errors are logged, not shown: their messages may name SQL or files.
  const std::string message =
      code == "internal" ? std::string("the tool failed; try again later") : status.message();
  return {{"content", {{{"type", "text"}, {"text", fmt::format("Error ({}): {}", code, message)}}}},
          {"structuredContent", {{"error", {{"code", code}, {"message", message}}}}},
          {"isError", true}};
}

json annotations_for(const ToolDef& tool) {
  json a = {{"title", title_of(tool.name)}, {"openWorldHint", false}};
  switch (tool.effect) {
    case SideEffect::kRead:
      a["readOnlyHint"] = true;
      break;
    case SideEffect::kWrite:
      a["readOnlyHint"] = false;
      a["destructiveHint"] = false;
      a["idempotentHint"] = false;
      break;
    case SideEffect::kIrreversible:
      a["readOnlyHint"] = false;
      a["destructiveHint"] = true;
      a["idempotentHint"] = false;
      break;
  }
  return a;
}

}  // namespace

bool mcp_server_supports_version(std::string_view version) {
  for (std::string_view v : kMcpServerProtocolVersions) {
    if (v == version) return true;
  }
  return false;
}

json jsonrpc_error(const json& id, int code, std::string_view message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

McpServer::McpServer(ToolExecutor& executor, ActionStore& actions, McpServerInfo info)
    : executor_(executor), actions_(actions), info_(std::move(info)) {
  json tools = json::array();
  for (const ToolDef& tool : executor_.tools()) {
    json schema = json::parse(tool.parameters, nullptr, /*allow_exceptions=*/false);
    if (schema.is_discarded() || !schema.is_object()) {
      QWL_LOG_WARN("mcp server: tool {}: its parameters are not a JSON Schema object; left out",
                   tool.name);
      continue;
    }
    std::string description(tool.description);
    if (tool.effect == SideEffect::kIrreversible) {
      description +=
          " Over MCP this is not executed: it returns a pending action that the user must "
          "confirm in qwenlayer.";
    }
    tools.push_back({{"name", tool.name},
                     {"title", title_of(tool.name)},
                     {"description", description},
                     {"inputSchema", schema},
                     {"annotations", annotations_for(tool)}});
    tools_.emplace(std::string(tool.name),
                   Tool{.effect = tool.effect, .schema = std::move(schema)});
  }
  tools_list_ = {{"tools", std::move(tools)}};
}

std::optional<std::string> McpServer::handle_text(McpConnection& connection,
                                                  std::string_view text) {
  json message = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) {
    return dump(jsonrpc_error(nullptr, kJsonRpcParseError, "Parse error: the message is not JSON"));
  }
  std::optional<json> answer = handle(connection, message);
  if (!answer) return std::nullopt;
  return dump(*answer);
}

std::optional<json> McpServer::handle(McpConnection& connection, const json& message) {
  if (message.is_array()) {
    return jsonrpc_error(nullptr, kJsonRpcInvalidRequest,
                         "Invalid request: JSON-RPC batches are not supported by MCP");
  }
  if (!message.is_object()) {
    return jsonrpc_error(nullptr, kJsonRpcInvalidRequest,
                         "Invalid request: a message must be a JSON object");
  }
  const bool has_id = message.contains("id");
  const json id = has_id ? message["id"] : json();
  const bool valid_id = id.is_string() || id.is_number_integer();
  if (!message.contains("method")) {
    // A response to a request of ours: we send none, so there is nothing to match it with.
    if (has_id && (message.contains("result") || message.contains("error"))) return std::nullopt;
    return jsonrpc_error(valid_id ? id : json(), kJsonRpcInvalidRequest,
                         "Invalid request: no method");
  }
  if (message.value("jsonrpc", json()) != "2.0") {
    return jsonrpc_error(valid_id ? id : json(), kJsonRpcInvalidRequest,
                         "Invalid request: \"jsonrpc\" must be \"2.0\"");
  }
  if (!message["method"].is_string()) {
    return jsonrpc_error(valid_id ? id : json(), kJsonRpcInvalidRequest,
                         "Invalid request: \"method\" must be a string");
  }
  const std::string method = message["method"].get<std::string>();
  if (!has_id) {
    // A notification: never answered, whatever it says.
    if (method == "notifications/initialized") connection.initialized = true;
    return std::nullopt;
  }
  if (!valid_id) {
    return jsonrpc_error(nullptr, kJsonRpcInvalidRequest,
                         "Invalid request: \"id\" must be a string or an integer");
  }
  const json params = message.contains("params") ? message["params"] : json::object();
  if (!params.is_object()) {
    return jsonrpc_error(id, kJsonRpcInvalidParams, "Invalid params: \"params\" must be an object");
  }
  try {
    if (method == "initialize") return initialize(connection, id, params);
    if (method == "ping") return ok_response(id, json::object());
    if (connection.protocol_version.empty()) {
      return jsonrpc_error(id, kJsonRpcInvalidRequest,
                           "Invalid request: the connection is not initialized (send initialize "
                           "first)");
    }
    if (method == "tools/list") {
      if (params.contains("cursor") && !params["cursor"].is_null()) {
        return jsonrpc_error(id, kJsonRpcInvalidParams,
                             "Invalid params: unknown cursor (the tool list has one page)");
      }
      return ok_response(id, tools_list_);
    }
    if (method == "tools/call") return call_tool(connection, id, params);
    return jsonrpc_error(id, kJsonRpcMethodNotFound, fmt::format("Method not found: {}", method));
  } catch (const std::exception& e) {
    QWL_LOG_ERROR("mcp server: {}: {}", method, e.what());
    return jsonrpc_error(id, kJsonRpcInternalError, "Internal error");
  }
}

json McpServer::initialize(McpConnection& connection, const json& id, const json& params) {
  if (!connection.protocol_version.empty()) {
    return jsonrpc_error(id, kJsonRpcInvalidRequest,
                         "Invalid request: the connection is already initialized");
  }
  if (!params.contains("protocolVersion") || !params["protocolVersion"].is_string()) {
    return jsonrpc_error(id, kJsonRpcInvalidParams,
                         "Invalid params: initialize needs \"protocolVersion\" (a string)");
  }
  const std::string requested = params["protocolVersion"].get<std::string>();
  // The spec's negotiation: the client's version if we speak it, else our newest; the client
  // then decides whether it can go on.
  connection.protocol_version = mcp_server_supports_version(requested)
                                    ? requested
                                    : std::string(kMcpServerProtocolVersions[0]);
  if (params.contains("clientInfo") && params["clientInfo"].is_object()) {
    const json& name = params["clientInfo"].value("name", json());
    if (name.is_string()) connection.client_name = name.get<std::string>();
  }
  json server_info = {{"name", info_.name}, {"version", info_.version}};
  if (!info_.title.empty()) server_info["title"] = info_.title;
  json result = {{"protocolVersion", connection.protocol_version},
                 {"capabilities", {{"tools", {{"listChanged", false}}}}},
                 {"serverInfo", std::move(server_info)}};
  if (!info_.instructions.empty()) result["instructions"] = info_.instructions;
  return ok_response(id, std::move(result));
}

json McpServer::call_tool(McpConnection& connection, const json& id, const json& params) {
  if (!params.contains("name") || !params["name"].is_string()) {
    return jsonrpc_error(id, kJsonRpcInvalidParams,
                         "Invalid params: tools/call needs \"name\" (a string)");
  }
  const std::string name = params["name"].get<std::string>();
  auto it = tools_.find(name);
  if (it == tools_.end()) {
    return jsonrpc_error(id, kJsonRpcInvalidParams, fmt::format("Unknown tool: {}", name));
  }
  const json arguments = params.contains("arguments") && !params["arguments"].is_null()
                             ? params["arguments"]
                             : json::object();
  if (!arguments.is_object()) {
    return jsonrpc_error(
        id, kJsonRpcInvalidParams,
        fmt::format("Invalid params: the arguments of {} must be an object", name));
  }
  if (Status valid = validate_arguments(it->second.schema, arguments); !valid.ok()) {
    const std::string message =
        fmt::format("Invalid arguments for tool {}: {}", name, valid.message());
    // 2025-06-18 calls this a protocol error; 2025-11-25 (SEP-1303) a tool execution error the
    // model can read and correct.
    if (connection.protocol_version == "2025-06-18") {
      return jsonrpc_error(id, kJsonRpcInvalidParams, message);
    }
    return ok_response(id, tool_error(InvalidArgumentError("{}", message)));
  }
  const UserContext& user = connection.user;
  if (it->second.effect != SideEffect::kIrreversible) {
    Result<ToolResult> ran = executor_.run(user, name, arguments);
    if (!ran.ok()) {
      if (ran.status().code() == StatusCode::kInternal) {
        QWL_LOG_ERROR("mcp server: tool {}: {}", name, ran.status().to_string());
      }
      return ok_response(id, tool_error(ran.status()));
    }
    json structured = ran->result.is_object() ? ran->result : json{{"result", ran->result}};
    json result = {{"content", {{{"type", "text"}, {"text", dump(structured)}}}},
                   {"structuredContent", std::move(structured)},
                   {"isError", false}};
    return ok_response(id, std::move(result));
  }

  // Irreversible: worked out and stored for the user, never executed here.
  Result<ActionDraft> draft = executor_.prepare(user, name, arguments);
  if (!draft.ok()) return ok_response(id, tool_error(draft.status()));
  Result<PendingAction> action = actions_.propose(user, "", std::move(draft).value());
  if (!action.ok()) {
    QWL_LOG_ERROR("mcp server: tool {}: storing the pending action: {}", name,
                  action.status().to_string());
    return ok_response(id, tool_error(action.status()));
  }
  QWL_LOG_INFO("mcp server: user {} ({}): {} -> pending action {} awaiting confirmation",
               user.actor.user_id, connection.client_name, name, action->id);
  const std::string text = fmt::format(
      "NOT EXECUTED: {} needs the user's confirmation. Pending action {}: {} (content hash {}). "
      "The user confirms or cancels it in qwenlayer (the app's action card, `qwenlayer chat`, or "
      "POST /api/v1/actions/{}/confirm with the hash); it expires in {} minutes. An MCP client "
      "cannot confirm it: tell the user what it contains and that it awaits their "
      "confirmation.",
      name, action->id, action->draft.summary, action->hash, action->id, kActionTtl.count());
  json result = {
      {"content", {{{"type", "text"}, {"text", text}}}},
      {"structuredContent", {{"status", "pending_confirmation"}, {"action", action->to_json()}}},
      {"isError", false}};
  return ok_response(id, std::move(result));
}

Status serve_mcp_stdio(McpServer& server, McpConnection& connection, std::istream& in,
                       std::ostream& out) {
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::optional<std::string> answer = server.handle_text(connection, line);
    if (!answer) continue;
    // The answer is one line: dump() escapes every newline inside strings.
    out << *answer << '\n';
    out.flush();
    if (!out) return IoErrorError("mcp server: writing to stdout failed");
  }
  return Status::Ok();
}

}  // namespace qwl::agent
