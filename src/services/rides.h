// Ride hailing: a price for each vehicle class from the driving route, requesting a ride (paid
// when requested), its lifecycle advanced by a worker on the injected clock, and cancellation
// before pickup.
//
// The route comes from a RouteQuoter that the caller injects (the maps service's driving route
// in the server; a fixed function in tests), so this file knows nothing of the road graph.
//
// Price (fen, integers only): base + per_km x distance + per_minute x duration, each distance
// and time part rounded half up to a whole fen, and at least the class's minimum fare:
//
//   class    base   per km   per minute   minimum   pickup
//   economy   800      180           30      1000    4 min
//   comfort  1200      260           45      1600    5 min
//   xl       1800      350           60      2500    7 min
//
// e.g. 8.2 km and 20 minutes by economy: 800 + 1476 + 600 = 2876 fen (¥28.76). Routes longer
// than kMaxRideDistanceM or kMaxRideDurationS are refused.
//
// Lifecycle (next_step_at_us says when the worker moves it on): requested -(60 s)-> assigned
// -(pickup - 60 s)-> arriving -(60 s)-> in_progress -(the route's duration, at least 60 s)->
// completed. A ride advanced late (the worker did not run) takes all the steps that are due at
// once, each scheduled from the previous one, one user_events row each.
//
// Money: the quoted price moves from the wallet to the platform account when the ride is
// requested, with the ride, in one transaction (ledger reference "ride:<id>"). The rider may
// cancel before pickup (requested, assigned, arriving): free while no driver is assigned, then
// kRideCancelFee (at most the price) is kept and the rest refunded. From in_progress on a ride
// cannot be cancelled.
//
// Who may do what (actor.h): anyone may ask for a quote; a signed-in user requests rides for
// themselves; the rider or an admin sees and cancels a ride; other users' rides are NotFound.
//
// Errors: InvalidArgument (coordinates that are not finite WGS84 degrees, the same place twice,
// labels too long, a negative expected_price), FailedPrecondition (no route or a route too
// long, a changed price, insufficient funds, a ride past pickup or already ended), NotFound
// (unknown ride), and the quoter's own error passed through with context.
//
// Every status change writes a user_events row (kind ride) in its transaction.
// Thread-safety: as Db; the quoter must be callable from any thread calling these functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "services/actor.h"
#include "store/db.h"

namespace qwl::services {

inline constexpr int64_t kMaxRideDistanceM = 300'000;  // 300 km
inline constexpr int64_t kMaxRideDurationS = 12 * 3600;
inline constexpr int64_t kRideCancelFee = 500;  // ¥5, kept once a driver is assigned
inline constexpr size_t kMaxRideLabelBytes = 200;

enum class RideVehicle { kEconomy, kComfort, kXl };
inline constexpr RideVehicle kRideVehicles[] = {RideVehicle::kEconomy, RideVehicle::kComfort,
                                                RideVehicle::kXl};
std::string_view ride_vehicle_name(RideVehicle vehicle);  // "economy", "comfort", "xl"
std::optional<RideVehicle> parse_ride_vehicle(std::string_view name);

// The tariff of a vehicle class (fen, seconds), as in the table above.
struct RideTariff {
  int64_t base = 0;
  int64_t per_km = 0;
  int64_t per_minute = 0;
  int64_t minimum = 0;
  int64_t pickup_s = 0;  // from request to pickup
};
const RideTariff& ride_tariff(RideVehicle vehicle);

// The price formula. distance_m in [0, kMaxRideDistanceM], duration_s in [0,
// kMaxRideDurationS] (QWL_CHECK: callers validate routes first).
int64_t ride_price(RideVehicle vehicle, int64_t distance_m, int64_t duration_s);

struct GeoPosition {
  double lat = 0;  // WGS84 degrees
  double lon = 0;
};

// A driving route's length and time.
struct DrivingEstimate {
  int64_t distance_m = 0;
  int64_t duration_s = 0;
};

// Gives the driving route between two points, or an error (NotFound / FailedPrecondition when
// there is none). Injected: the server passes the maps service's router.
using RouteQuoter =
    std::function<Result<DrivingEstimate>(const GeoPosition& from, const GeoPosition& to)>;

struct RidePlace {
  GeoPosition at;
  std::string label;  // "Home", "West Lake Station"; at most kMaxRideLabelBytes
};

struct RideOption {
  RideVehicle vehicle = RideVehicle::kEconomy;
  int64_t price = 0;     // fen
  int64_t pickup_s = 0;  // expected wait for the driver
};

struct RideQuote {
  DrivingEstimate route;
  std::vector<RideOption> options;  // economy, comfort, xl
};

Result<RideQuote> quote_ride(const RouteQuoter& quoter, const Actor& actor, const RidePlace& from,
                             const RidePlace& to);

struct RideRequest {
  RidePlace from;
  RidePlace to;
  RideVehicle vehicle = RideVehicle::kEconomy;
  // The price the user agreed to (from a quote); a different current price is
  // FailedPrecondition. Unset: charge the current price.
  std::optional<int64_t> expected_price;
  // Optional; a retry with the same key and request returns the first ride (replayed) and
  // charges nothing again (idempotency.h).
  std::string idempotency_key;
};

struct Ride {
  int64_t id = 0;
  int64_t user_id = 0;
  RideVehicle vehicle = RideVehicle::kEconomy;
  RidePlace from;
  RidePlace to;
  int64_t distance_m = 0;
  int64_t duration_s = 0;
  int64_t price = 0;     // paid when requested, fen
  int64_t refunded = 0;  // paid back on cancellation, fen
  std::string status;    // requested, assigned, arriving, in_progress, completed, cancelled
  int64_t requested_at_us = 0;
  int64_t updated_at_us = 0;
  std::optional<int64_t> next_step_at_us;  // unset once completed or cancelled
};

struct RideResult {
  Ride ride;
  bool replayed = false;
};

// Quotes the route (outside any transaction: the quoter may read the database itself) and
// books the ride. A replayed request still asks the quoter first, so it fails if the route has
// become impossible.
Result<RideResult> request_ride(Db& db, const Clock& clock, const RouteQuoter& quoter,
                                const Actor& actor, const RideRequest& request);

// What a rider's cancellation keeps of a ride in `status` ("requested", "assigned",
// "arriving"): 0 while requested, else min(kRideCancelFee, price).
int64_t ride_cancellation_fee(std::string_view status, int64_t price);

Result<Ride> cancel_ride(Db& db, const Clock& clock, const Actor& actor, int64_t ride_id);

Result<Ride> get_ride(Db& db, const Actor& actor, int64_t ride_id);

// The actor's own rides, latest first (limit 1..500).
Result<std::vector<Ride>> list_my_rides(Db& db, const Actor& actor, int64_t limit = 50);

// The worker's step: every ride whose next step is due moves on (all its due steps), at most
// `limit` rides per call, one transaction per ride. Returns the number of steps taken.
Result<int64_t> advance_rides(Db& db, const Clock& clock, int64_t limit = 100);

}  // namespace qwl::services
