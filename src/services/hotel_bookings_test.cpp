// Hotel bookings on both databases: availability and quotes, prepayment through the ledger (to
// the hotel's merchant or the platform), the cancellation refund rule per day and per actor,
// idempotent replays that charge once, bad input, and eight threads racing for the same nights.
#include "services/hotel_bookings.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <thread>
#include <vector>

#include "services/bookings_testing.h"
#include "services/services_testing.h"

namespace qwl::services {
namespace {

using bookings_testing::at;
using bookings_testing::kMonday;

constexpr int64_t kFunds = 1'000'000;  // ¥10,000

class HotelBookingsTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam(), DbOptions{.pool_size = 8, .max_attempts = 200});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    alice_ = *testing::add_user(*db_, "alice@example.com");
    bob_ = *testing::add_user(*db_, "bob@example.com");
    owner_ = *testing::add_user(*db_, "owner@example.com", Role::kMerchant);
    other_merchant_ = *testing::add_user(*db_, "other@example.com", Role::kMerchant);
    admin_ = *testing::add_user(*db_, "admin@example.com", Role::kAdmin);
    ASSERT_TRUE(testing::fund_wallet(*db_, alice_.user_id, kFunds).ok());
    auto lake = bookings_testing::add_hotel(
        *db_, "Lakeview Hotel",
        {{.name = "Standard", .beds = 1, .max_guests = 2, .price_per_night = 40'000, .rooms = 2},
         {.name = "Family", .beds = 2, .max_guests = 4, .price_per_night = 70'000, .rooms = 1}});
    auto inn = bookings_testing::add_hotel(
        *db_, "Owned Inn",
        {{.name = "Single", .beds = 1, .max_guests = 1, .price_per_night = 20'000, .rooms = 1}},
        /*with_merchant=*/true, owner_.user_id);
    ASSERT_TRUE(lake.ok() && inn.ok());
    lake_ = *lake;
    inn_ = *inn;
  }

  Result<HotelBookingResult> book(const Actor& actor, int64_t type, int64_t in, int64_t out,
                                  int64_t guests, std::string key = "",
                                  std::optional<int64_t> expected = std::nullopt) {
    return book_hotel(*db_, clock_, actor,
                      HotelBookingRequest{.room_type_id = type,
                                          .stay = {in, out, guests},
                                          .expected_total = expected,
                                          .idempotency_key = std::move(key)});
  }
  int64_t wallet(const Actor& a) {
    return *bookings_testing::balance(*db_, AccountKind::kWallet, a.user_id);
  }
  int64_t platform() { return *bookings_testing::balance(*db_, AccountKind::kPlatform, 0); }
  void expect_ledger_ok() {
    auto audit = bookings_testing::audit(*db_);
    ASSERT_TRUE(audit.ok()) << audit.status().to_string();
    EXPECT_TRUE(audit->ok()) << "sum " << audit->balance_sum << " unbalanced "
                             << audit->unbalanced_txns << " mismatched "
                             << audit->mismatched_accounts;
  }
  int64_t count(std::string_view sql, Params params = {}) {
    return *bookings_testing::query_int(*db_, sql, params);
  }

  std::unique_ptr<Db> db_;
  ManualClock clock_{at(kMonday, 10)};
  Actor alice_, bob_, owner_, other_merchant_, admin_;
  bookings_testing::Hotel lake_, inn_;
};

TEST_P(HotelBookingsTest, AvailabilityAndQuotes) {
  auto a = hotel_availability(*db_, clock_, bob_, lake_.poi_id, {kMonday + 1, kMonday + 3, 2});
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->name_en, "Lakeview Hotel");
  EXPECT_EQ(a->nights, 2);
  ASSERT_EQ(a->room_types.size(), 2u);
  EXPECT_EQ(a->room_types[0].name_en, "Standard");
  EXPECT_EQ(a->room_types[0].total, 80'000);
  EXPECT_EQ(a->room_types[0].free_rooms, 2);
  EXPECT_EQ(a->room_types[1].name_en, "Family");
  EXPECT_EQ(a->room_types[1].total, 140'000);
  EXPECT_EQ(a->room_types[1].free_rooms, 1);
  auto three = hotel_availability(*db_, clock_, bob_, lake_.poi_id, {kMonday, kMonday + 1, 3});
  ASSERT_TRUE(three.ok());
  ASSERT_EQ(three->room_types.size(), 1u);
  EXPECT_EQ(three->room_types[0].name_en, "Family");
  EXPECT_EQ(hotel_availability(*db_, clock_, bob_, lake_.poi_id, {kMonday, kMonday + 1, 5})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  auto quote =
      quote_hotel_stay(*db_, clock_, bob_, lake_.room_type_ids[1], {kMonday, kMonday + 7, 4});
  ASSERT_TRUE(quote.ok()) << quote.status().to_string();
  EXPECT_EQ(quote->nights, 7);
  EXPECT_EQ(quote->total, 7 * 70'000);
  EXPECT_EQ(quote->poi_id, lake_.poi_id);

  // A booked night makes the room busy for stays that touch it, not for the next stay.
  ASSERT_TRUE(book(alice_, lake_.room_type_ids[1], kMonday + 1, kMonday + 3, 2).ok());
  auto overlap =
      quote_hotel_stay(*db_, clock_, bob_, lake_.room_type_ids[1], {kMonday + 2, kMonday + 4, 2});
  auto after =
      quote_hotel_stay(*db_, clock_, bob_, lake_.room_type_ids[1], {kMonday + 3, kMonday + 4, 2});
  auto before =
      quote_hotel_stay(*db_, clock_, bob_, lake_.room_type_ids[1], {kMonday, kMonday + 1, 2});
  ASSERT_TRUE(overlap.ok() && after.ok() && before.ok());
  EXPECT_EQ(overlap->free_rooms, 0);
  EXPECT_EQ(after->free_rooms, 1);
  EXPECT_EQ(before->free_rooms, 1);
}

TEST_P(HotelBookingsTest, BookingPrepaysThePlatformOrTheHotelsMerchant) {
  auto booked = book(alice_, lake_.room_type_ids[0], kMonday + 1, kMonday + 3, 2, "", 80'000);
  ASSERT_TRUE(booked.ok()) << booked.status().to_string();
  const HotelBooking& b = booked->booking;
  EXPECT_EQ(b.hotel_name_en, "Lakeview Hotel");
  EXPECT_EQ(b.room_type_name_en, "Standard");
  EXPECT_EQ(b.room_number, "101");
  EXPECT_EQ(b.nights, 2);
  EXPECT_EQ(b.total, 80'000);
  EXPECT_EQ(b.refunded, 0);
  EXPECT_EQ(b.status, "booked");
  EXPECT_EQ(wallet(alice_), kFunds - 80'000);
  EXPECT_EQ(platform(), 80'000);  // no merchant at this hotel
  EXPECT_EQ(count("SELECT COUNT(*) FROM room_nights WHERE booking_id = ?", {b.id}), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM ledger_txns WHERE booking_ref = ?",
                  {fmt::format("hotel:{}", b.id)}),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM user_events WHERE user_id = ? AND kind = "
                  "'hotel_booking' AND ref_id = ? AND status = 'booked'",
                  {alice_.user_id, b.id}),
            1);
  // The second standard room goes to the next guest; then the type is full for those nights.
  ASSERT_TRUE(testing::fund_wallet(*db_, bob_.user_id, 100'000).ok());
  auto second = book(bob_, lake_.room_type_ids[0], kMonday + 2, kMonday + 3, 1);
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  EXPECT_EQ(second->booking.room_number, "102");
  auto before_it = book(bob_, lake_.room_type_ids[0], kMonday + 1, kMonday + 2, 1);
  ASSERT_TRUE(before_it.ok()) << before_it.status().to_string();
  EXPECT_EQ(before_it->booking.room_number, "102");  // the night before bob's is still free
  EXPECT_EQ(book(bob_, lake_.room_type_ids[0], kMonday + 2, kMonday + 3, 1).status().code(),
            StatusCode::kFailedPrecondition);

  // A hotel with a merchant is paid into the merchant's account.
  auto inn = book(alice_, inn_.room_type_ids[0], kMonday, kMonday + 1, 1);
  ASSERT_TRUE(inn.ok()) << inn.status().to_string();
  EXPECT_EQ(*bookings_testing::balance(*db_, AccountKind::kMerchant, inn_.merchant_id), 20'000);
  // A total that changed since the quote is refused and charges nothing.
  const int64_t before = wallet(alice_);
  EXPECT_EQ(
      book(alice_, lake_.room_type_ids[1], kMonday + 5, kMonday + 6, 2, "", 60'000).status().code(),
      StatusCode::kFailedPrecondition);
  EXPECT_EQ(wallet(alice_), before);
  expect_ledger_ok();
}

TEST_P(HotelBookingsTest, InsufficientFundsBooksNothingAndKeepsTheKeyFree) {
  EXPECT_EQ(book(bob_, lake_.room_type_ids[0], kMonday, kMonday + 2, 1, "stay-1").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(count("SELECT COUNT(*) FROM hotel_bookings"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM room_nights"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM user_events WHERE kind = 'hotel_booking'"), 0);
  ASSERT_TRUE(testing::fund_wallet(*db_, bob_.user_id, 80'000).ok());
  auto booked = book(bob_, lake_.room_type_ids[0], kMonday, kMonday + 2, 1, "stay-1");
  ASSERT_TRUE(booked.ok()) << booked.status().to_string();
  EXPECT_FALSE(booked->replayed);
  EXPECT_EQ(wallet(bob_), 0);
  expect_ledger_ok();
}

TEST_P(HotelBookingsTest, CancellationRefundRule) {
  EXPECT_EQ(hotel_cancellation_fee(90'000, 3, kMonday + 1, kMonday), 0);
  EXPECT_EQ(hotel_cancellation_fee(90'000, 3, kMonday + 1, kMonday + 1), 30'000);
  EXPECT_EQ(hotel_cancellation_fee(90'000, 3, kMonday + 1, kMonday + 2), 60'000);
  EXPECT_EQ(hotel_cancellation_fee(90'000, 3, kMonday + 1, kMonday + 9), 90'000);

  const int64_t standard = lake_.room_type_ids[0];
  // Before the check-in day: everything back, the nights free again.
  auto early = book(alice_, standard, kMonday + 2, kMonday + 5, 2);
  ASSERT_TRUE(early.ok());
  auto cancelled = cancel_hotel_booking(*db_, clock_, alice_, early->booking.id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().to_string();
  EXPECT_EQ(cancelled->status, "cancelled");
  EXPECT_EQ(cancelled->refunded, 120'000);
  EXPECT_EQ(wallet(alice_), kFunds);
  EXPECT_EQ(count("SELECT COUNT(*) FROM room_nights WHERE booking_id = ?", {early->booking.id}), 0);
  EXPECT_EQ(cancel_hotel_booking(*db_, clock_, alice_, early->booking.id).status().code(),
            StatusCode::kFailedPrecondition);

  // On the check-in day one night is kept; a day later two.
  auto day_of = book(alice_, standard, kMonday + 1, kMonday + 4, 2);
  auto mid_stay = book(alice_, lake_.room_type_ids[1], kMonday, kMonday + 3, 2);
  ASSERT_TRUE(day_of.ok() && mid_stay.ok());
  clock_.set_wall_us(at(kMonday + 1, 15));
  auto c1 = cancel_hotel_booking(*db_, clock_, alice_, day_of->booking.id);
  auto c2 = cancel_hotel_booking(*db_, clock_, alice_, mid_stay->booking.id);
  ASSERT_TRUE(c1.ok() && c2.ok()) << c1.status().to_string() << c2.status().to_string();
  EXPECT_EQ(c1->refunded, 80'000);
  EXPECT_EQ(c2->refunded, 70'000);
  EXPECT_EQ(wallet(alice_), kFunds - 40'000 - 140'000);
  EXPECT_EQ(platform(), 40'000 + 140'000);
  EXPECT_EQ(count("SELECT COUNT(*) FROM user_events WHERE kind = 'hotel_booking' AND status = "
                  "'cancelled' AND payload LIKE '%\"refunded\":80000%'"),
            1);

  // From the check-out day on the stay is over.
  auto short_stay = book(alice_, standard, kMonday + 1, kMonday + 2, 1);
  ASSERT_TRUE(short_stay.ok()) << short_stay.status().to_string();
  clock_.set_wall_us(at(kMonday + 2, 9));
  EXPECT_EQ(cancel_hotel_booking(*db_, clock_, alice_, short_stay->booking.id).status().code(),
            StatusCode::kFailedPrecondition);

  // The hotel's merchant owner cancels with a full refund, even on the check-in day; other
  // people see nothing.
  auto inn = book(alice_, inn_.room_type_ids[0], kMonday + 2, kMonday + 4, 1);
  ASSERT_TRUE(inn.ok()) << inn.status().to_string();
  const int64_t id = inn->booking.id;
  EXPECT_EQ(get_hotel_booking(*db_, bob_, id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cancel_hotel_booking(*db_, clock_, bob_, id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cancel_hotel_booking(*db_, clock_, other_merchant_, id).status().code(),
            StatusCode::kNotFound);
  auto listed = list_place_hotel_bookings(*db_, owner_, inn_.poi_id, kMonday, kMonday + 7);
  ASSERT_TRUE(listed.ok()) << listed.status().to_string();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(
      list_place_hotel_bookings(*db_, alice_, inn_.poi_id, kMonday, kMonday + 7).status().code(),
      StatusCode::kPermissionDenied);
  EXPECT_EQ(list_place_hotel_bookings(*db_, other_merchant_, inn_.poi_id, kMonday, kMonday + 7)
                .status()
                .code(),
            StatusCode::kNotFound);
  EXPECT_EQ(
      list_place_hotel_bookings(*db_, owner_, lake_.poi_id, kMonday, kMonday + 7).status().code(),
      StatusCode::kNotFound);  // not the owner's hotel
  const int64_t wallet_before = wallet(alice_);
  auto by_hotel = cancel_hotel_booking(*db_, clock_, owner_, id);
  ASSERT_TRUE(by_hotel.ok()) << by_hotel.status().to_string();
  EXPECT_EQ(by_hotel->refunded, 40'000);
  EXPECT_EQ(wallet(alice_), wallet_before + 40'000);
  EXPECT_EQ(*bookings_testing::balance(*db_, AccountKind::kMerchant, inn_.merchant_id), 0);
  auto mine = list_my_hotel_bookings(*db_, alice_);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->size(), 5u);
  expect_ledger_ok();
}

TEST_P(HotelBookingsTest, RefusesBadInput) {
  const int64_t t = lake_.room_type_ids[0];
  auto code = [](const auto& r) { return r.status().code(); };
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(code(book(alice_, t, kMonday - 1, kMonday + 1, 1)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, t, kMonday + 2, kMonday + 2, 1)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, t, kMonday + 3, kMonday + 1, 1)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, t, kMonday, kMonday + 31, 1)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, t, kMonday + 366, kMonday + 367, 1)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, t, kMonday, kMonday + 1, 0)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, t, kMonday, kMonday + 1, -2)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, t, kMonday, kMonday + 1, 3)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, t, kMonday, kMonday + 1, kMax)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, t, kMax, kMax, 1)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, t, kMin, kMax, 1)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, t, kMonday, kMax, 1)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, t, kMonday, kMonday + 1, 1, "", -5)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, 999'999, kMonday, kMonday + 1, 1)), StatusCode::kNotFound);
  EXPECT_EQ(code(book(Actor::system(), t, kMonday, kMonday + 1, 1)), StatusCode::kPermissionDenied);
  EXPECT_EQ(code(hotel_availability(*db_, clock_, alice_, 999'999, {kMonday, kMonday + 1, 1})),
            StatusCode::kNotFound);
  EXPECT_EQ(code(hotel_availability(*db_, clock_, alice_, lake_.poi_id, {kMonday, kMonday, 1})),
            StatusCode::kInvalidArgument);
  auto cafe = testing::add_merchant(*db_, "Roomless Cafe");
  ASSERT_TRUE(cafe.ok());
  auto cafe_poi =
      bookings_testing::query_int(*db_, "SELECT poi_id FROM merchants WHERE id = ?", {*cafe});
  EXPECT_EQ(code(hotel_availability(*db_, clock_, alice_, *cafe_poi, {kMonday, kMonday + 1, 1})),
            StatusCode::kFailedPrecondition);
  // A nightly price whose total would pass the largest amount.
  auto palace = bookings_testing::add_hotel(
      *db_, "Palace", {{.name = "Suite", .max_guests = 2, .price_per_night = kMaxAmount}});
  ASSERT_TRUE(palace.ok());
  EXPECT_EQ(code(book(alice_, palace->room_type_ids[0], kMonday, kMonday + 2, 1)),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(get_hotel_booking(*db_, alice_, 424242)), StatusCode::kNotFound);
  EXPECT_EQ(code(cancel_hotel_booking(*db_, clock_, alice_, 424242)), StatusCode::kNotFound);
  EXPECT_EQ(code(list_my_hotel_bookings(*db_, alice_, 501)), StatusCode::kInvalidArgument);
  EXPECT_EQ(count("SELECT COUNT(*) FROM hotel_bookings"), 0);
  EXPECT_EQ(wallet(alice_), kFunds);
}

TEST_P(HotelBookingsTest, IdempotentReplayChargesOnce) {
  auto first = book(alice_, lake_.room_type_ids[1], kMonday + 1, kMonday + 2, 3, "trip-1");
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  auto replay = book(alice_, lake_.room_type_ids[1], kMonday + 1, kMonday + 2, 3, "trip-1");
  ASSERT_TRUE(replay.ok()) << replay.status().to_string();
  EXPECT_TRUE(replay->replayed);
  EXPECT_EQ(replay->booking.id, first->booking.id);
  EXPECT_EQ(wallet(alice_), kFunds - 70'000);
  EXPECT_EQ(count("SELECT COUNT(*) FROM hotel_bookings"), 1);
  EXPECT_EQ(
      book(alice_, lake_.room_type_ids[1], kMonday + 1, kMonday + 3, 3, "trip-1").status().code(),
      StatusCode::kInvalidArgument);
  expect_ledger_ok();
}

TEST_P(HotelBookingsTest, EightThreadsRaceForTheSameNights) {
  auto hotel = bookings_testing::add_hotel(
      *db_, "Busy Hotel",
      {{.name = "Twin", .beds = 2, .max_guests = 2, .price_per_night = 30'000, .rooms = 3}});
  ASSERT_TRUE(hotel.ok());
  std::vector<Actor> users;
  for (int i = 0; i < 8; ++i) {
    auto user = testing::add_user(*db_, fmt::format("guest{}@example.com", i));
    ASSERT_TRUE(user.ok());
    ASSERT_TRUE(testing::fund_wallet(*db_, user->user_id, 100'000).ok());
    users.push_back(*user);
  }
  std::atomic<int> ok{0};
  std::atomic<int> full{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = book(users[i], hotel->room_type_ids[0], kMonday + 1, kMonday + 3, 2,
                    fmt::format("race-{}", i));
      if (r.ok()) {
        ++ok;
      } else if (r.status().code() == StatusCode::kFailedPrecondition) {
        ++full;
      } else {
        ADD_FAILURE() << r.status().to_string();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 3);
  EXPECT_EQ(full.load(), 5);
  EXPECT_EQ(count("SELECT COUNT(DISTINCT room_id) FROM hotel_bookings"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM room_nights"), 6);
  EXPECT_EQ(platform(), 3 * 60'000);
  expect_ledger_ok();
}

TEST_P(HotelBookingsTest, WorkerCompletesStaysAtCheckOutNoon) {
  auto booked = book(alice_, lake_.room_type_ids[0], kMonday, kMonday + 1, 1);
  ASSERT_TRUE(booked.ok());
  clock_.set_wall_us(at(kMonday + 1, 11, 59));
  EXPECT_EQ(*complete_hotel_bookings(*db_, clock_), 0);
  clock_.set_wall_us(at(kMonday + 1, 12));
  EXPECT_EQ(*complete_hotel_bookings(*db_, clock_), 1);
  auto done = get_hotel_booking(*db_, alice_, booked->booking.id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, "completed");
  EXPECT_EQ(count("SELECT COUNT(*) FROM user_events WHERE kind = 'hotel_booking' AND status = "
                  "'completed'"),
            1);
}

INSTANTIATE_TEST_SUITE_P(Db, HotelBookingsTest,
                         ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
