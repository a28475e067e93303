// The ecosystem's tools over the services (ecosystem_tools.h): the table from a tool's name to
// its handler, the checks every call shares (known tool, right side effect, arguments an object
// of the schema's properties, a user to act as), and the handles' presence. The handlers live
// in one file per domain: ecosystem_tools_catalog.cpp (search, menus, places, routes),
// ecosystem_tools_commerce.cpp (cart, orders, wallet, coupons) and ecosystem_tools_bookings.cpp
// (tables, hotels, rides).
#include "agent/ecosystem_tools.h"

#include <map>
#include <set>

#include "agent/ecosystem_tools_internal.h"

namespace qwl::agent {
namespace {

using eco::Call;
using nlohmann::json;

using RunFn = Result<ToolResult> (*)(Call&);
using PrepareFn = Result<ActionDraft> (*)(Call&);
using CommitFn = Result<ToolResult> (*)(Call&, const ActionDraft&, std::string_view);

struct Handler {
  std::string_view name;
  RunFn run = nullptr;
  PrepareFn prepare = nullptr;
  CommitFn commit = nullptr;
};

constexpr Handler kHandlers[] = {
    {"search_products", eco::search_products},
    {"search_merchants", eco::search_merchants},
    {"get_menu", eco::get_menu},
    {"nearby_places", eco::nearby_places},
    {"get_route", eco::get_route},
    {"view_cart", eco::view_cart},
    {"preview_order", eco::preview_order},
    {"list_orders", eco::list_orders},
    {"get_order", eco::get_order},
    {"get_wallet", eco::get_wallet},
    {"list_coupons", eco::list_coupons},
    {"table_availability", eco::table_availability},
    {"hotel_availability", eco::hotel_availability},
    {"ride_quote", eco::ride_quote},
    {"list_bookings", eco::list_bookings},
    {"add_to_cart", eco::add_to_cart},
    {"update_cart_line", eco::update_cart_line},
    {"clear_cart", eco::clear_cart},
    {"claim_coupon", eco::claim_coupon},
    {"checkout", nullptr, eco::prepare_checkout, eco::commit_checkout},
    {"cancel_order", nullptr, eco::prepare_cancel_order, eco::commit_cancel_order},
    {"request_refund", nullptr, eco::prepare_request_refund, eco::commit_request_refund},
    {"top_up_wallet", nullptr, eco::prepare_top_up_wallet, eco::commit_top_up_wallet},
    {"book_table", nullptr, eco::prepare_book_table, eco::commit_book_table},
    {"book_hotel", nullptr, eco::prepare_book_hotel, eco::commit_book_hotel},
    {"request_ride", nullptr, eco::prepare_request_ride, eco::commit_request_ride},
    {"cancel_booking", nullptr, eco::prepare_cancel_booking, eco::commit_cancel_booking},
};

const Handler* find_handler(std::string_view name) {
  for (const Handler& h : kHandlers) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

// Each tool's argument names, from its schema (static text the catalog's tests check).
const std::set<std::string>& properties_of(const ToolDef& tool) {
  static const std::map<std::string_view, std::set<std::string>> kProperties = [] {
    std::map<std::string_view, std::set<std::string>> out;
    for (const ToolDef& t : ecosystem_tools()) {
      const json schema = json::parse(t.parameters, nullptr, /*allow_exceptions=*/false);
      std::set<std::string>& names = out[t.name];
      if (schema.is_object() && schema.contains("properties") && schema["properties"].is_object()) {
        for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it)
          names.insert(it.key());
      }
    }
    return out;
  }();
  return kProperties.at(tool.name);
}

// The checks of every call: the tool exists with the expected side effect and a handler, the
// arguments are an object of its properties, a user acts.
Result<const Handler*> check_call(const UserContext& user, std::string_view name,
                                  const json& arguments, bool irreversible) {
  const ToolDef* tool = find_tool(name);
  const Handler* handler = find_handler(name);
  if (tool == nullptr || handler == nullptr)
    return InvalidArgumentError("unknown tool '{}'", eco::cut(name, 40));
  if (irreversible && tool->effect != SideEffect::kIrreversible)
    return InvalidArgumentError("{} is not irreversible: run it", name);
  if (!irreversible && tool->effect == SideEffect::kIrreversible)
    return InvalidArgumentError(
        "{} is irreversible: it is prepared as a pending action for the user to confirm", name);
  if (!arguments.is_object() && !arguments.is_null())
    return InvalidArgumentError("{}: the arguments must be an object, got {}", name,
                                arguments.type_name());
  if (arguments.is_object()) {
    const std::set<std::string>& known = properties_of(*tool);
    for (auto it = arguments.begin(); it != arguments.end(); ++it) {
      if (!known.contains(it.key()))
        return InvalidArgumentError("{}: unknown argument for {}", eco::cut(it.key(), 40), name);
    }
  }
  if (user.actor.user_id <= 0)
    return PermissionDeniedError("{}: the session has no signed-in user", name);
  return handler;
}

const json& empty_object() {
  static const json kEmpty = json::object();
  return kEmpty;
}

}  // namespace

EcosystemTools::EcosystemTools(EcosystemHandles handles) : h_(handles) {
  QWL_CHECK(h_.db != nullptr && h_.clock != nullptr && h_.search != nullptr && h_.maps != nullptr &&
                h_.orders != nullptr,
            "EcosystemTools: db, clock, search, maps and orders are required");
}

EcosystemTools::~EcosystemTools() = default;

std::vector<ToolDef> EcosystemTools::tools() const {
  const std::span<const ToolDef> all = ecosystem_tools();
  return std::vector<ToolDef>(all.begin(), all.end());
}

Result<ToolResult> EcosystemTools::run(const UserContext& user, std::string_view name,
                                       const nlohmann::json& arguments) {
  QWL_ASSIGN_OR_RETURN(const Handler* handler, check_call(user, name, arguments, false));
  Call call{.h = h_,
            .user = user,
            .args = eco::Args(arguments.is_object() ? arguments : empty_object()),
            .tool = handler->name,
            .now_us = h_.clock->wall_us()};
  return handler->run(call);
}

Result<ActionDraft> EcosystemTools::prepare(const UserContext& user, std::string_view name,
                                            const nlohmann::json& arguments) {
  QWL_ASSIGN_OR_RETURN(const Handler* handler, check_call(user, name, arguments, true));
  Call call{.h = h_,
            .user = user,
            .args = eco::Args(arguments.is_object() ? arguments : empty_object()),
            .tool = handler->name,
            .now_us = h_.clock->wall_us()};
  QWL_ASSIGN_OR_RETURN(ActionDraft draft, handler->prepare(call));
  draft.tool = std::string(handler->name);
  return draft;
}

Result<ToolResult> EcosystemTools::commit(const UserContext& user, const ActionDraft& draft,
                                          std::string_view idempotency_key) {
  QWL_ASSIGN_OR_RETURN(const Handler* handler, check_call(user, draft.tool, draft.arguments, true));
  if (idempotency_key.empty())
    return InvalidArgumentError("{}: an idempotency key is required to commit", draft.tool);
  if (!draft.content.is_object())
    return InvalidArgumentError("{}: the draft has no content; commit what prepare() made",
                                draft.tool);
  Call call{.h = h_,
            .user = user,
            .args = eco::Args(draft.arguments.is_object() ? draft.arguments : empty_object()),
            .tool = handler->name,
            .now_us = h_.clock->wall_us()};
  return handler->commit(call, draft, idempotency_key);
}

}  // namespace qwl::agent
