// Table bookings on both databases: "tonight at 7 for four" end to end, slots and alternatives,
// opening-hour edges (last seating, ranges past midnight, back-to-back ranges), party sizes and
// smallest-table-first, bad input, cancellation rules per actor, idempotent replays, and eight
// threads racing for one slot.
#include "services/table_bookings.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
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

class TableBookingsTest : public ::testing::TestWithParam<DbKind> {
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
    // Lunch 11:00-14:00 and dinner 17:00-22:00 every day.
    std::vector<bookings_testing::Hours> hours;
    for (int d = 0; d < 7; ++d) {
      hours.push_back({d, 11 * 60, 14 * 60});
      hours.push_back({d, 17 * 60, 22 * 60});
    }
    auto sichuan = bookings_testing::add_restaurant(*db_, "Spicy Sichuan", owner_.user_id,
                                                    {2, 4, 4, 6}, hours, "sichuan");
    ASSERT_TRUE(sichuan.ok()) << sichuan.status().to_string();
    sichuan_ = *sichuan;
  }

  Result<TableBookingResult> book(const Actor& actor, int64_t poi, int64_t start, int64_t party,
                                  std::string key = "") {
    return book_table(*db_, clock_, actor,
                      TableBookingRequest{.poi_id = poi,
                                          .starts_at_us = start,
                                          .party_size = party,
                                          .idempotency_key = std::move(key)});
  }
  Result<TableAvailability> availability(int64_t poi, int64_t when, int64_t party, int window = 120,
                                         int alternatives = 3) {
    return table_availability(*db_, clock_, alice_,
                              TableAvailabilityQuery{.poi_id = poi,
                                                     .at_us = when,
                                                     .party_size = party,
                                                     .window_minutes = window,
                                                     .max_alternatives = alternatives});
  }
  int64_t events(int64_t user, int64_t ref, std::string_view status) {
    return *bookings_testing::query_int(*db_,
                                        "SELECT COUNT(*) FROM user_events WHERE user_id = ? AND "
                                        "kind = 'table_booking' AND ref_id = ? AND status = ?",
                                        {user, ref, status});
  }
  int64_t claims(int64_t booking) {
    return *bookings_testing::query_int(
        *db_, "SELECT COUNT(*) FROM table_slot_claims WHERE booking_id = ?", {booking});
  }

  std::unique_ptr<Db> db_;
  ManualClock clock_{at(kMonday, 10)};
  Actor alice_, bob_, owner_, other_merchant_, admin_;
  bookings_testing::Restaurant sichuan_;
};

TEST_P(TableBookingsTest, TonightAtSevenForFourAtTheSichuanPlace) {
  // "帮我订今晚7点四个人的川菜馆": find the place, ask for 19:00 tonight for 4, book it.
  auto poi = bookings_testing::query_int(*db_, "SELECT id FROM pois WHERE cuisine = 'sichuan'");
  ASSERT_TRUE(poi.ok());
  EXPECT_EQ(*poi, sichuan_.poi_id);
  const int64_t tonight_7pm = local_instant_us(local_time(clock_.wall_us()).day, 19 * 60);
  auto avail = availability(*poi, tonight_7pm, 4);
  ASSERT_TRUE(avail.ok()) << avail.status().to_string();
  EXPECT_EQ(avail->name_en, "Spicy Sichuan");
  EXPECT_EQ(avail->largest_table, 6);
  EXPECT_EQ(avail->requested.starts_at_us, tonight_7pm);
  EXPECT_EQ(avail->requested.local_minute, 19 * 60);
  EXPECT_EQ(avail->requested.state, TableSlotState::kAvailable);
  EXPECT_EQ(avail->requested.table_id, sichuan_.table_ids[1]);  // the first 4-seat table
  EXPECT_EQ(avail->requested.seats, 4);
  EXPECT_EQ(avail->requested.free_tables, 3);  // 4, 4 and 6 seats
  EXPECT_TRUE(avail->alternatives.empty());

  auto booked = book(alice_, *poi, avail->requested.starts_at_us, 4, "dinner-1");
  ASSERT_TRUE(booked.ok()) << booked.status().to_string();
  const TableBooking& b = booked->booking;
  EXPECT_FALSE(booked->replayed);
  EXPECT_EQ(b.user_id, alice_.user_id);
  EXPECT_EQ(b.poi_id, *poi);
  EXPECT_EQ(b.place_name_en, "Spicy Sichuan");
  EXPECT_EQ(b.table_id, sichuan_.table_ids[1]);
  EXPECT_EQ(b.table_label, "T2");
  EXPECT_EQ(b.starts_at_us, tonight_7pm);
  EXPECT_EQ(b.ends_at_us, at(kMonday, 21));
  EXPECT_EQ(b.party_size, 4);
  EXPECT_EQ(b.status, "booked");
  EXPECT_EQ(claims(b.id), kTableBookingSlots);
  EXPECT_EQ(events(alice_.user_id, b.id, "booked"), 1);

  auto mine = list_my_table_bookings(*db_, alice_);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].id, b.id);
  // The restaurant's owner sees it among the place's bookings; the next 4 gets the other table.
  auto place = list_place_table_bookings(*db_, owner_, *poi, at(kMonday, 0), at(kMonday + 1, 0));
  ASSERT_TRUE(place.ok()) << place.status().to_string();
  ASSERT_EQ(place->size(), 1u);
  EXPECT_EQ((*place)[0].id, b.id);
  auto again = availability(*poi, tonight_7pm, 4);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->requested.table_id, sichuan_.table_ids[2]);
  EXPECT_EQ(again->requested.free_tables, 2);
}

