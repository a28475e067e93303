// Restaurant table bookings (see table_bookings.h).
#include "services/table_bookings.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "services/bookings_internal.h"
#include "services/city_time.h"

namespace qwl::services {

namespace bi = bookings_internal;

std::string_view table_slot_state_name(TableSlotState state) {
  switch (state) {
    case TableSlotState::kAvailable:
      return "available";
    case TableSlotState::kFull:
      return "full";
    case TableSlotState::kClosed:
      return "closed";
  }
  return "closed";
}

namespace {

// The grid is laid on UTC instants; it is the local grid too because the city's offset is a
// whole number of slots.
static_assert(kCityUtcOffsetUs % kTableSlotUs == 0);

constexpr int64_t kMinutesPerDay = 1440;
constexpr int64_t kMaxListLimit = 500;
constexpr int64_t kMaxPlaceList = 1000;

// Local minutes since 1970-01-01 00:00 local: one number line for opening ranges and slots.
int64_t local_abs_minute(int64_t wall_us) {
  return (wall_us + kCityUtcOffsetUs) / kMicrosPerMinute;  // times here are after 1970
}

int weekday_of_day(int64_t day) {
  return local_time(local_instant_us(day, 0)).weekday;
}

// A place's opening ranges over some days, as merged [from, to) local absolute minutes.
struct OpenRanges {
  bool always_open = false;  // the place has no poi_hours rows
  std::vector<std::pair<int64_t, int64_t>> ranges;

  bool covers(int64_t from_min, int64_t to_min) const {
    if (always_open) return true;
    for (const auto& [from, to] : ranges) {
      if (from <= from_min && to_min <= to) return true;
    }
    return false;
  }
};

// Ranges of local days [first_day - 1, last_day]: the day before contributes its ranges that
// run past midnight. Touching or overlapping ranges merge, so 11:00-14:00 and 14:00-22:00 take
// a booking at 13:00.
Result<OpenRanges> load_open_ranges(Tx& tx, int64_t poi_id, int64_t first_day, int64_t last_day) {
  QWL_ASSIGN_OR_RETURN(
      Rows rows,
      tx.query("SELECT weekday, open_min, close_min FROM poi_hours WHERE poi_id = ?", {poi_id}));
  OpenRanges open;
  if (rows.empty()) {
    open.always_open = true;
    return open;
  }
  std::vector<std::pair<int64_t, int64_t>> ranges;
  for (int64_t day = first_day - 1; day <= last_day; ++day) {
    const int weekday = weekday_of_day(day);
    for (const Row& row : rows) {
      if (row.int64(0) != weekday) continue;
      ranges.emplace_back(day * kMinutesPerDay + row.int64(1), day * kMinutesPerDay + row.int64(2));
    }
  }
  std::sort(ranges.begin(), ranges.end());
  for (const auto& range : ranges) {
    if (!open.ranges.empty() && range.first <= open.ranges.back().second) {
      open.ranges.back().second = std::max(open.ranges.back().second, range.second);
    } else {
      open.ranges.push_back(range);
    }
  }
  return open;
}

struct TableRow {
  int64_t id = 0;
  std::string label;
  int64_t seats = 0;
};

struct PlaceTables {
  bi::PlaceName name;
  std::vector<TableRow> tables;  // fewest seats first, then lowest id
  int64_t largest = 0;
};

Result<PlaceTables> load_place_tables(Tx& tx, int64_t poi_id) {
  PlaceTables place;
  QWL_ASSIGN_OR_RETURN(place.name, bi::place_name(tx, poi_id));
  QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT id, label, seats FROM restaurant_tables "
                                           "WHERE poi_id = ? ORDER BY seats, id",
                                           {poi_id}));
  if (rows.empty()) {
    return FailedPreconditionError("place {} ({}) takes no table bookings: it has no tables",
                                   poi_id, place.name.en);
  }
  for (const Row& row : rows) {
    place.tables.push_back(
        TableRow{.id = row.int64(0), .label = row.text(1), .seats = row.int64(2)});
    place.largest = std::max(place.largest, row.int64(2));
  }
  return place;
}

