// Orders on both databases: checkout (money, coupons, stock, outbox, cart), idempotent replay,
// refusals that leave nothing behind, spending limits over the local day, the lifecycle on a
// ManualClock, cancellation, refunds and after-sales rules, and who may see and do what. Every
// scenario ends with a ledger audit.
#include "services/orders.h"

#include <gtest/gtest.h>

#include "services/city_time.h"
#include "services/fulfilment.h"
#include "services/ledger.h"
#include "services/orders_testing.h"
#include "services/payments.h"
#include "services/services_testing.h"

namespace qwl::services {
namespace {

using testing::CommerceWorld;

class OrdersTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam(), DbOptions{.pool_size = 4, .max_attempts = 200});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto w = testing::build_world(*db_);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    w_ = *w;
    orders_ = std::make_unique<Orders>(*db_, clock_);
  }
  void TearDown() override {
    if (!db_) return;
    auto a = testing::audit(*db_);
    ASSERT_TRUE(a.ok()) << a.status().to_string();
    EXPECT_TRUE(a->ok()) << "sum " << a->balance_sum << " unbalanced " << a->unbalanced_txns
                         << " mismatched " << a->mismatched_accounts << " negative "
                         << a->negative_accounts;
    // Every order that moved money was paid exactly once.
    auto twice = testing::query_int(
        *db_,
        "SELECT COUNT(*) FROM orders o WHERE (SELECT COUNT(*) FROM ledger_txns t WHERE "
        "t.order_id = o.id AND t.kind = 'payment') <> CASE WHEN o.total > 0 THEN 1 ELSE 0 END");
    ASSERT_TRUE(twice.ok());
    EXPECT_EQ(*twice, 0);
  }

  void add(const Actor& who, CartLineInput in) {
    auto line = add_to_cart(*db_, clock_, who, in);
    ASSERT_TRUE(line.ok()) << line.status().to_string();
  }
  // Two large lattes (¥26 each): subtotal ¥52 at the café.
  void fill_cart(const Actor& who) {
    add(who, {.menu_item_id = w_.latte, .option_ids = {w_.large}, .quantity = 2});
  }
  CheckoutRequest request(std::string key, int64_t address = -1) {
    return CheckoutRequest{.merchant_id = w_.cafe,
                           .address_id = address < 0 ? w_.alice_home : address,
                           .idempotency_key = std::move(key)};
  }
  Result<CheckoutResult> checkout(const Actor& who, CheckoutRequest req) {
    return orders_->checkout(who, req);
  }
  // A placed order of alice's: two large lattes.
  Order place(std::string key = "k-place") {
    fill_cart(w_.alice);
    auto r = checkout(w_.alice, request(key));
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? r->order : Order{};
  }
  int64_t balance(AccountKind kind, int64_t owner) {
    auto b = testing::balance_of(*db_, kind, owner);
    EXPECT_TRUE(b.ok());
    return b.ok() ? *b : -1;
  }
  int64_t count(std::string_view sql, Params params = {}) {
    auto n = testing::query_int(*db_, sql, params);
    EXPECT_TRUE(n.ok()) << n.status().to_string();
    return n.ok() ? *n : -1;
  }
  // Drives an order to delivered through the worker.
  void deliver(int64_t order_id) {
    Fulfilment worker(*orders_);
    clock_.advance_us(3 * 3600 * 1'000'000LL);
    auto moved = worker.run_due(clock_.wall_us());
    ASSERT_TRUE(moved.ok()) << moved.status().to_string();
    auto o = orders_->get_order(w_.alice, order_id);
    ASSERT_TRUE(o.ok());
    ASSERT_EQ(o->status, OrderStatus::kDelivered);
  }

  std::unique_ptr<Db> db_;
  CommerceWorld w_;
  ManualClock clock_{testing::kWorldTime};
  std::unique_ptr<Orders> orders_;
};

