// Rides on both databases: the price formula, quotes from an injected route, payment at
// request, the worker's lifecycle on a manual clock (also when it runs late), cancellation fees
// per status, idempotent requests (also eight threads with one key), and bad input.
#include "services/rides.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <set>
#include <thread>
#include <vector>

#include "services/bookings_testing.h"
#include "services/services_testing.h"

namespace qwl::services {
namespace {

using bookings_testing::at;
using bookings_testing::kMonday;

constexpr int64_t kFunds = 100'000;
constexpr int64_t kSecond = 1'000'000;
const RidePlace kHome{.at = {.lat = 30.25, .lon = 120.16}, .label = "Home"};
const RidePlace kOffice{.at = {.lat = 30.28, .lon = 120.12}, .label = "Office"};
const RidePlace kAirport{.at = {.lat = 30.23, .lon = 120.43}, .label = "Airport"};
const RidePlace kFarAway{.at = {.lat = 39.9, .lon = 116.4}, .label = "Beijing"};
const RidePlace kIsland{.at = {.lat = 30.0, .lon = 122.0}, .label = "Island"};

// Home -> Office 8.2 km in 20 minutes; the airport 32 km in 40 minutes; Beijing too far; the
// island has no road.
Result<DrivingEstimate> fake_route(const GeoPosition& from, const GeoPosition& to) {
  (void)from;
  if (to.lat == kOffice.at.lat) return DrivingEstimate{.distance_m = 8'200, .duration_s = 1'200};
  if (to.lat == kAirport.at.lat) {
    return DrivingEstimate{.distance_m = 32'000, .duration_s = 2'400};
  }
  if (to.lat == kFarAway.at.lat) {
    return DrivingEstimate{.distance_m = 1'200'000, .duration_s = 50'000};
  }
  if (to.lat == kIsland.at.lat)
    return NotFoundError("no driving route to ({}, {})", to.lat, to.lon);
  return DrivingEstimate{.distance_m = -1, .duration_s = 0};  // a broken router
}

TEST(RidePriceTest, FormulaAndMinimumFare) {
  EXPECT_EQ(ride_price(RideVehicle::kEconomy, 8'200, 1'200), 800 + 1'476 + 600);
  EXPECT_EQ(ride_price(RideVehicle::kComfort, 8'200, 1'200), 1'200 + 2'132 + 900);
  EXPECT_EQ(ride_price(RideVehicle::kXl, 8'200, 1'200), 1'800 + 2'870 + 1'200);
  // Half up to a whole fen: 1001 m x 2.60 = 260.26 -> 260; 1002 m -> 260.52 -> 261.
  EXPECT_EQ(ride_price(RideVehicle::kComfort, 1'001, 1'200), 1'200 + 260 + 900);
  EXPECT_EQ(ride_price(RideVehicle::kComfort, 1'002, 1'200), 1'200 + 261 + 900);
  // Short rides pay the minimum fare.
  EXPECT_EQ(ride_price(RideVehicle::kEconomy, 500, 60), 1'000);
  EXPECT_EQ(ride_price(RideVehicle::kXl, 0, 0), 2'500);
  EXPECT_EQ(ride_price(RideVehicle::kXl, kMaxRideDistanceM, kMaxRideDurationS),
            1'800 + 105'000 + 43'200);
  EXPECT_EQ(parse_ride_vehicle("comfort"), RideVehicle::kComfort);
  EXPECT_FALSE(parse_ride_vehicle("limo").has_value());
  EXPECT_EQ(ride_cancellation_fee("requested", 3'000), 0);
  EXPECT_EQ(ride_cancellation_fee("assigned", 3'000), kRideCancelFee);
  EXPECT_EQ(ride_cancellation_fee("arriving", 300), 300);
}

class RidesTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam(), DbOptions{.pool_size = 8, .max_attempts = 200});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    alice_ = *testing::add_user(*db_, "alice@example.com");
    bob_ = *testing::add_user(*db_, "bob@example.com");
    admin_ = *testing::add_user(*db_, "admin@example.com", Role::kAdmin);
    ASSERT_TRUE(testing::fund_wallet(*db_, alice_.user_id, kFunds).ok());
  }

  Result<RideResult> request(const Actor& actor, const RidePlace& to,
                             RideVehicle vehicle = RideVehicle::kEconomy, std::string key = "",
                             std::optional<int64_t> expected = std::nullopt) {
    return request_ride(*db_, clock_, quoter_, actor,
                        RideRequest{.from = kHome,
                                    .to = to,
                                    .vehicle = vehicle,
                                    .expected_price = expected,
                                    .idempotency_key = std::move(key)});
  }
  int64_t wallet(const Actor& a) {
    return *bookings_testing::balance(*db_, AccountKind::kWallet, a.user_id);
  }
  int64_t platform() { return *bookings_testing::balance(*db_, AccountKind::kPlatform, 0); }
  int64_t events(int64_t ride, std::string_view status) {
    return *bookings_testing::query_int(
        *db_, "SELECT COUNT(*) FROM user_events WHERE kind = 'ride' AND ref_id = ? AND status = ?",
        {ride, status});
  }
  void expect_ledger_ok() {
    auto audit = bookings_testing::audit(*db_);
    ASSERT_TRUE(audit.ok()) << audit.status().to_string();
    EXPECT_TRUE(audit->ok());
  }
  std::string status_of(int64_t ride) {
    auto r = get_ride(*db_, alice_, ride);
    return r.ok() ? r->status : r.status().to_string();
  }

  std::unique_ptr<Db> db_;
  ManualClock clock_{at(kMonday, 8, 30)};
  RouteQuoter quoter_ = fake_route;
  Actor alice_, bob_, admin_;
};

TEST_P(RidesTest, QuoteGivesEveryClassFromTheRoute) {
  auto quote = quote_ride(quoter_, bob_, kHome, kOffice);
  ASSERT_TRUE(quote.ok()) << quote.status().to_string();
  EXPECT_EQ(quote->route.distance_m, 8'200);
  EXPECT_EQ(quote->route.duration_s, 1'200);
  ASSERT_EQ(quote->options.size(), 3u);
  EXPECT_EQ(quote->options[0].vehicle, RideVehicle::kEconomy);
  EXPECT_EQ(quote->options[0].price, 2'876);
  EXPECT_EQ(quote->options[0].pickup_s, 240);
  EXPECT_EQ(quote->options[1].price, 4'232);
  EXPECT_EQ(quote->options[2].price, 5'870);
  EXPECT_LT(quote->options[0].price, quote->options[1].price);
}

TEST_P(RidesTest, RequestPaysAndTheWorkerDrivesTheLifecycle) {
  const int64_t t0 = clock_.wall_us();
  auto r = request(alice_, kOffice, RideVehicle::kEconomy, "", 2'876);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const int64_t id = r->ride.id;
  EXPECT_EQ(r->ride.status, "requested");
  EXPECT_EQ(r->ride.price, 2'876);
  EXPECT_EQ(r->ride.from.label, "Home");
  EXPECT_EQ(r->ride.to.at.lon, 120.12);
  EXPECT_EQ(r->ride.next_step_at_us, t0 + 60 * kSecond);
  EXPECT_EQ(wallet(alice_), kFunds - 2'876);
  EXPECT_EQ(platform(), 2'876);
  EXPECT_EQ(events(id, "requested"), 1);

  auto step_at = [&](int64_t seconds) {
    clock_.set_wall_us(t0 + seconds * kSecond);
    auto steps = advance_rides(*db_, clock_);
    EXPECT_TRUE(steps.ok()) << steps.status().to_string();
    return steps.ok() ? *steps : -1;
  };
  EXPECT_EQ(step_at(59), 0);
  EXPECT_EQ(status_of(id), "requested");
  EXPECT_EQ(step_at(60), 1);
  EXPECT_EQ(status_of(id), "assigned");
  EXPECT_EQ(step_at(179), 0);
  EXPECT_EQ(step_at(180), 1);
  EXPECT_EQ(status_of(id), "arriving");
  EXPECT_EQ(step_at(240), 1);  // picked up at the economy pickup time
  EXPECT_EQ(status_of(id), "in_progress");
  EXPECT_EQ(step_at(240 + 1'199), 0);
  EXPECT_EQ(step_at(240 + 1'200), 1);
  auto done = get_ride(*db_, alice_, id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, "completed");
  EXPECT_FALSE(done->next_step_at_us.has_value());
  EXPECT_EQ(step_at(100'000), 0);
  for (std::string_view s : {"assigned", "arriving", "in_progress", "completed"}) {
    EXPECT_EQ(events(id, s), 1) << s;
  }
  EXPECT_EQ(cancel_ride(*db_, clock_, alice_, id).status().code(), StatusCode::kFailedPrecondition);

  // A worker that runs late takes every due step at once, each at its scheduled time.
  const int64_t t1 = clock_.wall_us();
  auto late = request(alice_, kAirport, RideVehicle::kXl);
  ASSERT_TRUE(late.ok()) << late.status().to_string();
  clock_.set_wall_us(t1 + 3 * 3600 * kSecond);
  EXPECT_EQ(*advance_rides(*db_, clock_), 4);
  EXPECT_EQ(status_of(late->ride.id), "completed");
  EXPECT_EQ(*bookings_testing::query_int(*db_,
                                         "SELECT at_us FROM user_events WHERE kind = 'ride' AND "
                                         "ref_id = ? AND status = 'completed'",
                                         {late->ride.id}),
            t1 + (420 + 2'400) * kSecond);
  auto mine = list_my_rides(*db_, alice_);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].id, late->ride.id);
  expect_ledger_ok();
}

TEST_P(RidesTest, CancellationBeforePickupRefundsMinusTheFee) {
  const int64_t t0 = clock_.wall_us();
  auto free_cancel = request(alice_, kOffice);
  auto assigned = request(alice_, kOffice, RideVehicle::kComfort);
  auto arriving = request(alice_, kOffice, RideVehicle::kXl);
  auto riding = request(alice_, kAirport);
  ASSERT_TRUE(free_cancel.ok() && assigned.ok() && arriving.ok() && riding.ok());
  const int64_t paid = 2'876 + 4'232 + 5'870 + riding->ride.price;
  EXPECT_EQ(wallet(alice_), kFunds - paid);

  // Another user sees nothing; an admin sees it.
  EXPECT_EQ(get_ride(*db_, bob_, free_cancel->ride.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cancel_ride(*db_, clock_, bob_, free_cancel->ride.id).status().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(get_ride(*db_, admin_, free_cancel->ride.id).ok());

  auto c0 = cancel_ride(*db_, clock_, alice_, free_cancel->ride.id);
  ASSERT_TRUE(c0.ok()) << c0.status().to_string();
  EXPECT_EQ(c0->status, "cancelled");
  EXPECT_EQ(c0->refunded, 2'876);
  EXPECT_FALSE(c0->next_step_at_us.has_value());

  clock_.set_wall_us(t0 + 60 * kSecond);  // all assigned
  ASSERT_EQ(*advance_rides(*db_, clock_), 3);
  auto c1 = cancel_ride(*db_, clock_, alice_, assigned->ride.id);
  ASSERT_TRUE(c1.ok()) << c1.status().to_string();
  EXPECT_EQ(c1->refunded, 4'232 - kRideCancelFee);

  clock_.set_wall_us(t0 + 400 * kSecond);  // xl arriving (from 360 s), economy riding
  ASSERT_TRUE(advance_rides(*db_, clock_).ok());
  EXPECT_EQ(status_of(arriving->ride.id), "arriving");
  EXPECT_EQ(status_of(riding->ride.id), "in_progress");
  auto c2 = cancel_ride(*db_, clock_, admin_, arriving->ride.id);
  ASSERT_TRUE(c2.ok()) << c2.status().to_string();
  EXPECT_EQ(c2->refunded, 5'870 - kRideCancelFee);
  EXPECT_EQ(cancel_ride(*db_, clock_, alice_, riding->ride.id).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(cancel_ride(*db_, clock_, alice_, arriving->ride.id).status().code(),
            StatusCode::kFailedPrecondition);

  EXPECT_EQ(wallet(alice_), kFunds - riding->ride.price - 2 * kRideCancelFee);
  EXPECT_EQ(platform(), riding->ride.price + 2 * kRideCancelFee);
  EXPECT_EQ(events(assigned->ride.id, "cancelled"), 1);
  // Cancelled rides never move again.
  clock_.set_wall_us(t0 + 10 * 3600 * kSecond);
  ASSERT_TRUE(advance_rides(*db_, clock_).ok());
  EXPECT_EQ(status_of(assigned->ride.id), "cancelled");
  EXPECT_EQ(status_of(riding->ride.id), "completed");
  expect_ledger_ok();
}

TEST_P(RidesTest, RefusesBadInput) {
  auto code = [](const auto& r) { return r.status().code(); };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (GeoPosition bad : {GeoPosition{nan, 120.0}, GeoPosition{30.0, inf}, GeoPosition{91, 120},
                          GeoPosition{30, -181}}) {
    RidePlace place{.at = bad, .label = "bad"};
    EXPECT_EQ(code(request(alice_, place)), StatusCode::kInvalidArgument);
    EXPECT_EQ(code(quote_ride(quoter_, alice_, place, kOffice)), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(code(request(alice_, kHome)), StatusCode::kInvalidArgument);  // same place
  RidePlace long_label = kOffice;
  long_label.label.assign(kMaxRideLabelBytes + 1, 'x');
  EXPECT_EQ(code(request(alice_, long_label)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(request(alice_, kOffice, RideVehicle::kEconomy, "", -1)),
            StatusCode::kInvalidArgument);
  auto island = request(alice_, kIsland);
  EXPECT_EQ(code(island), StatusCode::kNotFound);
  EXPECT_NE(island.status().message().find("ride quote"), std::string::npos);
  EXPECT_EQ(code(request(alice_, kFarAway)), StatusCode::kFailedPrecondition);
  RidePlace nowhere{.at = {.lat = 10, .lon = 10}, .label = "?"};
  EXPECT_EQ(code(request(alice_, nowhere)), StatusCode::kInternal);
  EXPECT_EQ(code(request(alice_, kOffice, RideVehicle::kEconomy, "", 2'000)),
            StatusCode::kFailedPrecondition);                                // the price changed
  EXPECT_EQ(code(request(bob_, kOffice)), StatusCode::kFailedPrecondition);  // no money
  EXPECT_EQ(code(request(Actor::system(), kOffice)), StatusCode::kPermissionDenied);
  EXPECT_EQ(code(request_ride(*db_, clock_, RouteQuoter(), alice_,
                              RideRequest{.from = kHome, .to = kOffice})),
            StatusCode::kInternal);
  EXPECT_EQ(code(get_ride(*db_, alice_, 424242)), StatusCode::kNotFound);
  EXPECT_EQ(code(cancel_ride(*db_, clock_, alice_, 424242)), StatusCode::kNotFound);
  EXPECT_EQ(code(list_my_rides(*db_, alice_, 0)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(advance_rides(*db_, clock_, 0)), StatusCode::kInvalidArgument);
  EXPECT_EQ(*bookings_testing::query_int(*db_, "SELECT COUNT(*) FROM rides"), 0);
  EXPECT_EQ(wallet(alice_), kFunds);
}

TEST_P(RidesTest, IdempotentRequestsChargeOnceEvenFromEightThreads) {
  auto first = request(alice_, kOffice, RideVehicle::kComfort, "ride-1");
  ASSERT_TRUE(first.ok());
  auto replay = request(alice_, kOffice, RideVehicle::kComfort, "ride-1");
  ASSERT_TRUE(replay.ok()) << replay.status().to_string();
  EXPECT_TRUE(replay->replayed);
  EXPECT_EQ(replay->ride.id, first->ride.id);
  EXPECT_EQ(wallet(alice_), kFunds - 4'232);
  EXPECT_EQ(request(alice_, kOffice, RideVehicle::kXl, "ride-1").status().code(),
            StatusCode::kInvalidArgument);

  std::vector<std::thread> threads;
  std::vector<int64_t> ids(8, 0);
  std::atomic<int> fresh{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = request(alice_, kAirport, RideVehicle::kEconomy, "airport-run");
      if (!r.ok()) {
        ADD_FAILURE() << r.status().to_string();
        return;
      }
      ids[i] = r->ride.id;
      if (!r->replayed) ++fresh;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fresh.load(), 1);
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), 1u);
  EXPECT_EQ(*bookings_testing::query_int(*db_, "SELECT COUNT(*) FROM rides"), 2);
  EXPECT_EQ(wallet(alice_), kFunds - 4'232 - ride_price(RideVehicle::kEconomy, 32'000, 2'400));
  expect_ledger_ok();
}

INSTANTIATE_TEST_SUITE_P(Db, RidesTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
