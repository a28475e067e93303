// Orders (see orders.h): checkout, the lifecycle, cancellation, refunds and after-sales, each
// one database transaction that writes the change, its money (ledger), its timeline row and
// its outbox rows together.
#include "services/orders.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>

#include "base/log.h"
#include "services/city_time.h"
#include "services/idempotency.h"
#include "services/ledger.h"
#include "services/payments.h"

namespace qwl::services {

std::string_view order_status_name(OrderStatus status) {
  switch (status) {
    case OrderStatus::kPlaced:
      return "placed";
    case OrderStatus::kAccepted:
      return "accepted";
    case OrderStatus::kPreparing:
      return "preparing";
    case OrderStatus::kOnTheWay:
      return "on_the_way";
    case OrderStatus::kDelivered:
      return "delivered";
    case OrderStatus::kCancelled:
      return "cancelled";
    case OrderStatus::kRefunded:
      return "refunded";
  }
  return "placed";
}

std::optional<OrderStatus> parse_order_status(std::string_view name) {
  for (OrderStatus s : {OrderStatus::kPlaced, OrderStatus::kAccepted, OrderStatus::kPreparing,
                        OrderStatus::kOnTheWay, OrderStatus::kDelivered, OrderStatus::kCancelled,
                        OrderStatus::kRefunded}) {
    if (order_status_name(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view after_sale_kind_name(AfterSaleKind kind) {
  return kind == AfterSaleKind::kRefund ? "refund" : "complaint";
}

std::string_view after_sale_status_name(AfterSaleStatus status) {
  switch (status) {
    case AfterSaleStatus::kOpen:
      return "open";
    case AfterSaleStatus::kApproved:
      return "approved";
    case AfterSaleStatus::kRejected:
      return "rejected";
  }
  return "open";
}

double straight_line_m(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kEarthRadiusM = 6'371'008.8;
  constexpr double kRad = 3.14159265358979323846 / 180.0;
  const double dlat = (lat2 - lat1) * kRad;
  const double dlon = (lon2 - lon1) * kRad;
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(a)));
}

Result<DeliveryEstimate> StraightLineEstimator::estimate(const DeliveryQuery& q) const {
  constexpr double kDetour = 1.3;           // streets are longer than the straight line
  constexpr double kRiderMps = 15.0 / 3.6;  // 15 km/h
  constexpr int64_t kHandoverS = 120;
  const double d = straight_line_m(q.from_lat, q.from_lon, q.to_lat, q.to_lon) * kDetour;
  return DeliveryEstimate{.distance_m = std::llround(d),
                          .travel_s = kHandoverS + std::llround(d / kRiderMps)};
}

namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr size_t kMaxNoteBytes = 500;
constexpr size_t kMaxReasonBytes = 1000;

// The order with what its steps need: the merchant's owner, preparation time and place, and
// the delivery address's road node.
struct OrderRow {
  Order order;
  int64_t owner_user_id = 0;
  int64_t prep_minutes = 0;
  std::optional<double> poi_lat, poi_lon;
  int64_t poi_node = 0;
  int64_t address_node = 0;
};

constexpr std::string_view kOrderSelect =
    "SELECT o.id, o.user_id, o.merchant_id, m.name_en, m.name_zh, o.fulfilment, o.status, "
    "o.subtotal, o.discount, o.delivery_fee, o.total, o.refunded, o.currency, o.address_id, "
    "o.delivery_line, o.delivery_lat, o.delivery_lon, o.eta_at_us, o.note, o.placed_at_us, "
    "o.updated_at_us, o.next_step_at_us, m.owner_user_id, m.prep_minutes, p.lat, p.lon, "
    "p.node_id, a.node_id FROM orders o JOIN merchants m ON m.id = o.merchant_id "
    "LEFT JOIN pois p ON p.id = m.poi_id LEFT JOIN addresses a ON a.id = o.address_id ";

int64_t int_or_zero(const Row& r, size_t i) {
  return r.is_null(i) ? 0 : r.int64(i);
}
std::optional<double> real_or_none(const Row& r, size_t i) {
  if (r.is_null(i)) return std::nullopt;
  return r.real(i);
}

OrderRow order_from(const Row& r) {
  OrderRow row;
  Order& o = row.order;
  o.id = r.int64(0);
  o.user_id = r.int64(1);
  o.merchant_id = r.int64(2);
  o.merchant_name_en = r.text(3);
  o.merchant_name_zh = r.text(4);
  o.fulfilment = r.text(5);
  std::optional<OrderStatus> status = parse_order_status(r.text(6));
  QWL_CHECK(status.has_value(), "orders: unknown status '{}' in order {}", r.text(6), o.id);
  o.status = *status;
  o.subtotal = r.int64(7);
  o.discount = r.int64(8);
  o.delivery_fee = r.int64(9);
  o.total = r.int64(10);
  o.refunded = r.int64(11);
  o.currency = r.text(12);
  o.address_id = int_or_zero(r, 13);
  o.delivery_line = r.text(14);
  o.delivery_lat = real_or_none(r, 15);
  o.delivery_lon = real_or_none(r, 16);
  o.eta_at_us = int_or_zero(r, 17);
  o.note = r.text(18);
  o.placed_at_us = r.int64(19);
  o.updated_at_us = r.int64(20);
  o.next_step_at_us = int_or_zero(r, 21);
  row.owner_user_id = int_or_zero(r, 22);
  row.prep_minutes = r.int64(23);
  row.poi_lat = real_or_none(r, 24);
  row.poi_lon = real_or_none(r, 25);
  row.poi_node = int_or_zero(r, 26);
  row.address_node = int_or_zero(r, 27);
  return row;
}

Result<OrderRow> load_order_row(Tx& tx, int64_t order_id) {
  QWL_ASSIGN_OR_RETURN(Rows rows,
                       tx.query(fmt::format("{}WHERE o.id = ?", kOrderSelect), {order_id}));
  if (rows.empty()) return NotFoundError("order {} not found", order_id);
  return order_from(rows[0]);
}

std::string placeholders(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += i == 0 ? "?" : ", ?";
  return s;
}

// Items and coupons of several orders in two queries; the timeline too when `events`.
Status load_details(Tx& tx, std::vector<Order*> orders, bool events) {
  if (orders.empty()) return Status::Ok();
  std::vector<Value> ids;
  std::map<int64_t, Order*> by_id;
  for (Order* o : orders) {
    ids.emplace_back(o->id);
    by_id[o->id] = o;
  }
  QWL_ASSIGN_OR_RETURN(
      Rows items,
      tx.query(fmt::format("SELECT order_id, id, menu_item_id, variant_id, name_en, name_zh, "
                           "options, options_en, options_zh, quantity, unit_price, line_total "
                           "FROM order_items WHERE order_id IN ({}) ORDER BY order_id, id",
                           placeholders(ids.size())),
               ids));
  for (const Row& r : items) {
    by_id[r.int64(0)]->items.push_back(OrderItem{.id = r.int64(1),
                                                 .menu_item_id = int_or_zero(r, 2),
                                                 .variant_id = int_or_zero(r, 3),
                                                 .name_en = r.text(4),
                                                 .name_zh = r.text(5),
                                                 .options = r.text(6),
                                                 .options_en = r.text(7),
                                                 .options_zh = r.text(8),
                                                 .quantity = r.int64(9),
                                                 .unit_price = r.int64(10),
                                                 .line_total = r.int64(11)});
  }
  QWL_ASSIGN_OR_RETURN(
      Rows coupons,
      tx.query(fmt::format("SELECT oc.order_id, oc.coupon_id, oc.user_coupon_id, c.code, "
                           "c.title_en, c.title_zh, oc.amount, oc.funded_by FROM order_coupons "
                           "oc JOIN coupons c ON c.id = oc.coupon_id WHERE oc.order_id IN ({}) "
                           "ORDER BY oc.order_id, c.merchant_id IS NULL, oc.coupon_id",
                           placeholders(ids.size())),
               ids));
  for (const Row& r : coupons) {
    by_id[r.int64(0)]->coupons.push_back(OrderCoupon{.coupon_id = r.int64(1),
                                                     .user_coupon_id = int_or_zero(r, 2),
                                                     .code = r.text(3),
                                                     .title_en = r.text(4),
                                                     .title_zh = r.text(5),
                                                     .amount = r.int64(6),
                                                     .funded_by = r.text(7)});
  }
  if (!events) return Status::Ok();
  for (Order* o : orders) {
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT id, status, actor_user_id, note, at_us "
                                             "FROM order_events WHERE order_id = ? ORDER BY id",
                                             {o->id}));
    for (const Row& r : rows) {
      o->events.push_back(OrderEvent{.id = r.int64(0),
                                     .status = r.text(1),
                                     .actor_user_id = int_or_zero(r, 2),
                                     .note = r.text(3),
                                     .at_us = r.int64(4)});
    }
  }
  return Status::Ok();
}

Result<Order> load_full_order(Tx& tx, int64_t order_id) {
  QWL_ASSIGN_OR_RETURN(OrderRow row, load_order_row(tx, order_id));
  QWL_RETURN_IF_ERROR(load_details(tx, {&row.order}, true));
  return std::move(row.order);
}

// Who the actor is to an order: the store's side (its owner or an admin) or the customer.
enum class Party { kCustomer, kMerchant };

Result<Party> party_of(const Actor& actor, const OrderRow& row) {
  if (actor.is_admin() || (row.owner_user_id != 0 && row.owner_user_id == actor.user_id)) {
    return Party::kMerchant;
  }
  if (actor.user_id != 0 && row.order.user_id == actor.user_id) return Party::kCustomer;
  return NotFoundError("order {} not found", row.order.id);
}

// One timeline row and the outbox rows for the customer and the merchant's owner. `row` holds
// the order as it is after the change.
Status record_event(Tx& tx, const OrderRow& row, std::string_view status, int64_t actor_user_id,
                    std::string_view note, int64_t now_us) {
  const Order& o = row.order;
  QWL_RETURN_IF_ERROR(
      tx.exec("INSERT INTO order_events (order_id, status, actor_user_id, note, "
              "at_us) VALUES (?, ?, ?, ?, ?)",
              {o.id, status, actor_user_id > 0 ? Value(actor_user_id) : Value(), note, now_us})
          .status());
  // The payload holds numbers and our own status words only, so it needs no JSON escaping.
  const std::string payload = fmt::format(
      "{{\"order_id\":{},\"event\":\"{}\",\"status\":\"{}\",\"merchant_id\":{},\"total\":{},"
      "\"refunded\":{},\"eta_at_us\":{}}}",
      o.id, status, order_status_name(o.status), o.merchant_id, o.total, o.refunded, o.eta_at_us);
  QWL_RETURN_IF_ERROR(add_user_event(tx, o.user_id, "order", o.id, status, payload, now_us));
  if (row.owner_user_id != 0 && row.owner_user_id != o.user_id) {
    QWL_RETURN_IF_ERROR(
        add_user_event(tx, row.owner_user_id, "order", o.id, status, payload, now_us));
  }
  return Status::Ok();
}

// The step after `o`'s status, if any.
std::optional<OrderStatus> next_status(const Order& o) {
  switch (o.status) {
    case OrderStatus::kPlaced:
      return OrderStatus::kAccepted;
    case OrderStatus::kAccepted:
      return OrderStatus::kPreparing;
    case OrderStatus::kPreparing:
      return o.fulfilment == "pickup" ? OrderStatus::kDelivered : OrderStatus::kOnTheWay;
    case OrderStatus::kOnTheWay:
      return OrderStatus::kDelivered;
    default:
      return std::nullopt;
  }
}

Result<DeliveryEstimate> estimate_delivery(const DeliveryEstimator& estimator,
                                           const OrderTimings& timings, int64_t merchant_id,
                                           std::optional<double> from_lat,
                                           std::optional<double> from_lon, int64_t from_node,
                                           double to_lat, double to_lon, int64_t to_node) {
  if (!from_lat || !from_lon) {
    return DeliveryEstimate{.distance_m = 0, .travel_s = timings.online_shipping_s};
  }
  QWL_ASSIGN_OR_RETURN(DeliveryEstimate e,
                       estimator.estimate(DeliveryQuery{.merchant_id = merchant_id,
                                                        .from_lat = *from_lat,
                                                        .from_lon = *from_lon,
                                                        .from_node = from_node,
                                                        .to_lat = to_lat,
                                                        .to_lon = to_lon,
                                                        .to_node = to_node}));
  if (e.travel_s < 0 || e.travel_s > 7 * 24 * 3600 || e.distance_m < 0) {
    return InternalError("delivery estimate for merchant {}: {} s over {} m is out of range",
                         merchant_id, e.travel_s, e.distance_m);
  }
  return e;
}

// Moves `row` to `to` with the schedule of the step after it, counted from `base_us` (when
// this step was due, or now for a merchant's click), and records it.
Status step(Tx& tx, OrderRow& row, OrderStatus to, int64_t actor_user_id, int64_t base_us,
            int64_t now_us, std::string_view note, const OrderTimings& timings,
            const DeliveryEstimator& estimator) {
  Order& o = row.order;
  int64_t next_us = 0;
  int64_t eta_us = o.eta_at_us;
  switch (to) {
    case OrderStatus::kAccepted:
      next_us = base_us + timings.start_after_us;
      break;
    case OrderStatus::kPreparing:
      next_us = base_us + row.prep_minutes * kMicrosPerMinute;
      break;
    case OrderStatus::kOnTheWay: {
      QWL_ASSIGN_OR_RETURN(DeliveryEstimate e,
                           estimate_delivery(estimator, timings, o.merchant_id, row.poi_lat,
                                             row.poi_lon, row.poi_node, o.delivery_lat.value_or(0),
                                             o.delivery_lon.value_or(0), row.address_node));
      next_us = base_us + e.travel_s * kMicrosPerSecond;
      eta_us = next_us;
      break;
    }
    default:
      next_us = 0;
      break;
  }
  const std::string_view from = order_status_name(o.status);
  QWL_ASSIGN_OR_RETURN(int64_t n,
                       tx.exec("UPDATE orders SET status = ?, next_step_at_us = ?, eta_at_us = ?, "
                               "updated_at_us = ? WHERE id = ? AND status = ?",
                               {order_status_name(to), next_us != 0 ? Value(next_us) : Value(),
                                eta_us != 0 ? Value(eta_us) : Value(), now_us, o.id, from}));
  if (n != 1) return FailedPreconditionError("order {} changed meanwhile", o.id);
  o.status = to;
  o.next_step_at_us = next_us;
  o.eta_at_us = eta_us;
  o.updated_at_us = now_us;
  return record_event(tx, row, order_status_name(to), actor_user_id, note, now_us);
}

struct MerchantRow {
  int64_t id = 0;
  int64_t poi_id = 0;
  int64_t owner_user_id = 0;
  std::string name_en;
  std::string name_zh;
  int64_t prep_minutes = 0;
  int64_t delivery_fee = 0;
  int64_t min_order = 0;
  int64_t delivery_radius_m = 0;
  bool accepting = true;
  std::optional<double> lat, lon;
  int64_t node_id = 0;
};

Result<MerchantRow> load_merchant(Tx& tx, int64_t merchant_id) {
  QWL_ASSIGN_OR_RETURN(
      Rows rows,
      tx.query("SELECT m.poi_id, m.owner_user_id, m.name_en, m.name_zh, m.prep_minutes, "
               "m.delivery_fee, m.min_order, m.delivery_radius_m, m.accepting, p.lat, p.lon, "
               "p.node_id FROM merchants m LEFT JOIN pois p ON p.id = m.poi_id WHERE m.id = ?",
               {merchant_id}));
  if (rows.empty()) return NotFoundError("merchant {} not found", merchant_id);
  const Row& r = rows[0];
  return MerchantRow{.id = merchant_id,
                     .poi_id = int_or_zero(r, 0),
                     .owner_user_id = int_or_zero(r, 1),
                     .name_en = r.text(2),
                     .name_zh = r.text(3),
                     .prep_minutes = r.int64(4),
                     .delivery_fee = r.int64(5),
                     .min_order = r.int64(6),
                     .delivery_radius_m = r.int64(7),
                     .accepting = r.int64(8) != 0,
                     .lat = real_or_none(r, 9),
                     .lon = real_or_none(r, 10),
                     .node_id = int_or_zero(r, 11)};
}

// Everything checkout decides before it writes.
struct Plan {
  MerchantRow merchant;
  MerchantCart cart;
  CouponQuote coupons;
  int64_t delivery_fee = 0;
  int64_t total = 0;
  int64_t address_id = 0;
  std::string delivery_line;
  std::optional<double> to_lat, to_lon;
  DeliveryEstimate delivery;
  int64_t eta_at_us = 0;
  int64_t wallet_balance = 0;
};

Status validate_request(const CheckoutRequest& req) {
  if (req.merchant_id <= 0) {
    return InvalidArgumentError("checkout: merchant_id {} is not a valid id", req.merchant_id);
  }
  if (req.fulfilment != "delivery" && req.fulfilment != "pickup") {
    return InvalidArgumentError("checkout: fulfilment '{}' is not 'delivery' or 'pickup'",
                                req.fulfilment);
  }
  if (req.address_id < 0) return InvalidArgumentError("checkout: address_id must be positive");
  if (req.note.size() > kMaxNoteBytes) {
    return InvalidArgumentError("checkout: note is {} bytes, at most {}", req.note.size(),
                                kMaxNoteBytes);
  }
  return Status::Ok();
}

// Reads only, so preview_checkout() can run it in a read snapshot.
Result<Plan> plan_checkout(Tx& tx, int64_t user_id, const CheckoutRequest& req, int64_t now_us,
                           const OrderTimings& timings, const DeliveryEstimator& estimator) {
  QWL_RETURN_IF_ERROR(validate_request(req));
  QWL_ASSIGN_OR_RETURN(Rows users, tx.query("SELECT disabled FROM users WHERE id = ?", {user_id}));
  if (users.empty()) return NotFoundError("user {} not found", user_id);
  if (users[0].int64(0) != 0) return PermissionDeniedError("user {} is disabled", user_id);

  Plan plan;
  QWL_ASSIGN_OR_RETURN(plan.merchant, load_merchant(tx, req.merchant_id));
  const MerchantRow& m = plan.merchant;
  const std::string shop = fmt::format("merchant {} ({})", m.id, m.name_en);
  if (!m.accepting) return FailedPreconditionError("{} is not taking orders now", shop);
  if (m.poi_id != 0) {
    QWL_ASSIGN_OR_RETURN(bool open, is_open(tx, m.poi_id, now_us));
    if (!open) return FailedPreconditionError("{} is closed now", shop);
  }

  QWL_ASSIGN_OR_RETURN(Cart cart, list_cart(tx, user_id, m.id));
  if (cart.merchants.empty() || cart.merchants[0].lines.empty()) {
    return FailedPreconditionError("cart: no items from {}", shop);
  }
  plan.cart = std::move(cart.merchants[0]);
  for (const CartLine& line : plan.cart.lines) {
    if (!line.problem.empty()) {
      return FailedPreconditionError("cart line {}: {}", line.id, line.problem);
    }
  }
  const int64_t subtotal = plan.cart.subtotal;
  if (subtotal < m.min_order) {
    return FailedPreconditionError("{}: minimum order {}, subtotal {}", shop,
                                   format_yuan(m.min_order), format_yuan(subtotal));
  }

  if (req.fulfilment == "delivery") {
    if (req.address_id == 0) {
      return InvalidArgumentError("checkout: address_id is required for delivery");
    }
    QWL_ASSIGN_OR_RETURN(Rows addr, tx.query("SELECT user_id, line_en, lat, lon, node_id FROM "
                                             "addresses WHERE id = ?",
                                             {req.address_id}));
    // Another user's address is as unknown as a missing one (actor.h).
    if (addr.empty() || addr[0].int64(0) != user_id) {
      return NotFoundError("address {} not found", req.address_id);
    }
    plan.address_id = req.address_id;
    plan.delivery_line = addr[0].text(1);
    plan.to_lat = addr[0].real(2);
    plan.to_lon = addr[0].real(3);
    if (m.lat && m.lon) {
      const double d = straight_line_m(*m.lat, *m.lon, *plan.to_lat, *plan.to_lon);
      if (d > static_cast<double>(m.delivery_radius_m)) {
        return FailedPreconditionError("{} delivers within {:.1f} km; address {} is {:.1f} km away",
                                       shop, m.delivery_radius_m / 1000.0, req.address_id,
                                       d / 1000.0);
      }
    }
    QWL_ASSIGN_OR_RETURN(plan.delivery,
                         estimate_delivery(estimator, timings, m.id, m.lat, m.lon, m.node_id,
                                           *plan.to_lat, *plan.to_lon, int_or_zero(addr[0], 4)));
    plan.delivery_fee = m.delivery_fee;
  }

  QWL_ASSIGN_OR_RETURN(std::vector<UserCoupon> owned, user_coupons(tx, user_id, false));
  QWL_ASSIGN_OR_RETURN(plan.coupons,
                       choose_coupons(owned, m.id, subtotal, now_us, req.user_coupon_ids));
  QWL_ASSIGN_OR_RETURN(plan.total, checked_add(subtotal - plan.coupons.discount, plan.delivery_fee,
                                               "checkout: total"));
  plan.eta_at_us = now_us + timings.accept_after_us + timings.start_after_us +
                   m.prep_minutes * kMicrosPerMinute + plan.delivery.travel_s * kMicrosPerSecond;

  // Friendlier refusals than the ledger's own (which stays the last line).
  QWL_ASSIGN_OR_RETURN(Rows wallet, tx.query("SELECT balance FROM accounts WHERE kind = "
                                             "'wallet' AND owner_id = ? AND currency = 'CNY'",
                                             {user_id}));
  plan.wallet_balance = wallet.empty() ? 0 : wallet[0].int64(0);
  if (plan.wallet_balance < plan.total) {
    return FailedPreconditionError("insufficient funds: the wallet holds {}, the order is {}",
                                   format_yuan(plan.wallet_balance), format_yuan(plan.total));
  }
  if (plan.coupons.platform_funded > 0) {
    QWL_ASSIGN_OR_RETURN(Rows budget, tx.query("SELECT balance FROM accounts WHERE kind = "
                                               "'coupon_funding' AND owner_id = 0 AND "
                                               "currency = 'CNY'"));
    const int64_t left = budget.empty() ? 0 : budget[0].int64(0);
    if (left < plan.coupons.platform_funded) {
      return FailedPreconditionError(
          "the platform's coupon budget ({}) cannot pay {} of platform coupons now; choose "
          "other coupons",
          format_yuan(left), format_yuan(plan.coupons.platform_funded));
    }
  }
  QWL_RETURN_IF_ERROR(check_spend_limit(tx, user_id, plan.total, now_us));
  return plan;
}

// Stock for every line, summed per item: two lines of one item with different options share
// its stock. The WHERE clause is the reservation: no row changes when too little is left.
Status reserve_stock(Tx& tx, const MerchantCart& cart, int64_t now_us) {
  std::map<int64_t, int64_t> items, variants;
  for (const CartLine& line : cart.lines) {
    if (line.priced.menu_item_id != 0) items[line.priced.menu_item_id] += line.priced.quantity;
    if (line.priced.variant_id != 0) variants[line.priced.variant_id] += line.priced.quantity;
  }
  for (const auto& [id, qty] : items) {
    QWL_ASSIGN_OR_RETURN(
        int64_t n,
        tx.exec("UPDATE menu_items SET stock = CASE WHEN stock IS NULL THEN NULL ELSE stock - ? "
                "END, sales = sales + ?, updated_at_us = ? WHERE id = ? AND "
                "(stock IS NULL OR stock >= ?)",
                {qty, qty, now_us, id, qty}));
    if (n != 1) return FailedPreconditionError("menu item {}: not enough stock for {}", id, qty);
  }
  for (const auto& [id, qty] : variants) {
    QWL_ASSIGN_OR_RETURN(int64_t n, tx.exec("UPDATE product_variants SET stock = stock - ? "
                                            "WHERE id = ? AND stock >= ?",
                                            {qty, id, qty}));
    if (n != 1) {
      return FailedPreconditionError("product variant {}: not enough stock for {}", id, qty);
    }
    QWL_RETURN_IF_ERROR(tx.exec("UPDATE products SET sales = sales + ?, updated_at_us = ? "
                                "WHERE id = (SELECT product_id FROM product_variants WHERE id = ?)",
                                {qty, now_us, id})
                            .status());
  }
  return Status::Ok();
}

// Puts back what a cancelled order took.
Status restore_stock(Tx& tx, const Order& o, int64_t now_us) {
  for (const OrderItem& item : o.items) {
    if (item.menu_item_id != 0) {
      QWL_RETURN_IF_ERROR(
          tx.exec("UPDATE menu_items SET stock = CASE WHEN stock IS NULL THEN NULL ELSE "
                  "stock + ? END, sales = CASE WHEN sales >= ? THEN sales - ? ELSE 0 END, "
                  "updated_at_us = ? WHERE id = ?",
                  {item.quantity, item.quantity, item.quantity, now_us, item.menu_item_id})
              .status());
    } else if (item.variant_id != 0) {
      QWL_RETURN_IF_ERROR(tx.exec("UPDATE product_variants SET stock = stock + ? WHERE id = ?",
                                  {item.quantity, item.variant_id})
                              .status());
      QWL_RETURN_IF_ERROR(
          tx.exec("UPDATE products SET sales = CASE WHEN sales >= ? THEN sales - ? ELSE 0 END, "
                  "updated_at_us = ? WHERE id = (SELECT product_id FROM product_variants "
                  "WHERE id = ?)",
                  {item.quantity, item.quantity, now_us, item.variant_id})
              .status());
    }
  }
  return Status::Ok();
}

// Pays `amount` of `row` back to the customer's wallet from the merchant's takings and records
// it; the order becomes refunded when nothing paid is left. Returns the ledger txn id.
Result<int64_t> refund_tx(Tx& tx, OrderRow& row, int64_t amount, int64_t actor_user_id,
                          std::string_view reason, int64_t now_us) {
  Order& o = row.order;
  const int64_t left = o.total - o.refunded;
  if (amount <= 0 || amount > kMaxAmount) {
    return InvalidArgumentError("refund: amount {} must be above zero", amount);
  }
  if (amount > left) {
    return FailedPreconditionError("order {}: paid {}, refunded {}; at most {} can be refunded",
                                   o.id, format_yuan(o.total), format_yuan(o.refunded),
                                   format_yuan(left));
  }
  QWL_ASSIGN_OR_RETURN(int64_t wallet, account_id(tx, AccountKind::kWallet, o.user_id, now_us));
  QWL_ASSIGN_OR_RETURN(int64_t takings,
                       account_id(tx, AccountKind::kMerchant, o.merchant_id, now_us));
  QWL_ASSIGN_OR_RETURN(int64_t txn_id,
                       post(tx,
                            LedgerTxn{.kind = "refund",
                                      .user_id = o.user_id,
                                      .order_id = o.id,
                                      .memo = fmt::format("refund of order {}", o.id),
                                      .postings = {{takings, -amount}, {wallet, amount}}},
                            now_us));
  const bool full = amount == left;
  const OrderStatus status = full ? OrderStatus::kRefunded : o.status;
  QWL_ASSIGN_OR_RETURN(
      int64_t n, tx.exec("UPDATE orders SET refunded = refunded + ?, status = ?, "
                         "next_step_at_us = CASE WHEN ? = 1 THEN NULL ELSE next_step_at_us "
                         "END, updated_at_us = ? WHERE id = ? AND refunded + ? <= total",
                         {amount, order_status_name(status), full ? 1 : 0, now_us, o.id, amount}));
  if (n != 1) return FailedPreconditionError("order {} changed meanwhile", o.id);
  o.refunded += amount;
  o.status = status;
  if (full) o.next_step_at_us = 0;
  o.updated_at_us = now_us;
  QWL_RETURN_IF_ERROR(record_event(tx, row, full ? "refunded" : "refund", actor_user_id,
                                   fmt::format("refund {}: {}", format_yuan(amount), reason),
                                   now_us));
  return txn_id;
}

// "order=<id>\n<explanation en>\n<explanation zh>": what an idempotent checkout stores.
struct CheckoutResponse {
  int64_t order_id = 0;
  std::string en, zh;
};

std::string encode_checkout(const CheckoutResponse& r) {
  return fmt::format("order={}\n{}\n{}", r.order_id, r.en, r.zh);
}

Result<CheckoutResponse> decode_checkout(std::string_view s) {
  CheckoutResponse r;
  if (s.substr(0, 6) != "order=") return InternalError("checkout: stored response is malformed");
  s.remove_prefix(6);
  auto [next, ec] = std::from_chars(s.data(), s.data() + s.size(), r.order_id);
  if (ec != std::errc()) return InternalError("checkout: stored response is malformed");
  s.remove_prefix(next - s.data());
  if (!s.empty() && s[0] == '\n') s.remove_prefix(1);
  const size_t nl = s.find('\n');
  r.en = std::string(s.substr(0, nl));
  if (nl != std::string_view::npos) r.zh = std::string(s.substr(nl + 1));
  return r;
}

// The request bytes an idempotency key is bound to.
std::string canonical_request(const CheckoutRequest& req) {
  std::string coupons = "auto";
  if (req.user_coupon_ids) {
    std::vector<int64_t> ids = *req.user_coupon_ids;
    std::sort(ids.begin(), ids.end());
    coupons = "ids:";
    for (size_t i = 0; i < ids.size(); ++i) coupons += fmt::format("{}{}", i ? "," : "", ids[i]);
  }
  const std::string expected =
      req.expected_total ? std::to_string(*req.expected_total) : std::string("any");
  return fmt::format("merchant={};fulfilment={};address={};coupons={};expected={};note={}:{}",
                     req.merchant_id, req.fulfilment, req.address_id, coupons, expected,
                     req.note.size(), req.note);
}

Status check_text(std::string_view what, std::string_view text, size_t max_bytes, bool required) {
  if (required && text.empty()) return InvalidArgumentError("{} is required", what);
  if (text.size() > max_bytes) {
    return InvalidArgumentError("{} is {} bytes, at most {}", what, text.size(), max_bytes);
  }
  return Status::Ok();
}

Status check_limit(const OrderQuery& q) {
  if (q.limit < 1 || q.limit > 200) {
    return InvalidArgumentError("orders: limit {} is outside 1..200", q.limit);
  }
  if (q.before_id < 0) return InvalidArgumentError("orders: before_id must be >= 0");
  return Status::Ok();
}

Result<std::vector<Order>> query_orders(Tx& tx, std::string_view column, int64_t owner,
                                        const OrderQuery& q) {
  const int64_t before = q.before_id == 0 ? std::numeric_limits<int64_t>::max() : q.before_id;
  std::vector<Value> params{owner, before};
  std::string sql = fmt::format("{}WHERE o.{} = ? AND o.id < ?", kOrderSelect, column);
  if (q.status) {
    sql += " AND o.status = ?";
    params.emplace_back(order_status_name(*q.status));
  }
  sql += " ORDER BY o.id DESC LIMIT ?";
  params.emplace_back(q.limit);
  QWL_ASSIGN_OR_RETURN(Rows rows, tx.query(sql, params));
  std::vector<Order> out;
  out.reserve(rows.size());
  for (const Row& r : rows) out.push_back(std::move(order_from(r).order));
  std::vector<Order*> ptrs;
  for (Order& o : out) ptrs.push_back(&o);
  QWL_RETURN_IF_ERROR(load_details(tx, ptrs, false));
  return out;
}

AfterSale after_sale_from(const Row& r) {
  return AfterSale{
      .id = r.int64(0),
      .order_id = r.int64(1),
      .user_id = r.int64(2),
      .kind = r.text(3) == "refund" ? AfterSaleKind::kRefund : AfterSaleKind::kComplaint,
      .reason = r.text(4),
      .amount = r.int64(5),
      .status = r.text(6) == "open"       ? AfterSaleStatus::kOpen
                : r.text(6) == "approved" ? AfterSaleStatus::kApproved
                                          : AfterSaleStatus::kRejected,
      .resolution = r.text(7),
      .created_at_us = r.int64(8),
      .resolved_at_us = int_or_zero(r, 9)};
}

constexpr std::string_view kAfterSaleColumns =
    "id, order_id, user_id, kind, reason, amount, status, resolution, created_at_us, "
    "resolved_at_us";

}  // namespace