TEST_P(OrdersTest, CheckoutPaysTheMerchantFullPriceAndUsesTheBestCoupons) {
  auto luna = testing::add_coupon(
      *db_, {.code = "LUNA5", .merchant_id = w_.cafe, .min_subtotal = 3000, .amount_off = 500});
  auto plat = testing::add_coupon(*db_, {.code = "PLAT10",
                                         .funded_by = "platform",
                                         .percent_off = 10,
                                         .max_discount = 800,
                                         .stackable = true});
  ASSERT_TRUE(luna.ok() && plat.ok());
  ASSERT_TRUE(testing::give_coupon(*db_, w_.alice.user_id, *luna).ok());
  ASSERT_TRUE(testing::give_coupon(*db_, w_.alice.user_id, *plat).ok());
  fill_cart(w_.alice);
  add(w_.alice, {.menu_item_id = w_.croissant, .quantity = 2});  // stock 5 -> 3
  add(w_.alice, {.variant_id = w_.bottle, .quantity = 1});       // another shop: stays

  auto preview = orders_->preview_checkout(w_.alice, request(""));
  ASSERT_TRUE(preview.ok()) << preview.status().to_string();
  const int64_t subtotal = 2 * 2600 + 2 * 1500;  // ¥82
  EXPECT_EQ(preview->subtotal, subtotal);
  EXPECT_EQ(preview->coupons.discount, 500 + 800);  // LUNA5 and 10% capped at ¥8
  EXPECT_EQ(preview->delivery_fee, 300);
  EXPECT_EQ(preview->total, subtotal - 1300 + 300);
  EXPECT_GT(preview->distance_m, 300);
  EXPECT_GT(preview->eta_at_us, clock_.wall_us());
  EXPECT_TRUE(preview->coupons.skipped.empty());
  EXPECT_EQ(preview->wallet_balance, testing::kAliceFunds);

  auto r = checkout(w_.alice, request("k-1"));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_FALSE(r->replayed);
  const Order& o = r->order;
  EXPECT_EQ(o.status, OrderStatus::kPlaced);
  EXPECT_EQ(o.subtotal, subtotal);
  EXPECT_EQ(o.discount, preview->coupons.discount);
  EXPECT_EQ(o.total, preview->total);
  EXPECT_EQ(o.eta_at_us, preview->eta_at_us);
  EXPECT_EQ(o.delivery_line, fmt::format("home of user {}", w_.alice.user_id));
  ASSERT_EQ(o.items.size(), 2u);
  EXPECT_EQ(o.items[0].options_en, "Large, Regular, Regular");
  EXPECT_EQ(o.items[0].unit_price, 2600);
  EXPECT_EQ(o.items[1].line_total, 3000);
  ASSERT_EQ(o.coupons.size(), 2u);
  EXPECT_EQ(o.coupons[0].code, "LUNA5");
  EXPECT_EQ(o.coupons[1].funded_by, "platform");
  ASSERT_EQ(o.events.size(), 1u);
  EXPECT_EQ(o.events[0].status, "placed");
  EXPECT_NE(r->coupons_explanation_en.find("LUNA5"), std::string::npos);

  // Money: wallet pays the total; the platform pays its ¥8; the merchant gets full price.
  EXPECT_EQ(balance(AccountKind::kWallet, w_.alice.user_id), testing::kAliceFunds - o.total);
  EXPECT_EQ(balance(AccountKind::kCouponFunding, 0), testing::kCouponBudget - 800);
  EXPECT_EQ(balance(AccountKind::kMerchant, w_.cafe), o.total + 800);
  EXPECT_EQ(balance(AccountKind::kMerchant, w_.cafe), subtotal + 300 - o.coupons[0].amount);
  // Stock and coupons.
  EXPECT_EQ(count("SELECT stock FROM menu_items WHERE id = ?", {w_.croissant}), 3);
  EXPECT_EQ(count("SELECT sales FROM menu_items WHERE id = ?", {w_.latte}), 2);
  EXPECT_EQ(count("SELECT updated_at_us FROM menu_items WHERE id = ?", {w_.croissant}),
            clock_.wall_us());
  EXPECT_EQ(count("SELECT COUNT(*) FROM user_coupons WHERE order_id = ?", {o.id}), 2);
  EXPECT_EQ(count("SELECT SUM(used_count) FROM coupons"), 2);
  // The cart keeps only the other shop's line; both parties have an outbox row.
  EXPECT_EQ(count("SELECT COUNT(*) FROM cart_items WHERE user_id = ?", {w_.alice.user_id}), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM user_events WHERE kind = 'order' AND ref_id = ? AND "
                  "user_id = ?",
                  {o.id, w_.alice.user_id}),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM user_events WHERE kind = 'order' AND ref_id = ? AND "
                  "user_id = ?",
                  {o.id, w_.owner.user_id}),
            1);
  EXPECT_EQ(
      count("SELECT COUNT(*) FROM ledger_txns WHERE order_id = ? AND kind = 'payment'", {o.id}), 1);
}