Status check_party_size(int64_t party_size, const PlaceTables& place, int64_t poi_id) {
  if (party_size <= 0 || party_size > place.largest) {
    return InvalidArgumentError(
        "party_size must be 1 to {} (the largest table at place {} ({})), got {}", place.largest,
        poi_id, place.name.en, party_size);
  }
  return Status::Ok();
}

// The slots claimed at a place in [from_us, to_us) by tables with at least `party_size` seats.
Result<std::set<std::pair<int64_t, int64_t>>> load_claims(Tx& tx, int64_t poi_id,
                                                          int64_t party_size, int64_t from_us,
                                                          int64_t to_us) {
  QWL_ASSIGN_OR_RETURN(Rows rows,
                       tx.query("SELECT c.table_id, c.slot_start_us FROM table_slot_claims c JOIN "
                                "restaurant_tables t ON t.id = c.table_id WHERE t.poi_id = ? AND "
                                "t.seats >= ? AND c.slot_start_us >= ? AND c.slot_start_us < ?",
                                {poi_id, party_size, from_us, to_us}));
  std::set<std::pair<int64_t, int64_t>> claims;
  for (const Row& row : rows) claims.emplace(row.int64(0), row.int64(1));
  return claims;
}

// What a booking starting at `start_us` would get now.
TableSlot evaluate_slot(int64_t start_us, int64_t party_size, const PlaceTables& place,
                        const OpenRanges& open,
                        const std::set<std::pair<int64_t, int64_t>>& claims) {
  TableSlot slot;
  slot.starts_at_us = start_us;
  slot.local_minute = local_time(start_us).minute;
  const int64_t from_min = local_abs_minute(start_us);
  if (!open.covers(from_min, from_min + kTableBookingSlots * kTableSlotMinutes)) {
    slot.state = TableSlotState::kClosed;
    return slot;
  }
  for (const TableRow& table : place.tables) {
    if (table.seats < party_size) continue;
    bool free = true;
    for (int i = 0; i < kTableBookingSlots && free; ++i) {
      free = !claims.contains({table.id, start_us + i * kTableSlotUs});
    }
    if (!free) continue;
    if (slot.free_tables++ == 0) {
      slot.table_id = table.id;
      slot.table_label = table.label;
      slot.seats = table.seats;
    }
  }
  slot.state = slot.free_tables > 0 ? TableSlotState::kAvailable : TableSlotState::kFull;
  return slot;
}

Status check_start_time(int64_t start_us, int64_t now_us, std::string_view field) {
  if (start_us <= now_us) {
    return InvalidArgumentError("{} {} ({}) is not in the future (now {})", field, start_us,
                                bi::local_time_text(std::max<int64_t>(start_us, 0)),
                                bi::local_time_text(now_us));
  }
  if (start_us - now_us > kTableBookingAheadDays * kMicrosPerDay) {
    return InvalidArgumentError("{} {} is more than {} days ahead", field, start_us,
                                kTableBookingAheadDays);
  }
  return Status::Ok();
}

constexpr std::string_view kBookingColumns =
    "SELECT b.id, b.user_id, b.poi_id, p.name_en, p.name_zh, b.table_id, t.label, t.seats, "
    "b.starts_at_us, b.ends_at_us, b.party_size, b.status, b.contact_name, b.note, "
    "b.created_at_us, b.updated_at_us FROM table_bookings b JOIN pois p ON p.id = b.poi_id "
    "JOIN restaurant_tables t ON t.id = b.table_id ";

