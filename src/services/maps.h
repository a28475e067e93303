// The maps service: nearby places, geocoding of saved and named places, routes for walking,
// cycling and driving, delivery ETAs and ride quotes.
//
// A Maps object holds the current MapSnapshot: the road graph (road_graph.h) and the places
// index (maps_index.h), each read in one read transaction (the two side by side, on two
// threads). Queries take the snapshot once and use it to the end, so refresh(), which loads a
// new snapshot and swaps it in atomically, never mixes an old graph with new places inside one
// call. Loading 100,000 road nodes and 100,000 places takes about a second or less
// (docs/ecosystem/maps.md).
//
// Rules: places are public (any actor); saved addresses are the acting user's own: geocoding
// reads only addresses with user_id = actor.user_id (whatever the role), and a route from or to
// an address id follows actor.h (another user's address is NotFound, an admin may use any).
// Times come from the injected Clock. Functions that take a Tx read through the caller's
// transaction and open none of their own, so checkout and bookings can call them inside theirs.
//
// Saved-address labels match in both languages: a query and a label match when they are equal
// (ASCII case-insensitive, "my "/"我的" dropped) or name the same place: home (home, house, 家,
// 我家, 家里, 住处, 住所), office (office, work, workplace, company, 公司, 单位, 办公室,
// 上班), school (school, campus, 学校); "default"/"默认" is the default address.
//
// Thread-safety: every const method may be called from any number of threads at once, and
// together with refresh().
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "services/actor.h"
#include "services/geo.h"
#include "services/maps_index.h"
#include "services/road_graph.h"
#include "store/db.h"

namespace qwl::services {

struct MapSnapshot {
  std::shared_ptr<const RoadGraph> graph;
  std::shared_ptr<const MapIndex> places;
  int64_t loaded_at_us = 0;  // wall clock when it was read
  int64_t load_time_us = 0;  // how long reading and building took
};

// Where a route starts or ends: exactly one of the four.
struct Waypoint {
  std::optional<LatLon> location;
  int64_t poi_id = 0;
  int64_t address_id = 0;  // one of the acting user's saved addresses
  std::string query;       // a saved label ("home", "公司") or a place name, geocoded first

  static Waypoint at(LatLon p) { return Waypoint{.location = p}; }
  static Waypoint poi(int64_t id) { return Waypoint{.poi_id = id}; }
  static Waypoint address(int64_t id) { return Waypoint{.address_id = id}; }
  static Waypoint named(std::string text) { return Waypoint{.query = std::move(text)}; }
};

enum class GeocodeSource : uint8_t { kSavedAddress, kPlace };

struct GeocodeQuery {
  std::string text;
  std::optional<LatLon> near;  // ranks places by distance from here
  int limit = 5;               // 1..kMaxPlaceResults
};

struct GeocodeMatch {
  GeocodeSource source = GeocodeSource::kPlace;
  int64_t id = 0;       // addresses.id or pois.id
  std::string label;    // the saved address's label ("" for places)
  std::string name_en;  // the place's name, or the address's line
  std::string name_zh;
  std::string kind;  // the place's kind ("" for addresses)
  LatLon location;
  int64_t node_id = 0;     // the nearest road node (recorded, else snapped for walking); 0: none
  double distance_m = -1;  // from GeocodeQuery::near; -1 without one
  int64_t rating_x10 = 0;
  NameMatch match = NameMatch::kExact;  // saved addresses: kExact
};

// A waypoint made concrete.
struct ResolvedWaypoint {
  LatLon location;
  std::string label;    // the place's or address's name, or "" for a bare coordinate
  int64_t node_id = 0;  // the recorded road node, if any (routes use it when the mode may)
};

struct DeliveryEtaInput {
  LatLon merchant;
  int64_t prep_minutes = 0;  // 0..1440
  LatLon destination;
  // When no cycling route exists (no road near an end, or none joining them): estimate the
  // ride as 1.4 x the straight line at 15 km/h instead of failing.
  bool straight_line_fallback = false;
};

struct DeliveryEta {
  int64_t prep_s = 0;
  int64_t travel_s = 0;    // the courier's ride (cycling)
  int64_t distance_m = 0;  // of the ride
  int64_t eta_at_us = 0;   // now + prep + ride
  bool estimated = false;  // the straight-line fallback was used
};

struct RouteQuote {
  int64_t distance_m = 0;
  int64_t duration_s = 0;
};

// The delivery ETA of an order: the merchant's preparation, then a courier cycling from the
// merchant to the destination on the road network. For checkout, inside its own transaction:
// no Db, and `now_us` from the caller's clock. Errors: InvalidArgument (bad coordinates or
// prep_minutes), and the route's (NotFound when no cycling route exists, unless the fallback is
// allowed).
Result<DeliveryEta> delivery_eta(const RoadGraph& graph, const DeliveryEtaInput& input,
                                 int64_t now_us);

// Distance and time by car between two coordinates, for ride quotes. Errors: the route's.
Result<RouteQuote> route_quote(const RoadGraph& graph, LatLon from, LatLon to);

// Inflates a straight-line distance to the expected road distance (the fallback's detour).
inline constexpr double kDetourFactor = 1.4;

class Maps {
 public:
  // Reads the road network and the places from `db` (a read transaction each, side by side)
  // and builds them. Errors: the store's and the builders' (InvalidArgument for bad rows).
  static Result<std::unique_ptr<Maps>> load(Db& db, const Clock& clock,
                                            const RoadGraphOptions& graph_options = {});
  // Reads and builds a new snapshot, then swaps it in; queries running meanwhile finish on the
  // old one. On error the current snapshot stays.
  Status refresh(Db& db);
  std::shared_ptr<const MapSnapshot> snapshot() const;
  std::shared_ptr<const RoadGraph> graph() const { return snapshot()->graph; }

