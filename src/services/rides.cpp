// Ride hailing (see rides.h).
#include "services/rides.h"

#include <fmt/format.h>

#include <cmath>

#include "services/bookings_internal.h"
#include "services/ledger.h"

namespace qwl::services {

namespace bi = bookings_internal;

std::string_view ride_vehicle_name(RideVehicle vehicle) {
  switch (vehicle) {
    case RideVehicle::kEconomy:
      return "economy";
    case RideVehicle::kComfort:
      return "comfort";
    case RideVehicle::kXl:
      return "xl";
  }
  return "economy";
}

std::optional<RideVehicle> parse_ride_vehicle(std::string_view name) {
  for (RideVehicle vehicle : kRideVehicles) {
    if (ride_vehicle_name(vehicle) == name) return vehicle;
  }
  return std::nullopt;
}

const RideTariff& ride_tariff(RideVehicle vehicle) {
  static constexpr RideTariff kEconomy{
      .base = 800, .per_km = 180, .per_minute = 30, .minimum = 1000, .pickup_s = 240};
  static constexpr RideTariff kComfort{
      .base = 1200, .per_km = 260, .per_minute = 45, .minimum = 1600, .pickup_s = 300};
  static constexpr RideTariff kXl{
      .base = 1800, .per_km = 350, .per_minute = 60, .minimum = 2500, .pickup_s = 420};
  switch (vehicle) {
    case RideVehicle::kEconomy:
      return kEconomy;
    case RideVehicle::kComfort:
      return kComfort;
    case RideVehicle::kXl:
      return kXl;
  }
  return kEconomy;
}

int64_t ride_price(RideVehicle vehicle, int64_t distance_m, int64_t duration_s) {
  QWL_CHECK(distance_m >= 0 && distance_m <= kMaxRideDistanceM, "ride distance {} m", distance_m);
  QWL_CHECK(duration_s >= 0 && duration_s <= kMaxRideDurationS, "ride duration {} s", duration_s);
  const RideTariff& t = ride_tariff(vehicle);
  // Integer fen, each part rounded half up: (x * rate + unit / 2) / unit. With the limits
  // above the products stay below 10^9, far from overflow.
  const int64_t distance_part = (distance_m * t.per_km + 500) / 1000;
  const int64_t time_part = (duration_s * t.per_minute + 30) / 60;
  return std::max(t.minimum, t.base + distance_part + time_part);
}

namespace {

constexpr int64_t kMaxListLimit = 500;
constexpr int64_t kSecondUs = 1'000'000;
constexpr int64_t kAssignDelayS = 60;
constexpr int64_t kBoardingS = 60;  // arriving -> in_progress

Status check_place(const RidePlace& place, std::string_view field) {
  const GeoPosition& p = place.at;
  if (!std::isfinite(p.lat) || !std::isfinite(p.lon) || p.lat < -90 || p.lat > 90 || p.lon < -180 ||
      p.lon > 180) {
    return InvalidArgumentError("{}: ({}, {}) are not WGS84 degrees", field, p.lat, p.lon);
  }
  if (place.label.size() > kMaxRideLabelBytes) {
    return InvalidArgumentError("{}.label must be at most {} bytes, got {}", field,
                                kMaxRideLabelBytes, place.label.size());
  }
  return Status::Ok();
}

Result<DrivingEstimate> route_between(const RouteQuoter& quoter, const RidePlace& from,
                                      const RidePlace& to) {
  QWL_RETURN_IF_ERROR(check_place(from, "from"));
  QWL_RETURN_IF_ERROR(check_place(to, "to"));
  if (from.at.lat == to.at.lat && from.at.lon == to.at.lon) {
    return InvalidArgumentError("from and to are the same place ({}, {})", from.at.lat,
                                from.at.lon);
  }
  if (!quoter) return InternalError("ride quote: no route quoter was given");
  Result<DrivingEstimate> route = quoter(from.at, to.at);
  if (!route.ok()) return route.status().with_context("ride quote: driving route");
  if (route->distance_m < 0 || route->duration_s < 0) {
    return InternalError("ride quote: the route quoter returned {} m, {} s", route->distance_m,
                         route->duration_s);
  }
  if (route->distance_m > kMaxRideDistanceM || route->duration_s > kMaxRideDurationS) {
    return FailedPreconditionError(
        "ride quote: the route is {} m and {} s; a ride goes at most {} m and {} s",
        route->distance_m, route->duration_s, kMaxRideDistanceM, kMaxRideDurationS);
  }
  return route;
}

// The status a ride moves to from `status` (none once final).
std::optional<std::string_view> next_status(std::string_view status) {
  if (status == "requested") return "assigned";
  if (status == "assigned") return "arriving";
  if (status == "arriving") return "in_progress";
  if (status == "in_progress") return "completed";
  return std::nullopt;
}

// How long a ride stays in `status` before the worker moves it on (0: final).
int64_t stay_in_status_s(std::string_view status, RideVehicle vehicle, int64_t duration_s) {
  if (status == "requested") return kAssignDelayS;
  if (status == "assigned") return ride_tariff(vehicle).pickup_s - kAssignDelayS - kBoardingS;
  if (status == "arriving") return kBoardingS;
  if (status == "in_progress") return std::max<int64_t>(duration_s, 60);
  return 0;
}

constexpr std::string_view kRideColumns =
    "SELECT id, user_id, vehicle, from_label, from_lat, from_lon, to_label, to_lat, to_lon, "
    "distance_m, duration_s, price, refunded, status, requested_at_us, updated_at_us, "
    "next_step_at_us FROM rides ";

Ride ride_from_row(const Row& row) {
  Ride r{
      .id = row.int64(0),
      .user_id = row.int64(1),
      .vehicle = parse_ride_vehicle(row.text(2)).value_or(RideVehicle::kEconomy),
      .from = {.at = {.lat = row.real(4), .lon = row.real(5)}, .label = row.text(3)},
      .to = {.at = {.lat = row.real(7), .lon = row.real(8)}, .label = row.text(6)},
      .distance_m = row.int64(9),
      .duration_s = row.int64(10),
      .price = row.int64(11),
      .refunded = row.int64(12),
      .status = row.text(13),
      .requested_at_us = row.int64(14),
      .updated_at_us = row.int64(15),
  };
  if (!row.is_null(16)) r.next_step_at_us = row.int64(16);
  return r;
}

Result<std::vector<Ride>> query_rides(Tx& tx, std::string_view where, Params params) {
  QWL_ASSIGN_OR_RETURN(Rows rows, tx.query(std::string(kRideColumns) + std::string(where), params));
  std::vector<Ride> rides;
  rides.reserve(rows.size());
  for (const Row& row : rows) rides.push_back(ride_from_row(row));
  return rides;
}

Result<Ride> load_visible_ride(Tx& tx, const Actor& actor, int64_t ride_id) {
  QWL_ASSIGN_OR_RETURN(std::vector<Ride> found, query_rides(tx, "WHERE id = ?", {ride_id}));
  if (found.empty()) return NotFoundError("ride {} not found", ride_id);
  QWL_RETURN_IF_ERROR(check_owner(actor, found[0].user_id, "ride", ride_id));
  return std::move(found[0]);
}

Result<Ride> read_ride(Db& db, const Actor& actor, int64_t ride_id) {
  Ride ride;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(ride, load_visible_ride(tx, actor, ride_id));
    return Status::Ok();
  }));
  return ride;
}

