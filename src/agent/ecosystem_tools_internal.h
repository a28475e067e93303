// Private to the ecosystem tools (ecosystem_tools*.cpp): the state of one call, argument
// readers that name the argument in their errors, the one place resolver every tool uses,
// money, text and local-time formatting for the model, and the handlers of each domain.
//
// Conventions of the handlers: `Call` carries the handles, the user and the arguments; a
// handler returns the model's compact result and the app's cards (ToolResult), or an ActionDraft
// for an irreversible tool. Errors name the argument they are about ("merchant_id: merchant 99
// not found"). Nothing here keeps state between calls.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/ecosystem_tools.h"
#include "base/status.h"
#include "services/geo.h"
#include "store/db.h"

namespace qwl::agent::eco {

using nlohmann::json;

// Bounds of what the model reads.
inline constexpr size_t kMaxTextChars = 200;  // descriptions, notes, reviews (code points)
inline constexpr size_t kMaxListItems = 20;   // rows of any list the model sees
inline constexpr size_t kMaxMenuItems = 40;   // items of one menu
inline constexpr size_t kMaxRouteSteps = 15;  // steps of a route

// The arguments of one call. The agent validated them against the tool's schema; these readers
// still check types and ranges (a draft's arguments come back through the action store, MCP
// clients are not ours), and name the argument in every error.
class Args {
 public:
  explicit Args(const json& j) : j_(j) {}
  const json& raw() const { return j_; }
  bool has(std::string_view name) const;

  Result<std::optional<int64_t>> opt_int(std::string_view name, int64_t min, int64_t max) const;
  Result<int64_t> req_int(std::string_view name, int64_t min, int64_t max) const;
  Result<std::optional<std::string>> opt_string(std::string_view name, size_t max_bytes) const;
  Result<std::string> req_string(std::string_view name, size_t max_bytes) const;
  Result<std::optional<bool>> opt_bool(std::string_view name) const;
  // A list of non-empty strings (absent: empty).
  Result<std::vector<std::string>> string_list(std::string_view name, size_t max_items,
                                               size_t max_bytes) const;

 private:
  const json& j_;
};

// One call of a tool.
struct Call {
  const EcosystemHandles& h;
  const UserContext& user;
  Args args;
  std::string_view tool;
  int64_t now_us = 0;  // the handles' clock, read once per call

  bool zh() const { return user.language == "zh"; }
  // The record's name in the user's language (the other one when that is empty).
  std::string name(const std::string& en, const std::string& zh) const;
  // One of two texts by the user's language.
  std::string_view say(std::string_view en, std::string_view zh_text) const {
    return zh() ? zh_text : en;
  }
};

// ---- formatting ------------------------------------------------------------------------------

// "¥23.50" (services::format_yuan).
std::string yuan(int64_t fen);
// Puts `fen` at j[key] and its text at j[key + "_text"].
void put_money(json& j, std::string_view key, int64_t fen);
// At most kMaxTextChars code points, cut on a character boundary with "…" appended.
std::string cut(std::string_view text, size_t max_chars = kMaxTextChars);
// 45 -> 4.5.
double rating(int64_t rating_x10);

// Local (UTC+8) calendar days and times.
int64_t days_from_civil(int64_t year, int64_t month, int64_t day);
std::string format_date(int64_t day);  // "2026-01-05"
std::string format_hhmm(int minute);   // "19:00"
std::string local_hhmm(int64_t wall_us);
std::string local_datetime(int64_t wall_us);  // "2026-01-05 19:00"
// "YYYY-MM-DD" (a real date) as local days; "HH:MM" (00:00..23:59) as minutes. InvalidArgument
// naming `name`.
Result<int64_t> parse_date(std::string_view text, std::string_view name);
Result<int> parse_hhmm(std::string_view text, std::string_view name);
// "12 min", "1 h 5 min" / "12分钟", "1小时5分钟".
std::string duration_text(int64_t seconds, bool zh);

// ---- places ----------------------------------------------------------------------------------

// A place text made concrete. `ref` is its canonical text ("address:2", "place:5",
// "30.250000,120.160000"): resolving `ref` again gives the same place, so drafts keep it in
// their arguments and a re-prepare does not depend on the device's position or the geocoder.
struct Place {
  enum class Source { kSavedAddress, kPlace, kLocation };
  Source source = Source::kLocation;
  std::string ref;
  services::LatLon location;
  int64_t address_id = 0;
  int64_t poi_id = 0;
  std::string label;    // a saved address's label ("office"); "" otherwise
  std::string name_en;  // the place's names or the address's lines; "" for a coordinate
  std::string name_zh;
  std::string kind;  // the place's kind ("cafe"); "" otherwise