Orders::Orders(Db& db, const Clock& clock, OrdersOptions options)
    : db_(db), clock_(clock), options_(options) {
  if (options_.estimator == nullptr) options_.estimator = &default_estimator_;
}

Result<CheckoutPreview> Orders::preview_checkout(const Actor& actor,
                                                 const CheckoutRequest& request) {
  if (actor.user_id <= 0) return InvalidArgumentError("checkout: the actor is not a user");
  const int64_t now_us = clock_.wall_us();
  CheckoutPreview out;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(Plan plan, plan_checkout(tx, actor.user_id, request, now_us,
                                                  options_.timings, *options_.estimator));
    out = CheckoutPreview{.merchant_id = plan.merchant.id,
                          .merchant_name_en = plan.merchant.name_en,
                          .merchant_name_zh = plan.merchant.name_zh,
                          .lines = std::move(plan.cart.lines),
                          .subtotal = plan.cart.subtotal,
                          .coupons = std::move(plan.coupons),
                          .delivery_fee = plan.delivery_fee,
                          .total = plan.total,
                          .distance_m = plan.delivery.distance_m,
                          .eta_at_us = plan.eta_at_us,
                          .wallet_balance = plan.wallet_balance};
    return Status::Ok();
  }));
  return out;
}

Result<CheckoutResult> Orders::checkout(const Actor& actor, const CheckoutRequest& request) {
  if (actor.user_id <= 0) return InvalidArgumentError("checkout: the actor is not a user");
  QWL_RETURN_IF_ERROR(validate_request(request));
  QWL_RETURN_IF_ERROR(validate_idempotency_key(request.idempotency_key));
  const int64_t now_us = clock_.wall_us();
  const int64_t user_id = actor.user_id;
  const std::string canonical = canonical_request(request);
  auto place = [&](Tx& tx) -> Result<std::string> {
    QWL_ASSIGN_OR_RETURN(Plan plan, plan_checkout(tx, user_id, request, now_us, options_.timings,
                                                  *options_.estimator));
    if (request.expected_total && *request.expected_total != plan.total) {
      return FailedPreconditionError("checkout: the total is now {}, not the {} confirmed",
                                     format_yuan(plan.total), format_yuan(*request.expected_total));
    }
    QWL_RETURN_IF_ERROR(reserve_stock(tx, plan.cart, now_us));
    const MerchantRow& m = plan.merchant;
    QWL_ASSIGN_OR_RETURN(
        int64_t order_id,
        tx.query_int64(
            "INSERT INTO orders (user_id, merchant_id, fulfilment, status, subtotal, discount, "
            "delivery_fee, total, refunded, currency, address_id, delivery_line, delivery_lat, "
            "delivery_lon, eta_at_us, note, idempotency_key, placed_at_us, updated_at_us, "
            "next_step_at_us) VALUES (?, ?, ?, 'placed', ?, ?, ?, ?, 0, 'CNY', ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?) RETURNING id",
            {user_id, m.id, request.fulfilment, plan.cart.subtotal, plan.coupons.discount,
             plan.delivery_fee, plan.total, plan.address_id != 0 ? Value(plan.address_id) : Value(),
             plan.delivery_line, plan.to_lat ? Value(*plan.to_lat) : Value(),
             plan.to_lon ? Value(*plan.to_lon) : Value(), plan.eta_at_us, request.note,
             request.idempotency_key, now_us, now_us, now_us + options_.timings.accept_after_us}));
    for (const CartLine& line : plan.cart.lines) {
      const PricedLine& p = line.priced;
      QWL_RETURN_IF_ERROR(
          tx.exec(
                "INSERT INTO order_items (order_id, menu_item_id, variant_id, name_en, "
                "name_zh, options, options_en, options_zh, quantity, unit_price, line_total) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {order_id, p.menu_item_id != 0 ? Value(p.menu_item_id) : Value(),
                 p.variant_id != 0 ? Value(p.variant_id) : Value(), p.name_en, p.name_zh,
                 p.options_key, p.options_en, p.options_zh, p.quantity, p.unit_price, p.line_total})
              .status());
    }
    QWL_RETURN_IF_ERROR(redeem_coupons(tx, plan.coupons, order_id, now_us));

    // The payment: see the table in orders.h.
    const int64_t pf = plan.coupons.platform_funded;
    if (plan.total + pf > 0) {
      LedgerTxn pay{.kind = "payment",
                    .user_id = user_id,
                    .order_id = order_id,
                    .memo = fmt::format("order {} at {}", order_id, m.name_en)};
      if (plan.total > 0) {
        QWL_ASSIGN_OR_RETURN(int64_t wallet, account_id(tx, AccountKind::kWallet, user_id, now_us));
        pay.postings.push_back({wallet, -plan.total});
      }
      if (pf > 0) {
        QWL_ASSIGN_OR_RETURN(int64_t budget,
                             account_id(tx, AccountKind::kCouponFunding, 0, now_us));
        pay.postings.push_back({budget, -pf});
      }
      QWL_ASSIGN_OR_RETURN(int64_t takings, account_id(tx, AccountKind::kMerchant, m.id, now_us));
      pay.postings.push_back({takings, plan.total + pf});
      QWL_RETURN_IF_ERROR(post(tx, pay, now_us).status());
    }
    QWL_RETURN_IF_ERROR(
        tx.exec("DELETE FROM cart_items WHERE user_id = ? AND merchant_id = ?", {user_id, m.id})
            .status());
    QWL_ASSIGN_OR_RETURN(OrderRow row, load_order_row(tx, order_id));
    QWL_RETURN_IF_ERROR(record_event(tx, row, "placed", user_id, request.note, now_us));
    return encode_checkout(CheckoutResponse{.order_id = order_id,
                                            .en = plan.coupons.explanation_en,
                                            .zh = plan.coupons.explanation_zh});
  };
  QWL_ASSIGN_OR_RETURN(IdempotentResult res,
                       run_idempotent(db_,
                                      IdempotentRequest{.user_id = user_id,
                                                        .key = request.idempotency_key,
                                                        .operation = "checkout",
                                                        .request = canonical},
                                      now_us, place));
  QWL_ASSIGN_OR_RETURN(CheckoutResponse stored, decode_checkout(res.response));
  CheckoutResult out{.coupons_explanation_en = std::move(stored.en),
                     .coupons_explanation_zh = std::move(stored.zh),
                     .replayed = res.replayed};
  QWL_ASSIGN_OR_RETURN(out.order, get_order(actor, stored.order_id));
  return out;
}

