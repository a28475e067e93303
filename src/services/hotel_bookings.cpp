// Hotel room bookings (see hotel_bookings.h).
#include "services/hotel_bookings.h"

#include <fmt/format.h>

#include <algorithm>

#include "services/bookings_internal.h"
#include "services/city_time.h"
#include "services/ledger.h"

namespace qwl::services {

namespace bi = bookings_internal;

namespace {

constexpr int64_t kMaxListLimit = 500;
constexpr int64_t kMaxPlaceList = 1000;

int64_t today(const Clock& clock) {
  return local_time(clock.wall_us()).day;
}

// The checks that need no database, in an order that never does arithmetic on an unchecked
// value (days may be anything a client sends).
Status check_stay(const HotelStay& stay, int64_t today_day) {
  if (stay.guests <= 0) {
    return InvalidArgumentError("guests must be at least 1, got {}", stay.guests);
  }
  if (stay.check_in_day < today_day) {
    return InvalidArgumentError("check_in_day {} ({}) is before today ({})", stay.check_in_day,
                                bi::local_day_text(std::max<int64_t>(stay.check_in_day, 0)),
                                bi::local_day_text(today_day));
  }
  if (stay.check_in_day - today_day > kHotelBookingAheadDays) {
    return InvalidArgumentError("check_in_day {} is more than {} days ahead", stay.check_in_day,
                                kHotelBookingAheadDays);
  }
  if (stay.check_out_day <= stay.check_in_day) {
    return InvalidArgumentError("check_out_day {} must be after check_in_day {}",
                                stay.check_out_day, stay.check_in_day);
  }
  if (stay.check_out_day - stay.check_in_day > kMaxHotelNights) {
    return InvalidArgumentError("a stay is at most {} nights, got {}", kMaxHotelNights,
                                stay.check_out_day - stay.check_in_day);
  }
  return Status::Ok();
}

Result<int64_t> stay_total(int64_t price_per_night, int64_t nights, int64_t room_type_id) {
  if (price_per_night > kMaxAmount / nights) {
    return InvalidArgumentError("room type {}: {} nights at {} exceed the largest amount {}",
                                room_type_id, nights, price_per_night, kMaxAmount);
  }
  return price_per_night * nights;
}

// Offers of room types, one query: each type with the count of its rooms that hold no night
// of the stay.
constexpr std::string_view kOfferColumns =
    "SELECT t.id, t.poi_id, t.name_en, t.name_zh, t.beds, t.max_guests, t.price_per_night, "
    "(SELECT COUNT(*) FROM hotel_rooms r WHERE r.room_type_id = t.id AND NOT EXISTS (SELECT 1 "
    "FROM room_nights n WHERE n.room_id = r.id AND n.night_day >= ? AND n.night_day < ?)) "
    "FROM hotel_room_types t ";

Result<RoomTypeOffer> offer_from_row(const Row& row, const HotelStay& stay) {
  RoomTypeOffer offer{
      .room_type_id = row.int64(0),
      .poi_id = row.int64(1),
      .name_en = row.text(2),
      .name_zh = row.text(3),
      .beds = row.int64(4),
      .max_guests = row.int64(5),
      .price_per_night = row.int64(6),
      .nights = stay.check_out_day - stay.check_in_day,
      .free_rooms = row.int64(7),
  };
  QWL_ASSIGN_OR_RETURN(offer.total,
                       stay_total(offer.price_per_night, offer.nights, offer.room_type_id));
  return offer;
}

Result<RoomTypeOffer> load_offer(Tx& tx, int64_t room_type_id, const HotelStay& stay) {
  QWL_ASSIGN_OR_RETURN(Rows rows, tx.query(std::string(kOfferColumns) + "WHERE t.id = ?",
                                           {stay.check_in_day, stay.check_out_day, room_type_id}));
  if (rows.empty()) return NotFoundError("room type {} not found", room_type_id);
  QWL_ASSIGN_OR_RETURN(RoomTypeOffer offer, offer_from_row(rows[0], stay));
  if (stay.guests > offer.max_guests) {
    return InvalidArgumentError("guests {} above the {} guests room type {} ({}) holds",
                                stay.guests, offer.max_guests, room_type_id, offer.name_en);
  }
  return offer;
}

constexpr std::string_view kBookingColumns =
    "SELECT b.id, b.user_id, b.poi_id, p.name_en, p.name_zh, b.room_type_id, rt.name_en, "
    "rt.name_zh, b.room_id, r.number, b.check_in_day, b.check_out_day, b.guests, b.total, "
    "b.refunded, b.status, b.created_at_us, b.updated_at_us FROM hotel_bookings b JOIN pois p "
    "ON p.id = b.poi_id JOIN hotel_room_types rt ON rt.id = b.room_type_id JOIN hotel_rooms r "
    "ON r.id = b.room_id ";

HotelBooking booking_from_row(const Row& row) {
  HotelBooking b{
      .id = row.int64(0),
      .user_id = row.int64(1),
      .poi_id = row.int64(2),
      .hotel_name_en = row.text(3),
      .hotel_name_zh = row.text(4),
      .room_type_id = row.int64(5),
      .room_type_name_en = row.text(6),
      .room_type_name_zh = row.text(7),
      .room_id = row.int64(8),
      .room_number = row.text(9),
      .check_in_day = row.int64(10),
      .check_out_day = row.int64(11),
      .guests = row.int64(12),
      .total = row.int64(13),
      .refunded = row.int64(14),
      .status = row.text(15),
      .created_at_us = row.int64(16),
      .updated_at_us = row.int64(17),
  };
  b.nights = b.check_out_day - b.check_in_day;
  return b;
}

Result<std::vector<HotelBooking>> query_bookings(Tx& tx, std::string_view where, Params params) {
  QWL_ASSIGN_OR_RETURN(Rows rows,
                       tx.query(std::string(kBookingColumns) + std::string(where), params));
  std::vector<HotelBooking> bookings;
  bookings.reserve(rows.size());
  for (const Row& row : rows) bookings.push_back(booking_from_row(row));
  return bookings;
}

Result<HotelBooking> load_visible_booking(Tx& tx, const Actor& actor, int64_t booking_id,
                                          bool* manages) {
  QWL_ASSIGN_OR_RETURN(std::vector<HotelBooking> found,
                       query_bookings(tx, "WHERE b.id = ?", {booking_id}));
  if (found.empty()) return NotFoundError("hotel booking {} not found", booking_id);
  QWL_ASSIGN_OR_RETURN(*manages, bi::manages_place(tx, actor, found[0].poi_id));
  if (!*manages && found[0].user_id != actor.user_id) {
    return NotFoundError("hotel booking {} not found", booking_id);
  }
  return std::move(found[0]);
}

Result<HotelBooking> read_booking(Db& db, const Actor& actor, int64_t booking_id) {
  HotelBooking booking;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    bool manages = false;
    QWL_ASSIGN_OR_RETURN(booking, load_visible_booking(tx, actor, booking_id, &manages));
    return Status::Ok();
  }));
  return booking;
}

