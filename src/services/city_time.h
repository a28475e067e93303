// The city's clock: the seeded city keeps China Standard Time (UTC+8, no daylight saving), so
// opening hours, "tonight at 7" and hotel nights are read in it. Times in the database are UTC
// microseconds since the Unix epoch; these helpers turn them into the local weekday, minute and
// day that opening hours and bookings are written in.
// Thread-safety: pure functions; is_open() uses the caller's Tx.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "store/db.h"

namespace qwl::services {

inline constexpr int64_t kCityUtcOffsetUs = 8LL * 3600 * 1'000'000;
inline constexpr int64_t kMicrosPerMinute = 60LL * 1'000'000;
inline constexpr int64_t kMicrosPerDay = 24LL * 3600 * 1'000'000;

struct LocalTime {
  int64_t day = 0;  // local days since 1970-01-01 (floor)
  int weekday = 0;  // 0 = Monday ... 6 = Sunday
  int minute = 0;   // minutes since local midnight, 0..1439
};

LocalTime local_time(int64_t wall_us);

// The UTC instant of local `day` at `minute` (minute may exceed 1439: the next day).
int64_t local_instant_us(int64_t day, int minute);

// "2026-01-06T11:30", a city time to the minute -> microseconds since the Unix epoch;
// InvalidArgument naming the text otherwise.
Result<int64_t> parse_local_time(std::string_view text);

// Whether poi `poi_id` is open at `wall_us` by its poi_hours rows: a row (weekday, open, close)
// covers [open, close) minutes of that weekday, and close > 1440 reaches into the next day. A
// poi without rows is always open. NotFound for an unknown poi.
Result<bool> is_open(Tx& tx, int64_t poi_id, int64_t wall_us);

}  // namespace qwl::services
