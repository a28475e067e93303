// The agent's tools as REST routes of the app API: the same definitions (agent/tools.h) that
// the model and MCP see, callable by any program that holds a user's key or session.
//
//   GET  /api/v1/tools                 -> {"object":"list","data":[{name, description,
//                                          parameters, side_effect, result}]}
//   POST /api/v1/tools/{name}  {"arguments": {...}}
//        read / write:   200 {"object":"tool_result","tool","result","cards"}
//        irreversible:   202 the pending action (as GET /api/v1/actions/{id}); it runs only
//                        when the user confirms it (POST /api/v1/actions/{id}/confirm {hash})
//
// Arguments are checked against the tool's JSON Schema first (400 naming the JSON pointer of
// each problem); the acting user is the caller, never anything in the arguments; service
// errors map as everywhere in the app API (404 another user's record, 409 closed / out of
// stock / not enough money). The operator key (user 0) cannot act as a user here: 403.
// Thread-safety: handlers run concurrently; the executor and the store are thread-safe and must
// outlive the server.
#pragma once

#include "agent/actions.h"
#include "agent/executor.h"
#include "base/status.h"
#include "server/app_api.h"

namespace qwl::app {

Status add_tool_routes(AppApi& api, agent::ToolExecutor& tools, agent::ActionStore& actions);

}  // namespace qwl::app
