// The city's local time and opening hours, including ranges past midnight.
#include "services/city_time.h"

#include <gtest/gtest.h>

#include "services/services_testing.h"

namespace qwl::services {
namespace {

TEST(CityTimeTest, LocalTimeIsUtcPlusEight) {
  // 2026-11-22 22:30 UTC is Monday 2026-11-23 06:30 in the city.
  const int64_t wall_us = 1'795'386'600'000'000;
  LocalTime t = local_time(wall_us);
  EXPECT_EQ(t.weekday, 0);
  EXPECT_EQ(t.minute, 6 * 60 + 30);
  EXPECT_EQ(local_instant_us(t.day, t.minute), wall_us);
  EXPECT_EQ(local_time(0).weekday, 3);  // 1970-01-01 08:00 local, a Thursday
  EXPECT_EQ(local_time(-1).minute, 7 * 60 + 59);
}

class OpenHoursTest : public ::testing::TestWithParam<DbKind> {};

TEST_P(OpenHoursTest, RangesTodayAndPastMidnight) {
  auto db = testing::fresh_db(GetParam());
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  auto merchant = testing::add_merchant(**db, "Night Owl");
  ASSERT_TRUE(merchant.ok());
  const int64_t monday = local_time(1'795'386'600'000'000).day;  // a Monday
  Status s = (*db)->transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(int64_t poi,
                         tx.query_int64("SELECT poi_id FROM merchants WHERE id = ?", {*merchant}));
    // Monday 18:00 to Tuesday 02:00; Tuesday 09:00-12:00.
    QWL_RETURN_IF_ERROR(tx.exec("INSERT INTO poi_hours VALUES (?, 0, 1080, 1560), "
                                "(?, 1, 540, 720)",
                                {poi, poi})
                            .status());
    auto open_at = [&](int64_t day, int minute) -> Result<bool> {
      return is_open(tx, poi, local_instant_us(day, minute));
    };
    EXPECT_FALSE(*open_at(monday, 17 * 60 + 59));
    EXPECT_TRUE(*open_at(monday, 18 * 60));
    EXPECT_TRUE(*open_at(monday + 1, 60));       // Tuesday 01:00, from Monday's range
    EXPECT_FALSE(*open_at(monday + 1, 2 * 60));  // Tuesday 02:00, closed
    EXPECT_TRUE(*open_at(monday + 1, 10 * 60));
    EXPECT_FALSE(*open_at(monday + 2, 10 * 60));  // Wednesday: no hours
    EXPECT_EQ(is_open(tx, 999'999, 0).status().code(), StatusCode::kNotFound);
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.to_string();
}

INSTANTIATE_TEST_SUITE_P(Db, OpenHoursTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
