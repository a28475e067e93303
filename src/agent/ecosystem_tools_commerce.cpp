// The commerce tools (ecosystem_tools_internal.h): the cart (view, add, change, clear), the
// order preview, orders, the wallet and coupons, and the irreversible checkout, cancel_order,
// request_refund and top_up_wallet.
//
// Checkout binds what the user sees to what is charged twice over: the draft's content holds
// the priced lines, the coupons and the total from preview_checkout() (the action store
// compares a fresh prepare with it before committing), and commit() passes that total as
// expected_total and those coupons as the exact user_coupon_ids, so a price or coupon change in
// the moment between the comparison and the payment is refused by the orders service itself.
#include <algorithm>
#include <set>

#include "agent/ecosystem_tools_internal.h"
#include "services/cart.h"
#include "services/coupons.h"
#include "services/merchant_admin.h"
#include "services/orders.h"
#include "services/payments.h"

namespace qwl::agent::eco {
namespace {

constexpr int64_t kMaxId = std::numeric_limits<int64_t>::max();
constexpr int64_t kDefaultOrders = 5;
constexpr int64_t kMicrosPerSecond = 1'000'000;

json optional_json(const std::optional<int64_t>& v) {
  return v ? json(*v) : json();
}

std::string_view options_text(const Call& c, const std::string& en, const std::string& zh) {
  return c.zh() && !zh.empty() ? std::string_view(zh) : std::string_view(en);
}

// "2 x Oat Latte (Large, Oat milk)" / "2 x 燕麦拿铁（大杯，燕麦奶）".
std::string item_text(bool zh, int64_t quantity, const std::string& name_en,
                      const std::string& name_zh, const std::string& options_en,
                      const std::string& options_zh) {
  const std::string& name = zh && !name_zh.empty() ? name_zh : name_en;
  const std::string& options = zh && !options_zh.empty() ? options_zh : options_en;
  if (options.empty()) return fmt::format("{} x {}", quantity, name);
  return zh ? fmt::format("{} x {}（{}）", quantity, name, options)
            : fmt::format("{} x {} ({})", quantity, name, options);
}

// ---- cart JSON -------------------------------------------------------------------------------

json line_model(const Call& c, const services::CartLine& line) {
  const services::PricedLine& p = line.priced;
  json j{{"line_id", line.id}, {"item", c.name(p.name_en, p.name_zh)}, {"quantity", p.quantity}};
  const std::string_view options = options_text(c, p.options_en, p.options_zh);
  if (!options.empty()) j["options"] = options;
  put_money(j, "unit_price", p.unit_price);
  put_money(j, "line_total", p.line_total);
  if (!line.problem.empty()) j["problem"] = line.problem;
  return j;
}

json line_card(const services::CartLine& line) {
  const services::PricedLine& p = line.priced;
  json options = json::array();
  for (const services::ChosenOption& o : p.options) {
    options.push_back(json{{"id", o.id},
                           {"group_id", o.group_id},
                           {"group_key", o.group_key},
                           {"name_en", o.name_en},
                           {"name_zh", o.name_zh},
                           {"price_delta", o.price_delta}});
  }
  return json{{"id", line.id},
              {"merchant_id", p.merchant_id},
              {"menu_item_id", p.menu_item_id > 0 ? json(p.menu_item_id) : json()},
              {"variant_id", p.variant_id > 0 ? json(p.variant_id) : json()},
              {"name_en", p.name_en},
              {"name_zh", p.name_zh},
              {"options", std::move(options)},
              {"options_en", p.options_en},
              {"options_zh", p.options_zh},
              {"unit_price", p.unit_price},
              {"quantity", p.quantity},
              {"line_total", p.line_total},
              {"currency", "CNY"},
              {"stock", optional_json(p.stock)},
              {"problem", line.problem.empty() ? json() : json(line.problem)}};
}

json cart_model(const Call& c, const services::Cart& cart) {
  json merchants = json::array();
  int64_t items = 0;
  for (const services::MerchantCart& m : cart.merchants) {
    json lines = json::array();
    for (const services::CartLine& l : m.lines) lines.push_back(line_model(c, l));
    json mj{{"merchant_id", m.merchant_id},
            {"merchant", c.name(m.merchant_name_en, m.merchant_name_zh)},
            {"lines", std::move(lines)},
            {"item_count", m.item_count}};
    put_money(mj, "subtotal", m.subtotal);
    merchants.push_back(std::move(mj));
    items += m.item_count;
  }
  return json{{"merchants", std::move(merchants)}, {"item_count", items}};
}

Card cart_card(const services::Cart& cart) {
  json merchants = json::array();
  for (const services::MerchantCart& m : cart.merchants) {
    json lines = json::array();
    for (const services::CartLine& l : m.lines) lines.push_back(line_card(l));
    merchants.push_back(json{{"merchant_id", m.merchant_id},
                             {"merchant_name_en", m.merchant_name_en},
                             {"merchant_name_zh", m.merchant_name_zh},
                             {"lines", std::move(lines)},
                             {"subtotal", m.subtotal},
                             {"item_count", m.item_count},
                             {"currency", "CNY"}});
  }
  return Card{
      .type = "cart",
      .data = json{{"object", "cart"}, {"merchants", std::move(merchants)}, {"currency", "CNY"}}};
}

// The merchant's part of the cart after a change, for the model ("now 2 items, ¥46").
Result<json> merchant_cart_summary(const Call& c, int64_t merchant_id, services::Cart* cart) {
  QWL_ASSIGN_OR_RETURN(*cart, services::list_cart(*c.h.db, c.user.actor, merchant_id));
  json j{{"merchant_id", merchant_id}, {"item_count", 0}};
  put_money(j, "subtotal", 0);
  if (!cart->merchants.empty()) {
    const services::MerchantCart& m = cart->merchants[0];
    j["merchant"] = c.name(m.merchant_name_en, m.merchant_name_zh);
    j["item_count"] = m.item_count;
    j["lines"] = m.lines.size();
    put_money(j, "subtotal", m.subtotal);
  }
  return j;
}

// ---- orders JSON -----------------------------------------------------------------------------

json order_card(const services::Order& o) {
  json items = json::array();
  for (const services::OrderItem& it : o.items) {
    items.push_back(json{{"id", it.id},
                         {"menu_item_id", it.menu_item_id > 0 ? json(it.menu_item_id) : json()},
                         {"variant_id", it.variant_id > 0 ? json(it.variant_id) : json()},
                         {"name_en", it.name_en},
                         {"name_zh", it.name_zh},
                         {"options_en", it.options_en},
                         {"options_zh", it.options_zh},
                         {"quantity", it.quantity},
                         {"unit_price", it.unit_price},
                         {"line_total", it.line_total}});
  }
  json coupons = json::array();
  for (const services::OrderCoupon& cp : o.coupons) {
    coupons.push_back(json{{"code", cp.code},
                           {"title_en", cp.title_en},
                           {"title_zh", cp.title_zh},
                           {"amount", cp.amount},
                           {"funded_by", cp.funded_by}});
  }
  json timeline = json::array();
  for (const services::OrderEvent& e : o.events) {
    timeline.push_back(
        json{{"status", e.status}, {"note", e.note}, {"at", e.at_us / kMicrosPerSecond}});
  }
  return json{{"object", "order"},
              {"id", o.id},
              {"merchant_id", o.merchant_id},
              {"merchant_name_en", o.merchant_name_en},
              {"merchant_name_zh", o.merchant_name_zh},
              {"fulfilment", o.fulfilment},
              {"status", services::order_status_name(o.status)},
              {"subtotal", o.subtotal},
              {"discount", o.discount},
              {"delivery_fee", o.delivery_fee},
              {"total", o.total},
              {"refunded", o.refunded},
              {"currency", o.currency},
              {"address_id", o.address_id > 0 ? json(o.address_id) : json()},
              {"delivery_line", o.delivery_line},
              {"eta_at", o.eta_at_us > 0 ? json(o.eta_at_us / kMicrosPerSecond) : json()},
              {"note", o.note},
              {"placed_at", o.placed_at_us / kMicrosPerSecond},
              {"items", std::move(items)},
              {"coupons", std::move(coupons)},
              {"timeline", std::move(timeline)}};
}

json order_items_model(const Call& c, const services::Order& o) {
  json items = json::array();
  for (const services::OrderItem& it : o.items) {
    items.push_back(
        item_text(c.zh(), it.quantity, it.name_en, it.name_zh, it.options_en, it.options_zh));
  }
  return items;
}

json order_model(const Call& c, const services::Order& o, bool detail) {
  json j{{"order_id", o.id},
         {"merchant", c.name(o.merchant_name_en, o.merchant_name_zh)},
         {"status", services::order_status_name(o.status)},
         {"items", order_items_model(c, o)},
         {"placed_at", local_datetime(o.placed_at_us)}};
  put_money(j, "total", o.total);
  if (o.refunded > 0) put_money(j, "refunded", o.refunded);
  if (o.eta_at_us > 0 && o.next_step_at_us > 0) j["eta"] = local_hhmm(o.eta_at_us);
  if (detail) {
    j["fulfilment"] = o.fulfilment;
    put_money(j, "subtotal", o.subtotal);
    put_money(j, "discount", o.discount);
    put_money(j, "delivery_fee", o.delivery_fee);
    if (!o.delivery_line.empty()) j["deliver_to"] = cut(o.delivery_line);
    json coupons = json::array();
    for (const services::OrderCoupon& cp : o.coupons) coupons.push_back(cp.code);
    j["coupons"] = std::move(coupons);
    json timeline = json::array();
    for (const services::OrderEvent& e : o.events) {
      json ev{{"status", e.status}, {"at", local_datetime(e.at_us)}};
      if (!e.note.empty()) ev["note"] = cut(e.note);
      timeline.push_back(std::move(ev));
    }
    j["timeline"] = std::move(timeline);
  }
  return j;
}

// ---- coupons JSON ----------------------------------------------------------------------------

json coupon_model(const Call& c, const services::Coupon& cp) {
  json j{{"code", cp.code},
         {"title", c.name(cp.title_en, cp.title_zh)},
         {"terms", c.zh() ? cp.terms_zh() : cp.terms_en()},
         {"valid_until", local_datetime(cp.ends_at_us).substr(0, 10)}};
  if (cp.merchant_id != 0) j["merchant_id"] = cp.merchant_id;
  return j;
}

json coupon_card(const services::Coupon& cp, std::optional<int64_t> user_coupon_id) {
  return json{{"object", "coupon"},
              {"id", cp.id},
              {"code", cp.code},
              {"title_en", cp.title_en},
              {"title_zh", cp.title_zh},
              {"merchant_id", cp.merchant_id != 0 ? json(cp.merchant_id) : json()},
              {"funded_by", cp.funded_by},
              {"min_subtotal", cp.min_subtotal},
              {"amount_off", cp.amount_off},
              {"percent_off", cp.percent_off},
              {"max_discount", optional_json(cp.max_discount)},
              {"stackable", cp.stackable},
              {"starts_at", cp.starts_at_us / kMicrosPerSecond},
              {"ends_at", cp.ends_at_us / kMicrosPerSecond},
              {"terms_en", cp.terms_en()},
              {"terms_zh", cp.terms_zh()},
              {"currency", "CNY"},
              {"claimed", user_coupon_id.has_value()},
              {"user_coupon_id", optional_json(user_coupon_id)}};
}

json wallet_card(const services::Wallet& w) {
  return json{{"object", "wallet"},
              {"balance", w.balance},
              {"currency", "CNY"},
              {"daily_spend_limit", optional_json(w.daily_spend_limit)},
              {"spent_today", w.spent_today},
              {"left_today", optional_json(w.left_today)}};
}

// ---- option words ----------------------------------------------------------------------------

// ["large", "less ice"] or ["size: large"]: a value alone, or "group: value".
std::vector<services::OptionWords> option_words(const std::vector<std::string>& words) {
  std::vector<services::OptionWords> out;
  for (const std::string& w : words) {
    const size_t colon = w.find(':');
    if (colon != std::string::npos && colon > 0 && colon + 1 < w.size()) {
      std::string group = w.substr(0, colon), value = w.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      while (!group.empty() && group.back() == ' ') group.pop_back();
      out.push_back(services::OptionWords{.group = group, .value = value});
    } else {
      out.push_back(services::OptionWords{.value = w});
    }
  }
  return out;
}

Result<std::vector<int64_t>> resolve_words(const Call& c, int64_t menu_item_id,
                                           const std::vector<std::string>& words) {
  const std::vector<services::OptionWords> parsed = option_words(words);
  Result<std::vector<int64_t>> ids = services::resolve_options(*c.h.db, menu_item_id, parsed);
  if (!ids.ok()) {
    if (ids.status().code() == StatusCode::kNotFound)
      return ids.status().with_context("menu_item_id");
    return ids.status().with_context("options");
  }
  return ids;
}

// ---- checkout's request ----------------------------------------------------------------------

struct CheckoutArgs {
  services::CheckoutRequest request;
  std::optional<Place> address;
};

Result<CheckoutArgs> checkout_args(Call& c, bool with_note) {
  CheckoutArgs out;
  services::CheckoutRequest& r = out.request;
  QWL_ASSIGN_OR_RETURN(r.merchant_id, c.args.req_int("merchant_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(std::optional<bool> pickup, c.args.opt_bool("pickup"));
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> deliver_to, c.args.opt_string("deliver_to", 200));
  if (pickup.value_or(false)) {
    if (deliver_to && !deliver_to->empty())
      return InvalidArgumentError("deliver_to: a pickup order has no delivery address");
    r.fulfilment = "pickup";
  } else {
    QWL_ASSIGN_OR_RETURN(out.address, resolve_address(c, deliver_to, "deliver_to"));
    r.address_id = out.address->address_id;
  }
  if (with_note) {
    QWL_ASSIGN_OR_RETURN(std::optional<std::string> note, c.args.opt_string("note", 200));
    r.note = note.value_or("");
  }
  return out;
}

// A service's NotFound about the merchant named as the argument.
Status merchant_context(const Status& s) {
  if (s.code() == StatusCode::kNotFound && s.message().starts_with("merchant"))
    return s.with_context("merchant_id");
  return s;
}

json preview_card(const services::CheckoutPreview& p, const CheckoutArgs& a) {
  json lines = json::array();
  for (const services::CartLine& l : p.lines) lines.push_back(line_card(l));
  json applied = json::array();
  for (const services::AppliedCoupon& ac : p.coupons.applied) {
    applied.push_back(json{{"user_coupon_id", ac.user_coupon_id},
                           {"code", ac.coupon.code},
                           {"title_en", ac.coupon.title_en},
                           {"title_zh", ac.coupon.title_zh},
                           {"amount", ac.amount}});
  }
  json skipped = json::array();
  for (const services::SkippedCoupon& s : p.coupons.skipped) {
    skipped.push_back(json{{"code", s.coupon.code},
                           {"reason", services::coupon_skip_name(s.why)},
                           {"reason_en", s.reason_en},
                           {"reason_zh", s.reason_zh}});
  }
  return json{{"object", "checkout_preview"},
              {"merchant_id", p.merchant_id},
              {"merchant_name_en", p.merchant_name_en},
              {"merchant_name_zh", p.merchant_name_zh},
              {"fulfilment", a.request.fulfilment},
              {"address", a.address ? a.address->to_json() : json()},
              {"lines", std::move(lines)},
              {"subtotal", p.subtotal},
              {"coupons", std::move(applied)},
              {"skipped_coupons", std::move(skipped)},
              {"discount", p.coupons.discount},
              {"delivery_fee", p.delivery_fee},
              {"total", p.total},
              {"currency", "CNY"},
              {"distance_m", p.distance_m},
              {"eta_at", p.eta_at_us > 0 ? json(p.eta_at_us / kMicrosPerSecond) : json()},
              {"wallet_balance", p.wallet_balance},
              {"explanation_en", p.coupons.explanation_en},
              {"explanation_zh", p.coupons.explanation_zh}};
}

json preview_model(const Call& c, const services::CheckoutPreview& p, const CheckoutArgs& a) {
  json items = json::array();
  for (const services::CartLine& l : p.lines) items.push_back(line_model(c, l));
  json coupons = json::array();
  for (const services::AppliedCoupon& ac : p.coupons.applied) {
    json cj{{"code", ac.coupon.code}, {"title", c.name(ac.coupon.title_en, ac.coupon.title_zh)}};
    put_money(cj, "amount", ac.amount);
    coupons.push_back(std::move(cj));
  }
  json j{{"merchant",
          json{{"id", p.merchant_id}, {"name", c.name(p.merchant_name_en, p.merchant_name_zh)}}},
         {"fulfilment", a.request.fulfilment},
         {"items", std::move(items)},
         {"coupons", std::move(coupons)},
         {"coupon_note", c.zh() ? p.coupons.explanation_zh : p.coupons.explanation_en}};
  if (a.address) j["deliver_to"] = a.address->display(c.zh());
  put_money(j, "subtotal", p.subtotal);
  put_money(j, "discount", p.coupons.discount);
  put_money(j, "delivery_fee", p.delivery_fee);
  put_money(j, "total", p.total);
  put_money(j, "wallet_balance", p.wallet_balance);
  if (p.eta_at_us > 0) j["eta"] = local_hhmm(p.eta_at_us);
  return j;
}

}  // namespace

// ---- reads -----------------------------------------------------------------------------------

Result<ToolResult> view_cart(Call& c) {
  QWL_ASSIGN_OR_RETURN(std::optional<int64_t> merchant, c.args.opt_int("merchant_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(services::Cart cart,
                       services::list_cart(*c.h.db, c.user.actor, merchant.value_or(0)));
  ToolResult out;
  out.result = cart_model(c, cart);
  out.cards.push_back(cart_card(cart));
  return out;
}

Result<ToolResult> preview_order(Call& c) {
  QWL_ASSIGN_OR_RETURN(CheckoutArgs a, checkout_args(c, false));
  Result<services::CheckoutPreview> p = c.h.orders->preview_checkout(c.user.actor, a.request);
  if (!p.ok()) return merchant_context(p.status());
  ToolResult out;
  out.result = preview_model(c, *p, a);
  out.cards.push_back(Card{.type = "order", .data = preview_card(*p, a)});
  return out;
}

Result<ToolResult> list_orders(Call& c) {
  services::OrderQuery q;
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> status, c.args.opt_string("status", 20));
  if (status && !status->empty()) {
    q.status = services::parse_order_status(*status);
    if (!q.status)
      return InvalidArgumentError("status: '{}' is not an order status", cut(*status, 40));
  }
  QWL_ASSIGN_OR_RETURN(std::optional<int64_t> limit, c.args.opt_int("limit", 1, kMaxListItems));
  q.limit = limit.value_or(kDefaultOrders);
  QWL_ASSIGN_OR_RETURN(std::vector<services::Order> orders,
                       c.h.orders->list_orders(c.user.actor, q));
  ToolResult out;
  json list = json::array();
  for (const services::Order& o : orders) {
    list.push_back(order_model(c, o, false));
    out.cards.push_back(Card{.type = "order", .data = order_card(o)});
  }
  out.result = json{{"orders", std::move(list)}};
  return out;
}

Result<ToolResult> get_order(Call& c) {
  QWL_ASSIGN_OR_RETURN(int64_t id, c.args.req_int("order_id", 1, kMaxId));
  Result<services::Order> o = c.h.orders->get_order(c.user.actor, id);
  if (!o.ok()) return o.status().with_context("order_id");
  ToolResult out;
  out.result = order_model(c, *o, true);
  out.cards.push_back(Card{.type = "order", .data = order_card(*o)});
  return out;
}

Result<ToolResult> get_wallet(Call& c) {
  QWL_ASSIGN_OR_RETURN(services::Wallet w, services::get_wallet(*c.h.db, *c.h.clock, c.user.actor));
  ToolResult out;
  json j;
  put_money(j, "balance", w.balance);
  put_money(j, "spent_today", w.spent_today);
  if (w.daily_spend_limit) put_money(j, "daily_limit", *w.daily_spend_limit);
  if (w.left_today) put_money(j, "left_today", *w.left_today);
  out.result = std::move(j);
  out.cards.push_back(Card{.type = "wallet", .data = wallet_card(w)});
  return out;
}

Result<ToolResult> list_coupons(Call& c) {
  QWL_ASSIGN_OR_RETURN(std::optional<int64_t> merchant, c.args.opt_int("merchant_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(std::vector<services::UserCoupon> mine,
                       services::list_user_coupons(*c.h.db, c.user.actor, /*include_used=*/true));
  QWL_ASSIGN_OR_RETURN(std::vector<services::Coupon> claimable,
                       services::list_claimable_coupons(*c.h.db, *c.h.clock, merchant.value_or(0)));
  ToolResult out;
  json held = json::array();
  for (const services::UserCoupon& uc : mine) {
    if (uc.used_at_us != 0 || uc.coupon.ends_at_us <= c.now_us) continue;
    if (merchant && uc.coupon.merchant_id != 0 && uc.coupon.merchant_id != *merchant) continue;
    if (held.size() >= kMaxListItems) break;
    held.push_back(coupon_model(c, uc.coupon));
    out.cards.push_back(Card{.type = "coupon", .data = coupon_card(uc.coupon, uc.id)});
  }
  json offered = json::array();
  for (const services::Coupon& cp : claimable) {
    // One claim per user and coupon: those held already (used or not) are not offered.
    const bool has = std::any_of(mine.begin(), mine.end(), [&](const services::UserCoupon& uc) {
      return uc.coupon.id == cp.id;
    });
    if (has) continue;
    if (offered.size() >= kMaxListItems) break;
    offered.push_back(coupon_model(c, cp));
    out.cards.push_back(Card{.type = "coupon", .data = coupon_card(cp, std::nullopt)});
  }
  out.result = json{{"mine", std::move(held)}, {"claimable", std::move(offered)}};
  return out;
}

// ---- writes to the user's drafts -------------------------------------------------------------

Result<ToolResult> add_to_cart(Call& c) {
  QWL_ASSIGN_OR_RETURN(std::optional<int64_t> item, c.args.opt_int("menu_item_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(std::optional<int64_t> variant, c.args.opt_int("variant_id", 1, kMaxId));
  if (item.has_value() == variant.has_value())
    return InvalidArgumentError(
        "{}: give exactly one of menu_item_id (a menu item) and variant_id (a product variant)",
        item ? "variant_id" : "menu_item_id");
  QWL_ASSIGN_OR_RETURN(int64_t quantity, c.args.req_int("quantity", 1, services::kMaxLineQuantity));
  QWL_ASSIGN_OR_RETURN(std::vector<std::string> words, c.args.string_list("options", 8, 40));
  services::CartLineInput in{.quantity = quantity};
  if (variant) {
    if (!words.empty()) return InvalidArgumentError("options: a product variant takes no options");
    in.variant_id = *variant;
  } else {
    in.menu_item_id = *item;
    QWL_ASSIGN_OR_RETURN(in.option_ids, resolve_words(c, *item, words));
  }
  Result<services::CartLine> line = services::add_to_cart(*c.h.db, *c.h.clock, c.user.actor, in);
  if (!line.ok()) {
    if (line.status().code() == StatusCode::kNotFound)
      return line.status().with_context(variant ? "variant_id" : "menu_item_id");
    return line.status();
  }
  services::Cart cart;
  QWL_ASSIGN_OR_RETURN(json summary, merchant_cart_summary(c, line->priced.merchant_id, &cart));
  ToolResult out;
  out.result = json{{"added", line_model(c, *line)}, {"cart", std::move(summary)}};
  out.cards.push_back(cart_card(cart));
  return out;
}

Result<ToolResult> update_cart_line(Call& c) {
  QWL_ASSIGN_OR_RETURN(int64_t line_id, c.args.req_int("line_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(std::optional<int64_t> quantity,
                       c.args.opt_int("quantity", 0, services::kMaxLineQuantity));
  QWL_ASSIGN_OR_RETURN(std::vector<std::string> words, c.args.string_list("options", 8, 40));
  if (!quantity && words.empty())
    return InvalidArgumentError(
        "quantity: nothing to change; give quantity (0 removes the line) "
        "or options");
  // The line as the user's cart holds it: another user's line is not there (NotFound).
  QWL_ASSIGN_OR_RETURN(services::Cart before, services::list_cart(*c.h.db, c.user.actor));
  const services::CartLine* found = nullptr;
  for (const services::MerchantCart& m : before.merchants) {
    for (const services::CartLine& l : m.lines) {
      if (l.id == line_id) found = &l;
    }
  }
  if (found == nullptr) return NotFoundError("line_id: cart line {} not found", line_id);
  const int64_t merchant_id = found->priced.merchant_id;
  ToolResult out;
  if (quantity && *quantity == 0) {
    QWL_RETURN_IF_ERROR(services::remove_cart_line(*c.h.db, c.user.actor, line_id));
    services::Cart cart;
    QWL_ASSIGN_OR_RETURN(json summary, merchant_cart_summary(c, merchant_id, &cart));
    out.result = json{{"removed_line_id", line_id}, {"cart", std::move(summary)}};
    out.cards.push_back(cart_card(cart));
    return out;
  }
  int64_t id = line_id;
  services::CartLine line = *found;
  if (!words.empty()) {
    const int64_t item = found->priced.menu_item_id;
    if (item == 0) return InvalidArgumentError("options: a product variant takes no options");
    QWL_ASSIGN_OR_RETURN(std::vector<int64_t> chosen, resolve_words(c, item, words));
    // A refinement changes only the groups it names ("make it large" keeps "less ice"): the
    // line's options of the other groups stay.
    QWL_ASSIGN_OR_RETURN(services::MenuItem menu_item, services::get_menu_item(*c.h.db, item));
    std::set<int64_t> touched;
    for (const services::MenuOptionGroup& g : menu_item.groups) {
      for (const services::MenuOption& o : g.options) {
        if (std::find(chosen.begin(), chosen.end(), o.id) != chosen.end()) touched.insert(g.id);
      }
    }
    std::vector<int64_t> merged = chosen;
    for (const services::ChosenOption& o : found->priced.options) {
      if (!touched.contains(o.group_id)) merged.push_back(o.id);
    }
    Result<services::CartLine> updated =
        services::update_cart_line_options(*c.h.db, c.user.actor, line_id, merged);
    if (!updated.ok()) return updated.status().with_context("options");
    line = std::move(updated).value();
    id = line.id;  // it may have merged into an identical line
  }
  if (quantity) {
    QWL_ASSIGN_OR_RETURN(line, services::update_cart_line(*c.h.db, c.user.actor, id, *quantity));
  }
  services::Cart cart;
  QWL_ASSIGN_OR_RETURN(json summary, merchant_cart_summary(c, merchant_id, &cart));
  out.result = json{{"line", line_model(c, line)}, {"cart", std::move(summary)}};
  out.cards.push_back(cart_card(cart));
  return out;
}

Result<ToolResult> clear_cart(Call& c) {
  QWL_ASSIGN_OR_RETURN(std::optional<int64_t> merchant, c.args.opt_int("merchant_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(int64_t removed,
                       services::clear_cart(*c.h.db, c.user.actor, merchant.value_or(0)));
  QWL_ASSIGN_OR_RETURN(services::Cart cart, services::list_cart(*c.h.db, c.user.actor));
  ToolResult out;
  out.result = json{{"removed_lines", removed}, {"cart", cart_model(c, cart)}};
  out.cards.push_back(cart_card(cart));
  return out;
}

Result<ToolResult> claim_coupon(Call& c) {
  QWL_ASSIGN_OR_RETURN(std::string code, c.args.req_string("code", 40));
  Result<services::UserCoupon> uc = services::claim_coupon(*c.h.db, *c.h.clock, c.user.actor, code);
  if (!uc.ok()) return uc.status().with_context("code");
  ToolResult out;
  out.result = json{{"claimed", coupon_model(c, uc->coupon)}};
  out.cards.push_back(Card{.type = "coupon", .data = coupon_card(uc->coupon, uc->id)});
  return out;
}

// ---- checkout --------------------------------------------------------------------------------

Result<ActionDraft> prepare_checkout(Call& c) {
  QWL_ASSIGN_OR_RETURN(CheckoutArgs a, checkout_args(c, true));
  Result<services::CheckoutPreview> p = c.h.orders->preview_checkout(c.user.actor, a.request);
  if (!p.ok()) return merchant_context(p.status());
  json items = json::array();
  std::string items_text;
  for (const services::CartLine& l : p->lines) {
    const services::PricedLine& pl = l.priced;
    json item{{"name_en", pl.name_en},       {"name_zh", pl.name_zh},
              {"options", pl.options_key},   {"options_en", pl.options_en},
              {"options_zh", pl.options_zh}, {"quantity", pl.quantity},
              {"unit_price", pl.unit_price}, {"line_total", pl.line_total}};
    if (pl.menu_item_id > 0) item["menu_item_id"] = pl.menu_item_id;
    if (pl.variant_id > 0) item["variant_id"] = pl.variant_id;
    items.push_back(std::move(item));
    items_text +=
        (items_text.empty() ? "" : (c.zh() ? "，" : ", ")) +
        item_text(c.zh(), pl.quantity, pl.name_en, pl.name_zh, pl.options_en, pl.options_zh);
  }
  json coupons = json::array();
  for (const services::AppliedCoupon& ac : p->coupons.applied) {
    coupons.push_back(json{{"user_coupon_id", ac.user_coupon_id},
                           {"code", ac.coupon.code},
                           {"title_en", ac.coupon.title_en},
                           {"title_zh", ac.coupon.title_zh},
                           {"amount", ac.amount}});
  }
  ActionDraft d;
  d.arguments = json{{"merchant_id", p->merchant_id}};
  if (a.address) d.arguments["deliver_to"] = a.address->ref;
  if (a.request.fulfilment == "pickup") d.arguments["pickup"] = true;
  if (!a.request.note.empty()) d.arguments["note"] = a.request.note;
  d.content = json{{"merchant", json{{"id", p->merchant_id},
                                     {"name_en", p->merchant_name_en},
                                     {"name_zh", p->merchant_name_zh}}},
                   {"fulfilment", a.request.fulfilment},
                   {"address", a.address ? a.address->to_json() : json()},
                   {"items", std::move(items)},
                   {"subtotal", p->subtotal},
                   {"coupons", std::move(coupons)},
                   {"discount", p->coupons.discount},
                   {"delivery_fee", p->delivery_fee},
                   {"total", p->total},
                   {"currency", "CNY"},
                   {"note", a.request.note}};
  d.info = json{{"eta_at", p->eta_at_us > 0 ? json(p->eta_at_us / kMicrosPerSecond) : json()},
                {"eta", p->eta_at_us > 0 ? json(local_hhmm(p->eta_at_us)) : json()},
                {"distance_m", p->distance_m},
                {"wallet_balance", p->wallet_balance},
                {"explanation_en", p->coupons.explanation_en},
                {"explanation_zh", p->coupons.explanation_zh}};
  // "2 x Oat Latte (Large), Luna Café -> office; ¥46 - coupon ¥5 = ¥41; arrives ~09:10"
  const std::string merchant = c.name(p->merchant_name_en, p->merchant_name_zh);
  const std::string where =
      a.address ? a.address->display(c.zh()) : std::string(c.say("pickup", "到店自取"));
  std::string money = yuan(p->subtotal);
  if (p->coupons.discount > 0)
    money += fmt::format(" - {} {}", c.say("coupon", "优惠"), yuan(p->coupons.discount));
  if (p->delivery_fee > 0)
    money += fmt::format(" + {} {}", c.say("delivery", "配送费"), yuan(p->delivery_fee));
  money += " = " + yuan(p->total);
  d.summary = c.zh() ? fmt::format("{}，{} -> {}；{}", items_text, merchant, where, money)
                     : fmt::format("{}, {} -> {}; {}", items_text, merchant, where, money);
  if (p->eta_at_us > 0)
    d.summary += c.zh() ? fmt::format("；预计 {} 送达", local_hhmm(p->eta_at_us))
                        : fmt::format("; arrives ~{}", local_hhmm(p->eta_at_us));
  return d;
}

Result<ToolResult> commit_checkout(Call& c, const ActionDraft& d, std::string_view key) {
  QWL_ASSIGN_OR_RETURN(CheckoutArgs a, checkout_args(c, true));
  services::CheckoutRequest& r = a.request;
  QWL_ASSIGN_OR_RETURN(r.expected_total, draft_int(d.content, "total"));
  // Exactly the coupons the user saw; one that can no longer be used fails the checkout.
  std::vector<int64_t> coupons;
  if (d.content.contains("coupons") && d.content["coupons"].is_array()) {
    for (const json& cp : d.content["coupons"]) {
      QWL_ASSIGN_OR_RETURN(int64_t id, draft_int(cp, "user_coupon_id"));
      coupons.push_back(id);
    }
  }
  r.user_coupon_ids = std::move(coupons);
  r.idempotency_key = std::string(key);
  Result<services::CheckoutResult> placed = c.h.orders->checkout(c.user.actor, r);
  if (!placed.ok()) return merchant_context(placed.status());
  ToolResult out;
  out.result = order_model(c, placed->order, false);
  out.result["coupon_note"] =
      c.zh() ? placed->coupons_explanation_zh : placed->coupons_explanation_en;
  if (placed->replayed) out.result["replayed"] = true;
  out.cards.push_back(Card{.type = "order", .data = order_card(placed->order)});
  return out;
}

// ---- cancel_order ----------------------------------------------------------------------------

Result<ActionDraft> prepare_cancel_order(Call& c) {
  QWL_ASSIGN_OR_RETURN(int64_t id, c.args.req_int("order_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> reason, c.args.opt_string("reason", 200));
  Result<services::Order> o = c.h.orders->get_order(c.user.actor, id);
  if (!o.ok()) return o.status().with_context("order_id");
  using services::OrderStatus;
  const bool customer = o->user_id == c.user.actor.user_id;
  if (o->status == OrderStatus::kCancelled || o->status == OrderStatus::kRefunded)
    return FailedPreconditionError("order_id: order {} is already {}", id,
                                   services::order_status_name(o->status));
  if (customer && o->status != OrderStatus::kPlaced)
    return FailedPreconditionError(
        "order_id: order {} is {}: it can be cancelled only before the merchant accepts it; "
        "after delivery, request a refund instead",
        id, services::order_status_name(o->status));
  if (o->status != OrderStatus::kPlaced && o->status != OrderStatus::kAccepted &&
      o->status != OrderStatus::kPreparing)
    return FailedPreconditionError("order_id: order {} is {}: it can no longer be cancelled", id,
                                   services::order_status_name(o->status));
  json items = json::array();
  for (const services::OrderItem& it : o->items) {
    items.push_back(json{{"name_en", it.name_en},
                         {"name_zh", it.name_zh},
                         {"options_en", it.options_en},
                         {"options_zh", it.options_zh},
                         {"quantity", it.quantity}});
  }
  const int64_t refund = o->total - o->refunded;
  ActionDraft d;
  d.arguments = json{{"order_id", id}};
  if (reason && !reason->empty()) d.arguments["reason"] = *reason;
  d.content = json{{"order_id", id},
                   {"merchant", json{{"id", o->merchant_id},
                                     {"name_en", o->merchant_name_en},
                                     {"name_zh", o->merchant_name_zh}}},
                   {"items", std::move(items)},
                   {"total", o->total},
                   {"refund", refund},
                   {"currency", o->currency},
                   {"reason", reason.value_or("")}};
  d.info = json{{"status", services::order_status_name(o->status)}};
  const std::string merchant = c.name(o->merchant_name_en, o->merchant_name_zh);
  d.summary = c.zh() ? fmt::format("取消订单 {}（{}），{} 退回钱包", id, merchant, yuan(refund))
                     : fmt::format("Cancel order {} at {}; {} back to the wallet", id, merchant,
                                   yuan(refund));
  return d;
}

Result<ToolResult> commit_cancel_order(Call& c, const ActionDraft& d, std::string_view key) {
  QWL_ASSIGN_OR_RETURN(int64_t id, c.args.req_int("order_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(std::optional<std::string> reason, c.args.opt_string("reason", 200));
  return run_once(c, d, key, [&]() -> Result<ToolResult> {
    Result<services::Order> o = c.h.orders->cancel(c.user.actor, id, reason.value_or(""));
    if (!o.ok()) return o.status().with_context("order_id");
    ToolResult out;
    out.result = order_model(c, *o, false);
    out.cards.push_back(Card{.type = "order", .data = order_card(*o)});
    return out;
  });
}

// ---- request_refund --------------------------------------------------------------------------

Result<ActionDraft> prepare_request_refund(Call& c) {
  QWL_ASSIGN_OR_RETURN(int64_t id, c.args.req_int("order_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(int64_t amount, c.args.req_int("amount", 1, 100'000'000));
  QWL_ASSIGN_OR_RETURN(std::string reason, c.args.req_string("reason", 200));
  Result<services::Order> o = c.h.orders->get_order(c.user.actor, id);
  if (!o.ok()) return o.status().with_context("order_id");
  using services::OrderStatus;
  if (o->user_id != c.user.actor.user_id)
    return PermissionDeniedError("order_id: only the customer asks for a refund of order {}", id);
  if (o->status != OrderStatus::kDelivered && o->status != OrderStatus::kRefunded)
    return FailedPreconditionError(
        "order_id: order {} is {}: refunds are asked for after delivery{}", id,
        services::order_status_name(o->status),
        o->status == OrderStatus::kPlaced ? "; cancel it instead" : "");
  const int64_t left = o->total - o->refunded;
  if (amount > left)
    return FailedPreconditionError("amount: {} asked, but at most {} of order {} can be refunded",
                                   yuan(amount), yuan(left), id);
  int64_t delivered_us = 0;
  for (const services::OrderEvent& e : o->events) {
    if (e.status == "delivered" && delivered_us == 0) delivered_us = e.at_us;
  }
  const int64_t window_us = c.h.orders->timings().after_sales_window_us;
  if (delivered_us != 0 && c.now_us - delivered_us > window_us)
    return FailedPreconditionError("order_id: refunds of order {} closed {} days after delivery",
                                   id, window_us / (24LL * 3600 * kMicrosPerSecond));
  QWL_ASSIGN_OR_RETURN(std::vector<services::AfterSale> requests,
                       c.h.orders->list_after_sales(c.user.actor, id));
  for (const services::AfterSale& a : requests) {
    if (a.status == services::AfterSaleStatus::kOpen)
      return FailedPreconditionError(
          "order_id: order {} already has an open after-sales request ({})", id, a.id);
  }
  ActionDraft d;
  d.arguments = json{{"order_id", id}, {"amount", amount}, {"reason", reason}};
  d.content = json{{"order_id", id},
                   {"merchant", json{{"id", o->merchant_id},
                                     {"name_en", o->merchant_name_en},
                                     {"name_zh", o->merchant_name_zh}}},
                   {"amount", amount},
                   {"paid", o->total},
                   {"refunded", o->refunded},
                   {"currency", o->currency},
                   {"reason", reason}};
  const std::string merchant = c.name(o->merchant_name_en, o->merchant_name_zh);
  d.summary = c.zh() ? fmt::format("向{}申请退款 {}（订单 {}）：{}", merchant, yuan(amount), id,
                                   cut(reason, 60))
                     : fmt::format("Ask {} to refund {} of order {}: {}", merchant, yuan(amount),
                                   id, cut(reason, 60));
  return d;
}

Result<ToolResult> commit_request_refund(Call& c, const ActionDraft& d, std::string_view key) {
  QWL_ASSIGN_OR_RETURN(int64_t id, c.args.req_int("order_id", 1, kMaxId));
  QWL_ASSIGN_OR_RETURN(int64_t amount, c.args.req_int("amount", 1, 100'000'000));
  QWL_ASSIGN_OR_RETURN(std::string reason, c.args.req_string("reason", 200));
  return run_once(c, d, key, [&]() -> Result<ToolResult> {
    Result<services::AfterSale> a = c.h.orders->open_after_sale(
        c.user.actor, id, services::AfterSaleKind::kRefund, reason, amount);
    if (!a.ok()) return a.status().with_context("order_id");
    ToolResult out;
    out.result = json{{"after_sale_id", a->id},
                      {"order_id", id},
                      {"status", services::after_sale_status_name(a->status)}};
    put_money(out.result, "amount", a->amount);
    QWL_ASSIGN_OR_RETURN(services::Order o, c.h.orders->get_order(c.user.actor, id));
    json card = order_card(o);
    card["after_sale"] = json{{"id", a->id},
                              {"kind", services::after_sale_kind_name(a->kind)},
                              {"amount", a->amount},
                              {"reason", a->reason},
                              {"status", services::after_sale_status_name(a->status)}};
    out.cards.push_back(Card{.type = "order", .data = std::move(card)});
    return out;
  });
}

// ---- top_up_wallet ---------------------------------------------------------------------------

Result<ActionDraft> prepare_top_up_wallet(Call& c) {
  QWL_ASSIGN_OR_RETURN(int64_t amount,
                       c.args.req_int("amount", services::kMinTopUp, services::kMaxTopUp));
  QWL_ASSIGN_OR_RETURN(services::Wallet w, services::get_wallet(*c.h.db, *c.h.clock, c.user.actor));
  ActionDraft d;
  d.arguments = json{{"amount", amount}};
  d.content = json{{"amount", amount}, {"currency", "CNY"}};
  d.info = json{{"balance", w.balance}, {"balance_after", w.balance + amount}};
  d.summary = c.zh() ? fmt::format("钱包充值 {}（余额 {} -> {}）", yuan(amount), yuan(w.balance),
                                   yuan(w.balance + amount))
                     : fmt::format("Top up the wallet with {} (balance {} -> {})", yuan(amount),
                                   yuan(w.balance), yuan(w.balance + amount));
  return d;
}

Result<ToolResult> commit_top_up_wallet(Call& c, const ActionDraft& d, std::string_view key) {
  QWL_ASSIGN_OR_RETURN(int64_t amount, draft_int(d.content, "amount"));
  QWL_ASSIGN_OR_RETURN(services::TopUpResult r,
                       services::top_up(*c.h.db, *c.h.clock, c.user.actor, amount, key));
  ToolResult out;
  json j{{"topped_up", true}};
  put_money(j, "amount", r.amount);
  put_money(j, "balance", r.balance);
  if (r.replayed) j["replayed"] = true;
  out.result = std::move(j);
  QWL_ASSIGN_OR_RETURN(services::Wallet w, services::get_wallet(*c.h.db, *c.h.clock, c.user.actor));
  out.cards.push_back(Card{.type = "wallet", .data = wallet_card(w)});
  return out;
}

}  // namespace qwl::agent::eco
