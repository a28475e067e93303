// The maps service (see maps.h).
#include "services/maps.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace qwl::services {
namespace {

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower_trimmed(std::string_view text) {
  while (!text.empty() &&
         std::string_view(" \t\r\n").find(text.front()) != std::string_view::npos) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::string_view(" \t\r\n").find(text.back()) != std::string_view::npos) {
    text.remove_suffix(1);
  }
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// A saved label or a query reduced to what it names: "home", "office", "school", "default", or
// else itself (lowered, trimmed, without "my " / "我的" / "我").
std::string canonical_label(std::string_view text) {
  std::string t = lower_trimmed(text);
  for (std::string_view prefix : {"my ", "我的", "我"}) {
    if (t.size() > prefix.size() && t.compare(0, prefix.size(), prefix) == 0) {
      t = lower_trimmed(std::string_view(t).substr(prefix.size()));
      break;
    }
  }
  struct Synonym {
    std::string_view word;
    std::string_view place;
  };
  static constexpr Synonym kSynonyms[] = {
      {"home", "home"},       {"house", "home"},        {"home address", "home"},
      {"家", "home"},         {"家里", "home"},         {"住处", "home"},
      {"住所", "home"},       {"家庭住址", "home"},     {"office", "office"},
      {"work", "office"},     {"workplace", "office"},  {"company", "office"},
      {"公司", "office"},     {"单位", "office"},       {"办公室", "office"},
      {"上班", "office"},     {"上班的地方", "office"}, {"工作单位", "office"},
      {"school", "school"},   {"campus", "school"},     {"学校", "school"},
      {"default", "default"}, {"默认", "default"},      {"默认地址", "default"},
  };
  for (const Synonym& s : kSynonyms) {
    if (t == s.word) return std::string(s.place);
  }
  return t;
}

double real_of(const Value& v) {
  return v.type() == Value::Type::kInt64 ? static_cast<double>(v.int64()) : v.real();
}

// The road node to report for a location: the recorded one if the graph has it, else the
// nearest node open to walking (0 when there is none within the snap limit).
int64_t report_node(const RoadGraph& graph, int64_t recorded, LatLon at) {
  if (recorded != 0 && graph.node_location(recorded)) return recorded;
  auto snapped = graph.snap(at, TravelMode::kWalk);
  return snapped.ok() ? snapped->node_id : 0;
}

}  // namespace

Result<DeliveryEta> delivery_eta(const RoadGraph& graph, const DeliveryEtaInput& input,
                                 int64_t now_us) {
  if (input.prep_minutes < 0 || input.prep_minutes > 24 * 60) {
    return InvalidArgumentError("delivery: prep_minutes {} outside [0, 1440]", input.prep_minutes);
  }
  QWL_RETURN_IF_ERROR(check_lat_lon(input.merchant, "delivery: merchant"));
  QWL_RETURN_IF_ERROR(check_lat_lon(input.destination, "delivery: destination"));
  DeliveryEta eta;
  eta.prep_s = input.prep_minutes * 60;
  auto ride = graph.route(input.merchant, input.destination, TravelMode::kCycle,
                          RouteOptions{.simplify_m = 0});
  if (ride.ok()) {
    eta.travel_s = ride->duration_s;
    eta.distance_m = ride->distance_m;
  } else if (input.straight_line_fallback &&
             (ride.status().code() == StatusCode::kNotFound ||
              ride.status().code() == StatusCode::kFailedPrecondition)) {
    const double distance = haversine_m(input.merchant, input.destination) * kDetourFactor;
    eta.distance_m = std::llround(distance);
    eta.travel_s = std::llround(distance * 3600.0 / (kCycleKmh * 1000.0));
    eta.estimated = true;
  } else {
    return ride.status().with_context("delivery");
  }
  eta.eta_at_us = now_us + (eta.prep_s + eta.travel_s) * 1'000'000;
  return eta;
}

Result<RouteQuote> route_quote(const RoadGraph& graph, LatLon from, LatLon to) {
  QWL_ASSIGN_OR_RETURN(Route r,
                       graph.route(from, to, TravelMode::kDrive, RouteOptions{.simplify_m = 0}));
  return RouteQuote{.distance_m = r.distance_m, .duration_s = r.duration_s};
}

Result<std::unique_ptr<Maps>> Maps::load(Db& db, const Clock& clock,
                                         const RoadGraphOptions& graph_options) {
  std::unique_ptr<Maps> maps(new Maps(clock, graph_options));
  QWL_ASSIGN_OR_RETURN(maps->snapshot_, maps->read_snapshot(db));
  return maps;
}

