// Idempotency keys: replay of the first result, refusal of a different request under a used
// key, nothing stored for a failed request, exactly one run under concurrent retries, purge.
#include "services/idempotency.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "services/services_testing.h"

namespace qwl::services {
namespace {

class IdempotencyTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam(), DbOptions{.pool_size = 8, .max_attempts = 200});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto user = testing::add_user(*db_, "k@example.com");
    ASSERT_TRUE(user.ok());
    user_ = user->user_id;
  }
  // The effect under test: one row in `addresses` per run.
  Result<std::string> effect(Tx& tx) {
    QWL_ASSIGN_OR_RETURN(int64_t id,
                         tx.query_int64("INSERT INTO addresses (user_id, label, line_en, lat, "
                                        "lon, created_at_us) VALUES (?, 'home', 'x', 0, 0, 1) "
                                        "RETURNING id",
                                        {user_}));
    return fmt::format("{{\"id\":{}}}", id);
  }
  int64_t runs() {
    int64_t n = 0;
    EXPECT_TRUE(db_->read([&](Tx& tx) -> Status {
                     QWL_ASSIGN_OR_RETURN(n, tx.query_int64("SELECT COUNT(*) FROM addresses"));
                     return Status::Ok();
                   })
                    .ok());
    return n;
  }
  std::unique_ptr<Db> db_;
  int64_t user_ = 0;
};

TEST_P(IdempotencyTest, ReplaysTheFirstResultAndRefusesAnotherRequest) {
  IdempotentRequest req{.user_id = user_, .key = "k-1", .operation = "save", .request = "{a}"};
  auto fn = [&](Tx& tx) { return effect(tx); };
  auto first = run_idempotent(*db_, req, 100, fn);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_FALSE(first->replayed);
  auto second = run_idempotent(*db_, req, 200, fn);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->replayed);
  EXPECT_EQ(second->response, first->response);
  EXPECT_EQ(runs(), 1);

  IdempotentRequest other = req;
  other.request = "{b}";
  auto refused = run_idempotent(*db_, other, 300, fn);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  other = req;
  other.operation = "pay";
  EXPECT_EQ(run_idempotent(*db_, other, 300, fn).status().code(), StatusCode::kInvalidArgument);
  // Keys belong to a user: another user's identical key is another key.
  IdempotentRequest someone_else = req;
  someone_else.user_id = 0;
  EXPECT_FALSE(run_idempotent(*db_, someone_else, 300, fn)->replayed);
  EXPECT_EQ(runs(), 2);
}

TEST_P(IdempotencyTest, FailedRequestLeavesTheKeyFreeAndBadKeysAreRefused) {
  IdempotentRequest req{.user_id = user_, .key = "k-2", .operation = "save", .request = "{}"};
  auto failed = run_idempotent(*db_, req, 1, [](Tx&) -> Result<std::string> {
    return FailedPreconditionError("out of stock");
  });
  EXPECT_EQ(failed.status().code(), StatusCode::kFailedPrecondition);
  auto ok = run_idempotent(*db_, req, 2, [&](Tx& tx) { return effect(tx); });
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(ok->replayed);
  for (std::string_view bad :
       {std::string_view(""), std::string_view("has space"), std::string_view("\xe4\xbd\xa0")}) {
    req.key = bad;
    EXPECT_EQ(run_idempotent(*db_, req, 3, [&](Tx& tx) { return effect(tx); }).status().code(),
              StatusCode::kInvalidArgument);
  }
  std::string long_key(256, 'k');
  req.key = long_key;
  EXPECT_EQ(run_idempotent(*db_, req, 3, [&](Tx& tx) { return effect(tx); }).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(IdempotencyTest, ConcurrentRetriesRunOnce) {
  IdempotentRequest req{.user_id = user_, .key = "same", .operation = "save", .request = "{}"};
  std::vector<std::thread> threads;
  std::atomic<int> replays{0};
  std::vector<std::string> responses(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto r = run_idempotent(*db_, req, 5, [&](Tx& tx) { return effect(tx); });
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      responses[t] = r->response;
      if (r->replayed) ++replays;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(runs(), 1);
  EXPECT_EQ(replays.load(), 7);
  for (const std::string& r : responses) EXPECT_EQ(r, responses[0]);
}

TEST_P(IdempotencyTest, PurgeDeletesOnlyOldKeys) {
  auto fn = [&](Tx& tx) { return effect(tx); };
  ASSERT_TRUE(
      run_idempotent(*db_, {.user_id = user_, .key = "old", .operation = "s"}, 10, fn).ok());
  ASSERT_TRUE(run_idempotent(*db_, {.user_id = user_, .key = "new", .operation = "s"},
                             10 + kIdempotencyRetentionUs, fn)
                  .ok());
  auto purged = purge_idempotency_keys(*db_, 11);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1);
  EXPECT_FALSE(
      run_idempotent(*db_, {.user_id = user_, .key = "old", .operation = "s"}, 20, fn)->replayed);
  EXPECT_TRUE(
      run_idempotent(*db_, {.user_id = user_, .key = "new", .operation = "s"}, 20, fn)->replayed);
}

INSTANTIATE_TEST_SUITE_P(Db, IdempotencyTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
