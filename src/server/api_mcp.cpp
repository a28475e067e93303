// MCP over Streamable HTTP (see api_mcp.h).
//
// The endpoint keeps no state in memory: a session is a row of mcp_sessions, read once per
// request by its primary key, so that several `serve` nodes behind one load balancer answer
// the same client (DESIGN.md: nodes hold no state of their own). Writes happen only at
// initialize, DELETE, and at most once an hour per session to mark it used.
#include "server/api_mcp.h"

#include <cctype>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/log.h"

namespace qwl::app {
namespace {

using nlohmann::json;

// A session's last use is recorded when it is older than this (so most requests only read).
constexpr int64_t kTouchIntervalUs = 3600LL * 1'000'000;
// A JSON-RPC "server error" code for refusals of the transport (auth, session).
constexpr int kTransportError = -32000;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "application/json; charset=utf-8" -> "application/json".
std::string media_type(std::string_view value) {
  return lower(trim(value.substr(0, value.find(';'))));
}

// Whether an Accept header admits a JSON answer.
bool accepts_json(std::string_view accept) {
  size_t start = 0;
  while (start <= accept.size()) {
    const size_t comma = accept.find(',', start);
    const std::string type = media_type(accept.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (type == "application/json" || type == "application/*" || type == "*/*") return true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return false;
}

http::Response rpc_error(int http_status, int code, std::string_view message) {
  return http::Response::json(agent::jsonrpc_error(nullptr, code, message)
                                  .dump(-1, ' ', false, json::error_handler_t::replace),
                              http_status);
}

// A refusal of authentication as HTTP: 401 with the Bearer challenge, 403, or 503.
http::Response auth_error(const Status& status) {
  switch (status.code()) {
    case StatusCode::kUnauthenticated: {
      http::Response r = rpc_error(401, kTransportError, status.message());
      r.headers.set("WWW-Authenticate", "Bearer");
      return r;
    }
    case StatusCode::kPermissionDenied:
      return rpc_error(403, kTransportError, status.message());
    case StatusCode::kUnavailable:
      return rpc_error(503, kTransportError, status.message());
    default:
      QWL_LOG_ERROR("mcp endpoint: authentication: {}", status.to_string());
      return rpc_error(500, kTransportError, "Internal error");
  }
}

std::string new_session_id() {
  std::random_device device;  // the kernel's CSPRNG on Linux
  std::string id = "mcp_";
  for (int i = 0; i < 4; ++i) id += fmt::format("{:08x}", static_cast<uint32_t>(device()));
  return id;
}

}  // namespace

bool is_localhost_origin(std::string_view origin) {
  const std::string o = lower(origin);
  std::string_view rest = o;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else {
    return false;
  }
  bool host_ok = false;
  for (std::string_view host : {"localhost", "127.0.0.1", "[::1]"}) {
    if (rest.starts_with(host)) {
      rest.remove_prefix(host.size());
      host_ok = true;
      break;
    }
  }
  if (!host_ok) return false;
  if (rest.empty()) return true;
  if (rest.front() != ':' || rest.size() == 1 || rest.size() > 6) return false;
  for (char c : rest.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

struct McpEndpoint::Session {
  std::string id;
  int64_t user_id = 0;
  std::string protocol_version;
  std::string client_name;
  int64_t last_used_us = 0;
};

McpEndpoint::McpEndpoint(AppApi& api, Db& db, const Clock& clock, agent::ToolExecutor& tools,
                         agent::ActionStore& actions, McpEndpointOptions options)
    : api_(api),
      db_(db),
      clock_(clock),
      options_(std::move(options)),
      server_(tools, actions, options_.info) {}

Status McpEndpoint::add_routes(http::Server& server) {
  const http::RouteOptions route{.max_body_bytes = options_.max_body_bytes};
  for (http::Method m :
       {http::Method::kPost, http::Method::kGet, http::Method::kDelete, http::Method::kOptions}) {
    QWL_RETURN_IF_ERROR(server.add_route(
        m, options_.path, [this](http::Request& request) { return handle(request); }, route));
  }
  return Status::Ok();
}

http::Response McpEndpoint::handle(http::Request& request) {
  const std::optional<std::string_view> origin = request.header("origin");
  if (origin) {
    bool allowed = is_localhost_origin(*origin);
    for (const std::string& o : options_.allowed_origins) allowed = allowed || o == *origin;
    if (!allowed) {
      QWL_LOG_WARN("mcp endpoint: refused a request from Origin {}", *origin);
      return rpc_error(403, kTransportError,
                       fmt::format("Forbidden: Origin {} is not allowed", *origin));
    }
  }
  http::Response response;
  if (request.method == http::Method::kOptions) {
    response = http::Response(204);
    response.headers.set("Access-Control-Allow-Methods", "POST, GET, DELETE, OPTIONS");
    response.headers.set("Access-Control-Allow-Headers",
                         "Authorization, Content-Type, Accept, Mcp-Session-Id, "
                         "MCP-Protocol-Version, Last-Event-ID");
    response.headers.set("Access-Control-Max-Age", "600");
  } else {
    Result<Caller> caller = api_.authenticate(request);
    if (!caller.ok()) {
      response = auth_error(caller.status());
    } else if (request.method == http::Method::kPost) {
      response = post(request, *caller);
    } else if (request.method == http::Method::kDelete) {
      response = remove(request, *caller);
    } else {
      // GET opens the optional stream of server-initiated messages; we have none to send.
      response = rpc_error(405, kTransportError,
                           "Method Not Allowed: this server sends no messages of its own (no "
                           "GET stream); POST requests to it");
      response.headers.set("Allow", "POST, DELETE, OPTIONS");
    }
  }
  if (origin) {
    response.headers.set("Access-Control-Allow-Origin", *origin);
    response.headers.set("Access-Control-Expose-Headers", "Mcp-Session-Id");
    response.headers.add("Vary", "Origin");
  }
  return response;
}

Result<McpEndpoint::Session> McpEndpoint::load_session(const http::Request& request,
                                                       const Caller& caller) {
  const std::optional<std::string_view> header = request.header("mcp-session-id");
  if (!header || header->empty()) {
    return InvalidArgumentError(
        "Bad Request: the Mcp-Session-Id header is required (send initialize first)");
  }
  const std::string id(*header);
  Session s;
  bool found = false;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(Rows rows,
                         tx.query("SELECT user_id, protocol_version, client_name, last_used_at_us, "
                                  "closed_at_us FROM mcp_sessions WHERE id = ?",
                                  {id}));
    found = !rows.empty() && rows[0].int64(4) == 0 && rows[0].int64(0) == caller.actor.user_id;
    if (found) {
      s = Session{.id = id,
                  .user_id = rows[0].int64(0),
                  .protocol_version = rows[0].text(1),
                  .client_name = rows[0].text(2),
                  .last_used_us = rows[0].int64(3)};
    }
    return Status::Ok();
  }));
  // Another user's session reads as a missing one.
  if (!found) return NotFoundError("Session not found: initialize a new session");
  return s;
}

http::Response McpEndpoint::post(http::Request& request, const Caller& caller) {
  const std::optional<std::string_view> content_type = request.header("content-type");
  if (!content_type || media_type(*content_type) != "application/json") {
    return rpc_error(415, kTransportError,
                     "Unsupported Media Type: POST one JSON-RPC message as application/json");
  }
  if (const auto accept = request.header("accept"); accept && !accepts_json(*accept)) {
    return rpc_error(406, kTransportError,
                     "Not Acceptable: this server answers with application/json");
  }
  const json message = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) {
    return rpc_error(400, agent::kJsonRpcParseError, "Parse error: the body is not JSON");
  }
  if (!message.is_object()) {
    return rpc_error(400, agent::kJsonRpcInvalidRequest,
                     message.is_array() ? "Invalid request: JSON-RPC batches are not supported"
                                        : "Invalid request: a message must be a JSON object");
  }
  agent::McpConnection connection;
  connection.user.actor = caller.actor;
  const bool initialize = message.contains("id") && message.value("method", json()) == "initialize";
  std::string session_id;
  if (!initialize) {
    Result<Session> session = load_session(request, caller);
    if (!session.ok()) {
      const StatusCode code = session.status().code();
      if (code == StatusCode::kInvalidArgument)
        return rpc_error(400, kTransportError, session.status().message());
      if (code == StatusCode::kNotFound)
        return rpc_error(404, kTransportError, session.status().message());
      QWL_LOG_ERROR("mcp endpoint: reading the session: {}", session.status().to_string());
      return rpc_error(503, kTransportError, "Service Unavailable: try again");
    }
    if (const auto version = request.header("mcp-protocol-version")) {
      if (!agent::mcp_server_supports_version(*version)) {
        return rpc_error(400, kTransportError,
                         fmt::format("Bad Request: unsupported MCP-Protocol-Version {}", *version));
      }
      if (*version != session->protocol_version) {
        return rpc_error(400, kTransportError,
                         fmt::format("Bad Request: MCP-Protocol-Version {} is not this session's "
                                     "version {}",
                                     *version, session->protocol_version));
      }
    }
    connection.protocol_version = session->protocol_version;
    connection.initialized = true;
    connection.client_name = session->client_name;
    const int64_t now_us = clock_.wall_us();
    if (now_us - session->last_used_us > kTouchIntervalUs) {
      Status touched = db_.transact([&](Tx& tx) {
        return tx
            .exec("UPDATE mcp_sessions SET last_used_at_us = ? WHERE id = ?", {now_us, session->id})
            .status();
      });
      if (!touched.ok()) QWL_LOG_WARN("mcp endpoint: {}", touched.to_string());
    }
  }

