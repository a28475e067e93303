// The maps routes over real HTTP on 127.0.0.1, with a real AppApi, server, maps service and
// search index, on SQLite and PostgreSQL databases seeded with the demo city (services/seed.h)
// at its "now" (Monday 10:30 in the city): places nearby (radius, kinds in both languages, open
// now, limits), one place, geocoding of saved labels in both languages and of place names
// (another user's saved place never shown), routes from and to coordinates, places and saved
// labels by GET and POST for each mode, a merchant's delivery ETA, authentication (401 without
// a key), and bad input named by its parameter.
#include "server/api_maps.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "server/api_catalog.h"
#include "server/http_server.h"
#include "services/geo.h"
#include "services/identity.h"
#include "services/maps.h"
#include "services/search.h"
#include "services/seed.h"
#include "services/services_testing.h"

namespace qwl::app {
namespace {

using nlohmann::json;

// The seeded city's fixed ids (seed.h, seed_internal.h).
constexpr int64_t kAlice = 1;
constexpr int64_t kWang = 2;
constexpr int64_t kAliceHome = 1;    // address ids
constexpr int64_t kAliceOffice = 2;  // at Lakeside Tower, by Luna Café
constexpr int64_t kWangHome = 3;
constexpr int64_t kWangOffice = 4;
constexpr int64_t kLunaCafe = 1;  // merchant 1 at place 1
// Monday 2026-01-05, 10:30 in the city.
constexpr int64_t kNowUs = services::kSeedEpochUs + (10 * 60 + 30) * 60'000'000LL;
constexpr int64_t kNowS = kNowUs / 1'000'000;

struct Reply {
  int status = 0;
  std::string body;

  json json_body() const { return json::parse(body, nullptr, false); }
  std::string error_field(const std::string& name) const {
    const json j = json_body();
    if (!j.is_object() || !j.contains("error") || !j["error"][name].is_string()) return "";
    return j["error"][name].get<std::string>();
  }
};

// One request on its own connection (Connection: close), read to the end.
Reply http_request(uint16_t port, std::string_view method, std::string_view target,
                   std::string_view body, const std::string& key) {
  Reply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return reply;
  }
  std::string out = fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n",
                                method, target, port);
  if (!key.empty()) out += fmt::format("Authorization: Bearer {}\r\n", key);
  if (method == "POST")
    out += fmt::format("Content-Type: application/json\r\nContent-Length: {}\r\n", body.size());
  out += "\r\n";
  out += body;
  for (std::string_view rest = out; !rest.empty();) {
    const ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    rest.remove_prefix(static_cast<size_t>(n));
  }
  std::string in;
  char buf[16384];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;)
    in.append(buf, static_cast<size_t>(n));
  ::close(fd);
  const size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos || in.size() < 12) return reply;
  reply.status = std::atoi(in.substr(9, 3).c_str());
  reply.body = in.substr(head_end + 4);
  return reply;
}