std::string event_payload(const Ride& r, std::string_view status, int64_t refunded,
                          std::optional<int64_t> next_step_at_us) {
  return fmt::format(
      "{{\"vehicle\":{},\"status\":{},\"price\":{},\"refunded\":{},\"distance_m\":{},"
      "\"duration_s\":{},\"next_step_at_us\":{}}}",
      bi::json_quote(ride_vehicle_name(r.vehicle)), bi::json_quote(status), r.price, refunded,
      r.distance_m, r.duration_s,
      next_step_at_us ? fmt::format("{}", *next_step_at_us) : std::string("null"));
}

std::string ride_ref(int64_t ride_id) {
  return fmt::format("ride:{}", ride_id);
}

}  // namespace

Result<RideQuote> quote_ride(const RouteQuoter& quoter, const Actor& actor, const RidePlace& from,
                             const RidePlace& to) {
  (void)actor;  // quotes are public
  RideQuote quote;
  QWL_ASSIGN_OR_RETURN(quote.route, route_between(quoter, from, to));
  for (RideVehicle vehicle : kRideVehicles) {
    quote.options.push_back(RideOption{
        .vehicle = vehicle,
        .price = ride_price(vehicle, quote.route.distance_m, quote.route.duration_s),
        .pickup_s = ride_tariff(vehicle).pickup_s,
    });
  }
  return quote;
}