Result<std::shared_ptr<const MapSnapshot>> Maps::read_snapshot(Db& db) const {
  Stopwatch watch;
  auto snap = std::make_shared<MapSnapshot>();
  // The places on a second thread (and reader connection) while this one reads the roads and
  // computes their landmarks: the halves do not depend on each other.
  Status places_status;
  std::thread places_thread([&] {
    places_status = db.read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(snap->places, MapIndex::load(tx));
      return Status::Ok();
    });
  });
  Status graph_status = db.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(snap->graph, RoadGraph::load(tx, options_));
    return Status::Ok();
  });
  places_thread.join();
  QWL_RETURN_IF_ERROR(graph_status.with_context("loading the road network"));
  QWL_RETURN_IF_ERROR(places_status.with_context("loading the places"));
  snap->loaded_at_us = clock_.wall_us();
  snap->load_time_us = watch.elapsed_us();
  return std::shared_ptr<const MapSnapshot>(std::move(snap));
}

Status Maps::refresh(Db& db) {
  std::lock_guard<std::mutex> refresh_lock(refresh_mu_);
  QWL_ASSIGN_OR_RETURN(std::shared_ptr<const MapSnapshot> fresh, read_snapshot(db));
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_ = std::move(fresh);
  return Status::Ok();
}

std::shared_ptr<const MapSnapshot> Maps::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

Result<std::vector<Place>> Maps::nearby(const Actor& /*actor: places are public*/,
                                        const NearbyQuery& query) const {
  return snapshot()->places->nearby(query, clock_.wall_us());
}

Result<std::vector<GeocodeMatch>> Maps::geocode(Tx& tx, const Actor& actor,
                                                const GeocodeQuery& query) const {
  if (lower_trimmed(query.text).empty()) return InvalidArgumentError("geocode: text is empty");
  if (query.limit < 1 || query.limit > kMaxPlaceResults) {
    return InvalidArgumentError("geocode: limit {} outside [1, {}]", query.limit, kMaxPlaceResults);
  }
  if (query.near) QWL_RETURN_IF_ERROR(check_lat_lon(*query.near, "geocode: near"));
  const std::shared_ptr<const MapSnapshot> snap = snapshot();
  std::vector<GeocodeMatch> out;

  // The actor's own saved addresses, never anyone else's (admins included).
  const std::string wanted = canonical_label(query.text);
  QWL_ASSIGN_OR_RETURN(Rows rows,
                       tx.query("SELECT id, label, line_en, line_zh, lat, lon, node_id, is_default "
                                "FROM addresses WHERE user_id = ? ORDER BY is_default DESC, id",
                                {actor.user_id}));
  for (const Row& r : rows) {
    const bool is_default = r.int64(7) != 0;
    if (canonical_label(r.text(1)) != wanted && !(wanted == "default" && is_default)) continue;
    const LatLon at{real_of(r[4]), real_of(r[5])};
    GeocodeMatch m{.source = GeocodeSource::kSavedAddress,
                   .id = r.int64(0),
                   .label = r.text(1),
                   .name_en = r.text(2),
                   .name_zh = r.text(3),
                   .location = at,
                   .node_id = report_node(*snap->graph, r.is_null(6) ? 0 : r.int64(6), at),
                   .distance_m = query.near ? haversine_m(*query.near, at) : -1,
                   .match = NameMatch::kExact};
    out.push_back(std::move(m));
    if (static_cast<int>(out.size()) == query.limit) return out;
  }

  QWL_ASSIGN_OR_RETURN(
      std::vector<NamedPlace> places,
      snap->places->find_by_name(query.text, query.near, query.limit - static_cast<int>(out.size()),
                                 clock_.wall_us()));
  for (NamedPlace& p : places) {
    out.push_back(
        GeocodeMatch{.source = GeocodeSource::kPlace,
                     .id = p.place.id,
                     .name_en = std::move(p.place.name_en),
                     .name_zh = std::move(p.place.name_zh),
                     .kind = std::move(p.place.kind),
                     .location = p.place.location,
                     .node_id = report_node(*snap->graph, p.place.node_id, p.place.location),
                     .distance_m = p.place.distance_m,
                     .rating_x10 = p.place.rating_x10,
                     .match = p.match});
  }
  return out;
}

Result<ResolvedWaypoint> Maps::resolve(Tx& tx, const Actor& actor, const Waypoint& waypoint) const {
  return resolve_in(tx, actor, *snapshot(), waypoint);
}

