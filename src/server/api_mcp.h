// MCP over Streamable HTTP at /mcp (MCP 2025-06-18 and 2025-11-25, "Transports"): the
// ecosystem's tools for remote MCP clients, served by `qwenlayer serve` beside the app API. The
// protocol itself is agent/mcp_server.h; this file is the transport around it.
//
// Every request, in this order:
//   1. Origin: a request whose Origin header is present and neither a localhost origin
//      (http(s)://localhost, 127.0.0.1 or [::1], any port) nor one of
//      McpEndpointOptions::allowed_origins is refused with 403 (DNS rebinding: a web page must
//      not reach a local server through a name it controls). No Origin (non-browser clients)
//      is fine. Allowed origins get CORS headers (and OPTIONS preflights a 204), so a browser
//      client on localhost works.
//   2. Authentication, as the app API does it (app_api.h): "Authorization: Bearer KEY" (a
//      user's API key, or the operator's --api-key acting as the system) or the web session
//      cookie. 401 (with WWW-Authenticate: Bearer) without valid credentials, 403 for a
//      disabled account.
//   3. POST: one JSON-RPC message (Content-Type application/json, else 415; an Accept header
//      that admits neither application/json nor */* is a 406). initialize creates a session:
//      its id (Mcp-Session-Id, "mcp_" + 32 hex digits) comes back in the response header and
//      is stored in the database (mcp_sessions) with the user and the negotiated version, so
//      any node sharing the database continues it. Every later request needs the header
//      (400 without it) and must come from the same user (404 otherwise, as for an unknown or
//      deleted session: the client then initializes again). MCP-Protocol-Version, when sent,
//      must be a version we speak and the session's (400 otherwise); absent, the session's
//      version applies. A request is answered with application/json (we stream nothing, so no
//      SSE); a notification or a response from the client with 202 and no body.
//   4. GET (the optional server-to-client SSE stream): 405, we send no messages of our own.
//   5. DELETE with Mcp-Session-Id: ends the session (204); later requests with it get 404.
// Errors at the HTTP level carry a JSON-RPC error body with a null id. Bodies are at most
// max_body_bytes (413). Sessions unused for session_idle are purged when new ones are made.
//
// An irreversible tool called here yields a pending action (session "") that only the user
// confirms, in the app or `qwenlayer chat`; see docs/MCP.md.
//
// Wiring (cmd_serve): after the AppApi and the agent's ToolExecutor and ActionStore exist,
//   app::McpEndpoint mcp(app_api, db, Clock::real(), tools, actions);
//   QWL_RETURN_IF_ERROR(mcp.add_routes(server));   // before server.start()
// Thread-safety: add_routes() before the server starts; handle() from any number of handler
// threads. `api`, `db`, `clock`, `tools` and `actions` must outlive the endpoint, and the
// endpoint the server.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "agent/actions.h"
#include "agent/executor.h"
#include "agent/mcp_server.h"
#include "base/clock.h"
#include "base/status.h"
#include "server/app_api.h"
#include "server/http_message.h"
#include "server/http_server.h"
#include "store/db.h"

namespace qwl::app {

struct McpEndpointOptions {
  std::string path = "/mcp";
  // Origins allowed besides localhost ones, exactly as browsers send them
  // ("https://assistant.example.com", no trailing slash).
  std::vector<std::string> allowed_origins;
  size_t max_body_bytes = 1024 * 1024;
  std::chrono::hours session_idle{24 * 7};
  agent::McpServerInfo info;
};

class McpEndpoint {
 public:
  McpEndpoint(AppApi& api, Db& db, const Clock& clock, agent::ToolExecutor& tools,
              agent::ActionStore& actions, McpEndpointOptions options = {});
  McpEndpoint(const McpEndpoint&) = delete;
  McpEndpoint& operator=(const McpEndpoint&) = delete;

  // Adds POST, GET, DELETE and OPTIONS at options.path.
  Status add_routes(http::Server& server);

  // Answers one request as the routes do (for tests and other servers).
  http::Response handle(http::Request& request);

  const agent::McpServer& mcp_server() const { return server_; }

 private:
  struct Session;
  http::Response post(http::Request& request, const Caller& caller);
  http::Response remove(http::Request& request, const Caller& caller);
  Result<Session> load_session(const http::Request& request, const Caller& caller);

  AppApi& api_;
  Db& db_;
  const Clock& clock_;
  McpEndpointOptions options_;
  agent::McpServer server_;
};

// True for an Origin header value that is a localhost origin: http or https with host
// localhost, 127.0.0.1 or [::1] and an optional port.
bool is_localhost_origin(std::string_view origin);

}  // namespace qwl::app
