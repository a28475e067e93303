// The ledger: balanced transactions only, no account below zero, balances equal to the sum of
// their entries, and all of it under concurrent transfers on both databases.
#include "services/ledger.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "services/services_testing.h"

namespace qwl::services {
namespace {

class LedgerTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam(), DbOptions{.pool_size = 8, .max_attempts = 200});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
  }
  Result<int64_t> wallet(int64_t user_id) {
    int64_t id = 0;
    QWL_RETURN_IF_ERROR(db_->transact([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(id, account_id(tx, AccountKind::kWallet, user_id, 1));
      return Status::Ok();
    }));
    return id;
  }
  Result<int64_t> balance(int64_t account) {
    int64_t b = 0;
    QWL_RETURN_IF_ERROR(db_->read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(b, account_balance(tx, account));
      return Status::Ok();
    }));
    return b;
  }
  LedgerAudit audit() {
    LedgerAudit a;
    Status s = db_->read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(a, check_ledger(tx));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return a;
  }
  std::unique_ptr<Db> db_;
};

TEST_P(LedgerTest, TopUpAndTransferKeepTheSumAtZero) {
  auto alice = testing::add_user(*db_, "alice@example.com");
  auto bob = testing::add_user(*db_, "bob@example.com");
  ASSERT_TRUE(alice.ok() && bob.ok());
  ASSERT_TRUE(testing::fund_wallet(*db_, alice->user_id, 10'000).ok());
  auto a = wallet(alice->user_id);
  auto b = wallet(bob->user_id);
  ASSERT_TRUE(a.ok() && b.ok());
  Status s = db_->transact([&](Tx& tx) -> Status {
    return post(tx, LedgerTxn{.kind = "payment", .postings = {{*a, -2'500}, {*b, 2'500}}}, 2)
        .status();
  });
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(*balance(*a), 7'500);
  EXPECT_EQ(*balance(*b), 2'500);
  LedgerAudit audit_result = audit();
  EXPECT_TRUE(audit_result.ok());
  EXPECT_EQ(audit_result.transactions, 2);
  EXPECT_EQ(audit_result.entries, 4);
}

TEST_P(LedgerTest, RefusesOverdraftAndUnbalancedOrOversizedPostings) {
  auto alice = testing::add_user(*db_, "alice@example.com");
  ASSERT_TRUE(alice.ok());
  ASSERT_TRUE(testing::fund_wallet(*db_, alice->user_id, 100).ok());
  auto a = wallet(alice->user_id);
  ASSERT_TRUE(a.ok());
  auto run = [&](LedgerTxn txn) {
    return db_->transact([&](Tx& tx) -> Status { return post(tx, txn, 3).status(); });
  };
  int64_t platform = 0;
  ASSERT_TRUE(db_->transact([&](Tx& tx) -> Status {
                   QWL_ASSIGN_OR_RETURN(platform, account_id(tx, AccountKind::kPlatform, 0, 1));
                   return Status::Ok();
                 })
                  .ok());
  Status s = run({.kind = "payment", .postings = {{*a, -101}, {platform, 101}}});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.to_string();
  EXPECT_NE(s.message().find("insufficient funds"), std::string::npos);
  s = run({.kind = "payment", .postings = {{*a, -10}, {platform, 9}}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  s = run({.kind = "payment", .postings = {{*a, -(kMaxAmount + 1)}, {platform, kMaxAmount + 1}}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  s = run({.kind = "payment", .postings = {{*a, 0}, {platform, 0}}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  s = run({.kind = "gift", .postings = {{*a, -1}, {platform, 1}}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  s = run({.kind = "payment", .postings = {{*a, -1}, {999'999, 1}}});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(*balance(*a), 100);  // nothing of the refused transactions remains
  EXPECT_TRUE(audit().ok());
}

TEST_P(LedgerTest, ConcurrentSpendingNeverOverdrawsAndBalances) {
  constexpr int kUsers = 4;
  std::vector<int64_t> wallets;
  for (int i = 0; i < kUsers; ++i) {
    auto user = testing::add_user(*db_, fmt::format("u{}@example.com", i));
    ASSERT_TRUE(user.ok());
    ASSERT_TRUE(testing::fund_wallet(*db_, user->user_id, 1'000).ok());
    wallets.push_back(*wallet(user->user_id));
  }
  // 8 threads move 7 fen at a time around the ring of wallets until they run dry; refused
  // transfers are expected, overdrafts and lost updates are not.
  std::vector<std::thread> threads;
  std::atomic<int> committed{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        int64_t from = wallets[(t + i) % kUsers];
        int64_t to = wallets[(t + i + 1) % kUsers];
        int64_t amount = 7 + (i % 5) * 40;
        Status s = db_->transact([&](Tx& tx) -> Status {
          return post(tx, LedgerTxn{.kind = "payment", .postings = {{from, -amount}, {to, amount}}},
                      10)
              .status();
        });
        if (s.ok()) {
          ++committed;
        } else {
          EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.to_string();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  LedgerAudit a = audit();
  EXPECT_TRUE(a.ok()) << a.balance_sum << " " << a.mismatched_accounts;
  EXPECT_EQ(a.transactions, kUsers + committed.load());
  int64_t total = 0;
  for (int64_t w : wallets) total += *balance(w);
  EXPECT_EQ(total, kUsers * 1'000);
}

INSTANTIATE_TEST_SUITE_P(Db, LedgerTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