Result<ResolvedWaypoint> Maps::resolve_in(Tx& tx, const Actor& actor, const MapSnapshot& snap,
                                          const Waypoint& w) const {
  const int given = (w.location ? 1 : 0) + (w.poi_id != 0 ? 1 : 0) + (w.address_id != 0 ? 1 : 0) +
                    (w.query.empty() ? 0 : 1);
  if (given != 1) {
    return InvalidArgumentError(
        "waypoint: give exactly one of location, poi_id, address_id, query ({} given)", given);
  }
  if (w.location) {
    QWL_RETURN_IF_ERROR(check_lat_lon(*w.location, "waypoint: location"));
    return ResolvedWaypoint{.location = *w.location};
  }
  if (w.poi_id != 0) {
    auto place = snap.places->place(w.poi_id, 0);
    if (!place) return NotFoundError("place {} not found", w.poi_id);
    return ResolvedWaypoint{
        .location = place->location, .label = place->name_en, .node_id = place->node_id};
  }
  if (w.address_id != 0) {
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT user_id, label, lat, lon, node_id "
                                             "FROM addresses WHERE id = ?",
                                             {w.address_id}));
    if (rows.empty()) return NotFoundError("address {} not found", w.address_id);
    QWL_RETURN_IF_ERROR(check_owner(actor, rows[0].int64(0), "address", w.address_id));
    return ResolvedWaypoint{.location = {real_of(rows[0][2]), real_of(rows[0][3])},
                            .label = rows[0].text(1),
                            .node_id = rows[0].is_null(4) ? 0 : rows[0].int64(4)};
  }
  QWL_ASSIGN_OR_RETURN(std::vector<GeocodeMatch> matches,
                       geocode(tx, actor, GeocodeQuery{.text = w.query, .limit = 1}));
  if (matches.empty()) {
    return NotFoundError("no saved address or place matches '{}'", w.query);
  }
  const GeocodeMatch& m = matches.front();
  return ResolvedWaypoint{.location = m.location,
                          .label = m.source == GeocodeSource::kSavedAddress ? m.label : m.name_en,
                          .node_id = m.node_id};
}

Result<Route> Maps::route(Tx& tx, const Actor& actor, const Waypoint& from, const Waypoint& to,
                          TravelMode mode, const RouteOptions& options) const {
  return route_in(tx, actor, *snapshot(), from, to, mode, options);
}

Result<Route> Maps::route_in(Tx& tx, const Actor& actor, const MapSnapshot& snap,
                             const Waypoint& from, const Waypoint& to, TravelMode mode,
                             const RouteOptions& options) const {
  auto a = resolve_in(tx, actor, snap, from);
  if (!a.ok()) return a.status().with_context("from");
  auto b = resolve_in(tx, actor, snap, to);
  if (!b.ok()) return b.status().with_context("to");
  const RoadGraph& graph = *snap.graph;
  // A place's recorded road node is where its routes start, when the mode may use it.
  auto snap_end = [&](const ResolvedWaypoint& w, std::string_view which) -> Result<SnappedPoint> {
    if (w.node_id != 0) {
      if (auto s = graph.node_as_snap(w.node_id, w.location, mode)) return *s;
    }
    auto s = graph.snap(w.location, mode, options.max_snap_m);
    if (!s.ok()) return s.status().with_context(which);
    return *s;
  };
  QWL_ASSIGN_OR_RETURN(SnappedPoint sa, snap_end(*a, "from"));
  QWL_ASSIGN_OR_RETURN(SnappedPoint sb, snap_end(*b, "to"));
  return graph.route_between(a->location, sa, b->location, sb, mode, options);
}

Result<DeliveryEta> Maps::delivery_eta(Tx& tx, const Actor& actor, int64_t merchant_id,
                                       const Waypoint& to) const {
  QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT m.prep_minutes, m.poi_id, p.lat, p.lon "
                                           "FROM merchants m LEFT JOIN pois p ON p.id = m.poi_id "
                                           "WHERE m.id = ?",
                                           {merchant_id}));
  if (rows.empty()) return NotFoundError("merchant {} not found", merchant_id);
  if (rows[0].is_null(1) || rows[0].is_null(2)) {
    return FailedPreconditionError("merchant {} has no place on the map (an online shop)",
                                   merchant_id);
  }
  const std::shared_ptr<const MapSnapshot> snap = snapshot();
  auto dest = resolve_in(tx, actor, *snap, to);
  if (!dest.ok()) return dest.status().with_context("to");
  return services::delivery_eta(
      *snap->graph,
      DeliveryEtaInput{.merchant = {real_of(rows[0][2]), real_of(rows[0][3])},
                       .prep_minutes = rows[0].int64(0),
                       .destination = dest->location},
      clock_.wall_us());
}

Result<RouteQuote> Maps::ride_quote(Tx& tx, const Actor& actor, const Waypoint& from,
                                    const Waypoint& to) const {
  QWL_ASSIGN_OR_RETURN(Route r, route_in(tx, actor, *snapshot(), from, to, TravelMode::kDrive,
                                         RouteOptions{.simplify_m = 0}));
  return RouteQuote{.distance_m = r.distance_m, .duration_s = r.duration_s};
}

}  // namespace qwl::services