TEST_P(OrdersTest, PicksTheLargerMerchantCouponAndExplainsTheOthers) {
  auto luna = testing::add_coupon(
      *db_, {.code = "LUNA5", .merchant_id = w_.cafe, .min_subtotal = 3000, .amount_off = 500});
  auto big = testing::add_coupon(
      *db_, {.code = "BIG20", .merchant_id = w_.cafe, .min_subtotal = 8000, .amount_off = 2000});
  auto solo = testing::add_coupon(
      *db_, {.code = "SOLO", .funded_by = "platform", .amount_off = 1000});  // not stackable
  ASSERT_TRUE(luna.ok() && big.ok() && solo.ok());
  for (int64_t c : {*luna, *big, *solo}) {
    ASSERT_TRUE(testing::give_coupon(*db_, w_.alice.user_id, c).ok());
  }
  fill_cart(w_.alice);  // ¥52
  auto p = orders_->preview_checkout(w_.alice, request(""));
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  // SOLO (¥10) beats LUNA5 (¥5) and cannot stack; BIG20 needs ¥80.
  ASSERT_EQ(p->coupons.applied.size(), 1u);
  EXPECT_EQ(p->coupons.applied[0].coupon.code, "SOLO");
  ASSERT_EQ(p->coupons.skipped.size(), 2u);
  EXPECT_EQ(p->coupons.skipped[0].reason_en, "platform coupon SOLO saves more on its own");
  EXPECT_EQ(p->coupons.skipped[1].reason_en, "needs ¥80, subtotal ¥52");
  EXPECT_EQ(p->coupons.skipped[1].reason_zh, "满¥80可用，小计¥52");
  // With ¥82 of goods BIG20 (¥20) wins over SOLO.
  add(w_.alice, {.menu_item_id = w_.croissant, .quantity = 2});
  p = orders_->preview_checkout(w_.alice, request(""));
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->coupons.applied.size(), 1u);
  EXPECT_EQ(p->coupons.applied[0].coupon.code, "BIG20");
  EXPECT_EQ(p->total, 8200 - 2000 + 300);
  // A total the user did not see is refused; the one they saw goes through.
  CheckoutRequest confirmed = request("k-confirmed");
  confirmed.expected_total = p->total + 100;
  auto stale = checkout(w_.alice, confirmed);
  EXPECT_EQ(stale.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(stale.status().message().find("the total is now ¥65"), std::string::npos)
      << stale.status().message();
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 0);
  // The user's own choice is honoured.
  CheckoutRequest chosen = request("k-chosen");
  chosen.user_coupon_ids = std::vector<int64_t>{};
  auto r = checkout(w_.alice, chosen);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->order.discount, 0);
  EXPECT_EQ(r->order.total, 8200 + 300);
}