// Percent-encodes a query value (UTF-8 bytes included).
std::string url(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

struct Client {
  uint16_t port = 0;
  std::string key;
  Reply get(std::string_view target) const { return http_request(port, "GET", target, "", key); }
  Reply post(std::string_view target, const json& body) const {
    return http_request(port, "POST", target, body.dump(), key);
  }
  Reply post_raw(std::string_view target, std::string_view body) const {
    return http_request(port, "POST", target, body, key);
  }
};

// The seeded city behind a running server, one per database kind, shared by every test of the
// suite (they only read).
struct World {
  ManualClock clock{kNowUs};
  services::SeededRandom random{13};
  std::unique_ptr<Db> db;
  std::unique_ptr<services::Identity> identity;
  std::unique_ptr<services::SearchIndex> index;
  std::unique_ptr<services::Maps> maps;
  std::unique_ptr<AppApi> api;
  std::unique_ptr<http::Server> server;

  ~World() {
    if (server) server->stop(std::chrono::milliseconds(0));
  }
  Status start(DbKind kind, std::string_view operator_key) {
    QWL_ASSIGN_OR_RETURN(db, services::testing::fresh_db(kind, DbOptions{.pool_size = 4}));
    QWL_RETURN_IF_ERROR(services::seed_ecosystem(*db, services::SeedOptions{}, clock).status());
    identity = std::make_unique<services::Identity>(
        *db, clock, random, services::IdentityOptions{.password_iterations = 100});
    QWL_ASSIGN_OR_RETURN(index, services::SearchIndex::build(*db, clock));
    QWL_ASSIGN_OR_RETURN(maps, services::Maps::load(*db, clock));
    api = std::make_unique<AppApi>(*identity);
    QWL_RETURN_IF_ERROR(api->set_operator_key(operator_key));
    QWL_RETURN_IF_ERROR(add_catalog_routes(*api, *db, clock, *index));
    QWL_RETURN_IF_ERROR(add_map_routes(*api, *db, clock, *maps));
    server = std::make_unique<http::Server>(http::ServerOptions{.port = 0});
    QWL_RETURN_IF_ERROR(api->register_routes(*server));
    return server->start();
  }
};

std::map<DbKind, std::unique_ptr<World>>& worlds() {
  static auto* w = new std::map<DbKind, std::unique_ptr<World>>();
  return *w;
}

class ApiMapsTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    std::unique_ptr<World>& w = worlds()[GetParam()];
    if (!w) {
      auto fresh = std::make_unique<World>();
      const Status started = fresh->start(GetParam(), kOperatorKey);
      ASSERT_TRUE(started.ok()) << started.to_string();
      w = std::move(fresh);
    }
    world_ = w.get();
    db_ = world_->db.get();
    alice_ = key_for(kAlice);
    wang_ = key_for(kWang);
  }
  static void TearDownTestSuite() { worlds().clear(); }

  std::string key_for(int64_t user_id) {
    auto key =
        world_->identity->create_api_key(services::Actor::system(), user_id, {.name = "test"});
    EXPECT_TRUE(key.ok()) << key.status().to_string();
    return key.ok() ? key->key : "";
  }
  Client as(const std::string& key) const {
    return Client{.port = world_->server->port(), .key = key};
  }
  Client alice() const { return as(alice_); }
  Client wang() const { return as(wang_); }

  static json ok_json(const Reply& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json_body();
  }
  // An error with this status and param.
  static void expect_error(const Reply& r, int status, std::string_view param,
                           std::string_view what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.body;
    EXPECT_EQ(r.error_field("param"), param) << what << ": " << r.body;
    if (!param.empty()) {
      EXPECT_TRUE(r.error_field("message").starts_with(std::string(param)))
          << what << ": " << r.error_field("message");
    }
  }
  static void expect_bad(const Reply& r, std::string_view param, std::string_view what) {
    expect_error(r, 400, param, what);
    EXPECT_EQ(r.error_field("code"), "invalid_argument") << what;
  }
  // A place's coordinate, from its page.
  services::LatLon place_at(int64_t place_id) const {
    const json p = ok_json(alice().get(fmt::format("/api/v1/places/{}", place_id)));
    return {p["location"]["lat"].get<double>(), p["location"]["lon"].get<double>()};
  }

  static constexpr std::string_view kOperatorKey = "operator-key-0123456789";
  World* world_ = nullptr;
  Db* db_ = nullptr;
  std::string alice_, wang_;
};

TEST_P(ApiMapsTest, EveryRouteNeedsAKey) {
  for (const std::string target :
       {"/api/v1/places/nearby?lat=30.25&lon=120.16", "/api/v1/places/1", "/api/v1/geocode?q=home",
        "/api/v1/routes?from=home&to=place:1", "/api/v1/merchants/1/delivery-eta?address_id=1",
        "/api/v1/maps/roads?bbox=30.2,120.1,30.3,120.2"}) {
    Reply none = as("").get(target);
    EXPECT_EQ(none.status, 401) << target << ": " << none.body;
    EXPECT_EQ(none.error_field("code"), "unauthenticated");
  }
  EXPECT_EQ(as("").post("/api/v1/routes", json{{"from", "home"}, {"to", "place:1"}}).status, 401);
}