  services::Waypoint waypoint() const;
  // What the model and the summary call it: the saved label, the place's name in the
  // language, or "current location" / "当前位置".
  std::string display(bool zh) const;
  // {"ref", "label", "name_en", "name_zh", "lat", "lon", "address_id"?, "place_id"?}: the
  // language-independent form drafts bind.
  json to_json() const;
};

// Resolves a place argument (see ecosystem_tools.h): absent (nullopt or empty) means the
// user's location, else their default address; text is "lat,lon", "place:<id>",
// "address:<id>", a saved label in either language ("office", "家") or a place name, geocoded
// with the user's saved places first and near the user. Errors name `field`: NotFound (nothing
// matches, another user's address), FailedPrecondition (nothing given and no location or
// default address), InvalidArgument (bad coordinates or id).
Result<Place> resolve_place(Tx& tx, const Call& c, const std::optional<std::string>& text,
                            std::string_view field);
// A delivery address: one of the user's saved addresses (absent: the default one). A text
// that names a place but no saved address is InvalidArgument listing the saved labels.
Result<Place> resolve_address(Tx& tx, const Call& c, const std::optional<std::string>& text,
                              std::string_view field);
// resolve_place() / resolve_address() in their own read transaction.
Result<Place> resolve_place(const Call& c, const std::optional<std::string>& text,
                            std::string_view field);
Result<Place> resolve_address(const Call& c, const std::optional<std::string>& text,
                              std::string_view field);

// ---- exactly once for services without an idempotent path -------------------------------------

// Runs `fn` at most once per (user, key) for this draft: a stored result under the key is
// returned (with "replayed": true in the result) without calling fn; otherwise fn runs and its
// result is stored with services/idempotency.h under operation "agent.<tool>" bound to the
// draft's arguments and content. For services whose operation cannot succeed twice (a
// cancellation, an after-sales request), so two racing commits never both execute.
Result<ToolResult> run_once(const Call& c, const ActionDraft& draft, std::string_view key,
                            const std::function<Result<ToolResult>()>& fn);

// ToolResult <-> the JSON stored for a replay.
json tool_result_json(const ToolResult& r);
ToolResult tool_result_from(const json& j);

// ---- handlers (one file per domain) -----------------------------------------------------------

// ecosystem_tools_catalog.cpp
Result<ToolResult> search_products(Call& c);
Result<ToolResult> search_merchants(Call& c);
Result<ToolResult> get_menu(Call& c);
Result<ToolResult> nearby_places(Call& c);
Result<ToolResult> get_route(Call& c);

// ecosystem_tools_commerce.cpp
Result<ToolResult> view_cart(Call& c);
Result<ToolResult> preview_order(Call& c);
Result<ToolResult> list_orders(Call& c);
Result<ToolResult> get_order(Call& c);
Result<ToolResult> get_wallet(Call& c);
Result<ToolResult> list_coupons(Call& c);
Result<ToolResult> add_to_cart(Call& c);
Result<ToolResult> update_cart_line(Call& c);
Result<ToolResult> clear_cart(Call& c);
Result<ToolResult> claim_coupon(Call& c);
Result<ActionDraft> prepare_checkout(Call& c);
Result<ToolResult> commit_checkout(Call& c, const ActionDraft& d, std::string_view key);
Result<ActionDraft> prepare_cancel_order(Call& c);
Result<ToolResult> commit_cancel_order(Call& c, const ActionDraft& d, std::string_view key);
Result<ActionDraft> prepare_request_refund(Call& c);
Result<ToolResult> commit_request_refund(Call& c, const ActionDraft& d, std::string_view key);
Result<ActionDraft> prepare_top_up_wallet(Call& c);
Result<ToolResult> commit_top_up_wallet(Call& c, const ActionDraft& d, std::string_view key);

// ecosystem_tools_bookings.cpp
Result<ToolResult> table_availability(Call& c);
Result<ToolResult> hotel_availability(Call& c);
Result<ToolResult> ride_quote(Call& c);
Result<ToolResult> list_bookings(Call& c);
Result<ActionDraft> prepare_book_table(Call& c);
Result<ToolResult> commit_book_table(Call& c, const ActionDraft& d, std::string_view key);
Result<ActionDraft> prepare_book_hotel(Call& c);
Result<ToolResult> commit_book_hotel(Call& c, const ActionDraft& d, std::string_view key);
Result<ActionDraft> prepare_request_ride(Call& c);
Result<ToolResult> commit_request_ride(Call& c, const ActionDraft& d, std::string_view key);
Result<ActionDraft> prepare_cancel_booking(Call& c);
Result<ToolResult> commit_cancel_booking(Call& c, const ActionDraft& d, std::string_view key);

// A value of a draft's content or arguments that commit() relies on; Internal when a draft
// does not hold it (a draft that prepare() did not make).
Result<int64_t> draft_int(const json& j, std::string_view name);

}  // namespace qwl::agent::eco