TEST_P(TableBookingsTest, BookingsMustFitInsideOpeningHours) {
  const int64_t p = sichuan_.poi_id;
  auto state = [&](int hour, int minute) {
    auto a = availability(p, at(kMonday, hour, minute), 2, 0);
    EXPECT_TRUE(a.ok()) << a.status().to_string();
    return a.ok() ? a->requested.state : TableSlotState::kClosed;
  };
  EXPECT_EQ(state(10, 30), TableSlotState::kClosed);  // opens 11:00
  EXPECT_EQ(state(11, 0), TableSlotState::kAvailable);
  EXPECT_EQ(state(12, 0), TableSlotState::kAvailable);  // ends 14:00, at closing
  EXPECT_EQ(state(12, 30), TableSlotState::kClosed);    // would end 14:30
  EXPECT_EQ(state(16, 30), TableSlotState::kClosed);
  EXPECT_EQ(state(17, 0), TableSlotState::kAvailable);
  EXPECT_EQ(state(20, 0), TableSlotState::kAvailable);  // the last seating
  EXPECT_EQ(state(20, 30), TableSlotState::kClosed);
  EXPECT_EQ(book(alice_, p, at(kMonday, 20, 30), 2).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(book(alice_, p, at(kMonday, 20), 2).ok());
  // The window lists only open slots: 17:00 .. 20:00 around 19:00 with a 3-hour window.
  auto window = availability(p, at(kMonday, 19), 2, 180);
  ASSERT_TRUE(window.ok());
  ASSERT_EQ(window->slots.size(), 7u);
  EXPECT_EQ(window->slots.front().starts_at_us, at(kMonday, 17));
  EXPECT_EQ(window->slots.back().starts_at_us, at(kMonday, 20));

  // A bar open Monday 18:00 to Tuesday 02:00 (one range past midnight), and Tuesday 11:00-14:00
  // plus 14:00-16:00 (back to back); a place without hours is always open.
  auto bar = bookings_testing::add_restaurant(
      *db_, "Night Bar", 0, {4},
      {{0, 18 * 60, 26 * 60}, {1, 11 * 60, 14 * 60}, {1, 14 * 60, 16 * 60}});
  auto diner = bookings_testing::add_restaurant(*db_, "All Night Diner", 0, {4});
  ASSERT_TRUE(bar.ok() && diner.ok());
  auto bar_state = [&](int64_t day, int hour, int minute) {
    auto a = availability(bar->poi_id, at(day, hour, minute), 2, 0);
    EXPECT_TRUE(a.ok()) << a.status().to_string();
    return a.ok() ? a->requested.state : TableSlotState::kClosed;
  };
  EXPECT_EQ(bar_state(kMonday, 23, 30), TableSlotState::kAvailable);  // ends Tuesday 01:30
  EXPECT_EQ(bar_state(kMonday + 1, 0, 0), TableSlotState::kAvailable);
  EXPECT_EQ(bar_state(kMonday + 1, 0, 30), TableSlotState::kClosed);     // would end 02:30
  EXPECT_EQ(bar_state(kMonday + 1, 13, 0), TableSlotState::kAvailable);  // across 14:00
  EXPECT_EQ(bar_state(kMonday + 1, 14, 30), TableSlotState::kClosed);
  EXPECT_EQ(bar_state(kMonday + 2, 19, 0), TableSlotState::kClosed);  // Wednesday: no hours
  auto night = book(bob_, bar->poi_id, at(kMonday, 23, 30), 3);
  ASSERT_TRUE(night.ok()) << night.status().to_string();
  EXPECT_EQ(night->booking.ends_at_us, at(kMonday + 1, 1, 30));
  auto late = availability(diner->poi_id, at(kMonday + 1, 3), 4, 0);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->requested.state, TableSlotState::kAvailable);
}