// ---- the road map --------------------------------------------------------------------------

// The roads around Luna Café: the segments the route from home uses are among them, each with
// a known class; a small limit keeps the larger roads and says it truncated.
TEST_P(ApiMapsTest, RoadMapAroundAPlaceHoldsTheRoutesRoads) {
  const services::LatLon luna = place_at(1);
  const double d = 0.02;
  const std::string bbox =
      fmt::format("{},{},{},{}", luna.lat - d, luna.lon - d, luna.lat + d, luna.lon + d);
  json j = ok_json(alice().get("/api/v1/maps/roads?bbox=" + bbox));
  EXPECT_EQ(j["object"], "road_map");
  EXPECT_EQ(j["classes"], json::array({"motorway", "primary", "secondary", "residential", "path"}));
  EXPECT_FALSE(j["truncated"].get<bool>());
  ASSERT_GT(j["segments"].size(), 50u) << "the demo city has streets around its cafés";
  int last_class = 0;
  for (const json& s : j["segments"]) {
    ASSERT_EQ(s.size(), 5u);
    const bool a_in = s[0].get<double>() >= luna.lat - d && s[0].get<double>() <= luna.lat + d &&
                      s[1].get<double>() >= luna.lon - d && s[1].get<double>() <= luna.lon + d;
    const bool b_in = s[2].get<double>() >= luna.lat - d && s[2].get<double>() <= luna.lat + d &&
                      s[3].get<double>() >= luna.lon - d && s[3].get<double>() <= luna.lon + d;
    EXPECT_TRUE(a_in || b_in) << s.dump();
    EXPECT_GE(s[4].get<int>(), last_class) << "larger roads first";
    last_class = s[4].get<int>();
  }
  // Every node of a cycling route near the café lies on some segment's end.
  json route = ok_json(alice().get("/api/v1/routes?from=home&to=place:1&mode=cycling"));
  std::set<std::pair<double, double>> ends;
  for (const json& s : j["segments"]) {
    ends.insert({s[0].get<double>(), s[1].get<double>()});
    ends.insert({s[2].get<double>(), s[3].get<double>()});
  }
  const auto points = services::decode_polyline(route["polyline"].get<std::string>());
  ASSERT_TRUE(points.ok());
  int on_map = 0;
  for (const services::LatLon& p : *points) {
    for (const auto& [lat, lon] : ends) {
      if (std::abs(lat - p.lat) < 2e-5 && std::abs(lon - p.lon) < 2e-5) {
        ++on_map;
        break;
      }
    }
  }
  EXPECT_GE(on_map, static_cast<int>(points->size()) - 2) << "all but the two access points";

  json few = ok_json(alice().get("/api/v1/maps/roads?limit=5&bbox=" + bbox));
  EXPECT_TRUE(few["truncated"].get<bool>());
  ASSERT_EQ(few["segments"].size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(few["segments"][i][4], j["segments"][i][4]);
}

TEST_P(ApiMapsTest, RoadMapRefusesBadBoxes) {
  const Client c = alice();
  expect_bad(c.get("/api/v1/maps/roads"), "bbox", "no box");
  expect_bad(c.get("/api/v1/maps/roads?bbox=30.2,120.1,30.3"), "bbox", "three numbers");
  expect_bad(c.get("/api/v1/maps/roads?bbox=30.2,120.1,30.3,120.2,1"), "bbox", "five numbers");
  expect_bad(c.get("/api/v1/maps/roads?bbox=30.2,abc,30.3,120.2"), "bbox", "not a number");
  expect_bad(c.get("/api/v1/maps/roads?bbox=30.3,120.1,30.2,120.2"), "bbox", "south above north");
  expect_bad(c.get("/api/v1/maps/roads?bbox=30.2,120.2,30.3,120.1"), "bbox", "west east of east");
  expect_bad(c.get("/api/v1/maps/roads?bbox=-91,120.1,30.3,120.2"), "bbox", "latitude range");
  expect_bad(c.get("/api/v1/maps/roads?bbox=30,120,31,121"), "bbox", "a box too large");
  expect_bad(c.get("/api/v1/maps/roads?bbox=30.2,120.1,30.3,120.2&limit=0"), "limit", "limit 0");
  expect_bad(c.get("/api/v1/maps/roads?bbox=30.2,120.1,30.3,120.2&zoom=3"), "zoom",
             "unknown parameter");
  json empty = ok_json(c.get("/api/v1/maps/roads?bbox=0,0,0.1,0.1"));
  EXPECT_TRUE(empty["segments"].empty());
}

// ---- places --------------------------------------------------------------------------------

TEST_P(ApiMapsTest, NearbyCafesNearestFirstWithTheirMerchant) {
  const services::LatLon luna = place_at(1);
  json j = ok_json(alice().get(
      fmt::format("/api/v1/places/nearby?lat={}&lon={}&radius=600&kind=cafe", luna.lat, luna.lon)));
  EXPECT_EQ(j["object"], "list");
  ASSERT_FALSE(j["data"].empty());
  EXPECT_EQ(j["data"][0]["id"], 1);
  EXPECT_EQ(j["data"][0]["name_en"], "Luna Café");
  EXPECT_EQ(j["data"][0]["name_zh"], "露娜咖啡");
  EXPECT_EQ(j["data"][0]["merchant_id"], kLunaCafe);
  EXPECT_EQ(j["data"][0]["distance_m"], 0);
  EXPECT_DOUBLE_EQ(j["data"][0]["rating"].get<double>(), 4.7);
  int64_t last = 0;
  bool manner = false;
  for (const json& p : j["data"]) {
    EXPECT_EQ(p["object"], "place");
    EXPECT_EQ(p["kind"], "cafe");
    const int64_t d = p["distance_m"].get<int64_t>();
    EXPECT_GE(d, last);
    EXPECT_LE(d, 600);
    last = d;
    manner = manner || p["name_en"] == "Manner Coffee";
  }
  EXPECT_TRUE(manner) << j.dump();

  // Kinds in Chinese and several at once; the limit and has_more.
  json zh = ok_json(alice().get(fmt::format(
      "/api/v1/places/nearby?lat={}&lon={}&radius=600&kind={}", luna.lat, luna.lon, url("咖啡"))));
  EXPECT_EQ(zh["data"], j["data"]);
  json two = ok_json(alice().get(
      fmt::format("/api/v1/places/nearby?lat={}&lon={}&radius=2000&kind=cafe,tea&limit=3", luna.lat,
                  luna.lon)));
  ASSERT_EQ(two["data"].size(), 3u);
  EXPECT_TRUE(two["has_more"].get<bool>());
  for (const json& p : two["data"]) EXPECT_TRUE(p["kind"] == "cafe" || p["kind"] == "tea");
}

TEST_P(ApiMapsTest, NearbyOpenNowAndRating) {
  const services::LatLon luna = place_at(1);
  const std::string base =
      fmt::format("/api/v1/places/nearby?lat={}&lon={}&radius=3000&limit=50", luna.lat, luna.lon);
  json all = ok_json(alice().get(base + "&kind=restaurant"));
  json open = ok_json(alice().get(base + "&kind=restaurant&open_now=true"));
  bool some_closed = false;
  for (const json& p : all["data"]) some_closed = some_closed || !p["open_now"].get<bool>();
  EXPECT_TRUE(some_closed) << "split lunch hours start at 11:00";
  for (const json& p : open["data"]) EXPECT_EQ(p["open_now"], true) << p.dump();
  EXPECT_LT(open["data"].size(), all["data"].size());
  json rated = ok_json(alice().get(base + "&min_rating=4.5"));
  for (const json& p : rated["data"]) EXPECT_GE(p["rating"].get<double>(), 4.5);
}

TEST_P(ApiMapsTest, NearbyRefusesBadInputNamingTheParameter) {
  const Client c = alice();
  expect_bad(c.get("/api/v1/places/nearby?lat=91&lon=120.16"), "lat", "latitude out of range");
  expect_bad(c.get("/api/v1/places/nearby?lat=abc&lon=120.16"), "lat", "latitude not a number");
  expect_bad(c.get("/api/v1/places/nearby?lon=120.16"), "lat", "no latitude");
  expect_bad(c.get("/api/v1/places/nearby?lat=30.25"), "lon", "no longitude");
  expect_bad(c.get("/api/v1/places/nearby"), "lat", "no point");
  expect_bad(c.get("/api/v1/places/nearby?lat=30.25&lon=120.16&radius=60000"), "radius",
             "radius too big");
  expect_bad(c.get("/api/v1/places/nearby?lat=30.25&lon=120.16&radius=0"), "radius", "radius 0");
  expect_bad(c.get("/api/v1/places/nearby?lat=30.25&lon=120.16&kind=castle"), "kind",
             "unknown kind");
  expect_bad(c.get("/api/v1/places/nearby?lat=30.25&lon=120.16&limit=51"), "limit",
             "limit above the cap");
  expect_bad(c.get("/api/v1/places/nearby?lat=30.25&lon=120.16&sort=rating"), "sort",
             "unknown parameter");
  expect_bad(c.get("/api/v1/places/nearby?lat=30.25&lon=120.16&min_rating=five"), "min_rating",
             "rating not a number");
}

TEST_P(ApiMapsTest, OnePlaceWithHoursAndItsMerchant) {
  json p = ok_json(alice().get("/api/v1/places/1"));
  EXPECT_EQ(p["object"], "place");
  EXPECT_EQ(p["id"], 1);
  EXPECT_EQ(p["kind"], "cafe");
  EXPECT_EQ(p["name_zh"], "露娜咖啡");
  EXPECT_EQ(p["merchant_id"], kLunaCafe);
  EXPECT_EQ(p["open_now"], true);
  ASSERT_EQ(p["opening_hours"].size(), 7u);
  EXPECT_EQ(p["opening_hours"][0]["open"], "07:30");
  EXPECT_FALSE(p["description_zh"].get<std::string>().empty());
  // Lakeside Tower, an office: no merchant.
  EXPECT_TRUE(ok_json(alice().get("/api/v1/places/3"))["merchant_id"].is_null());
  Reply missing = alice().get("/api/v1/places/999999");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.error_field("code"), "not_found");
  expect_bad(alice().get("/api/v1/places/abc"), "id", "bad id");
}

