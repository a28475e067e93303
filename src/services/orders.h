// Orders: checkout (one merchant's cart lines -> an order, its stock, its coupons and its
// payment, in one transaction, exactly once per idempotency key), the lifecycle, cancellation,
// refunds, after-sales requests and the timeline of every order.
//
// Checkout re-prices the cart lines of one merchant from the current menu, checks that the
// merchant takes orders (merchants.accepting) and is open now (its poi's opening hours, local
// time), that the items can be bought, the minimum order, the delivery address (the user's own,
// inside the merchant's delivery radius), applies the best coupons (coupons.h) or the ones the
// user chose, checks the user's daily spending limit, reserves stock (an UPDATE ... WHERE stock
// >= qty: stock never goes negative), and pays through the ledger:
//
//   wallet          -total                       (total = subtotal - discount + delivery_fee)
//   coupon_funding  -platform_funded             (platform-funded discounts)
//   merchant        +total + platform_funded     (the merchant gets full price, less only
//                                                 what its own coupons give away)
//
// There is no platform commission. An order where nothing moves (total 0 and no platform
// discount) has no payment transaction; every other order has exactly one. The order, its
// items, coupons (order_coupons), its first order_events row, user_events outbox rows for the
// customer and the merchant's owner, and the removal of the cart lines commit together. The
// whole of it runs in run_idempotent() under the client's key: a retry with the same key and
// request returns the first order (replayed), another request under it is InvalidArgument.
//
// Lifecycle: placed -> accepted -> preparing -> on_the_way -> delivered (pickup orders go
// preparing -> delivered, "collected"). The merchant (its owner, or an admin) advances an order
// one step at a time; the fulfilment worker (fulfilment.h) advances every order whose
// next_step_at_us has come: accepted OrderTimings::accept_after_us after placing, preparing
// start_after_us later, on the way after the merchant's prep_minutes, delivered after the
// delivery estimate. Later steps are scheduled from when the previous one was due, so a worker
// that was down catches up. Final states: delivered (until refunds), cancelled, refunded.
//
// Cancellation: the customer may cancel while the order is placed; the merchant (or an admin)
// until it is on the way; never after. It refunds everything still paid, gives the platform
// its coupon money back, takes the rest from the merchant, restores the stock and the coupons.
// Refunds: the merchant or an admin refunds part or all of a delivered order, never more than
// was paid minus what was refunded; the merchant pays them; a full refund makes the order
// refunded. After-sales: within OrderTimings::after_sales_window_us of delivery the customer
// opens one request at a time (a refund of an amount, or a complaint); the merchant approves it
// (a refund of the amount, if any) or rejects it with a resolution.
//
// Timeline: order_events holds one row per change: the order status it moved to, or an event
// name ("refund", "after_sale_opened", "after_sale_approved", "after_sale_rejected") with a
// note. Every change also writes user_events rows (kind 'order') for the customer and the
// merchant's owner, in the same transaction.
//
// Authorization (actor.h): the customer sees their own orders; the merchant's owner the orders
// of their store; an admin all. Others get NotFound. A party acting outside its role (a
// customer advancing or refunding, a merchant opening an after-sales request) is
// PermissionDenied.
// Errors: InvalidArgument (bad request, key or amount), NotFound, FailedPrecondition (the
// state refuses it: closed, not accepting, no stock, unavailable, insufficient funds, spending
// limit, wrong status, window passed), PermissionDenied.
// Thread-safety: Orders is thread-safe (it holds no mutable state); its Db, Clock and
// estimator must outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "services/actor.h"
#include "services/cart.h"
#include "services/coupons.h"
#include "store/db.h"