TEST_P(OrdersTest, IdempotentCheckoutPlacesExactlyOneOrder) {
  fill_cart(w_.alice);
  auto first = checkout(w_.alice, request("k-same"));
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  const int64_t after_first = balance(AccountKind::kWallet, w_.alice.user_id);
  // The retry (a lost reply) returns the same order and charges nothing more, even though the
  // cart is now empty.
  auto again = checkout(w_.alice, request("k-same"));
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->order.id, first->order.id);
  EXPECT_EQ(again->coupons_explanation_en, first->coupons_explanation_en);
  EXPECT_EQ(balance(AccountKind::kWallet, w_.alice.user_id), after_first);
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders WHERE id = ? AND idempotency_key = 'k-same'",
                  {first->order.id}),
            1);
  // Another request under the same key is refused.
  CheckoutRequest other = request("k-same");
  other.note = "extra napkins";
  EXPECT_EQ(checkout(w_.alice, other).status().code(), StatusCode::kInvalidArgument);
  // Keys are per user: bob's "k-same" is his own (and fails on his empty cart, storing nothing).
  CheckoutRequest bobs = request("k-same", w_.bob_home);
  EXPECT_EQ(checkout(w_.bob, bobs).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(count("SELECT COUNT(*) FROM idempotency_keys WHERE user_id = ?", {w_.bob.user_id}), 0);
  // A failed checkout keeps the key free: fixed and retried under it, it succeeds once.
  ASSERT_TRUE(testing::close_now(*db_, w_.cafe_poi, clock_.wall_us()).ok());
  fill_cart(w_.alice);
  EXPECT_EQ(checkout(w_.alice, request("k-later")).status().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(testing::exec_sql(*db_, "DELETE FROM poi_hours").ok());
  auto later = checkout(w_.alice, request("k-later"));
  ASSERT_TRUE(later.ok()) << later.status().to_string();
  EXPECT_FALSE(later->replayed);
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 2);
  EXPECT_EQ(checkout(w_.alice, request("")).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(OrdersTest, RefusedCheckoutsLeaveNothingBehind) {
  fill_cart(w_.alice);
  const int64_t wallet = balance(AccountKind::kWallet, w_.alice.user_id);
  auto refused = [&](CheckoutRequest req, StatusCode want, std::string_view words,
                     const Actor* who = nullptr) {
    auto r = orders_->checkout(who ? *who : w_.alice, req);
    EXPECT_EQ(r.status().code(), want) << r.status().to_string();
    EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
  };
  CheckoutRequest unknown = request("k1");
  unknown.merchant_id = 999999;
  refused(unknown, StatusCode::kNotFound, "merchant 999999");
  refused(request("k2", w_.bob_home), StatusCode::kNotFound, "address");  // bob's address
  refused(request("k3", 999999), StatusCode::kNotFound, "address");
  refused(request("k4", w_.alice_far), StatusCode::kFailedPrecondition, "delivers within");
  refused(request("k5", 0), StatusCode::kInvalidArgument, "address_id is required");
  CheckoutRequest bad = request("k6");
  bad.fulfilment = "drone";
  refused(bad, StatusCode::kInvalidArgument, "fulfilment");
  bad = request("k7");
  bad.user_coupon_ids = std::vector<int64_t>{12345};
  refused(bad, StatusCode::kInvalidArgument, "not one of yours");
  ASSERT_TRUE(testing::close_now(*db_, w_.cafe_poi, clock_.wall_us()).ok());
  refused(request("k8"), StatusCode::kFailedPrecondition, "closed now");
  ASSERT_TRUE(testing::exec_sql(*db_, "DELETE FROM poi_hours").ok());
  ASSERT_TRUE(
      testing::exec_sql(*db_, "UPDATE merchants SET accepting = FALSE WHERE id = ?", {w_.cafe})
          .ok());
  refused(request("k9"), StatusCode::kFailedPrecondition, "not taking orders");
  ASSERT_TRUE(testing::exec_sql(*db_,
                                "UPDATE merchants SET accepting = TRUE, min_order = 6000 WHERE "
                                "id = ?",
                                {w_.cafe})
                  .ok());
  refused(request("k10"), StatusCode::kFailedPrecondition, "minimum order ¥60, subtotal ¥52");
  ASSERT_TRUE(
      testing::exec_sql(*db_, "UPDATE merchants SET min_order = 0 WHERE id = ?", {w_.cafe}).ok());
  // The croissant sells out between adding and paying: no stock is taken, nothing is paid.
  add(w_.alice, {.menu_item_id = w_.croissant, .quantity = 3});
  ASSERT_TRUE(
      testing::exec_sql(*db_, "UPDATE menu_items SET stock = 2 WHERE id = ?", {w_.croissant}).ok());
  refused(request("k11"), StatusCode::kFailedPrecondition, "only 2 left");
  ASSERT_TRUE(testing::exec_sql(*db_,
                                "UPDATE menu_items SET stock = 5, available = FALSE WHERE id = ?",
                                {w_.croissant})
                  .ok());
  refused(request("k12"), StatusCode::kFailedPrecondition, "not available");
  ASSERT_TRUE(
      testing::exec_sql(*db_, "UPDATE menu_items SET available = TRUE WHERE id = ?", {w_.croissant})
          .ok());
  // Bob has no money; then a limit of ¥50 a day stops alice's ¥100.
  fill_cart(w_.bob);
  refused(request("k13", w_.bob_home), StatusCode::kFailedPrecondition, "insufficient funds",
          &w_.bob);
  ASSERT_TRUE(set_daily_spend_limit(*db_, w_.alice, 5000).ok());
  refused(request("k14"), StatusCode::kFailedPrecondition, "daily spending limit ¥50");
  // An empty cart at a shop.
  CheckoutRequest empty = request("k15");
  empty.merchant_id = w_.tea_shop;
  ASSERT_TRUE(set_daily_spend_limit(*db_, w_.alice, std::nullopt).ok());
  refused(empty, StatusCode::kFailedPrecondition, "no items");
  // A platform coupon the budget cannot pay.
  auto plat = testing::add_coupon(
      *db_, {.code = "P", .funded_by = "platform", .amount_off = 100, .stackable = true});
  ASSERT_TRUE(plat.ok());
  ASSERT_TRUE(testing::give_coupon(*db_, w_.alice.user_id, *plat).ok());
  ASSERT_TRUE(testing::exec_sql(*db_,
                                "UPDATE accounts SET balance = 0 WHERE kind = "
                                "'coupon_funding'")
                  .ok());
  refused(request("k16"), StatusCode::kFailedPrecondition, "coupon budget");
  ASSERT_TRUE(testing::exec_sql(*db_,
                                "UPDATE accounts SET balance = ? WHERE kind = "
                                "'coupon_funding'",
                                {testing::kCouponBudget})
                  .ok());
  // A disabled user.
  ASSERT_TRUE(
      testing::exec_sql(*db_, "UPDATE users SET disabled = TRUE WHERE id = ?", {w_.alice.user_id})
          .ok());
  refused(request("k17"), StatusCode::kPermissionDenied, "disabled");
  ASSERT_TRUE(
      testing::exec_sql(*db_, "UPDATE users SET disabled = FALSE WHERE id = ?", {w_.alice.user_id})
          .ok());

  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM order_items"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM idempotency_keys"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM user_events WHERE kind = 'order'"), 0);
  EXPECT_EQ(count("SELECT stock FROM menu_items WHERE id = ?", {w_.croissant}), 5);
  EXPECT_EQ(count("SELECT used_count FROM coupons WHERE id = ?", {*plat}), 0);
  EXPECT_EQ(balance(AccountKind::kWallet, w_.alice.user_id), wallet);
  // And after all that, the cart still checks out.
  auto ok = checkout(w_.alice, request("k-final"));
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->order.discount, 100);
}

TEST_P(OrdersTest, SpendingLimitCountsTheLocalDayNetOfRefunds) {
  // 23:50 local time: the day's spending resets ten minutes later.
  const LocalTime t = local_time(clock_.wall_us());
  clock_.set_wall_us(local_instant_us(t.day, 23 * 60 + 50));
  ASSERT_TRUE(set_daily_spend_limit(*db_, w_.alice, 6000).ok());
  Order first = place("k-a");  // ¥55
  ASSERT_NE(first.id, 0);
  auto w = get_wallet(*db_, clock_, w_.alice);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->spent_today, 5500);
  EXPECT_EQ(w->left_today, 500);
  fill_cart(w_.alice);
  EXPECT_EQ(checkout(w_.alice, request("k-b")).status().code(), StatusCode::kFailedPrecondition);
  // A cancellation gives the day's room back.
  ASSERT_TRUE(orders_->cancel(w_.alice, first.id, "changed my mind").ok());
  EXPECT_EQ(get_wallet(*db_, clock_, w_.alice)->spent_today, 0);
  auto second = checkout(w_.alice, request("k-b"));
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  fill_cart(w_.alice);
  EXPECT_EQ(checkout(w_.alice, request("k-c")).status().code(), StatusCode::kFailedPrecondition);
  // Past local midnight, a new day.
  clock_.advance_us(11 * kMicrosPerMinute);
  EXPECT_EQ(get_wallet(*db_, clock_, w_.alice)->spent_today, 0);
  auto third = checkout(w_.alice, request("k-c"));
  ASSERT_TRUE(third.ok()) << third.status().to_string();
}