// ---- geocoding -----------------------------------------------------------------------------

TEST_P(ApiMapsTest, GeocodesSavedLabelsInBothLanguagesThenPlaces) {
  json home = ok_json(alice().get("/api/v1/geocode?q=home"));
  ASSERT_FALSE(home["data"].empty());
  EXPECT_EQ(home["data"][0]["object"], "geocode_match");
  EXPECT_EQ(home["data"][0]["source"], "saved_place");
  EXPECT_EQ(home["data"][0]["address_id"], kAliceHome);
  EXPECT_EQ(home["data"][0]["label"], "home");
  json jia = ok_json(alice().get("/api/v1/geocode?q=" + url("我家")));
  ASSERT_FALSE(jia["data"].empty());
  EXPECT_EQ(jia["data"][0]["address_id"], kAliceHome);
  json office = ok_json(alice().get("/api/v1/geocode?q=" + url("公司")));
  ASSERT_FALSE(office["data"].empty());
  EXPECT_EQ(office["data"][0]["address_id"], kAliceOffice);

  json luna = ok_json(alice().get("/api/v1/geocode?q=" + url("露娜")));
  ASSERT_FALSE(luna["data"].empty());
  EXPECT_EQ(luna["data"][0]["source"], "place");
  EXPECT_EQ(luna["data"][0]["place_id"], 1);
  EXPECT_EQ(luna["data"][0]["name_en"], "Luna Café");
  json by_en = ok_json(alice().get("/api/v1/geocode?q=luna&limit=1"));
  ASSERT_EQ(by_en["data"].size(), 1u);
  EXPECT_EQ(by_en["data"][0]["place_id"], 1);

  expect_bad(alice().get("/api/v1/geocode"), "q", "no text");
  expect_bad(alice().get("/api/v1/geocode?q=%20"), "q", "blank text");
  expect_bad(alice().get("/api/v1/geocode?q=home&limit=21"), "limit", "limit above the cap");
  expect_bad(alice().get("/api/v1/geocode?q=home&near=home"), "near", "unknown parameter");
}

