// The maps routes of the app API (api_maps.h): each handler reads the query string (or a route's
// JSON body) into the maps service's query structs, calls one Maps method as the request's
// Actor, and maps the result to the API's JSON. Nearby and routes run on the in-memory snapshot;
// a place's page, geocoding of saved addresses and the ETA's merchant read the database in one
// read transaction. The rules (whose addresses, which roads a mode may use, the ETA's courier)
// are the service's; this file adds the API's names, units and errors.
#include "server/api_maps.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/api_catalog.h"
#include "server/http_error.h"
#include "services/city_time.h"

namespace qwl::app {
namespace {

using nlohmann::json;
using namespace api_query;

constexpr std::string_view kCurrency = "CNY";
constexpr int64_t kMicrosPerSecond = 1'000'000;
// Lists ask the service for one more than the limit to learn has_more, within its own maximum.
constexpr int64_t kMaxNearbyLimit = 50;
constexpr int64_t kDefaultNearbyLimit = 20;
constexpr int64_t kMaxGeocodeLimit = 20;
constexpr int64_t kDefaultGeocodeLimit = 5;
constexpr size_t kMaxPlaceTextBytes = 200;
constexpr size_t kMaxCuisineBytes = 64;
constexpr size_t kMaxRouteBodyBytes = 4 * 1024;
// The road map: a box at most this many degrees on a side (about 22 km north to south), and at
// most this many segments (about 40 bytes each in the JSON).
constexpr double kMaxRoadBoxDeg = 0.2;
constexpr int64_t kDefaultRoadSegments = 4000;
constexpr int64_t kMaxRoadSegments = 20000;

constexpr std::array<std::string_view, 7> kWeekdays = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

int64_t to_seconds(int64_t us) {
  return us >= 0 ? us / kMicrosPerSecond : -((-us + kMicrosPerSecond - 1) / kMicrosPerSecond);
}

json rating_json(int64_t rating_x10) {
  return json(static_cast<double>(rating_x10) / 10.0);
}

json location_json(services::LatLon p) {
  return json{{"lat", p.lat}, {"lon", p.lon}};
}

// A distance the service gives as a double, -1 for "no reference point": whole metres or null.
json distance_json(double distance_m) {
  return distance_m < 0 ? json() : json(static_cast<int64_t>(std::llround(distance_m)));
}

double real_of(const Value& v) {
  return v.type() == Value::Type::kInt64 ? static_cast<double>(v.int64()) : v.real();
}

std::string hhmm(int64_t minute) {
  return fmt::format("{:02}:{:02}", minute / 60, minute % 60);
}

std::optional<int64_t> parse_id(std::string_view text) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v <= 0)
    return std::nullopt;
  return v;
}

