// Migrations on both databases: fresh, re-run, a later binary, a newer database, bad lists.
#include "store/migrations.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "store/test_db.h"

namespace qwl {
namespace {

const Migration kV1{.version = 1,
                    .name = "users",
                    .up =
                        "CREATE TABLE users (id {{pk}}, name TEXT NOT NULL);"
                        "CREATE INDEX users_name ON users (name);"};
const Migration kV2{.version = 2,
                    .name = "wallets",
                    .up =
                        "CREATE TABLE wallets (user_id BIGINT NOT NULL REFERENCES users (id),"
                        " balance BIGINT NOT NULL DEFAULT 0)"};
// Per-dialect SQL: records which dialect ran it.
const Migration kV3{.version = 3,
                    .name = "flavour",
                    .up_sqlite =
                        "CREATE TABLE flavour (name TEXT); "
                        "INSERT INTO flavour VALUES ('sqlite')",
                    .up_postgres =
                        "CREATE TABLE flavour (name TEXT); "
                        "INSERT INTO flavour VALUES ('postgresql')"};

class MigrationsTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = fresh_database(GetParam(), {});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(db).value();
  }
  int64_t count(std::string_view sql) {
    int64_t n = -1;
    Status s = db_->read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(n, tx.query_int64(sql));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return n;
  }
  std::unique_ptr<Db> db_;
};

TEST_P(MigrationsTest, FreshThenRerunThenLaterBinary) {
  auto version = schema_version(*db_);
  ASSERT_TRUE(version.ok()) << version.status().to_string();
  EXPECT_EQ(*version, 0);

  const std::vector<Migration> two = {kV1, kV2};
  auto first = migrate(*db_, two);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(first->from_version, 0);
  EXPECT_EQ(first->to_version, 2);
  EXPECT_EQ(first->applied, 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM schema_migrations"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM wallets"), 0);

  auto again = migrate(*db_, two);  // start-up runs it every time
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->applied, 0);
  EXPECT_EQ(again->from_version, 2);
  EXPECT_EQ(again->to_version, 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM schema_migrations"), 2);

  const std::vector<Migration> three = {kV1, kV2, kV3};
  auto later = migrate(*db_, three);
  ASSERT_TRUE(later.ok()) << later.status().to_string();
  EXPECT_EQ(later->applied, 1);
  EXPECT_EQ(later->to_version, 3);
  std::string flavour;
  ASSERT_TRUE(db_->read([&](Tx& tx) -> Status {
                   QWL_ASSIGN_OR_RETURN(Row row, tx.query_row("SELECT name FROM flavour"));
                   flavour = row.text(0);
                   return Status::Ok();
                 })
                  .ok());
  EXPECT_EQ(flavour, GetParam() == DbKind::kSqlite ? "sqlite" : "postgresql");
}

TEST_P(MigrationsTest, NewerDatabaseRefused) {
  const std::vector<Migration> three = {kV1, kV2, kV3};
  ASSERT_TRUE(migrate(*db_, three).ok());
  const std::vector<Migration> two = {kV1, kV2};
  auto old_binary = migrate(*db_, two);
  ASSERT_FALSE(old_binary.ok());
  EXPECT_EQ(old_binary.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(old_binary.status().message().find("newer than this binary"), std::string::npos)
      << old_binary.status().message();
  // An empty list is an old binary too.
  EXPECT_EQ(migrate(*db_, {}).status().code(), StatusCode::kUnsupported);
}

TEST_P(MigrationsTest, RenamedOrMissingVersionIsCorrupt) {
  const std::vector<Migration> two = {kV1, kV2};
  ASSERT_TRUE(migrate(*db_, two).ok());
  Migration renamed = kV2;
  renamed.name = "purses";
  const std::vector<Migration> other = {kV1, renamed, kV3};
  auto r = migrate(*db_, other);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(r.status().message().find("'wallets'"), std::string::npos) << r.status().message();
  const std::vector<Migration> gap = {kV2, kV3};
  EXPECT_EQ(migrate(*db_, gap).status().code(), StatusCode::kCorrupt);
}

TEST_P(MigrationsTest, FailedMigrationLeavesNothing) {
  const Migration broken{
      .version = 2,
      .name = "broken",
      .up = "CREATE TABLE half (x BIGINT); INSERT INTO no_such_table VALUES (1)"};
  const std::vector<Migration> list = {kV1, broken};
  auto r = migrate(*db_, list);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("migration 2 'broken'"), std::string::npos)
      << r.status().message();
  auto version = schema_version(*db_);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 1);  // migration 1 committed on its own
  const char* sql =
      GetParam() == DbKind::kSqlite
          ? "SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'"
          : "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'half'";
  EXPECT_EQ(count(sql), 0);
}

TEST_P(MigrationsTest, ListMustIncrease) {
  const std::vector<Migration> list = {kV2, kV1};
  EXPECT_EQ(migrate(*db_, list).status().code(), StatusCode::kInvalidArgument);
  auto version = schema_version(*db_);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 0);
}

// Several servers starting at once on one database: each migration is applied exactly once.
TEST_P(MigrationsTest, ConcurrentStartUpsApplyEachMigrationOnce) {
  const std::vector<Migration> three = {kV1, kV2, kV3};
  auto url = fresh_database_url(GetParam(), {});
  ASSERT_TRUE(url.ok()) << url.status().to_string();
  constexpr int kServers = 4;
  int applied[kServers] = {};
  std::vector<std::thread> threads;
  for (int i = 0; i < kServers; ++i) {
    threads.emplace_back([&, i] {
      auto db = Db::open(*url, DbOptions{.pool_size = 1, .busy_timeout_ms = 20});
      ASSERT_TRUE(db.ok()) << db.status().to_string();
      auto r = migrate(**db, three);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      EXPECT_EQ(r->to_version, 3);
      applied[i] = r->applied;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(applied[0] + applied[1] + applied[2] + applied[3], 3);
  auto db = Db::open(*url);
  ASSERT_TRUE(db.ok());
  int64_t rows = 0;
  ASSERT_TRUE((*db)
                  ->read([&](Tx& tx) -> Status {
                    QWL_ASSIGN_OR_RETURN(rows, tx.query_int64("SELECT COUNT(*) FROM flavour"));
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(rows, 1);
}

INSTANTIATE_TEST_SUITE_P(Both, MigrationsTest,
                         ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return std::string(Dialect(info.param).name()); });

}  // namespace
}  // namespace qwl
