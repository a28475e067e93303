// The city's local time and opening hours (see city_time.h).
#include "services/city_time.h"

namespace qwl::services {

LocalTime local_time(int64_t wall_us) {
  const int64_t local_us = wall_us + kCityUtcOffsetUs;
  int64_t day = local_us / kMicrosPerDay;
  if (local_us % kMicrosPerDay < 0) --day;  // floor for instants before 1970
  const int64_t in_day_us = local_us - day * kMicrosPerDay;
  LocalTime t;
  t.day = day;
  // 1970-01-01 was a Thursday (weekday 3 when Monday is 0).
  t.weekday = static_cast<int>(((day % 7) + 7 + 3) % 7);
  t.minute = static_cast<int>(in_day_us / kMicrosPerMinute);
  return t;
}

int64_t local_instant_us(int64_t day, int minute) {
  return day * kMicrosPerDay + minute * kMicrosPerMinute - kCityUtcOffsetUs;
}

Result<bool> is_open(Tx& tx, int64_t poi_id, int64_t wall_us) {
  QWL_ASSIGN_OR_RETURN(Rows exists, tx.query("SELECT id FROM pois WHERE id = ?", {poi_id}));
  if (exists.empty()) return NotFoundError("place {} not found", poi_id);
  const LocalTime t = local_time(wall_us);
  const int yesterday = (t.weekday + 6) % 7;
  // Today's ranges at this minute, or yesterday's ranges that run past midnight into it.
  QWL_ASSIGN_OR_RETURN(
      Rows rows,
      tx.query("SELECT (SELECT COUNT(*) FROM poi_hours WHERE poi_id = ?), "
               "(SELECT COUNT(*) FROM poi_hours WHERE poi_id = ? AND ((weekday = ? AND "
               "open_min <= ? AND close_min > ?) OR (weekday = ? AND close_min > ?)))",
               {poi_id, poi_id, t.weekday, t.minute, t.minute, yesterday, t.minute + 1440}));
  const int64_t total = rows[0].int64(0);
  const int64_t matching = rows[0].int64(1);
  return total == 0 || matching > 0;
}

}  // namespace qwl::services