TEST_P(OrdersTest, TheWorkerMovesOrdersThroughTheirLifecycle) {
  Order o = place();
  Fulfilment worker(*orders_);
  auto status = [&] { return orders_->get_order(w_.alice, o.id)->status; };
  EXPECT_EQ(*worker.run_due(clock_.wall_us()), 0);
  clock_.advance_us(59'000'000);
  EXPECT_EQ(*worker.run_due(clock_.wall_us()), 0);
  clock_.advance_us(1'000'000);
  EXPECT_EQ(*worker.run_due(clock_.wall_us()), 1);
  EXPECT_EQ(status(), OrderStatus::kAccepted);
  clock_.advance_us(60'000'000);
  EXPECT_EQ(*worker.run_due(clock_.wall_us()), 1);
  EXPECT_EQ(status(), OrderStatus::kPreparing);
  clock_.advance_us(10 * kMicrosPerMinute);  // the café's prep time
  EXPECT_EQ(*worker.run_due(clock_.wall_us()), 1);
  Order riding = *orders_->get_order(w_.alice, o.id);
  EXPECT_EQ(riding.status, OrderStatus::kOnTheWay);
  EXPECT_EQ(riding.eta_at_us, riding.next_step_at_us);
  // The ETA promised at checkout holds when every step is on time.
  EXPECT_EQ(riding.eta_at_us, o.eta_at_us);
  clock_.set_wall_us(riding.eta_at_us);
  EXPECT_EQ(*worker.run_due(clock_.wall_us()), 1);
  Order done = *orders_->get_order(w_.alice, o.id);
  EXPECT_EQ(done.status, OrderStatus::kDelivered);
  EXPECT_EQ(done.next_step_at_us, 0);
  ASSERT_EQ(done.events.size(), 5u);
  const char* want[] = {"placed", "accepted", "preparing", "on_the_way", "delivered"};
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(done.events[i].status, want[i]);
  EXPECT_EQ(done.events[1].actor_user_id, 0);  // the system
  EXPECT_EQ(count("SELECT COUNT(*) FROM user_events WHERE ref_id = ? AND user_id = ?",
                  {o.id, w_.alice.user_id}),
            5);
  EXPECT_EQ(count("SELECT COUNT(*) FROM user_events WHERE ref_id = ? AND user_id = ?",
                  {o.id, w_.owner.user_id}),
            5);
  EXPECT_EQ(*worker.run_due(clock_.wall_us() + 3600'000'000LL), 0);

  // A worker that was down catches up in one call, and a pickup order skips the ride.
  add(w_.alice, {.menu_item_id = w_.croissant, .quantity = 1});
  CheckoutRequest pickup = request("k-pickup", 0);
  pickup.fulfilment = "pickup";
  auto p = checkout(w_.alice, pickup);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->order.delivery_fee, 0);
  EXPECT_EQ(p->order.total, 1500);
  clock_.advance_us(2 * 3600'000'000LL);
  EXPECT_EQ(*worker.run_due(clock_.wall_us()), 3);
  Order picked = *orders_->get_order(w_.alice, p->order.id);
  EXPECT_EQ(picked.status, OrderStatus::kDelivered);
  ASSERT_EQ(picked.events.size(), 4u);
  EXPECT_EQ(picked.events[2].status, "preparing");
  EXPECT_EQ(picked.events[3].status, "delivered");
}