Result<Order> Orders::get_order(const Actor& actor, int64_t order_id) {
  Order out;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(OrderRow row, load_order_row(tx, order_id));
    QWL_RETURN_IF_ERROR(party_of(actor, row).status());
    QWL_RETURN_IF_ERROR(load_details(tx, {&row.order}, true));
    out = std::move(row.order);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<Order>> Orders::list_orders(const Actor& actor, const OrderQuery& query) {
  if (actor.user_id <= 0) return InvalidArgumentError("orders: the actor is not a user");
  QWL_RETURN_IF_ERROR(check_limit(query));
  std::vector<Order> out;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(out, query_orders(tx, "user_id", actor.user_id, query));
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<Order>> Orders::list_merchant_orders(const Actor& actor, int64_t merchant_id,
                                                        const OrderQuery& query) {
  QWL_RETURN_IF_ERROR(check_limit(query));
  std::vector<Order> out;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    QWL_RETURN_IF_ERROR(check_merchant_access(tx, actor, merchant_id));
    QWL_ASSIGN_OR_RETURN(out, query_orders(tx, "merchant_id", merchant_id, query));
    return Status::Ok();
  }));
  return out;
}

Result<Order> Orders::advance(const Actor& actor, int64_t order_id, OrderStatus to,
                              std::string_view note) {
  QWL_RETURN_IF_ERROR(check_text("advance: note", note, kMaxNoteBytes, false));
  const int64_t now_us = clock_.wall_us();
  Order out;
  QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(OrderRow row, load_order_row(tx, order_id));
    QWL_ASSIGN_OR_RETURN(Party party, party_of(actor, row));
    if (party != Party::kMerchant) {
      return PermissionDeniedError("only the merchant advances order {}", order_id);
    }
    if (row.order.status != to) {
      const std::optional<OrderStatus> next = next_status(row.order);
      if (!next || *next != to) {
        return FailedPreconditionError("order {} is {}; it cannot move to {} (next: {})", order_id,
                                       order_status_name(row.order.status), order_status_name(to),
                                       next ? order_status_name(*next) : std::string_view("none"));
      }
      QWL_RETURN_IF_ERROR(step(tx, row, to, actor.user_id, now_us, now_us, note, options_.timings,
                               *options_.estimator));
    }
    QWL_ASSIGN_OR_RETURN(out, load_full_order(tx, order_id));
    return Status::Ok();
  }));
  return out;
}