std::string booking_ref(int64_t booking_id) {
  return fmt::format("hotel:{}", booking_id);
}

std::string event_payload(const HotelBooking& b, int64_t refunded, std::string_view by) {
  return fmt::format(
      "{{\"poi_id\":{},\"room_type_id\":{},\"room_id\":{},\"check_in_day\":{},"
      "\"check_out_day\":{},\"guests\":{},\"total\":{},\"refunded\":{},\"by\":{}}}",
      b.poi_id, b.room_type_id, b.room_id, b.check_in_day, b.check_out_day, b.guests, b.total,
      refunded, bi::json_quote(by));
}

}  // namespace

Result<HotelAvailability> hotel_availability(Db& db, const Clock& clock, const Actor& actor,
                                             int64_t poi_id, const HotelStay& stay) {
  (void)actor;  // availability is public
  QWL_RETURN_IF_ERROR(check_stay(stay, today(clock)));
  HotelAvailability result;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    result = HotelAvailability{
        .poi_id = poi_id, .stay = stay, .nights = stay.check_out_day - stay.check_in_day};
    QWL_ASSIGN_OR_RETURN(bi::PlaceName name, bi::place_name(tx, poi_id));
    result.name_en = name.en;
    result.name_zh = name.zh;
    QWL_ASSIGN_OR_RETURN(
        Rows rows,
        tx.query(std::string(kOfferColumns) + "WHERE t.poi_id = ? ORDER BY t.price_per_night, t.id",
                 {stay.check_in_day, stay.check_out_day, poi_id}));
    if (rows.empty()) {
      return FailedPreconditionError("place {} ({}) has no hotel rooms to book", poi_id, name.en);
    }
    int64_t largest = 0;
    for (const Row& row : rows) {
      QWL_ASSIGN_OR_RETURN(RoomTypeOffer offer, offer_from_row(row, stay));
      largest = std::max(largest, offer.max_guests);
      if (offer.max_guests >= stay.guests) result.room_types.push_back(std::move(offer));
    }
    if (result.room_types.empty()) {
      return InvalidArgumentError("guests {} above the largest room of place {} ({} guests)",
                                  stay.guests, poi_id, largest);
    }
    return Status::Ok();
  }));
  return result;
}