Result<RideResult> request_ride(Db& db, const Clock& clock, const RouteQuoter& quoter,
                                const Actor& actor, const RideRequest& request) {
  QWL_RETURN_IF_ERROR(bi::check_booker(actor, "request_ride"));
  if (request.expected_price && *request.expected_price < 0) {
    return InvalidArgumentError("expected_price must not be negative, got {}",
                                *request.expected_price);
  }
  QWL_ASSIGN_OR_RETURN(DrivingEstimate route, route_between(quoter, request.from, request.to));
  const int64_t now_us = clock.wall_us();
  const int64_t price = ride_price(request.vehicle, route.distance_m, route.duration_s);
  const std::string_view vehicle = ride_vehicle_name(request.vehicle);

  auto create = [&](Tx& tx) -> Result<int64_t> {
    if (request.expected_price && *request.expected_price != price) {
      return FailedPreconditionError(
          "the {} ride now costs {} fen, not the {} fen agreed; quote again", vehicle, price,
          *request.expected_price);
    }
    const int64_t next_us = now_us + kAssignDelayS * kSecondUs;
    QWL_ASSIGN_OR_RETURN(
        int64_t ride_id,
        tx.query_int64("INSERT INTO rides (user_id, vehicle, from_label, from_lat, from_lon, "
                       "to_label, to_lat, to_lon, distance_m, duration_s, price, status, "
                       "requested_at_us, updated_at_us, next_step_at_us) VALUES (?, ?, ?, ?, ?, "
                       "?, ?, ?, ?, ?, ?, 'requested', ?, ?, ?) RETURNING id",
                       {actor.user_id, vehicle, request.from.label, request.from.at.lat,
                        request.from.at.lon, request.to.label, request.to.at.lat, request.to.at.lon,
                        route.distance_m, route.duration_s, price, now_us, now_us, next_us}));
    QWL_ASSIGN_OR_RETURN(int64_t platform, account_id(tx, AccountKind::kPlatform, 0, now_us));
    QWL_RETURN_IF_ERROR(bi::charge_wallet(
        tx, actor.user_id, platform, price, ride_ref(ride_id),
        fmt::format("{} ride, {} m, {} s", vehicle, route.distance_m, route.duration_s), now_us));
    const Ride ride{.vehicle = request.vehicle,
                    .distance_m = route.distance_m,
                    .duration_s = route.duration_s,
                    .price = price};
    QWL_RETURN_IF_ERROR(bi::record_event(tx, actor.user_id, "ride", ride_id, "requested",
                                         event_payload(ride, "requested", 0, next_us), now_us));
    return ride_id;
  };

  const std::string request_bytes =
      bi::RequestBytes()
          .add("from_lat", request.from.at.lat)
          .add("from_lon", request.from.at.lon)
          .add_text("from_label", request.from.label)
          .add("to_lat", request.to.at.lat)
          .add("to_lon", request.to.at.lon)
          .add_text("to_label", request.to.label)
          .add_text("vehicle", vehicle)
          .add("expected_price", request.expected_price.value_or(int64_t{-1}))
          .str();
  QWL_ASSIGN_OR_RETURN(bi::CreatedId created,
                       bi::create_once(db, actor.user_id, request.idempotency_key, "request_ride",
                                       request_bytes, now_us, create));
  QWL_ASSIGN_OR_RETURN(Ride ride, read_ride(db, actor, created.id));
  return RideResult{.ride = std::move(ride), .replayed = created.replayed};
}

int64_t ride_cancellation_fee(std::string_view status, int64_t price) {
  if (status == "requested") return 0;
  return std::min(kRideCancelFee, price);
}