Result<Order> Orders::cancel(const Actor& actor, int64_t order_id, std::string_view reason) {
  QWL_RETURN_IF_ERROR(check_text("cancel: reason", reason, kMaxNoteBytes, false));
  const int64_t now_us = clock_.wall_us();
  Order out;
  QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(OrderRow row, load_order_row(tx, order_id));
    QWL_ASSIGN_OR_RETURN(Party party, party_of(actor, row));
    Order& o = row.order;
    if (o.status == OrderStatus::kCancelled || o.status == OrderStatus::kRefunded) {
      return FailedPreconditionError("order {} is already {}", order_id,
                                     order_status_name(o.status));
    }
    if (party == Party::kCustomer && o.status != OrderStatus::kPlaced) {
      return FailedPreconditionError(
          "order {} is {}: the customer can cancel only before the merchant accepts it", order_id,
          order_status_name(o.status));
    }
    if (o.status != OrderStatus::kPlaced && o.status != OrderStatus::kAccepted &&
        o.status != OrderStatus::kPreparing) {
      return FailedPreconditionError("order {} is {}: it can no longer be cancelled", order_id,
                                     order_status_name(o.status));
    }
    QWL_RETURN_IF_ERROR(load_details(tx, {&o}, false));

    // Undo the payment: the customer gets back all that is still paid, the platform its coupon
    // money, and the merchant returns both.
    const int64_t back = o.total - o.refunded;
    QWL_ASSIGN_OR_RETURN(int64_t pf,
                         tx.query_int64("SELECT COALESCE(SUM(amount), 0) FROM order_coupons "
                                        "WHERE order_id = ? AND funded_by = 'platform'",
                                        {order_id}));
    if (back + pf > 0) {
      LedgerTxn txn{.kind = "refund",
                    .user_id = o.user_id,
                    .order_id = order_id,
                    .memo = fmt::format("cancellation of order {}", order_id)};
      QWL_ASSIGN_OR_RETURN(int64_t takings,
                           account_id(tx, AccountKind::kMerchant, o.merchant_id, now_us));
      txn.postings.push_back({takings, -(back + pf)});
      if (back > 0) {
        QWL_ASSIGN_OR_RETURN(int64_t wallet,
                             account_id(tx, AccountKind::kWallet, o.user_id, now_us));
        txn.postings.push_back({wallet, back});
      }
      if (pf > 0) {
        QWL_ASSIGN_OR_RETURN(int64_t budget,
                             account_id(tx, AccountKind::kCouponFunding, 0, now_us));
        txn.postings.push_back({budget, pf});
      }
      QWL_RETURN_IF_ERROR(post(tx, txn, now_us).status());
    }
    QWL_RETURN_IF_ERROR(restore_stock(tx, o, now_us));
    QWL_RETURN_IF_ERROR(restore_coupons(tx, order_id).status());
    QWL_ASSIGN_OR_RETURN(int64_t n, tx.exec("UPDATE orders SET status = 'cancelled', refunded = "
                                            "total, next_step_at_us = NULL, updated_at_us = ? "
                                            "WHERE id = ? AND status = ?",
                                            {now_us, order_id, order_status_name(o.status)}));
    if (n != 1) return FailedPreconditionError("order {} changed meanwhile", order_id);
    o.status = OrderStatus::kCancelled;
    o.refunded = o.total;
    o.next_step_at_us = 0;
    const std::string note =
        fmt::format("cancelled by the {}{}{}", party == Party::kCustomer ? "customer" : "merchant",
                    reason.empty() ? "" : ": ", reason);
    QWL_RETURN_IF_ERROR(record_event(tx, row, "cancelled", actor.user_id, note, now_us));
    QWL_ASSIGN_OR_RETURN(out, load_full_order(tx, order_id));
    return Status::Ok();
  }));
  return out;
}