Result<RoomTypeOffer> quote_hotel_stay(Db& db, const Clock& clock, const Actor& actor,
                                       int64_t room_type_id, const HotelStay& stay) {
  (void)actor;  // quotes are public
  QWL_RETURN_IF_ERROR(check_stay(stay, today(clock)));
  RoomTypeOffer offer;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(offer, load_offer(tx, room_type_id, stay));
    return Status::Ok();
  }));
  return offer;
}

Result<HotelBookingResult> book_hotel(Db& db, const Clock& clock, const Actor& actor,
                                      const HotelBookingRequest& request) {
  QWL_RETURN_IF_ERROR(bi::check_booker(actor, "book_hotel"));
  const int64_t now_us = clock.wall_us();
  const HotelStay& stay = request.stay;
  QWL_RETURN_IF_ERROR(check_stay(stay, local_time(now_us).day));
  if (request.expected_total && *request.expected_total < 0) {
    return InvalidArgumentError("expected_total must not be negative, got {}",
                                *request.expected_total);
  }
  const int64_t nights = stay.check_out_day - stay.check_in_day;
  const std::string dates = fmt::format("{} to {}", bi::local_day_text(stay.check_in_day),
                                        bi::local_day_text(stay.check_out_day));

  auto book = [&](Tx& tx) -> Result<int64_t> {
    QWL_ASSIGN_OR_RETURN(RoomTypeOffer offer, load_offer(tx, request.room_type_id, stay));
    if (request.expected_total && *request.expected_total != offer.total) {
      return FailedPreconditionError(
          "room type {}: the stay now costs {} fen, not the {} fen agreed; quote again",
          request.room_type_id, offer.total, *request.expected_total);
    }
    QWL_ASSIGN_OR_RETURN(
        Rows rooms,
        tx.query("SELECT r.id FROM hotel_rooms r WHERE r.room_type_id = ? AND NOT EXISTS "
                 "(SELECT 1 FROM room_nights n WHERE n.room_id = r.id AND n.night_day >= ? AND "
                 "n.night_day < ?) ORDER BY r.id LIMIT 1",
                 {request.room_type_id, stay.check_in_day, stay.check_out_day}));
    if (rooms.empty()) {
      return FailedPreconditionError("no {} room (type {}) is free for every night from {}",
                                     offer.name_en, request.room_type_id, dates);
    }
    const int64_t room_id = rooms[0].int64(0);
    QWL_ASSIGN_OR_RETURN(
        int64_t booking_id,
        tx.query_int64(
            "INSERT INTO hotel_bookings (user_id, poi_id, room_type_id, room_id, "
            "check_in_day, check_out_day, guests, total, status, created_at_us, "
            "updated_at_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'booked', ?, ?) "
            "RETURNING id",
            {actor.user_id, offer.poi_id, request.room_type_id, room_id, stay.check_in_day,
             stay.check_out_day, stay.guests, offer.total, now_us, now_us}));
    // One claim per night; as for table slots, a night someone else holds is skipped (no
    // failed statement) and a short count means a lost race.
    std::string sql = "INSERT INTO room_nights (room_id, night_day, booking_id) VALUES ";
    std::vector<Value> params;
    for (int64_t night = stay.check_in_day; night < stay.check_out_day; ++night) {
      sql += night == stay.check_in_day ? "(?, ?, ?)" : ", (?, ?, ?)";
      params.insert(params.end(), {room_id, night, booking_id});
    }
    sql += " ON CONFLICT DO NOTHING";
    QWL_ASSIGN_OR_RETURN(int64_t claimed, tx.exec(sql, params));
    if (claimed != nights) {
      return FailedPreconditionError("room {} was just taken for {}; try again", room_id, dates);
    }
    if (offer.total > 0) {
      QWL_ASSIGN_OR_RETURN(std::optional<bi::PlaceMerchant> merchant,
                           bi::place_merchant(tx, offer.poi_id));
      QWL_ASSIGN_OR_RETURN(
          int64_t payee, merchant
                             ? account_id(tx, AccountKind::kMerchant, merchant->merchant_id, now_us)
                             : account_id(tx, AccountKind::kPlatform, 0, now_us));
      QWL_RETURN_IF_ERROR(bi::charge_wallet(
          tx, actor.user_id, payee, offer.total, booking_ref(booking_id),
          fmt::format("{} nights, {} ({})", nights, offer.name_en, dates), now_us));
    }
    HotelBooking booked{.poi_id = offer.poi_id,
                        .room_type_id = request.room_type_id,
                        .room_id = room_id,
                        .check_in_day = stay.check_in_day,
                        .check_out_day = stay.check_out_day,
                        .guests = stay.guests,
                        .total = offer.total};
    QWL_RETURN_IF_ERROR(bi::record_event(tx, actor.user_id, "hotel_booking", booking_id, "booked",
                                         event_payload(booked, 0, "user"), now_us));
    return booking_id;
  };

  const std::string request_bytes =
      bi::RequestBytes()
          .add("room_type_id", request.room_type_id)
          .add("check_in_day", stay.check_in_day)
          .add("check_out_day", stay.check_out_day)
          .add("guests", stay.guests)
          .add("expected_total", request.expected_total.value_or(int64_t{-1}))
          .str();
  QWL_ASSIGN_OR_RETURN(bi::CreatedId created,
                       bi::create_once(db, actor.user_id, request.idempotency_key, "book_hotel",
                                       request_bytes, now_us, book));
  QWL_ASSIGN_OR_RETURN(HotelBooking booking, read_booking(db, actor, created.id));
  return HotelBookingResult{.booking = std::move(booking), .replayed = created.replayed};
}