TEST_P(TableBookingsTest, AlternativesNearTheRequestedTimeWhenFull) {
  std::vector<bookings_testing::Hours> hours;
  for (int d = 0; d < 7; ++d) hours.push_back({d, 11 * 60, 23 * 60});
  auto place = bookings_testing::add_restaurant(*db_, "Small Place", owner_.user_id, {4, 4}, hours);
  ASSERT_TRUE(place.ok());
  const int64_t p = place->poi_id;
  auto carol = testing::add_user(*db_, "carol@example.com");
  ASSERT_TRUE(carol.ok());
  ASSERT_TRUE(book(bob_, p, at(kMonday, 19), 4).ok());
  ASSERT_TRUE(book(*carol, p, at(kMonday, 19), 3).ok());

  auto a = availability(p, at(kMonday, 19), 4);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->requested.state, TableSlotState::kFull);
  EXPECT_EQ(a->requested.table_id, 0);
  // 17:00 ends as the 19:00 bookings start and 21:00 begins as they end; everything between
  // overlaps. Equally near: the earlier first.
  ASSERT_EQ(a->alternatives.size(), 2u);
  EXPECT_EQ(a->alternatives[0].starts_at_us, at(kMonday, 17));
  EXPECT_EQ(a->alternatives[1].starts_at_us, at(kMonday, 21));
  ASSERT_EQ(a->slots.size(), 9u);                       // 17:00 .. 21:00
  EXPECT_EQ(a->slots[1].state, TableSlotState::kFull);  // 17:30
  EXPECT_EQ(a->slots[8].state, TableSlotState::kAvailable);

  auto one = availability(p, at(kMonday, 19), 4, 120, 1);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->alternatives.size(), 1u);
  EXPECT_EQ(one->alternatives[0].starts_at_us, at(kMonday, 17));
  // A window too narrow to reach a free slot has no alternatives; booking the full slot fails.
  auto narrow = availability(p, at(kMonday, 19), 4, 60);
  ASSERT_TRUE(narrow.ok());
  EXPECT_TRUE(narrow->alternatives.empty());
  EXPECT_EQ(book(alice_, p, at(kMonday, 19), 2).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(book(alice_, p, at(kMonday, 21), 2).ok());
  // The wished time is rounded up to the grid: 16:50 asks for 17:00.
  auto rounded = availability(p, at(kMonday, 16, 50), 4, 0);
  ASSERT_TRUE(rounded.ok());
  EXPECT_EQ(rounded->requested.starts_at_us, at(kMonday, 17));
}