Result<RefundResult> Orders::refund(const Actor& actor, int64_t order_id, int64_t amount,
                                    std::string_view reason, std::string_view idempotency_key) {
  QWL_RETURN_IF_ERROR(check_text("refund: reason", reason, kMaxReasonBytes, false));
  if (amount <= 0 || amount > kMaxAmount) {
    return InvalidArgumentError("refund: amount {} is outside 1..{}", amount, kMaxAmount);
  }
  const int64_t now_us = clock_.wall_us();
  auto body = [&](Tx& tx) -> Result<int64_t> {
    QWL_ASSIGN_OR_RETURN(OrderRow row, load_order_row(tx, order_id));
    QWL_ASSIGN_OR_RETURN(Party party, party_of(actor, row));
    if (party != Party::kMerchant) {
      return PermissionDeniedError(
          "only the merchant or an admin refunds order {}; open an after-sales request", order_id);
    }
    if (row.order.status != OrderStatus::kDelivered) {
      return FailedPreconditionError("order {} is {}: only a delivered order is refunded{}",
                                     order_id, order_status_name(row.order.status),
                                     row.order.status == OrderStatus::kRefunded
                                         ? " (it is fully refunded)"
                                         : "; cancel it instead");
    }
    return refund_tx(tx, row, amount, actor.user_id, reason, now_us);
  };
  RefundResult out{.amount = amount};
  if (idempotency_key.empty()) {
    QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(out.txn_id, body(tx));
      return Status::Ok();
    }));
  } else {
    QWL_ASSIGN_OR_RETURN(
        IdempotentResult res,
        run_idempotent(db_,
                       IdempotentRequest{.user_id = actor.user_id,
                                         .key = idempotency_key,
                                         .operation = "refund",
                                         .request = fmt::format("order={};amount={};reason={}",
                                                                order_id, amount, reason)},
                       now_us, [&](Tx& tx) -> Result<std::string> {
                         QWL_ASSIGN_OR_RETURN(int64_t txn, body(tx));
                         return fmt::format("txn={}", txn);
                       }));
    std::string_view s = res.response;
    if (s.substr(0, 4) != "txn=") return InternalError("refund: stored response is malformed");
    s.remove_prefix(4);
    std::from_chars(s.data(), s.data() + s.size(), out.txn_id);
    out.replayed = res.replayed;
  }
  QWL_ASSIGN_OR_RETURN(out.order, get_order(actor, order_id));
  return out;
}