int64_t hotel_cancellation_fee(int64_t total, int64_t nights, int64_t check_in_day, int64_t today) {
  QWL_CHECK(nights > 0, "a stay has at least one night");
  if (today < check_in_day) return 0;
  const int64_t begun = std::min(nights, today - check_in_day + 1);
  return total / nights * begun;  // total is nights x price, so the division is exact
}

Result<HotelBooking> cancel_hotel_booking(Db& db, const Clock& clock, const Actor& actor,
                                          int64_t booking_id) {
  const int64_t now_us = clock.wall_us();
  const int64_t today_day = local_time(now_us).day;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    bool manages = false;
    QWL_ASSIGN_OR_RETURN(HotelBooking booking,
                         load_visible_booking(tx, actor, booking_id, &manages));
    if (booking.status != "booked") {
      return FailedPreconditionError("hotel booking {} is {}, not booked", booking_id,
                                     booking.status);
    }
    if (today_day >= booking.check_out_day) {
      return FailedPreconditionError("hotel booking {}: the stay ended on {}", booking_id,
                                     bi::local_day_text(booking.check_out_day));
    }
    // The guest cancels under the rule; the hotel (or an admin for it) gives everything back.
    const bool by_guest = booking.user_id == actor.user_id && !manages;
    const int64_t fee = by_guest ? hotel_cancellation_fee(booking.total, booking.nights,
                                                          booking.check_in_day, today_day)
                                 : 0;
    const int64_t refund = booking.total - fee;
    if (refund > 0) {
      QWL_RETURN_IF_ERROR(bi::refund_payment(
          tx, booking.user_id, booking_ref(booking_id), refund,
          fmt::format("cancelled stay, {} of {} kept", fee, booking.total), now_us));
    }
    QWL_RETURN_IF_ERROR(
        tx.exec("DELETE FROM room_nights WHERE booking_id = ?", {booking_id}).status());
    QWL_ASSIGN_OR_RETURN(int64_t changed,
                         tx.exec("UPDATE hotel_bookings SET status = 'cancelled', refunded = ?, "
                                 "updated_at_us = ? WHERE id = ? AND status = 'booked'",
                                 {refund, now_us, booking_id}));
    if (changed != 1) return FailedPreconditionError("hotel booking {} changed", booking_id);
    const std::string_view by = by_guest ? "user" : actor.is_admin() ? "admin" : "merchant";
    return bi::record_event(tx, booking.user_id, "hotel_booking", booking_id, "cancelled",
                            event_payload(booking, refund, by), now_us);
  }));
  return read_booking(db, actor, booking_id);
}

