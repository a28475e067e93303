// The ecosystem audit: a clean database passes, and each invariant, broken on purpose with
// direct SQL, is reported.
#include "services/audit.h"

#include <gtest/gtest.h>

#include "services/services_testing.h"

namespace qwl::services {
namespace {

class AuditTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam());
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto user = testing::add_user(*db_, "a@example.com");
    ASSERT_TRUE(user.ok());
    user_ = user->user_id;
    auto merchant = testing::add_merchant(*db_, "Luna");
    ASSERT_TRUE(merchant.ok());
    merchant_ = *merchant;
    ASSERT_TRUE(testing::fund_wallet(*db_, user_, 10'000).ok());
  }
  EcosystemAudit audit() {
    EcosystemAudit a;
    Status s = db_->read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(a, audit_ecosystem(tx));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return a;
  }
  // An order of `total` with `payments` payment transactions moving it to the merchant.
  Status add_order(int64_t total, int payments, std::string_view key) {
    return db_->transact([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(
          int64_t order,
          tx.query_int64("INSERT INTO orders (user_id, merchant_id, status, subtotal, total, "
                         "idempotency_key, placed_at_us, updated_at_us) VALUES (?, ?, 'placed', "
                         "?, ?, ?, 1, 1) RETURNING id",
                         {user_, merchant_, total, total, key}));
      QWL_ASSIGN_OR_RETURN(int64_t wallet, account_id(tx, AccountKind::kWallet, user_, 1));
      QWL_ASSIGN_OR_RETURN(int64_t takings, account_id(tx, AccountKind::kMerchant, merchant_, 1));
      for (int i = 0; i < payments; ++i) {
        QWL_RETURN_IF_ERROR(post(tx,
                                 LedgerTxn{.kind = "payment",
                                           .user_id = user_,
                                           .order_id = order,
                                           .postings = {{wallet, -total}, {takings, total}}},
                                 1)
                                .status());
      }
      return Status::Ok();
    });
  }
  std::unique_ptr<Db> db_;
  int64_t user_ = 0;
  int64_t merchant_ = 0;
};

TEST_P(AuditTest, CleanDatabasePasses) {
  ASSERT_TRUE(add_order(1'000, 1, "k1").ok());
  EcosystemAudit a = audit();
  EXPECT_TRUE(a.ok());
  EXPECT_TRUE(a.problems().empty());
  EXPECT_EQ(a.orders, 1);
}

TEST_P(AuditTest, ReportsEachBrokenInvariant) {
  ASSERT_TRUE(add_order(1'000, 2, "twice").ok());
  ASSERT_TRUE(add_order(500, 0, "unpaid").ok());
  ASSERT_TRUE(add_order(300, 1, "dup").ok());
  ASSERT_TRUE(add_order(300, 1, "dup").ok());
  Status s = db_->transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(int64_t poi,
                         tx.query_int64("SELECT poi_id FROM merchants WHERE id = ?", {merchant_}));
    QWL_ASSIGN_OR_RETURN(int64_t table,
                         tx.query_int64("INSERT INTO restaurant_tables (poi_id, label, seats) "
                                        "VALUES (?, 'T1', 4) RETURNING id",
                                        {poi}));
    for (int64_t start : {100, 150}) {
      QWL_RETURN_IF_ERROR(
          tx.exec("INSERT INTO table_bookings (user_id, poi_id, table_id, starts_at_us, "
                  "ends_at_us, party_size, status, created_at_us, updated_at_us) VALUES "
                  "(?, ?, ?, ?, ?, 2, 'booked', 1, 1)",
                  {user_, poi, table, start, start + 100})
              .status());
    }
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.to_string();
  EcosystemAudit a = audit();
  EXPECT_FALSE(a.ok());
  EXPECT_EQ(a.orders_paid_twice, 1);
  EXPECT_EQ(a.orders_unpaid, 1);
  EXPECT_EQ(a.duplicate_idempotent_orders, 1);
  EXPECT_EQ(a.double_booked_tables, 1);
  EXPECT_TRUE(a.ledger.ok());  // every transaction itself balances
  EXPECT_EQ(a.problems().size(), 4u);
}

INSTANTIATE_TEST_SUITE_P(Db, AuditTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