Result<Ride> cancel_ride(Db& db, const Clock& clock, const Actor& actor, int64_t ride_id) {
  const int64_t now_us = clock.wall_us();
  QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(Ride ride, load_visible_ride(tx, actor, ride_id));
    if (ride.status != "requested" && ride.status != "assigned" && ride.status != "arriving") {
      return FailedPreconditionError(
          "ride {} is {}; only a ride not yet picked up can be cancelled", ride_id, ride.status);
    }
    const int64_t refund = ride.price - ride_cancellation_fee(ride.status, ride.price);
    if (refund > 0) {
      QWL_RETURN_IF_ERROR(bi::refund_payment(
          tx, ride.user_id, ride_ref(ride_id), refund,
          fmt::format("ride cancelled while {}, {} kept", ride.status, ride.price - refund),
          now_us));
    }
    QWL_ASSIGN_OR_RETURN(int64_t changed,
                         tx.exec("UPDATE rides SET status = 'cancelled', refunded = ?, "
                                 "next_step_at_us = NULL, updated_at_us = ? WHERE id = ? AND "
                                 "status = ?",
                                 {refund, now_us, ride_id, ride.status}));
    if (changed != 1) return FailedPreconditionError("ride {} changed", ride_id);
    return bi::record_event(tx, ride.user_id, "ride", ride_id, "cancelled",
                            event_payload(ride, "cancelled", refund, std::nullopt), now_us);
  }));
  return read_ride(db, actor, ride_id);
}

Result<Ride> get_ride(Db& db, const Actor& actor, int64_t ride_id) {
  return read_ride(db, actor, ride_id);
}

Result<std::vector<Ride>> list_my_rides(Db& db, const Actor& actor, int64_t limit) {
  if (limit < 1 || limit > kMaxListLimit) {
    return InvalidArgumentError("limit must be 1 to {}, got {}", kMaxListLimit, limit);
  }
  std::vector<Ride> rides;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(rides, query_rides(tx,
                                            "WHERE user_id = ? ORDER BY requested_at_us DESC, "
                                            "id DESC LIMIT ?",
                                            {actor.user_id, limit}));
    return Status::Ok();
  }));
  return rides;
}

Result<int64_t> advance_rides(Db& db, const Clock& clock, int64_t limit) {
  if (limit < 1) return InvalidArgumentError("limit must be at least 1, got {}", limit);
  const int64_t now_us = clock.wall_us();
  std::vector<int64_t> due;
  QWL_RETURN_IF_ERROR(db.read([&](Tx& tx) -> Status {
    due.clear();
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT id FROM rides WHERE next_step_at_us IS NOT "
                                             "NULL AND next_step_at_us <= ? ORDER BY "
                                             "next_step_at_us, id LIMIT ?",
                                             {now_us, limit}));
    for (const Row& row : rows) due.push_back(row.int64(0));
    return Status::Ok();
  }));
  int64_t steps = 0;
  // One transaction per ride: a rider's cancel conflicts with one ride's step, not the batch.
  for (int64_t ride_id : due) {
    int64_t ride_steps = 0;
    QWL_RETURN_IF_ERROR(db.transact([&](Tx& tx) -> Status {
      ride_steps = 0;
      QWL_ASSIGN_OR_RETURN(std::vector<Ride> found, query_rides(tx, "WHERE id = ?", {ride_id}));
      if (found.empty()) return Status::Ok();
      const Ride& ride = found[0];
      const std::string from_status = ride.status;
      std::string status = ride.status;
      std::optional<int64_t> next_at = ride.next_step_at_us;
      // Every step that is due, each scheduled from the one before, so a late worker replays
      // the ride's timeline rather than compressing it into now.
      while (next_at && *next_at <= now_us) {
        std::optional<std::string_view> next = next_status(status);
        if (!next) {
          next_at.reset();
          break;
        }
        const int64_t step_at = *next_at;
        status = std::string(*next);
        const int64_t stay_s = stay_in_status_s(status, ride.vehicle, ride.duration_s);
        next_at = stay_s > 0 ? std::optional<int64_t>(step_at + stay_s * kSecondUs) : std::nullopt;
        QWL_RETURN_IF_ERROR(bi::record_event(tx, ride.user_id, "ride", ride_id, status,
                                             event_payload(ride, status, 0, next_at), step_at));
        ++ride_steps;
      }
      QWL_ASSIGN_OR_RETURN(
          int64_t changed,
          tx.exec("UPDATE rides SET status = ?, next_step_at_us = ?, updated_at_us = ? WHERE "
                  "id = ? AND status = ?",
                  {status, next_at ? Value(*next_at) : Value(), now_us, ride_id, from_status}));
      if (changed != 1) {
        return InternalError("ride {}: status changed inside its own transaction", ride_id);
      }
      return Status::Ok();
    }));
    steps += ride_steps;
  }
  return steps;
}

}  // namespace qwl::services