TEST_P(ApiMapsTest, AnotherUsersSavedPlaceIsNeverShown) {
  for (const std::string q : {"home", "office", "公司", "家", "default", "Alice"}) {
    json j = ok_json(wang().get("/api/v1/geocode?limit=20&q=" + url(q)));
    for (const json& m : j["data"]) {
      if (m["source"] != "saved_place") continue;
      const int64_t id = m["address_id"].get<int64_t>();
      EXPECT_TRUE(id == kWangHome || id == kWangOffice) << q << ": " << m.dump();
    }
  }
  json wang_home = ok_json(wang().get("/api/v1/geocode?q=home"));
  ASSERT_FALSE(wang_home["data"].empty());
  EXPECT_EQ(wang_home["data"][0]["address_id"], kWangHome);
  // The operator key acts as the system (user 0), which has no saved places.
  json system = ok_json(as(std::string(kOperatorKey)).get("/api/v1/geocode?q=home&limit=20"));
  for (const json& m : system["data"]) EXPECT_EQ(m["source"], "place") << m.dump();
  // Nor may a route or an ETA use it: exactly like a missing address.
  Reply route = wang().get(fmt::format("/api/v1/routes?from=address:{}&to=place:1", kAliceHome));
  expect_error(route, 404, "from", "another user's address in a route");
  Reply missing = wang().get("/api/v1/routes?from=address:999999&to=place:1");
  expect_error(missing, 404, "from", "a missing address");
  EXPECT_EQ(route.error_field("message"), fmt::format("from: address {} not found", kAliceHome));
  EXPECT_EQ(missing.error_field("message"), "from: address 999999 not found");
  Reply eta =
      wang().get(fmt::format("/api/v1/merchants/1/delivery-eta?address_id={}", kAliceOffice));
  expect_error(eta, 404, "address_id", "another user's address in an ETA");
}

