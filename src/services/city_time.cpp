// The city's local time and opening hours (see city_time.h).
#include "services/city_time.h"

#include <cstdio>
#include <string>

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

Result<int64_t> parse_local_time(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  char tail = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d%c", &y, &mo, &d, &h, &mi, &tail) != 5 ||
      s.size() != 16 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) {
    return InvalidArgumentError("'{}' is not a city time YYYY-MM-DDTHH:MM", text);
  }
  // Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil).
  const int64_t yy = mo <= 2 ? y - 1 : y;
  const int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  const int64_t yoe = yy - era * 400;
  const int64_t doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t day = era * 146097 + doe - 719468;
  return services::local_instant_us(day, h * 60 + mi);
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