namespace qwl::services {

enum class OrderStatus {
  kPlaced,
  kAccepted,
  kPreparing,
  kOnTheWay,
  kDelivered,
  kCancelled,
  kRefunded
};
std::string_view order_status_name(OrderStatus status);  // "placed", "on_the_way", ...
std::optional<OrderStatus> parse_order_status(std::string_view name);

// Where a delivery goes from and to; nodes are road_nodes ids (0: unknown).
struct DeliveryQuery {
  int64_t merchant_id = 0;
  double from_lat = 0, from_lon = 0;
  int64_t from_node = 0;
  double to_lat = 0, to_lon = 0;
  int64_t to_node = 0;
};

struct DeliveryEstimate {
  int64_t distance_m = 0;  // along the way
  int64_t travel_s = 0;    // rider's travel and handover
};

// How long a delivery rides. The maps service supplies one from routes on the road network;
// it is called inside the order's transaction, so it must not open a transaction on the same
// Db, and must give the same answer when called again (transactions may be retried).
class DeliveryEstimator {
 public:
  virtual ~DeliveryEstimator() = default;
  virtual Result<DeliveryEstimate> estimate(const DeliveryQuery& query) const = 0;
};

// The default: the great-circle distance x 1.3 for the streets, ridden at 15 km/h, plus two
// minutes to hand over.
class StraightLineEstimator final : public DeliveryEstimator {
 public:
  Result<DeliveryEstimate> estimate(const DeliveryQuery& query) const override;
};

// Great-circle distance in metres (haversine, mean Earth radius).
double straight_line_m(double lat1, double lon1, double lat2, double lon2);

struct OrderTimings {
  int64_t accept_after_us = 60'000'000;                         // placed -> accepted
  int64_t start_after_us = 60'000'000;                          // accepted -> preparing
  int64_t online_shipping_s = 24 * 3600;                        // a shop without a place
  int64_t after_sales_window_us = 7LL * 24 * 3600 * 1'000'000;  // from delivery
};

struct OrdersOptions {
  OrderTimings timings;
  const DeliveryEstimator* estimator = nullptr;  // nullptr: a StraightLineEstimator
};

struct OrderItem {
  int64_t id = 0;
  int64_t menu_item_id = 0;  // 0 for a variant
  int64_t variant_id = 0;    // 0 for a menu item
  std::string name_en;
  std::string name_zh;
  std::string options;  // option ids, "3,7"
  std::string options_en;
  std::string options_zh;
  int64_t quantity = 0;
  int64_t unit_price = 0;  // fen
  int64_t line_total = 0;  // fen
};

struct OrderCoupon {
  int64_t coupon_id = 0;
  int64_t user_coupon_id = 0;
  std::string code;
  std::string title_en;
  std::string title_zh;
  int64_t amount = 0;     // fen
  std::string funded_by;  // platform, merchant
};

struct OrderEvent {
  int64_t id = 0;
  std::string status;         // an order status or an event name (see above)
  int64_t actor_user_id = 0;  // 0: the system (fulfilment worker)
  std::string note;
  int64_t at_us = 0;
};

struct Order {
  int64_t id = 0;
  int64_t user_id = 0;
  int64_t merchant_id = 0;
  std::string merchant_name_en;
  std::string merchant_name_zh;
  std::string fulfilment;  // delivery, pickup
  OrderStatus status = OrderStatus::kPlaced;
  int64_t subtotal = 0;  // fen, goods
  int64_t discount = 0;
  int64_t delivery_fee = 0;
  int64_t total = 0;     // paid: subtotal - discount + delivery_fee
  int64_t refunded = 0;  // paid back so far
  std::string currency;
  int64_t address_id = 0;
  std::string delivery_line;
  std::optional<double> delivery_lat, delivery_lon;
  int64_t eta_at_us = 0;  // 0: none
  std::string note;
  int64_t placed_at_us = 0;
  int64_t updated_at_us = 0;
  int64_t next_step_at_us = 0;  // 0: none (final)
  std::vector<OrderItem> items;
  std::vector<OrderCoupon> coupons;
  std::vector<OrderEvent> events;  // get_order() only; oldest first
};

struct CheckoutRequest {
  int64_t merchant_id = 0;
  std::string fulfilment = "delivery";  // or "pickup"
  int64_t address_id = 0;               // required for delivery
  // nullopt: the best combination of the user's coupons; a list (maybe empty): exactly those
  // user_coupon ids.
  std::optional<std::vector<int64_t>> user_coupon_ids;
  std::string note;             // to the merchant, at most 500 bytes
  std::string idempotency_key;  // required for checkout(); ignored by preview_checkout()
  // The total (fen) the user confirmed, from a preview. When set and the total is different
  // now (a price changed, a coupon ran out), checkout refuses with FailedPrecondition and
  // charges nothing: a user never pays an amount they did not see.
  std::optional<int64_t> expected_total;
};

// What checkout would do now (the agent's confirmation card).
struct CheckoutPreview {
  int64_t merchant_id = 0;
  std::string merchant_name_en;
  std::string merchant_name_zh;
  std::vector<CartLine> lines;
  int64_t subtotal = 0;
  CouponQuote coupons;
  int64_t delivery_fee = 0;
  int64_t total = 0;
  int64_t distance_m = 0;  // 0 for pickup
  int64_t eta_at_us = 0;
  int64_t wallet_balance = 0;
};

struct CheckoutResult {
  Order order;
  std::string coupons_explanation_en;  // as the quote said when the order was placed
  std::string coupons_explanation_zh;
  bool replayed = false;  // an earlier checkout under the same key
};

struct OrderQuery {
  std::optional<OrderStatus> status;
  int64_t limit = 20;     // 1..200
  int64_t before_id = 0;  // 0: from the newest
};

enum class AfterSaleKind { kRefund, kComplaint };
enum class AfterSaleStatus { kOpen, kApproved, kRejected };

struct AfterSale {
  int64_t id = 0;
  int64_t order_id = 0;
  int64_t user_id = 0;
  AfterSaleKind kind = AfterSaleKind::kRefund;
  std::string reason;
  int64_t amount = 0;  // fen asked back (complaints: 0 or a compensation)
  AfterSaleStatus status = AfterSaleStatus::kOpen;
  std::string resolution;
  int64_t created_at_us = 0;
  int64_t resolved_at_us = 0;  // 0: open
};

struct RefundResult {
  Order order;
  int64_t txn_id = 0;  // the refund's ledger transaction
  int64_t amount = 0;
  bool replayed = false;
};

class Orders {
 public:
  Orders(Db& db, const Clock& clock, OrdersOptions options = {});
  Orders(const Orders&) = delete;
  Orders& operator=(const Orders&) = delete;

