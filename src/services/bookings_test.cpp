// All three booking services together on both databases: the worker pass, the event outbox
// (every payload a JSON object), and eight clients doing random bookings, cancellations and
// rides while the clock and the worker move on, after which no table or room is double booked,
// every claim belongs to a live booking, every wallet equals its top-up minus what its bookings
// kept, and the ledger balances.
#include "services/bookings.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "services/bookings_testing.h"
#include "services/services_testing.h"

namespace qwl::services {
namespace {

using bookings_testing::at;
using bookings_testing::kMonday;

constexpr int64_t kSecond = 1'000'000;
const RidePlace kHome{.at = {.lat = 30.25, .lon = 120.16}, .label = "Home \"A\"\n"};
const RidePlace kOffice{.at = {.lat = 30.28, .lon = 120.12}, .label = "Office 办公室"};

Result<DrivingEstimate> fixed_route(const GeoPosition&, const GeoPosition&) {
  return DrivingEstimate{.distance_m = 6'000, .duration_s = 900};
}

class BookingsTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam(), DbOptions{.pool_size = 8, .max_attempts = 200});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    std::vector<bookings_testing::Hours> hours;
    for (int d = 0; d < 7; ++d) hours.push_back({d, 11 * 60, 22 * 60});
    auto restaurant = bookings_testing::add_restaurant(*db_, "Hotpot", 0, {2, 4, 4, 6}, hours);
    auto hotel = bookings_testing::add_hotel(
        *db_, "Harbour Hotel",
        {{.name = "Standard", .max_guests = 2, .price_per_night = 30'000, .rooms = 3},
         {.name = "Family", .max_guests = 4, .price_per_night = 50'000, .rooms = 1}});
    ASSERT_TRUE(restaurant.ok() && hotel.ok());
    restaurant_ = *restaurant;
    hotel_ = *hotel;
  }

  int64_t count(std::string_view sql, Params params = {}) {
    auto n = bookings_testing::query_int(*db_, sql, params);
    EXPECT_TRUE(n.ok()) << n.status().to_string();
    return n.ok() ? *n : -1;
  }

  std::unique_ptr<Db> db_;
  ManualClock clock_{at(kMonday, 10)};
  bookings_testing::Restaurant restaurant_;
  bookings_testing::Hotel hotel_;
};

TEST_P(BookingsTest, WorkerPassMovesEverythingOnAndEventsAreJson) {
  auto alice = testing::add_user(*db_, "alice@example.com");
  ASSERT_TRUE(alice.ok());
  ASSERT_TRUE(testing::fund_wallet(*db_, alice->user_id, 100'000).ok());
  auto table = book_table(*db_, clock_, *alice,
                          TableBookingRequest{.poi_id = restaurant_.poi_id,
                                              .starts_at_us = at(kMonday, 19),
                                              .party_size = 2,
                                              .contact_name = "Alice \"Li\" 李",
                                              .note = "window\tseat\\please"});
  auto stay = book_hotel(*db_, clock_, *alice,
                         HotelBookingRequest{.room_type_id = hotel_.room_type_ids[0],
                                             .stay = {kMonday, kMonday + 1, 2}});
  auto ride =
      request_ride(*db_, clock_, fixed_route, *alice, RideRequest{.from = kHome, .to = kOffice});
  ASSERT_TRUE(table.ok() && stay.ok() && ride.ok());
  EXPECT_EQ(table->booking.contact_name, "Alice \"Li\" 李");
  EXPECT_EQ(ride->ride.from.label, kHome.label);

  auto nothing = run_bookings_worker(*db_, clock_);
  ASSERT_TRUE(nothing.ok()) << nothing.status().to_string();
  EXPECT_EQ(nothing->ride_steps + nothing->tables_completed + nothing->hotels_completed, 0);
  clock_.set_wall_us(at(kMonday + 1, 13));
  auto report = run_bookings_worker(*db_, clock_);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->ride_steps, 4);
  EXPECT_EQ(report->tables_completed, 1);
  EXPECT_EQ(report->hotels_completed, 1);

  // The outbox: one row per change, in order, each payload a JSON object.
  Status s = db_->read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT kind, status, payload FROM user_events "
                                             "WHERE user_id = ? ORDER BY id",
                                             {alice->user_id}));
    std::vector<std::string> seen;
    for (const Row& row : rows) {
      seen.push_back(row.text(0) + ":" + row.text(1));
      nlohmann::json payload = nlohmann::json::parse(row.text(2), nullptr, false);
      EXPECT_TRUE(payload.is_object()) << row.text(2);
    }
    EXPECT_EQ(seen, (std::vector<std::string>{
                        "table_booking:booked", "hotel_booking:booked", "ride:requested",
                        "ride:assigned", "ride:arriving", "ride:in_progress", "ride:completed",
                        "table_booking:completed", "hotel_booking:completed"}));
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.to_string();
}

TEST_P(BookingsTest, EightClientsAtRandomLeaveNoDoubleBookingAndABalancedLedger) {
  constexpr int kClients = 8;
  constexpr int kOpsPerClient = 25;
  constexpr int64_t kFunds = 2'000'000;
  std::vector<Actor> users;
  for (int i = 0; i < kClients; ++i) {
    auto user = testing::add_user(*db_, fmt::format("client{}@example.com", i));
    ASSERT_TRUE(user.ok());
    ASSERT_TRUE(testing::fund_wallet(*db_, user->user_id, kFunds).ok());
    users.push_back(*user);
  }
  std::atomic<bool> done{false};
  std::atomic<int> succeeded{0};
  // The worker: the clock moves 30 s per pass (25 minutes in all, so every table time asked for
  // stays in the future) and rides move through their steps while clients cancel them.
  std::thread worker([&] {
    for (int pass = 0; pass < 50 && !done.load(); ++pass) {
      clock_.advance_us(30 * kSecond);
      auto r = run_bookings_worker(*db_, clock_);
      if (!r.ok()) ADD_FAILURE() << "worker: " << r.status().to_string();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 rng(1234 + c);
      auto pick = [&](int n) { return static_cast<int>(rng() % n); };
      std::vector<int64_t> tables, stays, rides;
      const Actor& me = users[c];
      for (int op = 0; op < kOpsPerClient; ++op) {
        Status s;
        switch (pick(6)) {
          case 0: {
            auto r =
                book_table(*db_, clock_, me,
                           TableBookingRequest{
                               .poi_id = restaurant_.poi_id,
                               .starts_at_us = at(kMonday + pick(2), 11 + pick(11), 30 * pick(2)),
                               .party_size = 1 + pick(6),
                               .idempotency_key = fmt::format("t-{}-{}", c, op)});
            if (r.ok()) tables.push_back(r->booking.id);
            s = r.status();
            break;
          }
          case 1:
            if (tables.empty()) continue;
            s = cancel_table_booking(*db_, clock_, me, tables[pick(tables.size())]).status();
            break;
          case 2: {
            const int64_t in = kMonday + pick(4);
            auto r =
                book_hotel(*db_, clock_, me,
                           HotelBookingRequest{.room_type_id = hotel_.room_type_ids[pick(2)],
                                               .stay = {in, in + 1 + pick(3), 1 + pick(2)},
                                               .idempotency_key = fmt::format("h-{}-{}", c, op)});
            if (r.ok()) stays.push_back(r->booking.id);
            s = r.status();
            break;
          }
          case 3:
            if (stays.empty()) continue;
            s = cancel_hotel_booking(*db_, clock_, me, stays[pick(stays.size())]).status();
            break;
          case 4: {
            auto r = request_ride(*db_, clock_, fixed_route, me,
                                  RideRequest{.from = kHome,
                                              .to = kOffice,
                                              .vehicle = kRideVehicles[pick(3)],
                                              .idempotency_key = fmt::format("r-{}-{}", c, op)});
            if (r.ok()) rides.push_back(r->ride.id);
            s = r.status();
            break;
          }
          default:
            if (rides.empty()) continue;
            s = cancel_ride(*db_, clock_, me, rides[pick(rides.size())]).status();
        }
        if (s.ok()) {
          ++succeeded;
        } else if (s.code() != StatusCode::kFailedPrecondition) {
          ADD_FAILURE() << "client " << c << ": " << s.to_string();
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  done = true;
  worker.join();
  EXPECT_GT(succeeded.load(), kClients * kOpsPerClient / 3);

  auto audit = bookings_testing::audit(*db_);
  ASSERT_TRUE(audit.ok());
  EXPECT_TRUE(audit->ok());
  // No table or room held twice, and the claims are exactly the live bookings'.
  EXPECT_EQ(count("SELECT COUNT(*) FROM table_bookings a JOIN table_bookings b ON a.table_id = "
                  "b.table_id AND a.id < b.id WHERE a.status <> 'cancelled' AND b.status <> "
                  "'cancelled' AND a.starts_at_us < b.ends_at_us AND b.starts_at_us < "
                  "a.ends_at_us"),
            0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM table_slot_claims"),
            kTableBookingSlots *
                count("SELECT COUNT(*) FROM table_bookings WHERE status <> 'cancelled'"));
  EXPECT_EQ(count("SELECT COUNT(*) FROM hotel_bookings a JOIN hotel_bookings b ON a.room_id = "
                  "b.room_id AND a.id < b.id WHERE a.status <> 'cancelled' AND b.status <> "
                  "'cancelled' AND a.check_in_day < b.check_out_day AND b.check_in_day < "
                  "a.check_out_day"),
            0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM room_nights"),
            count("SELECT COALESCE(SUM(check_out_day - check_in_day), 0) FROM hotel_bookings "
                  "WHERE status <> 'cancelled'"));
  // Every wallet holds its top-up minus what its stays and rides kept; the platform the rest.
  int64_t kept_total = 0;
  for (const Actor& u : users) {
    const int64_t kept =
        count("SELECT COALESCE(SUM(total - refunded), 0) FROM hotel_bookings WHERE user_id = ?",
              {u.user_id}) +
        count("SELECT COALESCE(SUM(price - refunded), 0) FROM rides WHERE user_id = ?",
              {u.user_id});
    EXPECT_EQ(*bookings_testing::balance(*db_, AccountKind::kWallet, u.user_id), kFunds - kept);
    kept_total += kept;
  }
  EXPECT_EQ(*bookings_testing::balance(*db_, AccountKind::kPlatform, 0), kept_total);
  // One event per booking made and per cancellation.
  EXPECT_EQ(count("SELECT COUNT(*) FROM user_events WHERE kind = 'table_booking' AND status = "
                  "'booked'"),
            count("SELECT COUNT(*) FROM table_bookings"));
  EXPECT_EQ(count("SELECT COUNT(*) FROM user_events WHERE kind = 'hotel_booking' AND status = "
                  "'cancelled'"),
            count("SELECT COUNT(*) FROM hotel_bookings WHERE status = 'cancelled'"));
  EXPECT_EQ(count("SELECT COUNT(*) FROM user_events WHERE kind = 'ride' AND status = "
                  "'cancelled'"),
            count("SELECT COUNT(*) FROM rides WHERE status = 'cancelled'"));
}

INSTANTIATE_TEST_SUITE_P(Db, BookingsTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