TableBooking booking_from_row(const Row& row) {
  return TableBooking{
      .id = row.int64(0),
      .user_id = row.int64(1),
      .poi_id = row.int64(2),
      .place_name_en = row.text(3),
      .place_name_zh = row.text(4),
      .table_id = row.int64(5),
      .table_label = row.text(6),
      .seats = row.int64(7),
      .starts_at_us = row.int64(8),
      .ends_at_us = row.int64(9),
      .party_size = row.int64(10),
      .status = row.text(11),
      .contact_name = row.text(12),
      .note = row.text(13),
      .created_at_us = row.int64(14),
      .updated_at_us = row.int64(15),
  };
}

Result<std::vector<TableBooking>> query_bookings(Tx& tx, std::string_view where, Params params) {
  QWL_ASSIGN_OR_RETURN(Rows rows,
                       tx.query(std::string(kBookingColumns) + std::string(where), params));
  std::vector<TableBooking> bookings;
  bookings.reserve(rows.size());
  for (const Row& row : rows) bookings.push_back(booking_from_row(row));
  return bookings;
}

// The booking if the actor may see it (its user, the place's manager, an admin); NotFound
// otherwise, exactly as for a missing one.
Result<TableBooking> load_visible_booking(Tx& tx, const Actor& actor, int64_t booking_id,
                                          bool* manages) {
  QWL_ASSIGN_OR_RETURN(std::vector<TableBooking> found,
                       query_bookings(tx, "WHERE b.id = ?", {booking_id}));
  if (found.empty()) return NotFoundError("table booking {} not found", booking_id);
  QWL_ASSIGN_OR_RETURN(*manages, bi::manages_place(tx, actor, found[0].poi_id));
  if (!*manages && found[0].user_id != actor.user_id) {
    return NotFoundError("table booking {} not found", booking_id);
  }
  return std::move(found[0]);
}

std::string event_payload(const TableBooking& b, std::string_view by) {
  return fmt::format(
      "{{\"poi_id\":{},\"table_id\":{},\"starts_at_us\":{},\"ends_at_us\":{},\"party_size\":{},"
      "\"by\":{}}}",
      b.poi_id, b.table_id, b.starts_at_us, b.ends_at_us, b.party_size, bi::json_quote(by));
}

Result<TableBooking> read_booking(Db& db, const Actor& actor, int64_t booking_id) {
  TableBooking booking;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    bool manages = false;
    QWL_ASSIGN_OR_RETURN(booking, load_visible_booking(tx, actor, booking_id, &manages));
    return Status::Ok();
  }));
  return booking;
}

}  // namespace