  std::optional<json> answer = server_.handle(connection, message);
  if (!answer) return http::Response(202);  // a notification or a response: accepted

  http::Response response;
  if (initialize && answer->contains("result")) {
    session_id = new_session_id();
    const int64_t now_us = clock_.wall_us();
    const int64_t idle_us =
        std::chrono::duration_cast<std::chrono::microseconds>(options_.session_idle).count();
    Status stored = db_.transact([&](Tx& tx) -> Status {
      QWL_RETURN_IF_ERROR(
          tx.exec("DELETE FROM mcp_sessions WHERE last_used_at_us < ?", {now_us - idle_us})
              .status());
      return tx
          .exec(
              "INSERT INTO mcp_sessions (id, user_id, protocol_version, client_name, "
              "created_at_us, last_used_at_us) VALUES (?, ?, ?, ?, ?, ?)",
              {session_id, caller.actor.user_id, connection.protocol_version,
               connection.client_name.substr(0, 200), now_us, now_us})
          .status();
    });
    if (!stored.ok()) {
      QWL_LOG_ERROR("mcp endpoint: storing the session: {}", stored.to_string());
      return rpc_error(503, kTransportError, "Service Unavailable: try again");
    }
    QWL_LOG_INFO("mcp endpoint: session {} for user {} ({}, protocol {})", session_id,
                 caller.actor.user_id,
                 connection.client_name.empty() ? "no clientInfo" : connection.client_name,
                 connection.protocol_version);
  }
  response = http::Response::json(answer->dump(-1, ' ', false, json::error_handler_t::replace));
  if (!session_id.empty()) response.headers.set("Mcp-Session-Id", session_id);
  return response;
}

http::Response McpEndpoint::remove(http::Request& request, const Caller& caller) {
  Result<Session> session = load_session(request, caller);
  if (!session.ok()) {
    const StatusCode code = session.status().code();
    if (code == StatusCode::kInvalidArgument)
      return rpc_error(400, kTransportError, session.status().message());
    if (code == StatusCode::kNotFound)
      return rpc_error(404, kTransportError, session.status().message());
    return rpc_error(503, kTransportError, "Service Unavailable: try again");
  }
  Status closed = db_.transact([&](Tx& tx) {
    return tx
        .exec("UPDATE mcp_sessions SET closed_at_us = ? WHERE id = ? AND closed_at_us = 0",
              {std::max<int64_t>(clock_.wall_us(), 1), session->id})
        .status();
  });
  if (!closed.ok()) {
    QWL_LOG_ERROR("mcp endpoint: closing session {}: {}", session->id, closed.to_string());
    return rpc_error(503, kTransportError, "Service Unavailable: try again");
  }
  return http::Response(204);
}

}  // namespace qwl::app