Result<HotelBooking> get_hotel_booking(Db& db, const Actor& actor, int64_t booking_id) {
  return read_booking(db, actor, booking_id);
}

Result<std::vector<HotelBooking>> list_my_hotel_bookings(Db& db, const Actor& actor,
                                                         int64_t limit) {
  if (limit < 1 || limit > kMaxListLimit) {
    return InvalidArgumentError("limit must be 1 to {}, got {}", kMaxListLimit, limit);
  }
  std::vector<HotelBooking> bookings;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(bookings,
                         query_bookings(tx,
                                        "WHERE b.user_id = ? ORDER BY b.check_in_day DESC, "
                                        "b.id DESC LIMIT ?",
                                        {actor.user_id, limit}));
    return Status::Ok();
  }));
  return bookings;
}

Result<std::vector<HotelBooking>> list_place_hotel_bookings(Db& db, const Actor& actor,
                                                            int64_t poi_id, int64_t from_day,
                                                            int64_t to_day) {
  if (to_day <= from_day) {
    return InvalidArgumentError("to_day {} must be after from_day {}", to_day, from_day);
  }
  std::vector<HotelBooking> bookings;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_RETURN_IF_ERROR(bi::check_place_manager(tx, actor, poi_id));
    QWL_ASSIGN_OR_RETURN(bookings,
                         query_bookings(tx,
                                        "WHERE b.poi_id = ? AND b.check_in_day < ? AND "
                                        "b.check_out_day > ? ORDER BY b.check_in_day, b.id LIMIT ?",
                                        {poi_id, to_day, from_day, kMaxPlaceList}));
    return Status::Ok();
  }));
  return bookings;
}

Result<int64_t> complete_hotel_bookings(Db& db, const Clock& clock, int64_t limit) {
  if (limit < 1) return InvalidArgumentError("limit must be at least 1, got {}", limit);
  const int64_t now_us = clock.wall_us();
  const LocalTime t = local_time(now_us);
  // Stays whose check-out noon has passed: check-out today after noon, or any earlier day.
  const int64_t last_due_day = t.minute >= kHotelCheckOutMinute ? t.day : t.day - 1;
  int64_t completed = 0;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    completed = 0;
    QWL_ASSIGN_OR_RETURN(std::vector<HotelBooking> due,
                         query_bookings(tx,
                                        "WHERE b.status = 'booked' AND b.check_out_day <= ? "
                                        "ORDER BY b.check_out_day, b.id LIMIT ?",
                                        {last_due_day, limit}));
    for (const HotelBooking& booking : due) {
      QWL_ASSIGN_OR_RETURN(int64_t changed,
                           tx.exec("UPDATE hotel_bookings SET status = 'completed', "
                                   "updated_at_us = ? WHERE id = ? AND status = 'booked'",
                                   {now_us, booking.id}));
      if (changed == 0) continue;
      QWL_RETURN_IF_ERROR(bi::record_event(tx, booking.user_id, "hotel_booking", booking.id,
                                           "completed", event_payload(booking, 0, "system"),
                                           now_us));
      ++completed;
    }
    return Status::Ok();
  }));
  return completed;
}

}  // namespace qwl::services