TEST_P(TableBookingsTest, PartySizeLimitsAndSmallestFittingTableFirst) {
  const int64_t p = sichuan_.poi_id;
  const int64_t t = at(kMonday, 18);
  for (int64_t bad : {int64_t{0}, int64_t{-3}, int64_t{7}, std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(book(alice_, p, t, bad).status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(availability(p, t, bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  auto single = book(alice_, p, t, 1);
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->booking.seats, 2);
  // Parties of 3 fill the 4-seat tables in id order, then the 6-seat one, then nothing fits.
  std::vector<int64_t> tables;
  for (int i = 0; i < 4; ++i) {
    auto user = testing::add_user(*db_, fmt::format("party{}@example.com", i));
    ASSERT_TRUE(user.ok());
    auto r = book(*user, p, t, 3);
    if (i < 3) {
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      tables.push_back(r->booking.table_id);
    } else {
      EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().to_string();
    }
  }
  EXPECT_EQ(tables, (std::vector<int64_t>{sichuan_.table_ids[1], sichuan_.table_ids[2],
                                          sichuan_.table_ids[3]}));
  auto six = availability(p, t, 6);
  ASSERT_TRUE(six.ok());
  EXPECT_EQ(six->requested.state, TableSlotState::kFull);
}

TEST_P(TableBookingsTest, RefusesBadInput) {
  const int64_t p = sichuan_.poi_id;
  const int64_t now = clock_.wall_us();
  auto code = [](const auto& r) { return r.status().code(); };
  EXPECT_EQ(code(book(alice_, p, at(kMonday, 9), 2)), StatusCode::kInvalidArgument);  // past
  EXPECT_EQ(code(book(alice_, p, now, 2)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, p, at(kMonday, 19, 10), 2)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, p, at(kMonday + 61, 19), 2)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, p, std::numeric_limits<int64_t>::max(), 2)),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, p, std::numeric_limits<int64_t>::min(), 2)),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(availability(p, at(kMonday, 9), 2)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(availability(p, std::numeric_limits<int64_t>::max(), 2)),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(availability(p, at(kMonday, 19), 2, -1)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(availability(p, at(kMonday, 19), 2, 721)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(availability(p, at(kMonday, 19), 2, 60, 49)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(book(alice_, 999'999, at(kMonday, 19), 2)), StatusCode::kNotFound);
  EXPECT_EQ(code(availability(999'999, at(kMonday, 19), 2)), StatusCode::kNotFound);
  auto cafe = testing::add_merchant(*db_, "No Tables Cafe");
  ASSERT_TRUE(cafe.ok());
  auto cafe_poi =
      bookings_testing::query_int(*db_, "SELECT poi_id FROM merchants WHERE id = ?", {*cafe});
  EXPECT_EQ(code(book(alice_, *cafe_poi, at(kMonday, 19), 2)), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(book(Actor::system(), p, at(kMonday, 19), 2)), StatusCode::kPermissionDenied);
  TableBookingRequest long_note{.poi_id = p, .starts_at_us = at(kMonday, 19), .party_size = 2};
  long_note.note.assign(kMaxBookingTextBytes + 1, 'x');
  EXPECT_EQ(code(book_table(*db_, clock_, alice_, long_note)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(get_table_booking(*db_, alice_, 424242)), StatusCode::kNotFound);
  EXPECT_EQ(code(cancel_table_booking(*db_, clock_, alice_, 424242)), StatusCode::kNotFound);
  EXPECT_EQ(code(list_my_table_bookings(*db_, alice_, 0)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(list_place_table_bookings(*db_, owner_, p, 10, 10)), StatusCode::kInvalidArgument);
  // Nothing of the refused requests was written.
  EXPECT_EQ(*bookings_testing::query_int(*db_, "SELECT COUNT(*) FROM table_bookings"), 0);
  EXPECT_EQ(*bookings_testing::query_int(*db_, "SELECT COUNT(*) FROM user_events"), 0);
}

TEST_P(TableBookingsTest, CancellationRulesPerActor) {
  const int64_t p = sichuan_.poi_id;
  auto booked = book(alice_, p, at(kMonday, 19), 4);
  ASSERT_TRUE(booked.ok());
  const int64_t id = booked->booking.id;
  // Another user, and the owner of another place, see nothing.
  EXPECT_EQ(get_table_booking(*db_, bob_, id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cancel_table_booking(*db_, clock_, bob_, id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cancel_table_booking(*db_, clock_, other_merchant_, id).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(
      list_place_table_bookings(*db_, other_merchant_, p, 0, at(kMonday + 2, 0)).status().code(),
      StatusCode::kNotFound);
  EXPECT_EQ(list_place_table_bookings(*db_, alice_, p, 0, at(kMonday + 2, 0)).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(get_table_booking(*db_, owner_, id).ok());
  EXPECT_TRUE(get_table_booking(*db_, admin_, id).ok());
  auto bobs = list_my_table_bookings(*db_, bob_);
  ASSERT_TRUE(bobs.ok());
  EXPECT_TRUE(bobs->empty());

  // The user cancels before the start: the slots are free again.
  auto cancelled = cancel_table_booking(*db_, clock_, alice_, id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().to_string();
  EXPECT_EQ(cancelled->status, "cancelled");
  EXPECT_EQ(claims(id), 0);
  EXPECT_EQ(events(alice_.user_id, id, "cancelled"), 1);
  EXPECT_EQ(cancel_table_booking(*db_, clock_, alice_, id).status().code(),
            StatusCode::kFailedPrecondition);
  auto freed = availability(p, at(kMonday, 19), 4);
  ASSERT_TRUE(freed.ok());
  EXPECT_EQ(freed->requested.free_tables, 3);

  // Once it has started only the restaurant may cancel it (a no-show).
  auto second = book(alice_, p, at(kMonday, 19), 4);
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  clock_.set_wall_us(at(kMonday, 19));
  EXPECT_EQ(cancel_table_booking(*db_, clock_, alice_, second->booking.id).status().code(),
            StatusCode::kFailedPrecondition);
  auto by_owner = cancel_table_booking(*db_, clock_, owner_, second->booking.id);
  ASSERT_TRUE(by_owner.ok()) << by_owner.status().to_string();
  EXPECT_EQ(by_owner->status, "cancelled");
  EXPECT_EQ(events(alice_.user_id, second->booking.id, "cancelled"), 1);
  EXPECT_EQ(*bookings_testing::query_int(*db_,
                                         "SELECT COUNT(*) FROM user_events WHERE ref_id = ? AND "
                                         "payload LIKE '%\"by\":\"merchant\"%'",
                                         {second->booking.id}),
            1);
  auto all = list_place_table_bookings(*db_, admin_, p, 0, at(kMonday + 2, 0));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST_P(TableBookingsTest, IdempotentReplaysAndDuplicateBookings) {
  const int64_t p = sichuan_.poi_id;
  auto first = book(alice_, p, at(kMonday, 19), 4, "key-1");
  ASSERT_TRUE(first.ok());
  auto replay = book(alice_, p, at(kMonday, 19), 4, "key-1");
  ASSERT_TRUE(replay.ok()) << replay.status().to_string();
  EXPECT_TRUE(replay->replayed);
  EXPECT_EQ(replay->booking.id, first->booking.id);
  EXPECT_EQ(*bookings_testing::query_int(*db_, "SELECT COUNT(*) FROM table_bookings"), 1);
  EXPECT_EQ(events(alice_.user_id, first->booking.id, "booked"), 1);
  // The same key with another request is refused; another user's same key is their own.
  EXPECT_EQ(book(alice_, p, at(kMonday, 19), 3, "key-1").status().code(),
            StatusCode::kInvalidArgument);
  auto bobs = book(bob_, p, at(kMonday, 19), 4, "key-1");
  ASSERT_TRUE(bobs.ok()) << bobs.status().to_string();
  EXPECT_FALSE(bobs->replayed);
  EXPECT_NE(bobs->booking.id, first->booking.id);
  // Without a key, a second overlapping booking at the same place is refused.
  EXPECT_EQ(book(alice_, p, at(kMonday, 20), 2).status().code(), StatusCode::kFailedPrecondition);
  // A failed request keeps its key free.
  EXPECT_EQ(book(alice_, p, at(kMonday, 21), 2, "key-2").status().code(),
            StatusCode::kFailedPrecondition);  // closed: would end 23:00
  auto lunch = book(alice_, p, at(kMonday + 1, 12), 2, "key-2");
  ASSERT_TRUE(lunch.ok()) << lunch.status().to_string();
  EXPECT_FALSE(lunch->replayed);
}

TEST_P(TableBookingsTest, EightThreadsRaceForOneSlotAndOnlyTheFittingTablesAreBooked) {
  const int64_t p = sichuan_.poi_id;  // 3 tables seat 4
  std::vector<Actor> users;
  for (int i = 0; i < 8; ++i) {
    auto user = testing::add_user(*db_, fmt::format("racer{}@example.com", i));
    ASSERT_TRUE(user.ok());
    users.push_back(*user);
  }
  std::atomic<int> ok{0};
  std::atomic<int> full{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = book(users[i], p, at(kMonday, 19), 4, fmt::format("race-{}", i));
      if (r.ok()) {
        ++ok;
      } else if (r.status().code() == StatusCode::kFailedPrecondition) {
        ++full;
      } else {
        ++other;
        ADD_FAILURE() << r.status().to_string();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 3);
  EXPECT_EQ(full.load(), 5);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(*bookings_testing::query_int(*db_,
                                         "SELECT COUNT(DISTINCT table_id) FROM table_bookings "
                                         "WHERE status = 'booked'"),
            3);
  EXPECT_EQ(*bookings_testing::query_int(*db_, "SELECT COUNT(*) FROM table_slot_claims"),
            3 * kTableBookingSlots);
}

TEST_P(TableBookingsTest, WorkerCompletesEndedBookings) {
  auto booked = book(alice_, sichuan_.poi_id, at(kMonday, 19), 4);
  ASSERT_TRUE(booked.ok());
  clock_.set_wall_us(at(kMonday, 20, 59));
  EXPECT_EQ(*complete_table_bookings(*db_, clock_), 0);
  clock_.set_wall_us(at(kMonday, 21));
  EXPECT_EQ(*complete_table_bookings(*db_, clock_), 1);
  EXPECT_EQ(*complete_table_bookings(*db_, clock_), 0);
  auto done = get_table_booking(*db_, alice_, booked->booking.id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, "completed");
  EXPECT_EQ(events(alice_.user_id, booked->booking.id, "completed"), 1);
  EXPECT_EQ(cancel_table_booking(*db_, clock_, owner_, booked->booking.id).status().code(),
            StatusCode::kFailedPrecondition);
}

INSTANTIATE_TEST_SUITE_P(Db, TableBookingsTest,
                         ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