// ---- routes --------------------------------------------------------------------------------

TEST_P(ApiMapsTest, RoutesFromASavedLabelToAPlaceInEachMode) {
  const services::LatLon luna = place_at(1);
  int64_t walking_s = 0;
  for (const std::string mode : {"walking", "cycling", "driving"}) {
    json r = ok_json(alice().get("/api/v1/routes?from=home&to=place:1&mode=" + mode));
    EXPECT_EQ(r["object"], "route");
    EXPECT_EQ(r["mode"], mode);
    const int64_t distance = r["distance_m"].get<int64_t>();
    const int64_t duration = r["duration_s"].get<int64_t>();
    EXPECT_GT(distance, 1000) << r.dump();  // home and Luna Café are about 2 km apart
    EXPECT_GT(duration, 0);
    EXPECT_EQ(r["eta_at"], kNowS + duration);
    EXPECT_EQ(r["from"]["label"], "home");
    EXPECT_EQ(r["from"]["address_id"], kAliceHome);  // the saved place the label named
    EXPECT_EQ(r["to"]["place_id"], 1);
    EXPECT_DOUBLE_EQ(r["to"]["location"]["lat"].get<double>(), luna.lat);
    ASSERT_FALSE(r["steps"].empty());
    EXPECT_EQ(r["steps"][0]["turn"], "depart");
    int64_t step_sum = 0;
    for (const json& s : r["steps"]) step_sum += s["distance_m"].get<int64_t>();
    EXPECT_NEAR(static_cast<double>(step_sum), static_cast<double>(distance),
                2.0 * r["steps"].size());
    // The polyline runs from the start to the end coordinate.
    auto points = services::decode_polyline(r["polyline"].get<std::string>());
    ASSERT_TRUE(points.ok()) << points.status().to_string();
    ASSERT_GE(points->size(), 2u);
    EXPECT_NEAR(points->back().lat, luna.lat, 1e-5);
    EXPECT_NEAR(points->back().lon, luna.lon, 1e-5);
    if (mode == "walking") walking_s = duration;
    if (mode == "cycling") {
      EXPECT_LT(duration, walking_s);
    }
  }
  // Chinese labels and names; the same ends given as ids give the same route.
  json zh = ok_json(alice().get("/api/v1/routes?mode=" + url("步行") + "&from=" + url("我家") +
                                "&to=" + url("露娜咖啡")));
  json ids =
      ok_json(alice().get(fmt::format("/api/v1/routes?from=address:{}&to=place:1", kAliceHome)));
  EXPECT_EQ(zh["distance_m"], ids["distance_m"]);
  EXPECT_EQ(zh["polyline"], ids["polyline"]);
  EXPECT_EQ(ids["from"]["address_id"], kAliceHome);
}