Result<TableAvailability> table_availability(Db& db, const Clock& clock, const Actor& actor,
                                             const TableAvailabilityQuery& query) {
  (void)actor;  // availability is public: any actor may ask
  const int64_t now_us = clock.wall_us();
  if (query.party_size <= 0) {
    return InvalidArgumentError("party_size must be at least 1, got {}", query.party_size);
  }
  if (query.window_minutes < 0 || query.window_minutes > kMaxTableWindowMinutes) {
    return InvalidArgumentError("window_minutes must be 0 to {}, got {}", kMaxTableWindowMinutes,
                                query.window_minutes);
  }
  if (query.max_alternatives < 0 || query.max_alternatives > 48) {
    return InvalidArgumentError("max_alternatives must be 0 to 48, got {}", query.max_alternatives);
  }
  QWL_RETURN_IF_ERROR(check_start_time(query.at_us, now_us, "at_us"));
  // Round the wished time up to the grid: never offer earlier than asked.
  const int64_t requested_us = (query.at_us + kTableSlotUs - 1) / kTableSlotUs * kTableSlotUs;
  const int64_t window_slots = query.window_minutes / kTableSlotMinutes;
  const int64_t first_us = requested_us - window_slots * kTableSlotUs;
  const int64_t last_us = requested_us + window_slots * kTableSlotUs;

  TableAvailability result;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    result = TableAvailability{};
    QWL_ASSIGN_OR_RETURN(PlaceTables place, load_place_tables(tx, query.poi_id));
    QWL_RETURN_IF_ERROR(check_party_size(query.party_size, place, query.poi_id));
    QWL_ASSIGN_OR_RETURN(OpenRanges open,
                         load_open_ranges(tx, query.poi_id, local_time(first_us).day,
                                          local_time(last_us + kTableBookingUs).day));
    QWL_ASSIGN_OR_RETURN(auto claims, load_claims(tx, query.poi_id, query.party_size, first_us,
                                                  last_us + kTableBookingUs));
    result.poi_id = query.poi_id;
    result.name_en = place.name.en;
    result.name_zh = place.name.zh;
    result.party_size = query.party_size;
    result.largest_table = place.largest;
    result.requested = evaluate_slot(requested_us, query.party_size, place, open, claims);
    for (int64_t start = first_us; start <= last_us; start += kTableSlotUs) {
      if (start <= now_us) continue;
      if (start - now_us > kTableBookingAheadDays * kMicrosPerDay) break;
      TableSlot slot = evaluate_slot(start, query.party_size, place, open, claims);
      if (slot.state != TableSlotState::kClosed) result.slots.push_back(std::move(slot));
    }
    if (result.requested.state != TableSlotState::kAvailable) {
      for (const TableSlot& slot : result.slots) {
        if (slot.state == TableSlotState::kAvailable) result.alternatives.push_back(slot);
      }
      auto distance = [&](const TableSlot& s) {
        return s.starts_at_us > requested_us ? s.starts_at_us - requested_us
                                             : requested_us - s.starts_at_us;
      };
      std::stable_sort(result.alternatives.begin(), result.alternatives.end(),
                       [&](const TableSlot& a, const TableSlot& b) {
                         return distance(a) < distance(b);  // slots are in time order
                       });
      if (result.alternatives.size() > static_cast<size_t>(query.max_alternatives)) {
        result.alternatives.resize(query.max_alternatives);
      }
    }
    return Status::Ok();
  }));
  return result;
}