Result<AfterSale> Orders::open_after_sale(const Actor& actor, int64_t order_id, AfterSaleKind kind,
                                          std::string_view reason, int64_t amount) {
  QWL_RETURN_IF_ERROR(check_text("after-sales: reason", reason, kMaxReasonBytes, true));
  if (amount < 0 || amount > kMaxAmount) {
    return InvalidArgumentError("after-sales: amount {} is outside 0..{}", amount, kMaxAmount);
  }
  if (kind == AfterSaleKind::kRefund && amount == 0) {
    return InvalidArgumentError("after-sales: a refund request needs an amount above zero");
  }
  const int64_t now_us = clock_.wall_us();
  AfterSale out;
  QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(OrderRow row, load_order_row(tx, order_id));
    QWL_RETURN_IF_ERROR(party_of(actor, row).status());
    const Order& o = row.order;
    if (o.user_id != actor.user_id) {
      return PermissionDeniedError("only the customer opens an after-sales request on order {}",
                                   order_id);
    }
    if (o.status != OrderStatus::kDelivered && o.status != OrderStatus::kRefunded) {
      return FailedPreconditionError("order {} is {}: after-sales requests follow delivery",
                                     order_id, order_status_name(o.status));
    }
    const int64_t left = o.total - o.refunded;
    if (amount > left) {
      return FailedPreconditionError("order {}: {} can still be refunded, {} asked", order_id,
                                     format_yuan(left), format_yuan(amount));
    }
    QWL_ASSIGN_OR_RETURN(Rows delivered, tx.query("SELECT MIN(at_us) FROM order_events WHERE "
                                                  "order_id = ? AND status = 'delivered'",
                                                  {order_id}));
    if (delivered.empty() || delivered[0].is_null(0)) {
      return FailedPreconditionError("order {} has no delivery on record", order_id);
    }
    const int64_t window_us = options_.timings.after_sales_window_us;
    if (now_us - delivered[0].int64(0) > window_us) {
      return FailedPreconditionError("order {}: after-sales requests close {} days after delivery",
                                     order_id, window_us / kMicrosPerDay);
    }
    QWL_ASSIGN_OR_RETURN(int64_t open, tx.query_int64("SELECT COUNT(*) FROM after_sales WHERE "
                                                      "order_id = ? AND status = 'open'",
                                                      {order_id}));
    if (open > 0) {
      return FailedPreconditionError("order {} already has an open after-sales request", order_id);
    }
    QWL_ASSIGN_OR_RETURN(
        int64_t id,
        tx.query_int64("INSERT INTO after_sales (order_id, user_id, kind, reason, amount, status, "
                       "created_at_us) VALUES (?, ?, ?, ?, ?, 'open', ?) RETURNING id",
                       {order_id, o.user_id, after_sale_kind_name(kind), reason, amount, now_us}));
    QWL_RETURN_IF_ERROR(
        record_event(tx, row, "after_sale_opened", actor.user_id,
                     fmt::format("{} request {} ({}): {}", after_sale_kind_name(kind), id,
                                 format_yuan(amount), reason),
                     now_us));
    out = AfterSale{.id = id,
                    .order_id = order_id,
                    .user_id = o.user_id,
                    .kind = kind,
                    .reason = std::string(reason),
                    .amount = amount,
                    .status = AfterSaleStatus::kOpen,
                    .created_at_us = now_us};
    return Status::Ok();
  }));
  return out;
}