TEST_P(ApiMapsTest, PostRoutesTakeObjectsOrTexts) {
  const services::LatLon luna = place_at(1);
  json body = {{"from", {{"address_id", kAliceOffice}}},
               {"to", {{"lat", luna.lat}, {"lon", luna.lon}}},
               {"mode", "cycling"}};
  json r = ok_json(alice().post("/api/v1/routes", body));
  EXPECT_EQ(r["mode"], "cycling");
  EXPECT_EQ(r["from"]["address_id"], kAliceOffice);
  EXPECT_TRUE(r["to"]["place_id"].is_null());
  EXPECT_LT(r["distance_m"].get<int64_t>(), 1500);  // the office is by the café
  json texts =
      ok_json(alice().post("/api/v1/routes", json{{"from", "公司"},
                                                  {"to", fmt::format("{},{}", luna.lat, luna.lon)},
                                                  {"mode", "cycling"}}));
  EXPECT_EQ(texts["distance_m"], r["distance_m"]);
  json query = ok_json(
      alice().post("/api/v1/routes", json{{"from", {{"query", "office"}}}, {"to", "place:1"}}));
  EXPECT_EQ(query["mode"], "walking");  // the default

  const Client c = alice();
  expect_bad(c.post("/api/v1/routes", json{{"from", "home"}, {"to", "place:1"}, {"via", "x"}}),
             "via", "unknown field");
  expect_bad(c.post("/api/v1/routes", json{{"from", {{"lat", 95}, {"lon", 120}}}, {"to", "home"}}),
             "from.lat", "latitude out of range");
  expect_bad(c.post("/api/v1/routes", json{{"from", {{"lat", 30.2}}}, {"to", "home"}}), "from.lon",
             "latitude without longitude");
  expect_bad(c.post("/api/v1/routes",
                    json{{"from", {{"place_id", 1}, {"query", "home"}}}, {"to", "home"}}),
             "from", "two kinds of waypoint");
  expect_bad(c.post("/api/v1/routes", json{{"from", {{"street", "x"}}}, {"to", "home"}}),
             "from.street", "unknown waypoint field");
  expect_bad(c.post("/api/v1/routes", json{{"from", 42}, {"to", "home"}}), "from",
             "a number as a waypoint");
  expect_bad(c.post("/api/v1/routes", json{{"from", "home"}}), "to", "no destination");
  expect_bad(c.post("/api/v1/routes", json{{"from", "home"}, {"to", "place:1"}, {"mode", "fly"}}),
             "mode", "unknown mode");
  Reply not_json = c.post_raw("/api/v1/routes", "{from: home}");
  EXPECT_EQ(not_json.status, 400) << not_json.body;
}

