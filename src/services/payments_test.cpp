// The wallet on both databases: top-up bounds and idempotent replay, history paging, spending
// limit settings, and who may see which wallet.
#include "services/payments.h"

#include <gtest/gtest.h>

#include "services/ledger.h"
#include "services/orders_testing.h"
#include "services/services_testing.h"

namespace qwl::services {
namespace {

class PaymentsTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam());
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto w = testing::build_world(*db_);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    w_ = *w;
  }
  void TearDown() override {
    auto a = testing::audit(*db_);
    ASSERT_TRUE(a.ok());
    EXPECT_TRUE(a->ok());
  }
  std::unique_ptr<Db> db_;
  testing::CommerceWorld w_;
  ManualClock clock_{testing::kWorldTime};
};

TEST_P(PaymentsTest, TopUpWithinBoundsAndReplaysUnderItsKey) {
  for (int64_t amount :
       std::vector<int64_t>{0, -100, kMinTopUp - 1, kMaxTopUp + 1, INT64_MAX, INT64_MIN}) {
    EXPECT_EQ(top_up(*db_, clock_, w_.bob, amount).status().code(), StatusCode::kInvalidArgument)
        << amount;
  }
  auto first = top_up(*db_, clock_, w_.bob, 5000, "t-1");
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(first->balance, 5000);
  EXPECT_FALSE(first->replayed);
  auto again = top_up(*db_, clock_, w_.bob, 5000, "t-1");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->txn_id, first->txn_id);
  EXPECT_EQ(again->balance, 5000);
  EXPECT_EQ(top_up(*db_, clock_, w_.bob, 6000, "t-1").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(top_up(*db_, clock_, w_.bob, 6000, "bad key").status().code(),
            StatusCode::kInvalidArgument);
  auto plain = top_up(*db_, clock_, w_.bob, kMaxTopUp);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->balance, 5000 + kMaxTopUp);
  EXPECT_EQ(*testing::balance_of(*db_, AccountKind::kWallet, w_.bob.user_id), 5000 + kMaxTopUp);
  EXPECT_EQ(*testing::query_int(*db_,
                                "SELECT COUNT(*) FROM user_events WHERE user_id = ? AND "
                                "kind = 'wallet'",
                                {w_.bob.user_id}),
            2);
  ASSERT_TRUE(
      testing::exec_sql(*db_, "UPDATE users SET disabled = TRUE WHERE id = ?", {w_.bob.user_id})
          .ok());
  EXPECT_EQ(top_up(*db_, clock_, w_.bob, 1000).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(top_up(*db_, clock_, Actor::system(), 1000).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(PaymentsTest, HistoryListsTheWalletsEntriesNewestFirst) {
  for (int i = 1; i <= 5; ++i) {
    clock_.advance_us(1'000'000);
    ASSERT_TRUE(top_up(*db_, clock_, w_.bob, 100 * i).ok());
  }
  auto page = wallet_history(*db_, w_.bob, 3);
  ASSERT_TRUE(page.ok()) << page.status().to_string();
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ((*page)[0].amount, 500);
  EXPECT_EQ((*page)[0].balance_after, 1500);
  EXPECT_EQ((*page)[0].kind, "topup");
  EXPECT_EQ((*page)[2].amount, 300);
  auto next = wallet_history(*db_, w_.bob, 3, page->back().entry_id);
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->size(), 2u);
  EXPECT_EQ((*next)[1].amount, 100);
  EXPECT_EQ((*next)[1].balance_after, 100);
  EXPECT_GT((*page)[0].at_us, (*next)[1].at_us);
  // Alice's history is hers; an admin may read anyone's.
  EXPECT_EQ(wallet_history(*db_, w_.alice, 50, 0, w_.bob.user_id).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(wallet_history(*db_, w_.admin, 50, 0, w_.bob.user_id)->size(), 5u);
  EXPECT_EQ(wallet_history(*db_, w_.bob, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(wallet_history(*db_, w_.bob, 201).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(wallet_history(*db_, w_.owner)->empty());  // never had money
}

TEST_P(PaymentsTest, WalletsAndLimitsBelongToTheirUsers) {
  auto mine = get_wallet(*db_, clock_, w_.alice);
  ASSERT_TRUE(mine.ok()) << mine.status().to_string();
  EXPECT_EQ(mine->balance, testing::kAliceFunds);
  EXPECT_FALSE(mine->daily_spend_limit.has_value());
  EXPECT_FALSE(mine->left_today.has_value());
  EXPECT_EQ(mine->spent_today, 0);
  EXPECT_EQ(get_wallet(*db_, clock_, w_.bob, w_.alice.user_id).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(get_wallet(*db_, clock_, w_.owner, w_.alice.user_id).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(get_wallet(*db_, clock_, w_.admin, w_.alice.user_id)->balance, testing::kAliceFunds);
  EXPECT_EQ(get_wallet(*db_, clock_, w_.admin, 999999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(get_wallet(*db_, clock_, w_.bob)->balance, 0);

  EXPECT_TRUE(set_daily_spend_limit(*db_, w_.alice, 20000).ok());
  auto limited = get_wallet(*db_, clock_, w_.alice);
  EXPECT_EQ(limited->daily_spend_limit, 20000);
  EXPECT_EQ(limited->left_today, 20000);
  EXPECT_EQ(set_daily_spend_limit(*db_, w_.alice, -1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(set_daily_spend_limit(*db_, w_.alice, kMaxAmount + 1).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(set_daily_spend_limit(*db_, w_.bob, 100, w_.alice.user_id).code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(set_daily_spend_limit(*db_, w_.admin, 100, w_.alice.user_id).ok());
  EXPECT_EQ(get_wallet(*db_, clock_, w_.alice)->daily_spend_limit, 100);
  EXPECT_TRUE(set_daily_spend_limit(*db_, w_.alice, std::nullopt).ok());
  EXPECT_FALSE(get_wallet(*db_, clock_, w_.alice)->daily_spend_limit.has_value());
  EXPECT_EQ(set_daily_spend_limit(*db_, w_.admin, 100, 999999).code(), StatusCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Db, PaymentsTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