Result<TableBookingResult> book_table(Db& db, const Clock& clock, const Actor& actor,
                                      const TableBookingRequest& request) {
  QWL_RETURN_IF_ERROR(bi::check_booker(actor, "book_table"));
  const int64_t now_us = clock.wall_us();
  if (request.party_size <= 0) {
    return InvalidArgumentError("party_size must be at least 1, got {}", request.party_size);
  }
  QWL_RETURN_IF_ERROR(check_start_time(request.starts_at_us, now_us, "starts_at_us"));
  if (request.starts_at_us % kTableSlotUs != 0) {
    return InvalidArgumentError("starts_at_us {} ({}) is not on the {}-minute grid",
                                request.starts_at_us, bi::local_time_text(request.starts_at_us),
                                kTableSlotMinutes);
  }
  if (request.contact_name.size() > kMaxBookingTextBytes ||
      request.note.size() > kMaxBookingTextBytes) {
    return InvalidArgumentError("contact_name and note must be at most {} bytes",
                                kMaxBookingTextBytes);
  }
  const int64_t start_us = request.starts_at_us;
  const int64_t end_us = start_us + kTableBookingUs;
  const std::string when = bi::local_time_text(start_us);

  auto book = [&](Tx& tx) -> Result<int64_t> {
    QWL_ASSIGN_OR_RETURN(PlaceTables place, load_place_tables(tx, request.poi_id));
    QWL_RETURN_IF_ERROR(check_party_size(request.party_size, place, request.poi_id));
    const int64_t day = local_time(start_us).day;
    QWL_ASSIGN_OR_RETURN(OpenRanges open, load_open_ranges(tx, request.poi_id, day, day + 1));
    QWL_ASSIGN_OR_RETURN(auto claims,
                         load_claims(tx, request.poi_id, request.party_size, start_us, end_us));
    const TableSlot slot = evaluate_slot(start_us, request.party_size, place, open, claims);
    if (slot.state == TableSlotState::kClosed) {
      return FailedPreconditionError("place {} ({}) is not open for a {}-minute booking from {}",
                                     request.poi_id, place.name.en,
                                     kTableBookingSlots * kTableSlotMinutes, when);
    }
    if (slot.state == TableSlotState::kFull) {
      return FailedPreconditionError(
          "place {} ({}) has no table for {} free from {}; table_availability lists other times",
          request.poi_id, place.name.en, request.party_size, when);
    }
    QWL_ASSIGN_OR_RETURN(
        Rows mine, tx.query("SELECT id FROM table_bookings WHERE user_id = ? AND poi_id = ? AND "
                            "status = 'booked' AND starts_at_us < ? AND ends_at_us > ?",
                            {actor.user_id, request.poi_id, end_us, start_us}));
    if (!mine.empty()) {
      return FailedPreconditionError(
          "you already have table booking {} at place {} overlapping {}; cancel it first",
          mine[0].int64(0), request.poi_id, when);
    }
    QWL_ASSIGN_OR_RETURN(
        int64_t booking_id,
        tx.query_int64("INSERT INTO table_bookings (user_id, poi_id, table_id, starts_at_us, "
                       "ends_at_us, party_size, status, contact_name, note, created_at_us, "
                       "updated_at_us) VALUES (?, ?, ?, ?, ?, ?, 'booked', ?, ?, ?, ?) "
                       "RETURNING id",
                       {actor.user_id, request.poi_id, slot.table_id, start_us, end_us,
                        request.party_size, request.contact_name, request.note, now_us, now_us}));
    // The claims are the guarantee: a slot someone else holds is skipped by ON CONFLICT (no
    // failed statement), and fewer rows than slots means we lost a race that the read above
    // could not see; on PostgreSQL that race surfaces as a serialization failure and a retry.
    std::string sql = "INSERT INTO table_slot_claims (table_id, slot_start_us, booking_id) VALUES ";
    std::vector<Value> params;
    for (int i = 0; i < kTableBookingSlots; ++i) {
      sql += i == 0 ? "(?, ?, ?)" : ", (?, ?, ?)";
      params.insert(params.end(), {slot.table_id, start_us + i * kTableSlotUs, booking_id});
    }
    sql += " ON CONFLICT DO NOTHING";
    QWL_ASSIGN_OR_RETURN(int64_t claimed, tx.exec(sql, params));
    if (claimed != kTableBookingSlots) {
      return FailedPreconditionError("table {} at place {} was just taken for {}; try again",
                                     slot.table_label, request.poi_id, when);
    }
    TableBooking booked{.poi_id = request.poi_id,
                        .table_id = slot.table_id,
                        .starts_at_us = start_us,
                        .ends_at_us = end_us,
                        .party_size = request.party_size};
    QWL_RETURN_IF_ERROR(bi::record_event(tx, actor.user_id, "table_booking", booking_id, "booked",
                                         event_payload(booked, "user"), now_us));
    return booking_id;
  };

  const std::string request_bytes = bi::RequestBytes()
                                        .add("poi_id", request.poi_id)
                                        .add("starts_at_us", request.starts_at_us)
                                        .add("party_size", request.party_size)
                                        .add_text("contact_name", request.contact_name)
                                        .add_text("note", request.note)
                                        .str();
  QWL_ASSIGN_OR_RETURN(bi::CreatedId created,
                       bi::create_once(db, actor.user_id, request.idempotency_key, "book_table",
                                       request_bytes, now_us, book));
  QWL_ASSIGN_OR_RETURN(TableBooking booking, read_booking(db, actor, created.id));
  return TableBookingResult{.booking = std::move(booking), .replayed = created.replayed};
}

