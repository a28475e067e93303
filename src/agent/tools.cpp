// The ecosystem's tool catalog (see tools.h). The schemas are kept small and strict: a small
// model reads every one of them in its prompt, and the tool-call grammar built from them is what
// keeps its calls well-formed.
#include "agent/tools.h"

#include <nlohmann/json.hpp>

namespace qwl::agent {
namespace {

constexpr ToolDef kTools[] = {
    // ---- reads ----------------------------------------------------------------------------
    {.name = "search_products",
     .description = "Search the product catalog (groceries, household goods, electronics, ...) "
                    "in English or Chinese. Use for things to buy that are not restaurant or "
                    "café menu items.",
     .parameters = R"({"type":"object","properties":{
"query":{"type":"string","minLength":1,"maxLength":200,"description":"what to look for, e.g. \"jasmine rice\" or \"洗衣液\""},
"category":{"type":"string","maxLength":100},
"brand":{"type":"string","maxLength":100},
"min_price":{"type":"integer","minimum":0,"maximum":100000000,"description":"fen"},
"max_price":{"type":"integer","minimum":0,"maximum":100000000,"description":"fen"},
"sort":{"enum":["relevance","price_asc","price_desc","rating","sales"]},
"limit":{"type":"integer","minimum":1,"maximum":20}},
"required":["query"],"additionalProperties":false})",
     .result = "products with id, names, price range in fen, rating, merchant and variants",
     .effect = SideEffect::kRead},
    {.name = "search_merchants",
     .description = "Find cafés, tea shops, restaurants, supermarkets and pharmacies by what "
                    "they sell or their name (\"oat latte\", \"珍珠奶茶\", \"川菜\"), optionally "
                    "near a place and open now. Results include the matching menu items.",
     .parameters = R"({"type":"object","properties":{
"query":{"type":"string","minLength":1,"maxLength":200},
"kind":{"enum":["cafe","tea","restaurant","supermarket","pharmacy","shop"]},
"near":{"type":"string","maxLength":200,"description":"a saved place (\"office\", \"家\") or a place name"},
"open_now":{"type":"boolean"},
"sort":{"enum":["relevance","distance","rating","sales"]},
"limit":{"type":"integer","minimum":1,"maximum":10}},
"required":["query"],"additionalProperties":false})",
     .result = "merchants with id, names, distance, rating, open_now and matching items "
               "with prices",
     .effect = SideEffect::kRead},
    {.name = "get_menu",
     .description = "The menu of one merchant: items with prices and their options (size, "
                    "sugar, ice, milk, spice, toppings) with price differences and defaults.",
     .parameters = R"({"type":"object","properties":{
"merchant_id":{"type":"integer","minimum":1}},
"required":["merchant_id"],"additionalProperties":false})",
     .result = "the merchant's items, option groups and options",
     .effect = SideEffect::kRead},
    {.name = "nearby_places",
     .description = "Places of a kind near a place or the user: cafés, restaurants, "
                    "pharmacies, hotels, cinemas, sights, stations.",
     .parameters = R"({"type":"object","properties":{
"near":{"type":"string","maxLength":200,"description":"a saved place or a place name; the user's current place when absent"},
"kind":{"enum":["cafe","tea","restaurant","supermarket","pharmacy","hotel","cinema","sight","station","airport","shop"]},
"cuisine":{"type":"string","maxLength":40},
"radius_m":{"type":"integer","minimum":50,"maximum":20000},
"open_now":{"type":"boolean"},
"limit":{"type":"integer","minimum":1,"maximum":10}},
"additionalProperties":false})",
     .result = "places with id, names, kind, distance, rating and open_now",
     .effect = SideEffect::kRead},
    {.name = "get_route",
     .description = "How to get from one place to another on foot, by bike or by car: "
                    "distance, time and the steps.",
     .parameters = R"({"type":"object","properties":{
"from":{"type":"string","maxLength":200,"description":"a saved place, a place name; the user's current place when absent"},
"to":{"type":"string","minLength":1,"maxLength":200},
"mode":{"enum":["walking","cycling","driving"]}},
"required":["to","mode"],"additionalProperties":false})",
     .result = "distance_m, duration_s, arrival time and the steps with road names",
     .effect = SideEffect::kRead},
    {.name = "view_cart",
     .description = "What is in the user's cart, with prices.",
     .parameters = R"({"type":"object","properties":{
"merchant_id":{"type":"integer","minimum":1}},
"additionalProperties":false})",
     .result = "cart lines with items, options, quantities and totals per merchant",
     .effect = SideEffect::kRead},
    {.name = "preview_order",
     .description = "The exact order that checkout would place now for one merchant's cart "
                    "lines: items, coupons applied automatically, delivery fee, total and "
                    "arrival time. Always preview before checkout.",
     .parameters = R"({"type":"object","properties":{
"merchant_id":{"type":"integer","minimum":1},
"deliver_to":{"type":"string","maxLength":200,"description":"a saved place of the user, e.g. \"office\" or \"家\""},
"pickup":{"type":"boolean"}},
"required":["merchant_id"],"additionalProperties":false})",
     .result = "the order card: lines, coupons with the reason, total in fen, ETA",
     .effect = SideEffect::kRead},
    {.name = "list_orders",
     .description = "The user's recent orders and their status.",
     .parameters = R"({"type":"object","properties":{
"status":{"enum":["placed","accepted","preparing","on_the_way","delivered","cancelled","refunded"]},
"limit":{"type":"integer","minimum":1,"maximum":20}},
"additionalProperties":false})",
     .result = "orders with id, merchant, items, total, status and ETA",
     .effect = SideEffect::kRead},
    {.name = "get_order",
     .description = "One of the user's orders with its timeline.",
     .parameters = R"({"type":"object","properties":{
"order_id":{"type":"integer","minimum":1}},
"required":["order_id"],"additionalProperties":false})",
     .result = "the order, its items, coupons and status timeline",
     .effect = SideEffect::kRead},
    {.name = "get_wallet",
     .description = "The user's wallet balance and what is left of today's spending limit.",
     .parameters = R"({"type":"object","properties":{},"additionalProperties":false})",
     .result = "balance in fen, daily limit, spent today",
     .effect = SideEffect::kRead},
    {.name = "list_coupons",
     .description = "The user's coupons and the ones they can claim.",
     .parameters = R"({"type":"object","properties":{
"merchant_id":{"type":"integer","minimum":1}},
"additionalProperties":false})",
     .result = "coupons with code, terms, threshold and validity",
     .effect = SideEffect::kRead},
    {.name = "table_availability",
     .description = "Free tables at a restaurant for a party at a local date and time, with the "
                    "nearest free times when it is full.",
     .parameters = R"({"type":"object","properties":{
"place_id":{"type":"integer","minimum":1},
"date":{"type":"string","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
"time":{"type":"string","pattern":"^[0-9]{2}:[0-9]{2}$"},
"party_size":{"type":"integer","minimum":1,"maximum":30}},
"required":["place_id","date","time","party_size"],"additionalProperties":false})",
     .result = "whether the time is free, the free slots around it and the table sizes",
     .effect = SideEffect::kRead},
    {.name = "hotel_availability",
     .description = "Room types free at a hotel for local check-in and check-out dates, with "
                    "the total price.",
     .parameters = R"({"type":"object","properties":{
"place_id":{"type":"integer","minimum":1},
"check_in":{"type":"string","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
"check_out":{"type":"string","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
"guests":{"type":"integer","minimum":1,"maximum":10}},
"required":["place_id","check_in","check_out","guests"],"additionalProperties":false})",
     .result = "room types with id, beds, free rooms and total in fen",
     .effect = SideEffect::kRead},
    {.name = "ride_quote",
     .description = "Prices and times of a ride between two places for each vehicle class.",
     .parameters = R"({"type":"object","properties":{
"from":{"type":"string","maxLength":200},
"to":{"type":"string","minLength":1,"maxLength":200}},
"required":["to"],"additionalProperties":false})",
     .result = "economy, comfort and xl prices in fen with distance and duration",
     .effect = SideEffect::kRead},
    {.name = "list_bookings",
     .description = "The user's table bookings, hotel stays and rides.",
     .parameters = R"({"type":"object","properties":{
"kind":{"enum":["table","hotel","ride"]}},
"additionalProperties":false})",
     .result = "bookings with id, place, time, status",
     .effect = SideEffect::kRead},
    // ---- writes to the user's own drafts -------------------------------------------------
    {.name = "add_to_cart",
     .description = "Put a menu item (with its options in words, e.g. [\"large\", \"less "
                    "ice\"] or [\"大杯\", \"少冰\"]) or a product variant into the cart.",
     .parameters = R"({"type":"object","properties":{
"menu_item_id":{"type":"integer","minimum":1},
"variant_id":{"type":"integer","minimum":1},
"quantity":{"type":"integer","minimum":1,"maximum":99},
"options":{"type":"array","items":{"type":"string","minLength":1,"maxLength":40},"maxItems":8}},
"required":["quantity"],"additionalProperties":false})",
     .result = "the cart line with the chosen options and its price",
     .effect = SideEffect::kWrite},
    {.name = "update_cart_line",
     .description = "Change a cart line's quantity or options (\"make it large\", \"改成少冰\"), "
                    "or remove it with quantity 0.",
     .parameters = R"({"type":"object","properties":{
"line_id":{"type":"integer","minimum":1},
"quantity":{"type":"integer","minimum":0,"maximum":99},
"options":{"type":"array","items":{"type":"string","minLength":1,"maxLength":40},"maxItems":8}},
"required":["line_id"],"additionalProperties":false})",
     .result = "the changed line, or that it was removed",
     .effect = SideEffect::kWrite},
    {.name = "clear_cart",
     .description = "Empty the cart, or one merchant's part of it.",
     .parameters = R"({"type":"object","properties":{
"merchant_id":{"type":"integer","minimum":1}},
"additionalProperties":false})",
     .result = "how many lines were removed",
     .effect = SideEffect::kWrite},
    {.name = "claim_coupon",
     .description = "Claim a coupon by its code so that checkout can use it.",
     .parameters = R"({"type":"object","properties":{
"code":{"type":"string","minLength":1,"maxLength":40}},
"required":["code"],"additionalProperties":false})",
     .result = "the claimed coupon",
     .effect = SideEffect::kWrite},
    // ---- irreversible: pending actions the user confirms -----------------------------------
    {.name = "checkout",
     .description = "Place and pay the order of one merchant's cart lines (as preview_order "
                    "showed). Needs the user's confirmation.",
     .parameters = R"({"type":"object","properties":{
"merchant_id":{"type":"integer","minimum":1},
"deliver_to":{"type":"string","maxLength":200},
"pickup":{"type":"boolean"},
"note":{"type":"string","maxLength":200}},
"required":["merchant_id"],"additionalProperties":false})",
     .result = "the placed order with its total and ETA, after the user confirmed",
     .effect = SideEffect::kIrreversible},
    {.name = "cancel_order",
     .description = "Cancel one of the user's orders (possible while the merchant has not "
                    "accepted it); the money goes back to the wallet. Needs confirmation.",
     .parameters = R"({"type":"object","properties":{
"order_id":{"type":"integer","minimum":1},
"reason":{"type":"string","maxLength":200}},
"required":["order_id"],"additionalProperties":false})",
     .result = "the cancelled order and the refund",
     .effect = SideEffect::kIrreversible},
    {.name = "request_refund",
     .description = "Ask the merchant for a refund of a delivered order (an after-sales "
                    "request). Needs confirmation.",
     .parameters = R"({"type":"object","properties":{
"order_id":{"type":"integer","minimum":1},
"amount":{"type":"integer","minimum":1,"maximum":100000000,"description":"fen"},
"reason":{"type":"string","minLength":1,"maxLength":200}},
"required":["order_id","amount","reason"],"additionalProperties":false})",
     .result = "the open after-sales request",
     .effect = SideEffect::kIrreversible},
    {.name = "top_up_wallet",
     .description = "Add money to the user's wallet. Needs confirmation.",
     .parameters = R"({"type":"object","properties":{
"amount":{"type":"integer","minimum":100,"maximum":5000000,"description":"fen"}},
"required":["amount"],"additionalProperties":false})",
     .result = "the new balance",
     .effect = SideEffect::kIrreversible},
    {.name = "book_table",
     .description = "Book a table at a restaurant for a party at a local date and time. Needs "
                    "confirmation.",
     .parameters = R"({"type":"object","properties":{
"place_id":{"type":"integer","minimum":1},
"date":{"type":"string","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
"time":{"type":"string","pattern":"^[0-9]{2}:[0-9]{2}$"},
"party_size":{"type":"integer","minimum":1,"maximum":30},
"note":{"type":"string","maxLength":200}},
"required":["place_id","date","time","party_size"],"additionalProperties":false})",
     .result = "the booking with its table and time",
     .effect = SideEffect::kIrreversible},
    {.name = "book_hotel",
     .description = "Book and prepay a hotel room type for local dates. Needs confirmation.",
     .parameters = R"({"type":"object","properties":{
"room_type_id":{"type":"integer","minimum":1},
"check_in":{"type":"string","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
"check_out":{"type":"string","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
"guests":{"type":"integer","minimum":1,"maximum":10}},
"required":["room_type_id","check_in","check_out","guests"],"additionalProperties":false})",
     .result = "the stay with its room and total",
     .effect = SideEffect::kIrreversible},
    {.name = "request_ride",
     .description = "Order a ride between two places in a vehicle class (paid at request). "
                    "Needs confirmation.",
     .parameters = R"({"type":"object","properties":{
"from":{"type":"string","maxLength":200},
"to":{"type":"string","minLength":1,"maxLength":200},
"vehicle":{"enum":["economy","comfort","xl"]}},
"required":["to","vehicle"],"additionalProperties":false})",
     .result = "the ride with its price and status",
     .effect = SideEffect::kIrreversible},
    {.name = "cancel_booking",
     .description = "Cancel one of the user's table bookings, hotel stays or rides (refund "
                    "rules apply). Needs confirmation.",
     .parameters = R"({"type":"object","properties":{
"kind":{"enum":["table","hotel","ride"]},
"booking_id":{"type":"integer","minimum":1}},
"required":["kind","booking_id"],"additionalProperties":false})",
     .result = "the cancelled booking and any refund",
     .effect = SideEffect::kIrreversible},
};

}  // namespace

std::string_view side_effect_name(SideEffect effect) {
  switch (effect) {
    case SideEffect::kRead:
      return "read";
    case SideEffect::kWrite:
      return "write";
    case SideEffect::kIrreversible:
      return "irreversible";
  }
  return "read";
}

std::span<const ToolDef> ecosystem_tools() {
  return kTools;
}

const ToolDef* find_tool(std::string_view name) {
  for (const ToolDef& tool : kTools) {
    if (tool.name == name) return &tool;
  }
  return nullptr;
}

std::string tools_json(bool annotate) {
  nlohmann::ordered_json tools = nlohmann::ordered_json::array();
  for (const ToolDef& tool : kTools) {
    nlohmann::ordered_json function = {
        {"name", tool.name},
        {"description", tool.description},
        // The schemas are static text checked by the tests; parse cannot fail on them.
        {"parameters", nlohmann::ordered_json::parse(tool.parameters)},
    };
    if (annotate) {
      function["x-side-effect"] = side_effect_name(tool.effect);
      function["x-result"] = tool.result;
    }
    tools.push_back({{"type", "function"}, {"function", std::move(function)}});
  }
  return tools.dump();
}

}  // namespace qwl::agent