Result<AfterSale> Orders::resolve_after_sale(const Actor& actor, int64_t after_sale_id,
                                             bool approve, std::string_view resolution) {
  QWL_RETURN_IF_ERROR(check_text("after-sales: resolution", resolution, kMaxReasonBytes, !approve));
  const int64_t now_us = clock_.wall_us();
  AfterSale out;
  QWL_RETURN_IF_ERROR(db_.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query(fmt::format("SELECT {} FROM after_sales WHERE id = ?",
                                                         kAfterSaleColumns),
                                             {after_sale_id}));
    if (rows.empty()) return NotFoundError("after-sales request {} not found", after_sale_id);
    AfterSale a = after_sale_from(rows[0]);
    QWL_ASSIGN_OR_RETURN(OrderRow row, load_order_row(tx, a.order_id));
    Result<Party> party = party_of(actor, row);
    if (!party.ok()) return NotFoundError("after-sales request {} not found", after_sale_id);
    if (*party != Party::kMerchant) {
      return PermissionDeniedError("only the merchant resolves after-sales request {}",
                                   after_sale_id);
    }
    if (a.status != AfterSaleStatus::kOpen) {
      return FailedPreconditionError("after-sales request {} is already {}", after_sale_id,
                                     after_sale_status_name(a.status));
    }
    if (approve && a.amount > 0) {
      QWL_RETURN_IF_ERROR(refund_tx(tx, row, a.amount, actor.user_id,
                                    fmt::format("after-sales request {}", after_sale_id), now_us)
                              .status());
    }
    a.status = approve ? AfterSaleStatus::kApproved : AfterSaleStatus::kRejected;
    a.resolution = std::string(resolution);
    a.resolved_at_us = now_us;
    QWL_ASSIGN_OR_RETURN(int64_t n, tx.exec("UPDATE after_sales SET status = ?, resolution = ?, "
                                            "resolved_at_us = ? WHERE id = ? AND status = 'open'",
                                            {after_sale_status_name(a.status), a.resolution, now_us,
                                             after_sale_id}));
    if (n != 1) return FailedPreconditionError("after-sales request {} changed", after_sale_id);
    QWL_RETURN_IF_ERROR(record_event(
        tx, row, approve ? "after_sale_approved" : "after_sale_rejected", actor.user_id,
        fmt::format("request {}{}{}", after_sale_id, resolution.empty() ? "" : ": ", resolution),
        now_us));
    out = std::move(a);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<AfterSale>> Orders::list_after_sales(const Actor& actor, int64_t order_id) {
  std::vector<AfterSale> out;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    out.clear();
    QWL_ASSIGN_OR_RETURN(OrderRow row, load_order_row(tx, order_id));
    QWL_RETURN_IF_ERROR(party_of(actor, row).status());
    QWL_ASSIGN_OR_RETURN(Rows rows,
                         tx.query(fmt::format("SELECT {} FROM after_sales WHERE order_id = ? "
                                              "ORDER BY id",
                                              kAfterSaleColumns),
                                  {order_id}));
    for (const Row& r : rows) out.push_back(after_sale_from(r));
    return Status::Ok();
  }));
  return out;
}