std::optional<double> parse_number(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

// A service error about a waypoint ("to: address 7 not found") renamed to the parameter the
// client used for it ("address_id: address 7 not found").
Status renamed(const Status& status, std::string_view from, std::string_view to) {
  const std::string prefix = fmt::format("{}: ", from);
  if (!status.message().starts_with(prefix)) return status;
  return Status(status.code(), fmt::format("{}: {}", to, status.message().substr(prefix.size())));
}

json list_json(json data, bool has_more) {
  return json{{"object", "list"}, {"data", std::move(data)}, {"has_more", has_more}};
}

json place_json(const services::Place& p, int64_t merchant_id) {
  return json{{"object", "place"},
              {"id", p.id},
              {"kind", p.kind},
              {"name_en", p.name_en},
              {"name_zh", p.name_zh},
              {"cuisine", p.cuisine},
              {"location", location_json(p.location)},
              {"district_id", p.district_id > 0 ? json(p.district_id) : json()},
              {"rating", rating_json(p.rating_x10)},
              {"review_count", p.review_count},
              {"price_level", p.price_level},
              {"open_now", p.open_now},
              {"distance_m", distance_json(p.distance_m)},
              {"merchant_id", merchant_id > 0 ? json(merchant_id) : json()}};
}

// The merchants at these places (merchants.poi_id is unique), as (poi id, merchant id) pairs.
Result<std::vector<std::pair<int64_t, int64_t>>> merchants_at(Tx& tx,
                                                              const std::vector<int64_t>& pois) {
  std::vector<std::pair<int64_t, int64_t>> out;
  if (pois.empty()) return out;
  std::string sql = "SELECT poi_id, id FROM merchants WHERE poi_id IN (";
  std::vector<Value> params;
  for (size_t i = 0; i < pois.size(); ++i) {
    sql += i == 0 ? "?" : ", ?";
    params.emplace_back(pois[i]);
  }
  sql += ")";
  QWL_ASSIGN_OR_RETURN(Rows rows, tx.query(sql, params));
  for (const Row& r : rows) out.emplace_back(r.int64(0), r.int64(1));
  return out;
}

// ---- waypoints -----------------------------------------------------------------------------

// A waypoint as query text: "lat,lon", "place:<id>", "address:<id>", or a saved label or place
// name to geocode.
Result<services::Waypoint> waypoint_from_text(std::string_view text, std::string_view param) {
  if (text.empty()) return bad_param(param, "is empty");
  if (text.size() > kMaxPlaceTextBytes)
    return bad_param(param, "is {} bytes, more than {}", text.size(), kMaxPlaceTextBytes);
  if (const size_t comma = text.find(','); comma != std::string_view::npos) {
    const std::optional<double> lat = parse_number(text.substr(0, comma));
    const std::optional<double> lon = parse_number(text.substr(comma + 1));
    if (lat && lon) {
      if (*lat < -90 || *lat > 90)
        return bad_param(param, "latitude {} is outside [-90, 90]", *lat);
      if (*lon < -180 || *lon > 180)
        return bad_param(param, "longitude {} is outside [-180, 180]", *lon);
      return services::Waypoint::at({*lat, *lon});
    }
  }
  for (std::string_view prefix : {"place:", "address:"}) {
    if (!text.starts_with(prefix)) continue;
    const std::optional<int64_t> id = parse_id(text.substr(prefix.size()));
    if (!id) return bad_param(param, "'{}' needs a positive id after '{}'", shown(text), prefix);
    return prefix == "place:" ? services::Waypoint::poi(*id) : services::Waypoint::address(*id);
  }
  return services::Waypoint::named(std::string(text));
}

// A waypoint in a JSON body: the same text, or an object with exactly one of {"lat","lon"},
// "place_id", "address_id", "query".
Result<services::Waypoint> waypoint_from_json(const json& body, std::string_view field) {
  auto it = body.find(std::string(field));
  if (it == body.end() || it->is_null()) return bad_param(field, "is required");
  if (it->is_string()) return waypoint_from_text(it->get<std::string>(), field);
  if (!it->is_object())
    return bad_param(field, "expected a string or an object, got {}", it->type_name());
  const json& w = *it;
  for (auto f = w.begin(); f != w.end(); ++f) {
    static constexpr std::array<std::string_view, 5> kFields = {"lat", "lon", "place_id",
                                                                "address_id", "query"};
    if (std::find(kFields.begin(), kFields.end(), f.key()) == kFields.end())
      return bad_param(fmt::format("{}.{}", field, shown(f.key())), "unknown field");
  }
  const bool has_lat = w.contains("lat"), has_lon = w.contains("lon");
  const int given = (has_lat || has_lon ? 1 : 0) + (w.contains("place_id") ? 1 : 0) +
                    (w.contains("address_id") ? 1 : 0) + (w.contains("query") ? 1 : 0);
  if (given != 1)
    return bad_param(field, "give exactly one of lat+lon, place_id, address_id, query");
  if (has_lat || has_lon) {
    const auto degrees = [&](std::string_view name, double limit) -> Result<double> {
      const std::string param = fmt::format("{}.{}", field, name);
      auto v = w.find(std::string(name));
      if (v == w.end() || v->is_null()) return bad_param(param, "is required");
      if (!v->is_number()) return bad_param(param, "expected a number, got {}", v->type_name());
      const double d = v->get<double>();
      if (!std::isfinite(d) || d < -limit || d > limit)
        return bad_param(param, "{} is outside [-{}, {}]", d, limit, limit);
      return d;
    };
    services::LatLon p;
    QWL_ASSIGN_OR_RETURN(p.lat, degrees("lat", 90));
    QWL_ASSIGN_OR_RETURN(p.lon, degrees("lon", 180));
    return services::Waypoint::at(p);
  }
  for (std::string_view name : {"place_id", "address_id"}) {
    if (!w.contains(name)) continue;
    const std::string param = fmt::format("{}.{}", field, name);
    QWL_ASSIGN_OR_RETURN(std::optional<int64_t> id, optional_int(w, name));
    if (!id || *id <= 0) return bad_param(param, "expected a positive id");
    return name == "place_id" ? services::Waypoint::poi(*id) : services::Waypoint::address(*id);
  }
  const json& query = w["query"];
  if (!query.is_string())
    return bad_param(fmt::format("{}.query", field), "expected a string, got {}",
                     query.type_name());
  return waypoint_from_text(query.get<std::string>(), fmt::format("{}.query", field));
}

Result<services::TravelMode> travel_mode(std::optional<std::string_view> text) {
  if (!text) return services::TravelMode::kWalk;
  const std::optional<services::TravelMode> mode = services::parse_travel_mode(*text);
  if (!mode) return bad_param("mode", "'{}' is not one of walking, cycling, driving", shown(*text));
  return *mode;
}

json waypoint_json(const services::Waypoint& w, const services::ResolvedWaypoint& r) {
  return json{{"label", r.label},
              {"location", location_json(r.location)},
              {"place_id", w.poi_id > 0 ? json(w.poi_id) : json()},
              {"address_id", w.address_id > 0 ? json(w.address_id) : json()}};
}

json route_json(const services::Route& route, const json& from, const json& to, int64_t now_us) {
  json steps = json::array();
  for (const services::RouteStep& s : route.steps) {
    steps.push_back(json{{"turn", services::turn_name(s.turn)},
                         {"name_en", s.name_en},
                         {"name_zh", s.name_zh},
                         {"road_class", s.road_class},
                         {"distance_m", s.distance_m},
                         {"duration_s", s.duration_s},
                         {"start", location_json(s.start)}});
  }
  return json{{"object", "route"},
              {"mode", services::travel_mode_name(route.mode)},
              {"distance_m", route.distance_m},
              {"duration_s", route.duration_s},
              {"eta_at", to_seconds(now_us) + route.duration_s},
              {"from", from},
              {"to", to},
              {"polyline", route.polyline_encoded},
              {"steps", std::move(steps)}};
}

// ---- the routes ----------------------------------------------------------------------------

class MapRoutes {
 public:
  MapRoutes(Db& db, const Clock& clock, const services::Maps& maps)
      : db_(db), clock_(clock), maps_(maps) {}

  // GET /api/v1/places/nearby
  Result<http::Response> nearby(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(
        req, {"lat", "lon", "radius", "kind", "cuisine", "open_now", "min_rating", "limit"}));
    QWL_ASSIGN_OR_RETURN(auto at, query_lat_lon(req, /*required=*/true));
    services::NearbyQuery q;
    q.center = {at->first, at->second};
    QWL_ASSIGN_OR_RETURN(std::optional<double> radius,
                         query_double(req, "radius", std::numeric_limits<double>::lowest(),
                                      std::numeric_limits<double>::max()));
    if (radius) {
      if (*radius <= 0) return bad_param("radius", "{} m: must be more than 0 metres", *radius);
      if (*radius > services::kMaxNearbyRadiusM)
        return bad_param("radius", "{} m is more than the maximum, {} m", *radius,
                         services::kMaxNearbyRadiusM);
      q.radius_m = *radius;
    }
    if (auto kinds = req.query_param("kind")) {
      for (std::string_view rest = *kinds; !rest.empty();) {
        const size_t comma = rest.find(',');
        const std::string_view word = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        const std::optional<services::PoiKind> kind = services::parse_poi_kind(word);
        if (!kind)
          return bad_param("kind",
                           "'{}' is not a kind of place (cafe, tea, restaurant, supermarket, "
                           "pharmacy, hotel, cinema, sight, office, residence, station, airport, "
                           "shop)",
                           shown(word));
        q.kinds.emplace_back(services::poi_kind_name(*kind));
      }
      if (q.kinds.empty()) return bad_param("kind", "is empty");
    }
    if (auto cuisine = req.query_param("cuisine")) {
      if (cuisine->empty() || cuisine->size() > kMaxCuisineBytes)
        return bad_param("cuisine", "must be 1 to {} bytes", kMaxCuisineBytes);
      q.cuisine = std::string(*cuisine);
    }
    QWL_ASSIGN_OR_RETURN(q.open_now, query_bool(req, "open_now", false));
    QWL_ASSIGN_OR_RETURN(std::optional<int64_t> rating, query_rating_x10(req, "min_rating"));
    q.min_rating_x10 = rating.value_or(0);
    QWL_ASSIGN_OR_RETURN(int64_t limit,
                         query_int(req, "limit", kDefaultNearbyLimit, 1, kMaxNearbyLimit));
    q.limit = static_cast<int>(limit + 1);

    QWL_ASSIGN_OR_RETURN(std::vector<services::Place> places, maps_.nearby(caller.actor, q));
    const bool has_more = places.size() > static_cast<size_t>(limit);
    places.resize(std::min(places.size(), static_cast<size_t>(limit)));
    std::vector<int64_t> ids;
    for (const services::Place& p : places) ids.push_back(p.id);
    std::vector<std::pair<int64_t, int64_t>> merchants;
    QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(merchants, merchants_at(tx, ids));
      return Status::Ok();
    }));
    json data = json::array();
    for (const services::Place& p : places) {
      int64_t merchant = 0;
      for (const auto& [poi, m] : merchants) {
        if (poi == p.id) merchant = m;
      }
      data.push_back(place_json(p, merchant));
    }
    return json_response(list_json(std::move(data), has_more));
  }

  // GET /api/v1/places/{id}
  Result<http::Response> place(http::Request& req, const Caller&) const {
    QWL_RETURN_IF_ERROR(check_query(req, {}));
    QWL_ASSIGN_OR_RETURN(int64_t id, path_id(req, "id"));
    const int64_t now_us = clock_.wall_us();
    json out;
    QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(
          Rows rows,
          tx.query("SELECT kind, name_en, name_zh, description_en, description_zh, address_en, "
                   "address_zh, cuisine, lat, lon, district_id, rating_x10, review_count, "
                   "price_level, phone FROM pois WHERE id = ?",
                   {id}));
      if (rows.empty()) return NotFoundError("place {} not found", id);
      const Row& r = rows[0];
      QWL_ASSIGN_OR_RETURN(Rows hours_rows,
                           tx.query("SELECT weekday, open_min, close_min FROM poi_hours "
                                    "WHERE poi_id = ? ORDER BY weekday, open_min",
                                    {id}));
      json hours = json::array();
      for (const Row& h : hours_rows) {
        const int64_t weekday = h.int64(0), open = h.int64(1), close = h.int64(2);
        hours.push_back(json{{"weekday", kWeekdays[static_cast<size_t>(weekday % 7)]},
                             {"open", hhmm(open)},
                             {"close", hhmm(close % 1440)},
                             {"closes_next_day", close >= 1440}});
      }
      QWL_ASSIGN_OR_RETURN(bool open, services::is_open(tx, id, now_us));
      QWL_ASSIGN_OR_RETURN(auto merchants, merchants_at(tx, {id}));
      const json location = location_json({real_of(r[8]), real_of(r[9])});
      out = json{{"object", "place"},
                 {"id", id},
                 {"kind", r.text(0)},
                 {"name_en", r.text(1)},
                 {"name_zh", r.text(2)},
                 {"description_en", r.text(3)},
                 {"description_zh", r.text(4)},
                 {"address_en", r.text(5)},
                 {"address_zh", r.text(6)},
                 {"cuisine", r.text(7)},
                 {"location", location},
                 {"district_id", r.is_null(10) ? json() : json(r.int64(10))},
                 {"rating", rating_json(r.int64(11))},
                 {"review_count", r.int64(12)},
                 {"price_level", r.int64(13)},
                 {"phone", r.text(14)},
                 {"open_now", open},
                 {"always_open", hours.empty()},
                 {"opening_hours", std::move(hours)},
                 {"merchant_id", merchants.empty() ? json() : json(merchants[0].second)}};
      return Status::Ok();
    }));
    return json_response(out);
  }

  // GET /api/v1/geocode?q=&lat=&lon=&limit=
  Result<http::Response> geocode(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(req, {"q", "lat", "lon", "limit"}));
    const std::optional<std::string_view> text = req.query_param("q");
    if (!text) return bad_param("q", "is required");
    if (text->find_first_not_of(" \t") == std::string_view::npos) return bad_param("q", "is empty");
    if (text->size() > kMaxPlaceTextBytes)
      return bad_param("q", "is {} bytes, more than {}", text->size(), kMaxPlaceTextBytes);
    QWL_ASSIGN_OR_RETURN(auto at, query_lat_lon(req, /*required=*/false));
    QWL_ASSIGN_OR_RETURN(int64_t limit,
                         query_int(req, "limit", kDefaultGeocodeLimit, 1, kMaxGeocodeLimit));
    services::GeocodeQuery q{.text = std::string(*text), .limit = static_cast<int>(limit + 1)};
    if (at) q.near = services::LatLon{at->first, at->second};
    std::vector<services::GeocodeMatch> matches;
    QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(matches, maps_.geocode(tx, caller.actor, q));
      return Status::Ok();
    }));
    const bool has_more = matches.size() > static_cast<size_t>(limit);
    matches.resize(std::min(matches.size(), static_cast<size_t>(limit)));
    json data = json::array();
    for (const services::GeocodeMatch& m : matches) {
      const bool saved = m.source == services::GeocodeSource::kSavedAddress;
      data.push_back(json{{"object", "geocode_match"},
                          {"source", saved ? "saved_place" : "place"},
                          {"id", m.id},
                          {"address_id", saved ? json(m.id) : json()},
                          {"place_id", saved ? json() : json(m.id)},
                          {"label", m.label},
                          {"name_en", m.name_en},
                          {"name_zh", m.name_zh},
                          {"kind", m.kind},
                          {"location", location_json(m.location)},
                          {"distance_m", distance_json(m.distance_m)},
                          {"rating", saved ? json() : rating_json(m.rating_x10)},
                          {"match", services::name_match_name(m.match)}});
    }
    return json_response(list_json(std::move(data), has_more));
  }

  // GET /api/v1/routes?from=&to=&mode=
  Result<http::Response> route_get(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(req, {"from", "to", "mode"}));
    const std::optional<std::string_view> from = req.query_param("from");
    if (!from) return bad_param("from", "is required");
    const std::optional<std::string_view> to = req.query_param("to");
    if (!to) return bad_param("to", "is required");
    QWL_ASSIGN_OR_RETURN(services::Waypoint a, waypoint_from_text(*from, "from"));
    QWL_ASSIGN_OR_RETURN(services::Waypoint b, waypoint_from_text(*to, "to"));
    QWL_ASSIGN_OR_RETURN(services::TravelMode mode, travel_mode(req.query_param("mode")));
    return route(caller, a, b, mode);
  }

  // POST /api/v1/routes {"from", "to", "mode"?}
  Result<http::Response> route_post(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(req, {}));
    QWL_ASSIGN_OR_RETURN(json body, parse_json_body(req));
    for (auto it = body.begin(); it != body.end(); ++it) {
      if (it.key() != "from" && it.key() != "to" && it.key() != "mode")
        return bad_param(shown(it.key()), "unknown field (accepted: from, to, mode)");
    }
    QWL_ASSIGN_OR_RETURN(services::Waypoint a, waypoint_from_json(body, "from"));
    QWL_ASSIGN_OR_RETURN(services::Waypoint b, waypoint_from_json(body, "to"));
    QWL_ASSIGN_OR_RETURN(std::optional<std::string> mode_text, optional_string(body, "mode"));
    QWL_ASSIGN_OR_RETURN(
        services::TravelMode mode,
        travel_mode(mode_text ? std::optional<std::string_view>(*mode_text) : std::nullopt));
    return route(caller, a, b, mode);
  }

  // GET /api/v1/maps/roads?bbox=south,west,north,east[&limit=]
  // The roads of a box, to draw the city under a route or places: segments as
  // [lat_a, lon_a, lat_b, lon_b, class] with the class an index into "classes".
  Result<http::Response> roads(http::Request& req, const Caller& /*roads are public*/) const {
    QWL_RETURN_IF_ERROR(check_query(req, {"bbox", "limit"}));
    const std::optional<std::string_view> text = req.query_param("bbox");
    if (!text) return bad_param("bbox", "is required: south,west,north,east in degrees");
    std::array<double, 4> v{};
    std::string_view rest = *text;
    for (size_t i = 0; i < v.size(); ++i) {
      const size_t comma = rest.find(',');
      const std::string_view part = rest.substr(0, comma);
      const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v[i]);
      if (part.empty() || ec != std::errc() || end != part.data() + part.size() ||
          !std::isfinite(v[i]) || (comma == std::string_view::npos) != (i + 1 == v.size())) {
        return bad_param("bbox", "'{}' is not south,west,north,east (four numbers)", shown(*text));
      }
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    const auto [south, west, north, east] = v;
    if (south < -90 || north > 90 || south > north)
      return bad_param("bbox", "latitudes must satisfy -90 <= south <= north <= 90");
    if (west < -180 || east > 180 || west > east)
      return bad_param("bbox", "longitudes must satisfy -180 <= west <= east <= 180");
    if (north - south > kMaxRoadBoxDeg || east - west > kMaxRoadBoxDeg)
      return bad_param("bbox", "is larger than {} degrees on a side", kMaxRoadBoxDeg);
    QWL_ASSIGN_OR_RETURN(int64_t limit,
                         query_int(req, "limit", kDefaultRoadSegments, 1, kMaxRoadSegments));
    const services::RoadSegments found =
        maps_.graph()->segments_in(south, west, north, east, static_cast<size_t>(limit));
    // Six decimals: about 0.1 m, finer than the map is drawn.
    const auto deg = [](double x) { return std::round(x * 1e6) / 1e6; };
    json segments = json::array();
    for (const services::RoadSegment& r : found.segments) {
      segments.push_back(json::array({deg(r.a.lat), deg(r.a.lon), deg(r.b.lat), deg(r.b.lon),
                                      static_cast<int>(r.road_class)}));
    }
    json classes = json::array();
    for (services::RoadClass c : {services::RoadClass::kMotorway, services::RoadClass::kPrimary,
                                  services::RoadClass::kSecondary,
                                  services::RoadClass::kResidential, services::RoadClass::kPath}) {
      classes.push_back(services::road_class_name(c));
    }
    return json_response(json{{"object", "road_map"},
                              {"bbox", json::array({south, west, north, east})},
                              {"classes", std::move(classes)},
                              {"segments", std::move(segments)},
                              {"truncated", found.truncated}});
  }

  // GET /api/v1/merchants/{id}/delivery-eta?address_id= (or ?lat=&lon=)
  Result<http::Response> delivery_eta(http::Request& req, const Caller& caller) const {
    QWL_RETURN_IF_ERROR(check_query(req, {"address_id", "lat", "lon"}));
    QWL_ASSIGN_OR_RETURN(int64_t merchant_id, path_id(req, "id"));
    QWL_ASSIGN_OR_RETURN(auto at, query_lat_lon(req, /*required=*/false));
    const bool has_address = req.query_param("address_id").has_value();
    if (has_address == at.has_value())
      return bad_param("address_id", "give address_id or lat and lon (one of them)");
    services::Waypoint to;
    std::string_view to_param = "lat";
    if (has_address) {
      QWL_ASSIGN_OR_RETURN(int64_t address_id,
                           query_int(req, "address_id", 0, 1, std::numeric_limits<int64_t>::max()));
      to = services::Waypoint::address(address_id);
      to_param = "address_id";
    } else {
      to = services::Waypoint::at({at->first, at->second});
    }
    json out;
    QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(Rows rows,
                           tx.query("SELECT m.delivery_fee, m.delivery_radius_m, p.lat, p.lon "
                                    "FROM merchants m LEFT JOIN pois p ON p.id = m.poi_id "
                                    "WHERE m.id = ?",
                                    {merchant_id}));
      if (rows.empty()) return NotFoundError("merchant {} not found", merchant_id);
      Result<services::DeliveryEta> eta = maps_.delivery_eta(tx, caller.actor, merchant_id, to);
      if (!eta.ok()) return renamed(eta.status(), "to", to_param);
      // The service resolved the destination already; resolving again only reads its
      // coordinate (an address row, or nothing) for the straight-line radius check.
      Result<services::ResolvedWaypoint> dest = maps_.resolve(tx, caller.actor, to);
      if (!dest.ok()) return dest.status().with_context(to_param);
      const Row& r = rows[0];
      const services::LatLon shop{real_of(r[2]), real_of(r[3])};
      const double straight_m = services::haversine_m(shop, dest->location);
      out = json{{"object", "delivery_eta"},
                 {"merchant_id", merchant_id},
                 {"address_id", to.address_id > 0 ? json(to.address_id) : json()},
                 {"destination", location_json(dest->location)},
                 {"prep_s", eta->prep_s},
                 {"travel_s", eta->travel_s},
                 {"duration_s", eta->prep_s + eta->travel_s},
                 {"distance_m", eta->distance_m},
                 {"eta_at", to_seconds(eta->eta_at_us)},
                 {"estimated", eta->estimated},
                 {"delivery_fee", r.int64(0)},
                 {"currency", kCurrency},
                 {"delivery_radius_m", r.int64(1)},
                 {"within_delivery_radius", straight_m <= static_cast<double>(r.int64(1))}};
      return Status::Ok();
    }));
    return json_response(out);
  }

 private:
  // A waypoint made concrete, with its label: a text is geocoded here once (the best match, as
  // Maps::resolve() takes it) and becomes that address or place, so that route() resolves it
  // by id without geocoding again and the answer can say which one the text meant.
  struct Concrete {
    services::Waypoint waypoint;
    services::ResolvedWaypoint resolved;
  };
  Result<Concrete> concrete(Tx& tx, const Caller& caller, services::Waypoint w,
                            std::string_view param) const {
    if (!w.query.empty()) {
      QWL_ASSIGN_OR_RETURN(
          std::vector<services::GeocodeMatch> matches,
          maps_.geocode(tx, caller.actor, services::GeocodeQuery{.text = w.query, .limit = 1}));
      if (matches.empty())
        return NotFoundError("{}: no saved address or place matches '{}'", param, shown(w.query));
      const services::GeocodeMatch& m = matches.front();
      w = m.source == services::GeocodeSource::kSavedAddress ? services::Waypoint::address(m.id)
                                                             : services::Waypoint::poi(m.id);
    }
    Result<services::ResolvedWaypoint> resolved = maps_.resolve(tx, caller.actor, w);
    if (!resolved.ok()) return resolved.status().with_context(param);
    return Concrete{.waypoint = std::move(w), .resolved = std::move(resolved).value()};
  }

  Result<http::Response> route(const Caller& caller, const services::Waypoint& from,
                               const services::Waypoint& to, services::TravelMode mode) const {
    const int64_t now_us = clock_.wall_us();
    json out;
    QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(Concrete a, concrete(tx, caller, from, "from"));
      QWL_ASSIGN_OR_RETURN(Concrete b, concrete(tx, caller, to, "to"));
      QWL_ASSIGN_OR_RETURN(services::Route r,
                           maps_.route(tx, caller.actor, a.waypoint, b.waypoint, mode));
      out = route_json(r, waypoint_json(a.waypoint, a.resolved),
                       waypoint_json(b.waypoint, b.resolved), now_us);
      return Status::Ok();
    }));
    return json_response(out);
  }

  Db& db_;
  const Clock& clock_;
  const services::Maps& maps_;
};

}  // namespace