Result<TableBooking> cancel_table_booking(Db& db, const Clock& clock, const Actor& actor,
                                          int64_t booking_id) {
  const int64_t now_us = clock.wall_us();
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    bool manages = false;
    QWL_ASSIGN_OR_RETURN(TableBooking booking,
                         load_visible_booking(tx, actor, booking_id, &manages));
    if (booking.status != "booked") {
      return FailedPreconditionError("table booking {} is {}, not booked", booking_id,
                                     booking.status);
    }
    if (!manages && now_us >= booking.starts_at_us) {
      return FailedPreconditionError(
          "table booking {} started at {}; only the restaurant can cancel it now", booking_id,
          bi::local_time_text(booking.starts_at_us));
    }
    QWL_RETURN_IF_ERROR(
        tx.exec("DELETE FROM table_slot_claims WHERE booking_id = ?", {booking_id}).status());
    QWL_ASSIGN_OR_RETURN(int64_t changed,
                         tx.exec("UPDATE table_bookings SET status = 'cancelled', "
                                 "updated_at_us = ? WHERE id = ? AND status = 'booked'",
                                 {now_us, booking_id}));
    if (changed != 1) return FailedPreconditionError("table booking {} changed", booking_id);
    const std::string_view by = booking.user_id == actor.user_id ? "user"
                                : actor.is_admin()               ? "admin"
                                                                 : "merchant";
    return bi::record_event(tx, booking.user_id, "table_booking", booking_id, "cancelled",
                            event_payload(booking, by), now_us);
  }));
  return read_booking(db, actor, booking_id);
}

Result<TableBooking> get_table_booking(Db& db, const Actor& actor, int64_t booking_id) {
  return read_booking(db, actor, booking_id);
}

Result<std::vector<TableBooking>> list_my_table_bookings(Db& db, const Actor& actor,
                                                         int64_t limit) {
  if (limit < 1 || limit > kMaxListLimit) {
    return InvalidArgumentError("limit must be 1 to {}, got {}", kMaxListLimit, limit);
  }
  std::vector<TableBooking> bookings;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(bookings, query_bookings(tx,
                                                  "WHERE b.user_id = ? ORDER BY b.starts_at_us "
                                                  "DESC, b.id DESC LIMIT ?",
                                                  {actor.user_id, limit}));
    return Status::Ok();
  }));
  return bookings;
}

Result<std::vector<TableBooking>> list_place_table_bookings(Db& db, const Actor& actor,
                                                            int64_t poi_id, int64_t from_us,
                                                            int64_t to_us) {
  if (to_us <= from_us) {
    return InvalidArgumentError("to_us {} must be after from_us {}", to_us, from_us);
  }
  std::vector<TableBooking> bookings;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_RETURN_IF_ERROR(bi::check_place_manager(tx, actor, poi_id));
    QWL_ASSIGN_OR_RETURN(bookings,
                         query_bookings(tx,
                                        "WHERE b.poi_id = ? AND b.starts_at_us >= ? AND "
                                        "b.starts_at_us < ? ORDER BY b.starts_at_us, b.id LIMIT ?",
                                        {poi_id, from_us, to_us, kMaxPlaceList}));
    return Status::Ok();
  }));
  return bookings;
}

Result<int64_t> complete_table_bookings(Db& db, const Clock& clock, int64_t limit) {
  if (limit < 1) return InvalidArgumentError("limit must be at least 1, got {}", limit);
  const int64_t now_us = clock.wall_us();
  int64_t completed = 0;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    completed = 0;
    QWL_ASSIGN_OR_RETURN(std::vector<TableBooking> due,
                         query_bookings(tx,
                                        "WHERE b.status = 'booked' AND b.ends_at_us <= ? "
                                        "ORDER BY b.ends_at_us, b.id LIMIT ?",
                                        {now_us, limit}));
    for (const TableBooking& booking : due) {
      QWL_ASSIGN_OR_RETURN(int64_t changed,
                           tx.exec("UPDATE table_bookings SET status = 'completed', "
                                   "updated_at_us = ? WHERE id = ? AND status = 'booked'",
                                   {now_us, booking.id}));
      if (changed == 0) continue;
      QWL_RETURN_IF_ERROR(bi::record_event(tx, booking.user_id, "table_booking", booking.id,
                                           "completed", event_payload(booking, "system"), now_us));
      ++completed;
    }
    return Status::Ok();
  }));
  return completed;
}

}  // namespace qwl::services
