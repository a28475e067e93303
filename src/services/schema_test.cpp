// The ecosystem schema applies on both databases, is idempotent, and enforces the invariants
// that the services rely on as a last line (no negative wallet, no double-booked table slot).
#include "services/schema.h"

#include <gtest/gtest.h>

#include "services/services_testing.h"

namespace qwl::services {
namespace {

class SchemaTest : public ::testing::TestWithParam<DbKind> {};

TEST_P(SchemaTest, MigrationsAreOrderedAndReapplyNothing) {
  ASSERT_FALSE(migrations().empty());
  EXPECT_EQ(migrations()[0].version, 1);
  EXPECT_EQ(migrations()[0].name, "core");
  auto db = testing::fresh_db(GetParam());
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  Result<MigrationReport> again = migrate(**db, migrations());
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->applied, 0);
  EXPECT_EQ(again->to_version, migrations().back().version);
}

TEST_P(SchemaTest, DatabaseRefusesNegativeWalletAndDoubleBookedSlot) {
  auto db = testing::fresh_db(GetParam());
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  Status s = (*db)->transact([](Tx& tx) -> Status {
    return tx
        .exec(
            "INSERT INTO accounts (kind, owner_id, balance, created_at_us) "
            "VALUES ('wallet', 1, -5, 1)")
        .status();
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();

  auto user = testing::add_user(**db, "a@example.com");
  ASSERT_TRUE(user.ok());
  auto merchant = testing::add_merchant(**db, "Luna", 0, "restaurant");
  ASSERT_TRUE(merchant.ok());
  s = (*db)->transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(int64_t table,
                         tx.query_int64("INSERT INTO restaurant_tables (poi_id, label, seats) "
                                        "SELECT poi_id, 'T1', 4 FROM merchants WHERE id = ? "
                                        "RETURNING id",
                                        {*merchant}));
    for (int i = 0; i < 2; ++i) {
      QWL_ASSIGN_OR_RETURN(
          int64_t booking,
          tx.query_int64("INSERT INTO table_bookings (user_id, poi_id, table_id, starts_at_us, "
                         "ends_at_us, party_size, status, created_at_us, updated_at_us) "
                         "SELECT ?, poi_id, ?, 100, 200, 2, 'booked', 1, 1 FROM "
                         "restaurant_tables WHERE id = ? RETURNING id",
                         {user->user_id, table, table}));
      QWL_RETURN_IF_ERROR(tx.exec("INSERT INTO table_slot_claims (table_id, slot_start_us, "
                                  "booking_id) VALUES (?, 100, ?)",
                                  {table, booking})
                              .status());
    }
    return Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
}

INSTANTIATE_TEST_SUITE_P(Db, SchemaTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
