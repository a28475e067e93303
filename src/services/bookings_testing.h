// Test support for the booking services: restaurants with tables and opening hours, hotels with
// room types and rooms, wallet balances and ledger audits, written with SQL (services_testing.h)
// so that a booking test depends on no other service. The clock starts on a known local Monday.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "services/city_time.h"
#include "services/ledger.h"
#include "store/db.h"

namespace qwl::services::bookings_testing {

// Monday 2026-11-23 (local day 20780).
inline constexpr int64_t kMonday = 20780;
// Local day `day` at hh:mm as a UTC instant.
inline int64_t at(int64_t day, int hour, int minute = 0) {
  return local_instant_us(day, hour * 60 + minute);
}

struct Hours {
  int weekday = 0;  // 0 = Monday
  int open_min = 0;
  int close_min = 0;
};

struct Restaurant {
  int64_t merchant_id = 0;
  int64_t poi_id = 0;
  std::vector<int64_t> table_ids;  // in the order of `seats`
};

// A restaurant merchant owned by `owner_user_id` (0: none) with one table per entry of `seats`
// (labelled T1, T2, ...) and `hours` (empty: always open).
Result<Restaurant> add_restaurant(Db& db, std::string_view name, int64_t owner_user_id,
                                  const std::vector<int64_t>& seats,
                                  const std::vector<Hours>& hours = {},
                                  std::string_view cuisine = "");

struct RoomTypeSpec {
  std::string name;
  int64_t beds = 1;
  int64_t max_guests = 2;
  int64_t price_per_night = 0;
  int rooms = 1;
};

struct Hotel {
  int64_t poi_id = 0;
  int64_t merchant_id = 0;  // 0: no merchant (payments go to the platform)
  std::vector<int64_t> room_type_ids;
};

// A hotel poi with room types and rooms (numbered 101, 102, ... per type); with
// `with_merchant` also a merchant at that poi owned by `owner_user_id`.
Result<Hotel> add_hotel(Db& db, std::string_view name, const std::vector<RoomTypeSpec>& types,
                        bool with_merchant = false, int64_t owner_user_id = 0);

// The balance of an account (0 if it does not exist yet).
Result<int64_t> balance(Db& db, AccountKind kind, int64_t owner_id);

Result<LedgerAudit> audit(Db& db);

// The first column of the first row of `sql` as an integer.
Result<int64_t> query_int(Db& db, std::string_view sql, Params params = {});

}  // namespace qwl::services::bookings_testing
