// Commerce under concurrency, on both databases: 8 customers' threads run a few hundred random
// operations each (checkouts with retried keys, cancellations, merchant steps and refunds,
// top-ups, the fulfilment worker) against one café and one shop with scarce stock and a
// limited coupon. Afterwards the ledger sums to zero, no balance or stock is negative, stock
// and coupon uses are conserved, every order was paid exactly once, and each order's money
// matches its total and refunds.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "services/cart.h"
#include "services/fulfilment.h"
#include "services/ledger.h"
#include "services/orders.h"
#include "services/orders_testing.h"
#include "services/payments.h"
#include "services/services_testing.h"

namespace qwl::services {
namespace {

constexpr int kThreads = 8;
constexpr int kOpsPerThread = 200;
constexpr int64_t kCustomerFunds = 50'000;  // ¥500: some checkouts run out of money
constexpr int64_t kCroissants = 120;
constexpr int64_t kBottles = 60;
constexpr int64_t kCouponUses = 25;

class OrdersConcurrencyTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(
        GetParam(),
        DbOptions{.pool_size = kThreads + 2, .max_attempts = 1000, .backoff_max_us = 20'000});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto w = testing::build_world(*db_);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    w_ = *w;
    ASSERT_TRUE(testing::exec_sql(*db_, "UPDATE menu_items SET stock = ? WHERE id = ?",
                                  {kCroissants, w_.croissant})
                    .ok());
    ASSERT_TRUE(testing::exec_sql(*db_, "UPDATE product_variants SET stock = ? WHERE id = ?",
                                  {kBottles, w_.bottle})
                    .ok());
    auto coupon = testing::add_coupon(*db_, {.code = "RUSH",
                                             .funded_by = "platform",
                                             .amount_off = 300,
                                             .stackable = true,
                                             .total_limit = kCouponUses});
    ASSERT_TRUE(coupon.ok());
    coupon_ = *coupon;
    for (int t = 0; t < kThreads; ++t) {
      auto user = testing::add_user(*db_, fmt::format("c{}@example.com", t));
      ASSERT_TRUE(user.ok());
      customers_.push_back(*user);
      ASSERT_TRUE(testing::fund_wallet(*db_, user->user_id, kCustomerFunds).ok());
      ASSERT_TRUE(testing::exec_sql(*db_,
                                    "INSERT INTO addresses (user_id, label, line_en, lat, lon, "
                                    "created_at_us) VALUES (?, 'home', 'x', 30.2515, 120.1605, 1)",
                                    {user->user_id})
                      .ok());
      auto id =
          testing::query_int(*db_, "SELECT id FROM addresses WHERE user_id = ?", {user->user_id});
      ASSERT_TRUE(id.ok());
      addresses_.push_back(*id);
      for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(testing::give_coupon(*db_, user->user_id, coupon_).ok());
    }
  }

  std::unique_ptr<Db> db_;
  testing::CommerceWorld w_;
  int64_t coupon_ = 0;
  std::vector<Actor> customers_;
  std::vector<int64_t> addresses_;
};

bool expected_refusal(const Status& s) {
  return s.ok() || s.code() == StatusCode::kFailedPrecondition;
}

TEST_P(OrdersConcurrencyTest, RandomOperationsKeepMoneyStockAndCouponsConsistent) {
  ManualClock clock(testing::kWorldTime);
  Orders orders(*db_, clock);
  Fulfilment worker(orders);
  std::mutex mu;
  std::vector<std::string> failures;
  std::atomic<int64_t> placed{0}, replays{0}, cancels{0}, refunds{0}, topped{0}, steps{0};
  auto fail = [&](std::string what) {
    std::lock_guard<std::mutex> lock(mu);
    if (failures.size() < 20) failures.push_back(std::move(what));
  };

  auto run = [&](int t) {
    std::mt19937_64 rng(1000 + t);
    auto pick = [&](int64_t lo, int64_t hi) {
      return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
    };
    const Actor me = customers_[t];
    std::vector<int64_t> mine;  // order ids this thread placed
    for (int op = 0; op < kOpsPerThread; ++op) {
      clock.advance_us(pick(0, 20'000'000));
      const int64_t dice = pick(0, 99);
      if (dice < 40) {
        // Fill the cart at one merchant and check out, sometimes retrying the key.
        const bool at_shop = pick(0, 3) == 0;
        Status added;
        if (at_shop) {
          added = add_to_cart(*db_, clock, me, {.variant_id = w_.bottle, .quantity = pick(1, 3)})
                      .status();
        } else {
          std::vector<int64_t> opts;
          if (pick(0, 1)) opts.push_back(w_.large);
          if (pick(0, 1)) opts.push_back(w_.shot);
          added =
              add_to_cart(*db_, clock, me,
                          {.menu_item_id = w_.latte, .option_ids = opts, .quantity = pick(1, 2)})
                  .status();
          if (added.ok() && pick(0, 1)) {
            added =
                add_to_cart(*db_, clock, me, {.menu_item_id = w_.croissant, .quantity = pick(1, 3)})
                    .status();
          }
        }
        if (!expected_refusal(added)) fail("add: " + added.to_string());
        CheckoutRequest req{.merchant_id = at_shop ? w_.shop : w_.cafe,
                            .address_id = addresses_[t],
                            .idempotency_key = fmt::format("t{}-op{}", t, op)};
        auto r = orders.checkout(me, req);
        if (!r.ok()) {
          if (!expected_refusal(r.status())) fail("checkout: " + r.status().to_string());
          // A line that cannot be bought (sold out) would block every later checkout there.
          (void)clear_cart(*db_, me, req.merchant_id);
          continue;
        }
        ++placed;
        mine.push_back(r->order.id);
        if (pick(0, 4) == 0) {
          auto again = orders.checkout(me, req);
          if (!again.ok() || !again->replayed || again->order.id != r->order.id) {
            fail("replay: " + again.status().to_string());
          }
          ++replays;
        }
      } else if (dice < 52 && !mine.empty()) {
        const int64_t id = mine[pick(0, static_cast<int64_t>(mine.size()) - 1)];
        Status s = orders.cancel(me, id, "changed my mind").status();
        if (!expected_refusal(s)) fail("cancel: " + s.to_string());
        if (s.ok()) ++cancels;
      } else if (dice < 64 && !mine.empty()) {
        // The merchant's side: one step, a cancellation or a refund.
        const int64_t id = mine[pick(0, static_cast<int64_t>(mine.size()) - 1)];
        auto o = orders.get_order(w_.owner, id);
        if (!o.ok()) {
          fail("get: " + o.status().to_string());
          continue;
        }
        const int64_t what = pick(0, 2);
        Status s;
        if (what == 0) {
          static const OrderStatus kNext[] = {OrderStatus::kAccepted, OrderStatus::kPreparing,
                                              OrderStatus::kOnTheWay, OrderStatus::kDelivered};
          s = orders.advance(w_.owner, id, kNext[pick(0, 3)]).status();
        } else if (what == 1) {
          s = orders.cancel(w_.owner, id, "out of stock").status();
          if (s.ok()) ++cancels;
        } else {
          s = orders.refund(w_.owner, id, pick(1, 3000), "sorry").status();
          if (s.ok()) ++refunds;
        }
        if (!expected_refusal(s)) fail("merchant: " + s.to_string());
      } else if (dice < 80) {
        const std::string key = pick(0, 1) ? fmt::format("top-t{}-op{}", t, op) : "";
        auto r = top_up(*db_, clock, me, pick(kMinTopUp, 5'000), key);
        if (!r.ok()) fail("top-up: " + r.status().to_string());
        if (r.ok()) ++topped;
      } else {
        auto moved = worker.run_due(clock.wall_us());
        if (!moved.ok()) fail("worker: " + moved.status().to_string());
        if (moved.ok()) steps += *moved;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(run, t);
  for (std::thread& th : threads) th.join();
  for (const std::string& f : failures) ADD_FAILURE() << f;
  EXPECT_GT(placed.load(), 100);
  EXPECT_GT(cancels.load(), 5);
  EXPECT_GT(refunds.load(), 0);
  const DbStats stats = db_->stats();
  std::printf(
      "placed %lld (replayed %lld), cancelled %lld, refunds %lld, top-ups %lld, "
      "worker steps %lld; transactions %lld, retries %lld\n",
      static_cast<long long>(placed.load()), static_cast<long long>(replays.load()),
      static_cast<long long>(cancels.load()), static_cast<long long>(refunds.load()),
      static_cast<long long>(topped.load()), static_cast<long long>(steps.load()),
      static_cast<long long>(stats.transactions), static_cast<long long>(stats.retries));

  auto count = [&](std::string_view sql, Params params = {}) {
    auto n = testing::query_int(*db_, sql, params);
    EXPECT_TRUE(n.ok()) << n.status().to_string() << " " << sql;
    return n.ok() ? *n : -1;
  };
  auto audit = testing::audit(*db_);
  ASSERT_TRUE(audit.ok());
  EXPECT_TRUE(audit->ok()) << "sum " << audit->balance_sum << " unbalanced "
                           << audit->unbalanced_txns << " mismatched " << audit->mismatched_accounts
                           << " negative " << audit->negative_accounts;
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), placed.load());
  // Every order paid exactly once.
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders o WHERE (SELECT COUNT(*) FROM ledger_txns t "
                  "WHERE t.order_id = o.id AND t.kind = 'payment') <> 1"),
            0);
  // Each order's wallet money is what it still costs; a cancelled order costs nothing.
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders o WHERE (SELECT COALESCE(SUM(e.amount), 0) FROM "
                  "ledger_entries e JOIN ledger_txns t ON t.id = e.txn_id JOIN accounts a ON "
                  "a.id = e.account_id WHERE t.order_id = o.id AND a.kind = 'wallet') <> "
                  "o.refunded - o.total"),
            0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders WHERE status = 'cancelled' AND refunded <> total"),
            0);
  // The merchant keeps, per order, what is still paid plus the platform's coupon money.
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders o WHERE (SELECT COALESCE(SUM(e.amount), 0) FROM "
                  "ledger_entries e JOIN ledger_txns t ON t.id = e.txn_id JOIN accounts a ON "
                  "a.id = e.account_id WHERE t.order_id = o.id AND a.kind = 'merchant') <> "
                  "CASE WHEN o.status = 'cancelled' THEN 0 ELSE o.total - o.refunded + "
                  "(SELECT COALESCE(SUM(c.amount), 0) FROM order_coupons c WHERE c.order_id = "
                  "o.id AND c.funded_by = 'platform') END"),
            0);
  // Stock: none negative, and what is gone is what live orders hold.
  EXPECT_EQ(count("SELECT COUNT(*) FROM menu_items WHERE stock < 0"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM product_variants WHERE stock < 0"), 0);
  const int64_t croissants_sold = count(
      "SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = "
      "i.order_id WHERE i.menu_item_id = ? AND o.status <> 'cancelled'",
      {w_.croissant});
  EXPECT_EQ(count("SELECT stock FROM menu_items WHERE id = ?", {w_.croissant}) + croissants_sold,
            kCroissants);
  const int64_t bottles_sold = count(
      "SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = "
      "i.order_id WHERE i.variant_id = ? AND o.status <> 'cancelled'",
      {w_.bottle});
  EXPECT_EQ(count("SELECT stock FROM product_variants WHERE id = ?", {w_.bottle}) + bottles_sold,
            kBottles);
  // Coupon uses: counted once per live order, never above the limit.
  const int64_t used = count("SELECT used_count FROM coupons WHERE id = ?", {coupon_});
  EXPECT_LE(used, kCouponUses);
  EXPECT_EQ(used, count("SELECT COUNT(*) FROM order_coupons c JOIN orders o ON o.id = c.order_id "
                        "WHERE o.status <> 'cancelled'"));
  EXPECT_EQ(used, count("SELECT COUNT(*) FROM user_coupons WHERE order_id IS NOT NULL"));
  // Each customer's wallet: funds + top-ups - what their orders still cost.
  for (const Actor& c : customers_) {
    const int64_t topups = count(
        "SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e JOIN "
        "ledger_txns t ON t.id = e.txn_id JOIN accounts a ON a.id = "
        "e.account_id WHERE a.kind = 'wallet' AND a.owner_id = ? AND "
        "t.kind = 'topup'",
        {c.user_id});
    const int64_t cost = count(
        "SELECT COALESCE(SUM(total - refunded), 0) FROM orders WHERE "
        "user_id = ?",
        {c.user_id});
    EXPECT_EQ(*testing::balance_of(*db_, AccountKind::kWallet, c.user_id), topups - cost);
  }
}

INSTANTIATE_TEST_SUITE_P(Db, OrdersConcurrencyTest,
                         ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