  // Places near a point (maps_index.h), open_now at the clock's now. Errors: InvalidArgument.
  Result<std::vector<Place>> nearby(const Actor& actor, const NearbyQuery& query) const;

  // The acting user's saved addresses whose label matches (first: the default one, then by
  // id), then places by name (maps_index.h), at most query.limit in all. Errors:
  // InvalidArgument (empty text, bad limit or point).
  Result<std::vector<GeocodeMatch>> geocode(Tx& tx, const Actor& actor,
                                            const GeocodeQuery& query) const;

  // A waypoint's coordinate. Errors: InvalidArgument (none or several of its fields, a bad
  // coordinate), NotFound (no such place, an address that is not the actor's, a query that
  // matches nothing).
  Result<ResolvedWaypoint> resolve(Tx& tx, const Actor& actor, const Waypoint& waypoint) const;

  // A route between two waypoints. Errors: resolve()'s, and RoadGraph::route()'s (NotFound:
  // no road near an end or none joining them; FailedPrecondition: an empty network).
  Result<Route> route(Tx& tx, const Actor& actor, const Waypoint& from, const Waypoint& to,
                      TravelMode mode, const RouteOptions& options = {}) const;

  // The delivery ETA from merchant `merchant_id` to a waypoint, at the clock's now. Errors:
  // NotFound (no such merchant), FailedPrecondition (a merchant without a place on the map),
  // resolve()'s and delivery_eta()'s.
  Result<DeliveryEta> delivery_eta(Tx& tx, const Actor& actor, int64_t merchant_id,
                                   const Waypoint& to) const;

  // Distance and time by car between two waypoints (ride quotes).
  Result<RouteQuote> ride_quote(Tx& tx, const Actor& actor, const Waypoint& from,
                                const Waypoint& to) const;

  Maps(const Maps&) = delete;
  Maps& operator=(const Maps&) = delete;

 private:
  Maps(const Clock& clock, const RoadGraphOptions& options) : clock_(clock), options_(options) {}
  Result<std::shared_ptr<const MapSnapshot>> read_snapshot(Db& db) const;
  Result<ResolvedWaypoint> resolve_in(Tx& tx, const Actor& actor, const MapSnapshot& snap,
                                      const Waypoint& waypoint) const;
  Result<Route> route_in(Tx& tx, const Actor& actor, const MapSnapshot& snap, const Waypoint& from,
                         const Waypoint& to, TravelMode mode, const RouteOptions& options) const;

  const Clock& clock_;
  const RoadGraphOptions options_;
  std::mutex refresh_mu_;  // one refresh at a time
  mutable std::mutex mu_;  // guards snapshot_ (the pointer, not what it points to)
  std::shared_ptr<const MapSnapshot> snapshot_;
};

}  // namespace qwl::services