TEST_P(OrdersTest, TheBackgroundWorkerRunsOnItsThread) {
  Order o = place();
  Fulfilment worker(*orders_);
  clock_.advance_us(3 * 3600'000'000LL);
  worker.start(std::chrono::milliseconds(5));
  EXPECT_TRUE(worker.running());
  for (int i = 0; i < 400 && worker.steps_taken() < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  worker.stop();
  EXPECT_FALSE(worker.running());
  EXPECT_EQ(worker.steps_taken(), 4);
  EXPECT_EQ(orders_->get_order(w_.alice, o.id)->status, OrderStatus::kDelivered);
}

TEST_P(OrdersTest, TheMerchantAdvancesItsOwnOrdersOnly) {
  Order o = place();
  auto adv = [&](const Actor& who, OrderStatus to) { return orders_->advance(who, o.id, to); };
  EXPECT_EQ(adv(w_.alice, OrderStatus::kAccepted).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(adv(w_.bob, OrderStatus::kAccepted).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(adv(w_.other_merchant, OrderStatus::kAccepted).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(adv(w_.owner, OrderStatus::kPreparing).status().code(),
            StatusCode::kFailedPrecondition);  // skips a step
  auto accepted = adv(w_.owner, OrderStatus::kAccepted);
  ASSERT_TRUE(accepted.ok()) << accepted.status().to_string();
  EXPECT_EQ(accepted->status, OrderStatus::kAccepted);
  EXPECT_EQ(accepted->next_step_at_us, clock_.wall_us() + 60'000'000);
  auto again = adv(w_.owner, OrderStatus::kAccepted);  // a retried click: no change
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->events.size(), 2u);
  EXPECT_EQ(again->events[1].actor_user_id, w_.owner.user_id);
  ASSERT_TRUE(adv(w_.admin, OrderStatus::kPreparing).ok());
  ASSERT_TRUE(adv(w_.owner, OrderStatus::kOnTheWay).ok());
  ASSERT_TRUE(adv(w_.owner, OrderStatus::kDelivered).ok());
  EXPECT_EQ(adv(w_.owner, OrderStatus::kCancelled).status().code(),
            StatusCode::kFailedPrecondition);

  // Who sees what.
  EXPECT_EQ(orders_->get_order(w_.bob, o.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(orders_->get_order(w_.other_merchant, o.id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(orders_->get_order(w_.owner, o.id).ok());
  EXPECT_TRUE(orders_->get_order(w_.admin, o.id).ok());
  EXPECT_EQ(orders_->list_orders(w_.alice, {})->size(), 1u);
  EXPECT_TRUE(orders_->list_orders(w_.bob, {})->empty());
  EXPECT_EQ(orders_->list_orders(w_.alice, {.limit = 0}).status().code(),
            StatusCode::kInvalidArgument);
  auto mine = orders_->list_merchant_orders(w_.owner, w_.cafe, {});
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].items.size(), 1u);
  EXPECT_EQ(
      orders_->list_merchant_orders(w_.owner, w_.cafe, {.status = OrderStatus::kPlaced})->size(),
      0u);
  EXPECT_EQ(orders_->list_merchant_orders(w_.other_merchant, w_.cafe, {}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(orders_->list_merchant_orders(w_.alice, w_.cafe, {}).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(orders_->list_merchant_orders(w_.admin, w_.cafe, {})->size(), 1u);
}

TEST_P(OrdersTest, CancellationFollowsTheRulesAndUndoesEverything) {
  auto plat = testing::add_coupon(*db_, {.code = "PLAT3",
                                         .funded_by = "platform",
                                         .amount_off = 300,
                                         .stackable = true,
                                         .total_limit = 5});
  auto luna =
      testing::add_coupon(*db_, {.code = "LUNA2", .merchant_id = w_.cafe, .amount_off = 200});
  ASSERT_TRUE(plat.ok() && luna.ok());
  auto uc_plat = testing::give_coupon(*db_, w_.alice.user_id, *plat);
  auto uc_luna = testing::give_coupon(*db_, w_.alice.user_id, *luna);
  ASSERT_TRUE(uc_plat.ok() && uc_luna.ok());
  add(w_.alice, {.menu_item_id = w_.croissant, .quantity = 4});
  auto r = checkout(w_.alice, request("k-1"));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Order o = r->order;
  EXPECT_EQ(o.discount, 500);
  EXPECT_EQ(count("SELECT stock FROM menu_items WHERE id = ?", {w_.croissant}), 1);

  EXPECT_EQ(orders_->cancel(w_.bob, o.id, "").status().code(), StatusCode::kNotFound);
  auto cancelled = orders_->cancel(w_.alice, o.id, "ordered by mistake");
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().to_string();
  EXPECT_EQ(cancelled->status, OrderStatus::kCancelled);
  EXPECT_EQ(cancelled->refunded, o.total);
  EXPECT_EQ(cancelled->next_step_at_us, 0);
  EXPECT_EQ(cancelled->events.back().status, "cancelled");
  EXPECT_EQ(cancelled->events.back().note, "cancelled by the customer: ordered by mistake");
  // Money, stock and coupons are back where they were.
  EXPECT_EQ(balance(AccountKind::kWallet, w_.alice.user_id), testing::kAliceFunds);
  EXPECT_EQ(balance(AccountKind::kMerchant, w_.cafe), 0);
  EXPECT_EQ(balance(AccountKind::kCouponFunding, 0), testing::kCouponBudget);
  EXPECT_EQ(count("SELECT stock FROM menu_items WHERE id = ?", {w_.croissant}), 5);
  EXPECT_EQ(count("SELECT sales FROM menu_items WHERE id = ?", {w_.croissant}), 0);
  EXPECT_EQ(count("SELECT SUM(used_count) FROM coupons"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM user_coupons WHERE order_id IS NULL"), 2);
  EXPECT_EQ(orders_->cancel(w_.alice, o.id, "").status().code(), StatusCode::kFailedPrecondition);
  // The coupons work again.
  add(w_.alice, {.menu_item_id = w_.croissant, .quantity = 1});
  auto again = checkout(w_.alice, request("k-2"));
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->order.discount, 500);

  // Once accepted, only the merchant may cancel, until the order is on its way.
  ASSERT_TRUE(orders_->advance(w_.owner, again->order.id, OrderStatus::kAccepted).ok());
  EXPECT_EQ(orders_->cancel(w_.alice, again->order.id, "").status().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(orders_->advance(w_.owner, again->order.id, OrderStatus::kPreparing).ok());
  auto by_merchant = orders_->cancel(w_.owner, again->order.id, "out of butter");
  ASSERT_TRUE(by_merchant.ok()) << by_merchant.status().to_string();
  EXPECT_EQ(by_merchant->events.back().note, "cancelled by the merchant: out of butter");
  EXPECT_EQ(balance(AccountKind::kWallet, w_.alice.user_id), testing::kAliceFunds);

  Order third = place("k-3");
  ASSERT_TRUE(orders_->advance(w_.owner, third.id, OrderStatus::kAccepted).ok());
  ASSERT_TRUE(orders_->advance(w_.owner, third.id, OrderStatus::kPreparing).ok());
  ASSERT_TRUE(orders_->advance(w_.owner, third.id, OrderStatus::kOnTheWay).ok());
  EXPECT_EQ(orders_->cancel(w_.owner, third.id, "").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(orders_->cancel(w_.admin, third.id, "").status().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(orders_->advance(w_.owner, third.id, OrderStatus::kDelivered).ok());
  EXPECT_EQ(orders_->cancel(w_.admin, third.id, "").status().code(),
            StatusCode::kFailedPrecondition);
  // The worker leaves cancelled orders alone.
  Fulfilment worker(*orders_);
  EXPECT_EQ(*worker.run_due(clock_.wall_us() + 86'400'000'000LL), 0);
}

TEST_P(OrdersTest, RefundsArePartialOrFullAndNeverMoreThanPaid) {
  Order o = place();  // ¥55
  EXPECT_EQ(orders_->refund(w_.owner, o.id, 100, "").status().code(),
            StatusCode::kFailedPrecondition);  // not delivered yet: cancel instead
  deliver(o.id);
  const int64_t wallet = balance(AccountKind::kWallet, w_.alice.user_id);
  EXPECT_EQ(orders_->refund(w_.alice, o.id, 100, "").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(orders_->refund(w_.other_merchant, o.id, 100, "").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(orders_->refund(w_.owner, o.id, 0, "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(orders_->refund(w_.owner, o.id, -5, "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(orders_->refund(w_.owner, o.id, kMaxAmount + 1, "").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(orders_->refund(w_.owner, o.id, o.total + 1, "").status().code(),
            StatusCode::kFailedPrecondition);

  auto part = orders_->refund(w_.owner, o.id, 1000, "cold coffee", "r-1");
  ASSERT_TRUE(part.ok()) << part.status().to_string();
  EXPECT_EQ(part->order.refunded, 1000);
  EXPECT_EQ(part->order.status, OrderStatus::kDelivered);
  EXPECT_EQ(part->order.events.back().status, "refund");
  EXPECT_EQ(part->order.events.back().note, "refund ¥10: cold coffee");
  // A retried refund under its key moves no money again.
  auto replay = orders_->refund(w_.owner, o.id, 1000, "cold coffee", "r-1");
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE(replay->replayed);
  EXPECT_EQ(replay->txn_id, part->txn_id);
  EXPECT_EQ(balance(AccountKind::kWallet, w_.alice.user_id), wallet + 1000);
  EXPECT_EQ(orders_->refund(w_.owner, o.id, 2000, "other", "r-1").status().code(),
            StatusCode::kInvalidArgument);

  const int64_t left = o.total - 1000;
  EXPECT_EQ(orders_->refund(w_.admin, o.id, left + 1, "").status().code(),
            StatusCode::kFailedPrecondition);
  auto rest = orders_->refund(w_.admin, o.id, left, "all of it");
  ASSERT_TRUE(rest.ok()) << rest.status().to_string();
  EXPECT_EQ(rest->order.status, OrderStatus::kRefunded);
  EXPECT_EQ(rest->order.refunded, o.total);
  EXPECT_EQ(balance(AccountKind::kWallet, w_.alice.user_id), wallet + o.total);
  EXPECT_EQ(balance(AccountKind::kMerchant, w_.cafe), 0);
  EXPECT_EQ(orders_->refund(w_.owner, o.id, 1, "").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      count("SELECT COUNT(*) FROM ledger_txns WHERE order_id = ? AND kind = 'refund'", {o.id}), 2);
}

TEST_P(OrdersTest, AfterSalesRequestsWithinTheWindow) {
  Order o = place();
  auto open = [&](const Actor& who, AfterSaleKind kind, int64_t amount) {
    return orders_->open_after_sale(who, o.id, kind, "the lid was broken", amount);
  };
  EXPECT_EQ(open(w_.alice, AfterSaleKind::kRefund, 500).status().code(),
            StatusCode::kFailedPrecondition);  // not delivered
  deliver(o.id);
  EXPECT_EQ(open(w_.bob, AfterSaleKind::kRefund, 500).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(open(w_.owner, AfterSaleKind::kRefund, 500).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(open(w_.alice, AfterSaleKind::kRefund, 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(open(w_.alice, AfterSaleKind::kRefund, o.total + 1).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      orders_->open_after_sale(w_.alice, o.id, AfterSaleKind::kRefund, "", 100).status().code(),
      StatusCode::kInvalidArgument);  // a reason is required

  auto req = open(w_.alice, AfterSaleKind::kRefund, 500);
  ASSERT_TRUE(req.ok()) << req.status().to_string();
  EXPECT_EQ(req->status, AfterSaleStatus::kOpen);
  EXPECT_EQ(open(w_.alice, AfterSaleKind::kComplaint, 0).status().code(),
            StatusCode::kFailedPrecondition);  // one open request at a time
  EXPECT_EQ(orders_->resolve_after_sale(w_.alice, req->id, true, "").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(orders_->resolve_after_sale(w_.other_merchant, req->id, true, "").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(orders_->resolve_after_sale(w_.owner, 999999, true, "").status().code(),
            StatusCode::kNotFound);
  const int64_t wallet = balance(AccountKind::kWallet, w_.alice.user_id);
  auto approved = orders_->resolve_after_sale(w_.owner, req->id, true, "sorry");
  ASSERT_TRUE(approved.ok()) << approved.status().to_string();
  EXPECT_EQ(approved->status, AfterSaleStatus::kApproved);
  EXPECT_EQ(balance(AccountKind::kWallet, w_.alice.user_id), wallet + 500);
  EXPECT_EQ(orders_->resolve_after_sale(w_.owner, req->id, false, "no").status().code(),
            StatusCode::kFailedPrecondition);

  auto complaint = open(w_.alice, AfterSaleKind::kComplaint, 0);
  ASSERT_TRUE(complaint.ok()) << complaint.status().to_string();
  EXPECT_EQ(orders_->resolve_after_sale(w_.owner, complaint->id, false, "").status().code(),
            StatusCode::kInvalidArgument);  // a rejection says why
  auto rejected = orders_->resolve_after_sale(w_.owner, complaint->id, false, "it was fine");
  ASSERT_TRUE(rejected.ok()) << rejected.status().to_string();
  EXPECT_EQ(rejected->status, AfterSaleStatus::kRejected);
  EXPECT_EQ(balance(AccountKind::kWallet, w_.alice.user_id), wallet + 500);

  auto list = orders_->list_after_sales(w_.owner, o.id);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].resolution, "it was fine");
  EXPECT_EQ(orders_->list_after_sales(w_.bob, o.id).status().code(), StatusCode::kNotFound);
  Order timeline = *orders_->get_order(w_.alice, o.id);
  std::vector<std::string> tail;
  for (size_t i = 5; i < timeline.events.size(); ++i) tail.push_back(timeline.events[i].status);
  EXPECT_EQ(tail, (std::vector<std::string>{"after_sale_opened", "refund", "after_sale_approved",
                                            "after_sale_opened", "after_sale_rejected"}));

  // Seven days after delivery the window closes.
  clock_.advance_us(8 * kMicrosPerDay);
  EXPECT_EQ(open(w_.alice, AfterSaleKind::kComplaint, 0).status().code(),
            StatusCode::kFailedPrecondition);
}

INSTANTIATE_TEST_SUITE_P(Db, OrdersTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
