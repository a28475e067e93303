// The agent's routes of the app API (/api/v1/...): chat sessions, a message answered as a stream
// of server-sent events, and the pending actions the user confirms or cancels. docs/api/agent.md
// is the contract: every route, field, event, error and an example.
//
//   POST   /api/v1/sessions                  {title?}            -> 201 session
//   GET    /api/v1/sessions[?limit=&before=]                     -> list, newest first
//   GET    /api/v1/sessions/{id}                                 -> session + history + actions
//   PATCH  /api/v1/sessions/{id}             {title}             -> session
//   DELETE /api/v1/sessions/{id}                                 -> {"deleted": true}
//   POST   /api/v1/sessions/{id}/messages    {text, location?}   -> text/event-stream
//   GET    /api/v1/actions/{id}                                  -> action
//   POST   /api/v1/actions/{id}/confirm      {hash}  (Idempotency-Key honoured) -> action
//   POST   /api/v1/actions/{id}/cancel                           -> action
//
// A message runs one agent turn (agent.h) for the caller, never for anyone the model names.
// The session is claimed for the turn (SessionStore::begin_turn: a second message while one is
// answered is a 409, on any node sharing the database); the turn runs on a thread of its own
// while its events stream to the client as they happen ("event: <agent_event_name>", "data:
// <the event's JSON>"): text, tool_call, tool_result, card, action, then error (if any) and done.
// The turn's messages are appended to the session, with the cards, actions and errors shown
// attached to its last message, before the closing error/done events are sent: a client that
// reads "done" finds the session saved and free for the next message. A client that goes away
// stops the turn through its stop token; what the turn finished is still saved.
//
// Confirm and cancel act through ActionStore (actions.h: hash binding, expiry, exactly-once
// execution). After a confirm or cancel that changed the action, a short assistant note built
// from the action's result (no model call: "Order #123 placed: ...") is appended to the
// action's session so the conversation shows the outcome. With an Idempotency-Key header, a
// retried confirm returns the first answer ("Idempotent-Replayed: true"); the same key on
// another action or hash is a 400.
//
// What the server must construct (cmd_serve), all outliving the server: the agent::Agent, its
// ModelBackend and ToolExecutor, one agent::ActionStore and one agent::SessionStore over the
// ecosystem Db and Clock::real(), then one AgentRoutes over them; call add_routes(app_api)
// before AppApi::register_routes(), and at shutdown call stop() once server.stop() has begun
// (from another thread, as server.stop() blocks): it cancels the running turns, which save what
// they finished and end their streams, and waits for them. The destructor stops too.
//
// Thread-safety: handlers run on the server's handler threads, any number at once; each turn
// runs on its own thread. Agent, SessionStore and ActionStore are thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "agent/actions.h"
#include "agent/agent.h"
#include "agent/sessions.h"
#include "base/clock.h"
#include "base/status.h"
#include "server/app_api.h"
#include "store/db.h"

namespace qwl::app {

// What the routes use; everything must outlive the AgentRoutes.
struct AgentRoutesDeps {
  agent::Agent& agent;
  agent::SessionStore& sessions;
  agent::ActionStore& actions;
  Db& db;              // the ecosystem database (idempotency keys of confirm)
  const Clock& clock;  // the sessions' and actions' clock
};

struct AgentRoutesOptions {
  size_t max_text_chars = 4000;  // a message's "text", in code points
  // Turns running at once on this server; a message beyond this is a 429.
  int max_running_turns = 64;
  // How long a turn holds its session (longer than AgentOptions::turn_timeout, so the lease
  // only runs out for a node that died).
  std::chrono::seconds turn_lease{300};
  // Events queued for a slow client before the turn waits for it.
  size_t max_queued_events = 1024;
};

class AgentRoutes {
 public:
  explicit AgentRoutes(AgentRoutesDeps deps, AgentRoutesOptions options = {});
  ~AgentRoutes();  // stop()
  AgentRoutes(const AgentRoutes&) = delete;
  AgentRoutes& operator=(const AgentRoutes&) = delete;

  // Adds the routes above to `api` (before AppApi::register_routes()). Errors: AppApi's (a
  // route already added).
  Status add_routes(AppApi& api);

  // Cancels every running turn and waits until each has saved what it finished and ended its
  // stream. Messages sent after stop() are answered 503. Idempotent.
  void stop();

  // Turns running now.
  int running_turns() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace qwl::app