Result<int64_t> Orders::advance_due_once(int64_t now_us, int64_t limit) {
  std::vector<int64_t> due;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    due.clear();
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT id FROM orders WHERE next_step_at_us <= ? "
                                             "ORDER BY next_step_at_us, id LIMIT ?",
                                             {now_us, limit}));
    for (const Row& r : rows) due.push_back(r.int64(0));
    return Status::Ok();
  }));
  int64_t moved = 0;
  Status first_error;
  for (int64_t id : due) {
    bool did = false;
    Status s = db_.transact([&](Tx& tx) -> Status {
      did = false;
      QWL_ASSIGN_OR_RETURN(OrderRow row, load_order_row(tx, id));
      // Read again inside the transaction: the merchant or a cancellation may have moved it.
      if (row.order.next_step_at_us == 0 || row.order.next_step_at_us > now_us) {
        return Status::Ok();
      }
      const std::optional<OrderStatus> next = next_status(row.order);
      if (!next) {
        return tx.exec("UPDATE orders SET next_step_at_us = NULL WHERE id = ?", {id}).status();
      }
      did = true;
      return step(tx, row, *next, 0, row.order.next_step_at_us, now_us, "", options_.timings,
                  *options_.estimator);
    });
    if (!s.ok()) {
      // One order that cannot move must not stop the others; it stays due and is tried again.
      QWL_LOG_WARN("fulfilment: order {}: {}", id, s.to_string());
      if (first_error.ok()) first_error = s;
      continue;
    }
    if (did) ++moved;
  }
  if (moved == 0 && !first_error.ok()) return first_error;
  return moved;
}

}  // namespace qwl::services
