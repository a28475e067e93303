// Test support for the booking services (see bookings_testing.h).
#include "services/bookings_testing.h"

#include <fmt/format.h>

#include "services/services_testing.h"

namespace qwl::services::bookings_testing {

Result<Restaurant> add_restaurant(Db& db, std::string_view name, int64_t owner_user_id,
                                  const std::vector<int64_t>& seats,
                                  const std::vector<Hours>& hours, std::string_view cuisine) {
  Restaurant restaurant;
  QWL_ASSIGN_OR_RETURN(restaurant.merchant_id,
                       testing::add_merchant(db, name, owner_user_id, "restaurant"));
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    restaurant.table_ids.clear();
    QWL_ASSIGN_OR_RETURN(
        restaurant.poi_id,
        tx.query_int64("SELECT poi_id FROM merchants WHERE id = ?", {restaurant.merchant_id}));
    QWL_RETURN_IF_ERROR(
        tx.exec("UPDATE pois SET cuisine = ? WHERE id = ?", {cuisine, restaurant.poi_id}).status());
    for (size_t i = 0; i < seats.size(); ++i) {
      QWL_ASSIGN_OR_RETURN(
          int64_t id, tx.query_int64("INSERT INTO restaurant_tables (poi_id, "
                                     "label, seats) VALUES (?, ?, ?) "
                                     "RETURNING id",
                                     {restaurant.poi_id, fmt::format("T{}", i + 1), seats[i]}));
      restaurant.table_ids.push_back(id);
    }
    for (const Hours& h : hours) {
      QWL_RETURN_IF_ERROR(tx.exec("INSERT INTO poi_hours (poi_id, weekday, open_min, close_min) "
                                  "VALUES (?, ?, ?, ?)",
                                  {restaurant.poi_id, h.weekday, h.open_min, h.close_min})
                              .status());
    }
    return Status::Ok();
  }));
  return restaurant;
}

Result<Hotel> add_hotel(Db& db, std::string_view name, const std::vector<RoomTypeSpec>& types,
                        bool with_merchant, int64_t owner_user_id) {
  Hotel hotel;
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    hotel = Hotel{};
    QWL_ASSIGN_OR_RETURN(hotel.poi_id,
                         tx.query_int64("INSERT INTO pois (kind, name_en, name_zh, lat, lon) "
                                        "VALUES ('hotel', ?, ?, 30.25, 120.16) RETURNING id",
                                        {name, name}));
    if (with_merchant) {
      QWL_ASSIGN_OR_RETURN(
          hotel.merchant_id,
          tx.query_int64(
              "INSERT INTO merchants (poi_id, owner_user_id, kind, name_en, name_zh, "
              "created_at_us) VALUES (?, ?, 'shop', ?, ?, 1) RETURNING id",
              {hotel.poi_id, owner_user_id == 0 ? Value() : Value(owner_user_id), name, name}));
    }
    for (const RoomTypeSpec& t : types) {
      QWL_ASSIGN_OR_RETURN(
          int64_t type_id,
          tx.query_int64("INSERT INTO hotel_room_types (poi_id, name_en, name_zh, beds, "
                         "max_guests, price_per_night) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                         {hotel.poi_id, t.name, t.name, t.beds, t.max_guests, t.price_per_night}));
      hotel.room_type_ids.push_back(type_id);
      for (int r = 0; r < t.rooms; ++r) {
        QWL_RETURN_IF_ERROR(tx.exec("INSERT INTO hotel_rooms (room_type_id, number) VALUES (?, ?)",
                                    {type_id, fmt::format("{}", 101 + r)})
                                .status());
      }
    }
    return Status::Ok();
  }));
  return hotel;
}

Result<int64_t> balance(Db& db, AccountKind kind, int64_t owner_id) {
  return query_int(db,
                   "SELECT COALESCE(SUM(balance), 0) FROM accounts WHERE kind = ? AND "
                   "owner_id = ?",
                   {account_kind_name(kind), owner_id});
}

Result<LedgerAudit> audit(Db& db) {
  LedgerAudit result;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(result, check_ledger(tx));
    return Status::Ok();
  }));
  return result;
}

Result<int64_t> query_int(Db& db, std::string_view sql, Params params) {
  int64_t value = 0;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(value, tx.query_int64(sql, params));
    return Status::Ok();
  }));
  return value;
}

}  // namespace qwl::services::bookings_testing