Status add_map_routes(AppApi& api, Db& db, const Clock& clock, const services::Maps& maps) {
  using http::Method;
  using Member = Result<http::Response> (MapRoutes::*)(http::Request&, const Caller&) const;
  struct Entry {
    Method method;
    std::string_view pattern;
    Member member;
  };
  static constexpr Entry kRoutes[] = {
      {Method::kGet, "/api/v1/places/nearby", &MapRoutes::nearby},
      {Method::kGet, "/api/v1/places/{id}", &MapRoutes::place},
      {Method::kGet, "/api/v1/geocode", &MapRoutes::geocode},
      {Method::kGet, "/api/v1/routes", &MapRoutes::route_get},
      {Method::kGet, "/api/v1/maps/roads", &MapRoutes::roads},
      {Method::kPost, "/api/v1/routes", &MapRoutes::route_post},
      {Method::kGet, "/api/v1/merchants/{id}/delivery-eta", &MapRoutes::delivery_eta},
  };
  // Shared by every handler: the handlers are copied into the server's route table.
  auto routes = std::make_shared<const MapRoutes>(db, clock, maps);
  for (const Entry& e : kRoutes) {
    QWL_RETURN_IF_ERROR(api.add_route(
        e.method, e.pattern,
        [routes, member = e.member](http::Request& req, const Caller& caller)
            -> Result<http::Response> { return with_param(((*routes).*member)(req, caller)); },
        AppRouteOptions{.max_body_bytes = kMaxRouteBodyBytes}));
  }
  return Status::Ok();
}

}  // namespace qwl::app
