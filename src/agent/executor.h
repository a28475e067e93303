// What runs a tool call: the interface between the agent loop (and MCP) and whatever implements
// the tools, the ecosystem's services (ecosystem_tools.h) or an external MCP server
// (mcp_client.h). Calls come in already validated against the tool's schema and always carry
// the acting user from the session, never from the model.
//
// Reads and writes (SideEffect kRead / kWrite) run at once with run(). Irreversible tools are
// split in two: prepare() works out exactly what would happen (items, options, merchant,
// address, coupon, amount, time) without changing anything, and returns it as an ActionDraft;
// the agent turns the draft into a pending action (actions.h) and only the user's
// confirmation calls commit(), once, with an idempotency key. Before commit() the action store
// prepares the same call again and compares the bound content, so a price, stock or opening
// hours change since the card was shown stops the action instead of charging something else.
//
// Results are JSON: `result` is what the model reads (compact: ids, names, prices in fen and
// as text, a few fields, never another user's data) and `cards` what the app shows (typed
// cards: product, merchant, menu, route, cart, order, booking, wallet, ...). Tool output is
// untrusted data: the loop hands it to the model as a tool response and nothing in it is
// ever executed.
// Thread-safety: implementations are safe to call from several threads at once (independent
// reads of one turn run in parallel).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/tools.h"
#include "base/status.h"
#include "services/actor.h"
#include "services/geo.h"

namespace qwl::agent {

// Who is asking, where and when: from the session (the signed-in user, the app's location),
// never from model output.
struct UserContext {
  services::Actor actor;
  std::optional<services::LatLon> location;  // the device's position, when the app sent one
  std::string language = "en";               // "en" or "zh": the language of the last message
};

// A typed card for the app: {"type": "merchant", "data": {...}}.
struct Card {
  std::string type;  // product, merchant, menu, place, route, cart, order, booking, wallet,
                     // coupon, ride_quote, availability, action
  nlohmann::json data;
  nlohmann::json to_json() const { return {{"type", type}, {"data", data}}; }
};

struct ToolResult {
  nlohmann::json result;    // for the model
  std::vector<Card> cards;  // for the app
};

// An irreversible call worked out and not done.
struct ActionDraft {
  std::string tool;          // the tool's name
  nlohmann::json arguments;  // the arguments commit() runs with (ids resolved, defaults filled)
  // Exactly what the user agrees to; its hash binds the confirmation (actions.h). Everything a
  // change of which must stop the action goes here: items with options and quantities,
  // merchant, address, coupon, total amount in fen, date/time, party size, places.
  nlohmann::json content;
  // Shown with it but not bound: estimates that move with the clock (ETA, travel time).
  nlohmann::json info;
  // One line for the card and the terminal, in the user's language, e.g.
  // "2 x Oat Latte (large, oat milk), Luna Café -> Office; ¥46 - coupon ¥5 = ¥41; arrives ~09:10".
  std::string summary;
};

class ToolExecutor {
 public:
  virtual ~ToolExecutor() = default;

  // The tools this executor runs (each name once; stable storage while the executor lives).
  virtual std::vector<ToolDef> tools() const = 0;

  // Runs a read or write tool. Errors are values the loop hands to the model as the tool's
  // response: InvalidArgument (bad argument, e.g. unknown option "extra hot"), NotFound
  // (no such merchant, or another user's order), FailedPrecondition (closed, out of stock),
  // PermissionDenied. InvalidArgument too when `name` is irreversible or unknown.
  virtual Result<ToolResult> run(const UserContext& user, std::string_view name,
                                 const nlohmann::json& arguments) = 0;

  // Works out an irreversible call without changing anything (same errors as run()).
  virtual Result<ActionDraft> prepare(const UserContext& user, std::string_view name,
                                      const nlohmann::json& arguments) = 0;

  // Executes a draft prepare() made for the same user, at most once per `idempotency_key`:
  // a second call with the same key returns the first call's result and changes nothing.
  // The services check stock, hours, balance and the expected total again inside their
  // transaction; FailedPrecondition names what no longer holds.
  virtual Result<ToolResult> commit(const UserContext& user, const ActionDraft& draft,
                                    std::string_view idempotency_key) = 0;
};

}  // namespace qwl::agent