  Db& db() const { return db_; }
  const Clock& clock() const { return clock_; }
  const OrderTimings& timings() const { return options_.timings; }

  // Everything checkout checks and computes, without writing (a dry run in a read snapshot).
  Result<CheckoutPreview> preview_checkout(const Actor& actor, const CheckoutRequest& request);
  // Places the order (see above). The key is required.
  Result<CheckoutResult> checkout(const Actor& actor, const CheckoutRequest& request);

  Result<Order> get_order(const Actor& actor, int64_t order_id);
  // The actor's own orders, newest first, with items (no events).
  Result<std::vector<Order>> list_orders(const Actor& actor, const OrderQuery& query);
  // A store's orders for its owner or an admin, newest first, with items.
  Result<std::vector<Order>> list_merchant_orders(const Actor& actor, int64_t merchant_id,
                                                  const OrderQuery& query);

  // The merchant moves the order to `to`, the step after its current status; asking for the
  // status it already has is a no-op (a retried click).
  Result<Order> advance(const Actor& actor, int64_t order_id, OrderStatus to,
                        std::string_view note = {});
  Result<Order> cancel(const Actor& actor, int64_t order_id, std::string_view reason);
  // Refunds `amount` fen of a delivered order (merchant or admin). With a key, a retry returns
  // the first refund.
  Result<RefundResult> refund(const Actor& actor, int64_t order_id, int64_t amount,
                              std::string_view reason, std::string_view idempotency_key = {});

  Result<AfterSale> open_after_sale(const Actor& actor, int64_t order_id, AfterSaleKind kind,
                                    std::string_view reason, int64_t amount);
  Result<AfterSale> resolve_after_sale(const Actor& actor, int64_t after_sale_id, bool approve,
                                       std::string_view resolution);
  Result<std::vector<AfterSale>> list_after_sales(const Actor& actor, int64_t order_id);

  // For the fulfilment worker: advances each order whose next step is due at `now_us` by one
  // step (at most `limit` orders), each in its own transaction. Returns how many moved.
  Result<int64_t> advance_due_once(int64_t now_us, int64_t limit);

 private:
  Db& db_;
  const Clock& clock_;
  OrdersOptions options_;
  StraightLineEstimator default_estimator_;
};

std::string_view after_sale_kind_name(AfterSaleKind kind);        // refund, complaint
std::string_view after_sale_status_name(AfterSaleStatus status);  // open, approved, rejected

}  // namespace qwl::services