TEST_P(ApiMapsTest, GetRoutesRefuseBadInputNamingTheParameter) {
  const Client c = alice();
  expect_bad(c.get("/api/v1/routes?to=place:1"), "from", "no start");
  expect_bad(c.get("/api/v1/routes?from=home"), "to", "no destination");
  expect_bad(c.get("/api/v1/routes?from=91,120&to=place:1"), "from", "latitude out of range");
  expect_bad(c.get("/api/v1/routes?from=home&to=place:abc"), "to", "a bad place id");
  expect_bad(c.get("/api/v1/routes?from=home&to=place:1&mode=teleport"), "mode", "unknown mode");
  expect_bad(c.get("/api/v1/routes?from=home&to=place:1&avoid=tolls"), "avoid",
             "unknown parameter");
  expect_error(c.get("/api/v1/routes?from=home&to=" + url("Atlantis Beach Club")), 404, "to",
               "a name that matches nothing");
  expect_error(c.get("/api/v1/routes?from=home&to=place:999999"), 404, "to", "a missing place");
}

// ---- delivery ETA --------------------------------------------------------------------------

TEST_P(ApiMapsTest, DeliveryEtaIsPreparationPlusTheRide) {
  const json merchant = ok_json(alice().get("/api/v1/merchants/1"));
  json eta = ok_json(
      alice().get(fmt::format("/api/v1/merchants/1/delivery-eta?address_id={}", kAliceOffice)));
  EXPECT_EQ(eta["object"], "delivery_eta");
  EXPECT_EQ(eta["merchant_id"], kLunaCafe);
  EXPECT_EQ(eta["address_id"], kAliceOffice);
  EXPECT_EQ(eta["prep_s"], merchant["prep_minutes"].get<int64_t>() * 60);
  const int64_t travel = eta["travel_s"].get<int64_t>();
  EXPECT_GT(travel, 0);
  EXPECT_EQ(eta["duration_s"], eta["prep_s"].get<int64_t>() + travel);
  EXPECT_EQ(eta["eta_at"], kNowS + eta["duration_s"].get<int64_t>());
  EXPECT_EQ(eta["within_delivery_radius"], true);
  EXPECT_EQ(eta["delivery_fee"], merchant["delivery_fee"]);
  EXPECT_EQ(eta["currency"], "CNY");
  // The same destination as a coordinate.
  const json office = ok_json(alice().get("/api/v1/geocode?q=office"))["data"][0];
  json at = ok_json(alice().get(fmt::format("/api/v1/merchants/1/delivery-eta?lat={}&lon={}",
                                            office["location"]["lat"].get<double>(),
                                            office["location"]["lon"].get<double>())));
  EXPECT_EQ(at["travel_s"], eta["travel_s"]);
  EXPECT_TRUE(at["address_id"].is_null());
  // Home is farther: a longer ride.
  json home = ok_json(
      alice().get(fmt::format("/api/v1/merchants/1/delivery-eta?address_id={}", kAliceHome)));
  EXPECT_GT(home["travel_s"].get<int64_t>(), travel);

  expect_bad(alice().get("/api/v1/merchants/1/delivery-eta"), "address_id", "no destination");
  expect_bad(alice().get("/api/v1/merchants/1/delivery-eta?address_id=1&lat=30.2&lon=120.1"),
             "address_id", "two destinations");
  expect_bad(alice().get("/api/v1/merchants/1/delivery-eta?address_id=x"), "address_id",
             "a bad address id");
  expect_bad(alice().get("/api/v1/merchants/1/delivery-eta?lat=30.2&lon=200"), "lon",
             "longitude out of range");
  EXPECT_EQ(alice().get("/api/v1/merchants/999999/delivery-eta?address_id=1").status, 404);
  // An online shop has no place to ride from.
  int64_t online = 0;
  ASSERT_TRUE(db_->read([&](Tx& tx) -> Status {
                   QWL_ASSIGN_OR_RETURN(online, tx.query_int64("SELECT MIN(id) FROM merchants "
                                                               "WHERE poi_id IS NULL"));
                   return Status::Ok();
                 })
                  .ok());
  Reply shop = alice().get(fmt::format("/api/v1/merchants/{}/delivery-eta?address_id=1", online));
  EXPECT_EQ(shop.status, 409) << shop.body;
  EXPECT_EQ(shop.error_field("code"), "failed_precondition");
}

INSTANTIATE_TEST_SUITE_P(Db, ApiMapsTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return services::testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::app
