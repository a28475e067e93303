// The maps service on both databases: nearby search (radius, kinds, cuisine, rating, open now
// past midnight, ties, limits), opening hours against city_time's is_open(), geocoding of saved
// places in both languages (and another user's never), places by name, routes between
// waypoints, delivery ETAs on a ManualClock, ride quotes and refresh under concurrent queries.
#include "services/maps.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "services/city_time.h"
#include "services/maps_adapters.h"
#include "services/services_testing.h"

namespace qwl::services {
namespace {

// A Monday in the city (2026-11-23), as local day number.
const int64_t kMonday = local_time(1'795'386'600'000'000).day;
const LatLon kCenter{30.25, 120.16};

std::vector<int64_t> ids_of(const std::vector<Place>& places) {
  std::vector<int64_t> ids;
  for (const Place& p : places) ids.push_back(p.id);
  return ids;
}

// The city of these tests:
//  - places around kCenter (ids 1-8), no road near them closer than the grid;
//  - a 3 x 3 grid of residential streets (nodes 101-109, 400 m edges) about 1.3 km north-east:
//    row r at lat 30.26 + 0.002 r, column c at lon 120.17 + 0.002 c, node 101 + 3 r + c;
//  - an island road (nodes 120, 121) far to the east;
//  - a merchant (supermarket, prep 12 min) at node 101; alice's home at node 103, her office
//    (label 公司) at node 109; bob's home at node 105.
class MapsTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam());
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto alice = testing::add_user(*db_, "alice@example.com");
    auto bob = testing::add_user(*db_, "bob@example.com");
    ASSERT_TRUE(alice.ok() && bob.ok());
    alice_ = *alice;
    bob_ = *bob;
    Status s = db_->transact([&](Tx& tx) -> Status {
      for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 3; ++c) {
          QWL_RETURN_IF_ERROR(tx.exec("INSERT INTO road_nodes (id, lat, lon) VALUES (?, ?, ?)",
                                      {101 + 3 * r + c, 30.26 + 0.002 * r, 120.17 + 0.002 * c})
                                  .status());
        }
      }
      int64_t edge = 1;
      auto road = [&](int64_t a, int64_t b, std::string en, std::string zh) {
        return tx
            .exec(
                "INSERT INTO road_edges (id, from_node, to_node, length_m, road_class, "
                "speed_kmh, name_en, name_zh) VALUES (?, ?, ?, 400, 'residential', 30, ?, ?)",
                {edge++, a, b, en, zh})
            .status();
      };
      for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 3; ++c) {
          const int64_t id = 101 + 3 * r + c;
          if (c < 2) {
            QWL_RETURN_IF_ERROR(
                road(id, id + 1, fmt::format("Row {} Street", r), fmt::format("横{}街", r)));
          }
          if (r < 2) {
            QWL_RETURN_IF_ERROR(
                road(id, id + 3, fmt::format("Column {} Avenue", c), fmt::format("纵{}路", c)));
          }
        }
      }
      QWL_RETURN_IF_ERROR(tx.exec_script(
          "INSERT INTO road_nodes (id, lat, lon) VALUES (120, 30.26, 120.40), (121, 30.261, "
          "120.40);"
          "INSERT INTO road_edges (id, from_node, to_node, length_m, road_class, speed_kmh) "
          "VALUES (100, 120, 121, 111, 'residential', 30);"
          "INSERT INTO pois (id, kind, name_en, name_zh, lat, lon) VALUES "
          "(900, 'supermarket', 'Grid Grocer', '方格超市', 30.26, 120.17)"));
      // Explicit place ids throughout: PostgreSQL's identity would not step past them.
      QWL_ASSIGN_OR_RETURN(merchant_,
                           tx.query_int64("INSERT INTO merchants (poi_id, kind, name_en, name_zh, "
                                          "prep_minutes, created_at_us) VALUES (900, "
                                          "'supermarket', 'Grid Grocer', '方格超市', 12, 1) "
                                          "RETURNING id"));
      // Places. 7 is 48 m east; 1 is 111 m north; 3 133 m south; 2 222 m north; 4 and 5 share
      // a spot 288 m east; 6 is 2.2 km north; 8 is 600 m west.
      const char* kPlace =
          "INSERT INTO pois (id, kind, name_en, name_zh, cuisine, lat, lon, rating_x10, "
          "review_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
      struct P {
        int64_t id;
        const char* kind;
        const char* en;
        const char* zh;
        const char* cuisine;
        double dlat, dlon;
        int64_t rating, reviews;
      };
      const P places[] = {
          {1, "cafe", "Luna Café", "露娜咖啡", "coffee", 0.001, 0, 45, 100},
          {2, "tea", "Luna Tea House", "露娜茶馆", "", 0.002, 0, 40, 80},
          {3, "restaurant", "Blue Lotus", "蓝莲花餐厅", "Sichuan", -0.0012, 0, 38, 50},
          {4, "cafe", "Twin A", "双子甲", "coffee", 0, 0.003, 30, 10},
          {5, "cafe", "Twin B", "双子乙", "coffee", 0, 0.003, 30, 10},
          {6, "cafe", "Far Roasters", "远方咖啡", "coffee", 0.02, 0, 50, 5},
          {7, "pharmacy", "Sunrise Pharmacy", "日出药店", "", 0, 0.0005, 42, 7},
          {8, "cafe", "Moonlight Luna", "月光咖啡", "coffee", 0, -0.00625, 20, 1},
      };
      for (const P& p : places) {
        QWL_RETURN_IF_ERROR(
            tx.exec(kPlace, {p.id, p.kind, p.en, p.zh, p.cuisine, kCenter.lat + p.dlat,
                             kCenter.lon + p.dlon, p.rating, p.reviews})
                .status());
      }
      for (int day = 0; day < 7; ++day) {
        // The tea house: 22:00 to 02:00 the next morning, every day.
        QWL_RETURN_IF_ERROR(
            tx.exec("INSERT INTO poi_hours VALUES (2, ?, 1320, 1560)", {day}).status());
        // The pharmacy: 09:00 to 21:00, Monday to Saturday.
        if (day < 6) {
          QWL_RETURN_IF_ERROR(
              tx.exec("INSERT INTO poi_hours VALUES (7, ?, 540, 1260)", {day}).status());
        }
      }
      const char* kAddress =
          "INSERT INTO addresses (user_id, label, line_en, line_zh, lat, lon, is_default, "
          "created_at_us) VALUES (?, ?, ?, ?, ?, ?, ?, 1) RETURNING id";
      QWL_ASSIGN_OR_RETURN(
          alice_home_, tx.query_int64(kAddress, {alice_.user_id, "home", "3 Row Street", "横街3号",
                                                 30.26, 120.174, true}));
      QWL_ASSIGN_OR_RETURN(alice_office_,
                           tx.query_int64(kAddress, {alice_.user_id, "公司", "9 Column Avenue",
                                                     "纵路9号", 30.264, 120.174, false}));
      QWL_ASSIGN_OR_RETURN(
          bob_home_, tx.query_int64(kAddress, {bob_.user_id, "Home", "5 Grid Square", "方格广场5号",
                                               30.262, 120.172, true}));
      return Status::Ok();
    });
    ASSERT_TRUE(s.ok()) << s.to_string();
    clock_.set_wall_us(local_instant_us(kMonday, 10 * 60));  // Monday 10:00
    auto maps = Maps::load(*db_, clock_);
    ASSERT_TRUE(maps.ok()) << maps.status().to_string();
    maps_ = std::move(*maps);
  }

  Result<std::vector<Place>> nearby(NearbyQuery q) { return maps_->nearby(alice_, q); }
  std::vector<int64_t> nearby_ids(NearbyQuery q) {
    auto r = nearby(std::move(q));
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? ids_of(*r) : std::vector<int64_t>{};
  }
  std::vector<GeocodeMatch> geocode(const Actor& actor, GeocodeQuery q) {
    std::vector<GeocodeMatch> out;
    Status s = db_->read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(out, maps_->geocode(tx, actor, q));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return out;
  }
  template <typename Fn>
  auto in_read(Fn&& fn) -> decltype(fn(std::declval<Tx&>())) {
    std::optional<decltype(fn(std::declval<Tx&>()))> out;
    Status s = db_->read([&](Tx& tx) -> Status {
      out.emplace(fn(tx));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return std::move(*out);
  }

  std::unique_ptr<Db> db_;
  ManualClock clock_;
  std::unique_ptr<Maps> maps_;
  Actor alice_, bob_;
  int64_t merchant_ = 0, alice_home_ = 0, alice_office_ = 0, bob_home_ = 0;
};

TEST_P(MapsTest, NearbyByRadiusNearestFirstTiesById) {
  EXPECT_EQ(nearby_ids({.center = kCenter, .radius_m = 250}), (std::vector<int64_t>{7, 1, 3, 2}));
  // 4 and 5 stand on the same spot: by id.
  EXPECT_EQ(nearby_ids({.center = kCenter, .radius_m = 300}),
            (std::vector<int64_t>{7, 1, 3, 2, 4, 5}));
  auto r = nearby({.center = kCenter, .radius_m = 300});
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR((*r)[1].distance_m, 0.001 * kMetresPerDegree, 0.01);
  EXPECT_EQ((*r)[1].name_zh, "露娜咖啡");
  EXPECT_EQ((*r)[1].kind, "cafe");
  EXPECT_EQ((*r)[1].rating_x10, 45);
  EXPECT_EQ(nearby_ids({.center = kCenter, .radius_m = 300, .limit = 2}),
            (std::vector<int64_t>{7, 1}));
  EXPECT_EQ(nearby_ids({.center = kCenter, .radius_m = 40}), (std::vector<int64_t>{}));
}

TEST_P(MapsTest, NearbyFiltersByKindCuisineAndRating) {
  EXPECT_EQ(nearby_ids({.center = kCenter, .radius_m = 3000, .kinds = {"cafe"}}),
            (std::vector<int64_t>{1, 4, 5, 8, 6}));
  EXPECT_EQ(nearby_ids({.center = kCenter, .radius_m = 3000, .kinds = {"咖啡"}}),
            (std::vector<int64_t>{1, 4, 5, 8, 6}));
  EXPECT_EQ(nearby_ids({.center = kCenter, .radius_m = 3000, .kinds = {"tea", "Pharmacy"}}),
            (std::vector<int64_t>{7, 2}));
  EXPECT_EQ(nearby_ids({.center = kCenter, .radius_m = 3000, .cuisine = "sichuan"}),
            (std::vector<int64_t>{3}));
  EXPECT_EQ(nearby_ids({.center = kCenter, .radius_m = 3000, .cuisine = "none such"}),
            (std::vector<int64_t>{}));
  EXPECT_EQ(nearby_ids({.center = kCenter, .radius_m = 3000, .min_rating_x10 = 40}),
            (std::vector<int64_t>{7, 1, 2, 6}));
}

TEST_P(MapsTest, NearbyOpenNowFollowsLocalHoursPastMidnight) {
  auto open_ids = [&](int64_t day, int minute) {
    clock_.set_wall_us(local_instant_us(day, minute));
    return nearby_ids(
        {.center = kCenter, .radius_m = 250, .kinds = {"tea", "pharmacy"}, .open_now = true});
  };
  EXPECT_EQ(open_ids(kMonday, 10 * 60), (std::vector<int64_t>{7}));     // Monday 10:00
  EXPECT_EQ(open_ids(kMonday, 21 * 60), (std::vector<int64_t>{}));      // 21:00: closed
  EXPECT_EQ(open_ids(kMonday, 23 * 60), (std::vector<int64_t>{2}));     // tea from 22:00
  EXPECT_EQ(open_ids(kMonday + 1, 60), (std::vector<int64_t>{2}));      // Tuesday 01:00
  EXPECT_EQ(open_ids(kMonday + 1, 2 * 60), (std::vector<int64_t>{}));   // 02:00: closed
  EXPECT_EQ(open_ids(kMonday + 6, 10 * 60), (std::vector<int64_t>{}));  // Sunday: no hours
  EXPECT_EQ(open_ids(kMonday + 7, 60), (std::vector<int64_t>{2}));      // Sunday night's
  // Without the filter both come back, each saying whether it is open.
  clock_.set_wall_us(local_instant_us(kMonday, 23 * 60));
  auto all = nearby({.center = kCenter, .radius_m = 250, .kinds = {"tea", "pharmacy"}});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_FALSE((*all)[0].open_now);  // the pharmacy
  EXPECT_TRUE((*all)[1].open_now);   // the tea house
}

TEST_P(MapsTest, NearbyRefusesBadQueries) {
  auto code = [&](NearbyQuery q) { return nearby(std::move(q)).status().code(); };
  EXPECT_EQ(code({.center = kCenter, .radius_m = 0}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.center = kCenter, .radius_m = 60'000}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.center = kCenter, .limit = 0}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.center = kCenter, .limit = 101}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.center = kCenter, .min_rating_x10 = 51}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.center = {100, 0}}), StatusCode::kInvalidArgument);
  auto bad_kind = nearby({.center = kCenter, .kinds = {"spaceport"}});
  EXPECT_EQ(bad_kind.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_kind.status().message().find("spaceport"), std::string::npos);
}

TEST_P(MapsTest, OpenNowAgreesWithIsOpenOnRandomHours) {
  // Random places with random hours (some past midnight, some days without hours, some places
  // without any); the index must say what city_time's SQL says at every instant.
  std::mt19937_64 rng(GetParam() == DbKind::kSqlite ? 1 : 2);
  Status s = db_->transact([&](Tx& tx) -> Status {
    for (int64_t id = 1000; id < 1040; ++id) {
      QWL_RETURN_IF_ERROR(tx.exec("INSERT INTO pois (id, kind, name_en, name_zh, lat, lon) "
                                  "VALUES (?, 'shop', 'Shop', '商店', 30.2, 120.2)",
                                  {id})
                              .status());
      if (id % 7 == 0) continue;  // no hours: always open
      for (int day = 0; day < 7; ++day) {
        if (rng() % 4 == 0) continue;  // closed that day
        const int open = static_cast<int>(rng() % 1200);
        const int close = open + 1 + static_cast<int>(rng() % 1000);  // may pass midnight
        QWL_RETURN_IF_ERROR(
            tx.exec("INSERT INTO poi_hours VALUES (?, ?, ?, ?)", {id, day, open, close}).status());
      }
    }
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.to_string();
  ASSERT_TRUE(maps_->refresh(*db_).ok());
  auto places = maps_->snapshot()->places;
  int open = 0, closed = 0;
  s = db_->read([&](Tx& tx) -> Status {
    for (int k = 0; k < 60; ++k) {
      const int64_t t = local_instant_us(kMonday + static_cast<int64_t>(rng() % 7),
                                         static_cast<int>(rng() % 1440));
      for (int64_t id = 1000; id < 1040; ++id) {
        QWL_ASSIGN_OR_RETURN(bool want, is_open(tx, id, t));
        auto place = places->place(id, t);
        EXPECT_TRUE(place.has_value());
        EXPECT_EQ(place->open_now, want) << "poi " << id << " at " << t;
        (want ? open : closed)++;
      }
    }
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_GT(open, 100);
  EXPECT_GT(closed, 100);
}

TEST_P(MapsTest, GeocodesSavedPlacesInBothLanguages) {
  for (const char* text : {"home", "Home", "my home", "家", "我家", "家里"}) {
    auto m = geocode(alice_, {.text = text});
    ASSERT_FALSE(m.empty()) << text;
    EXPECT_EQ(m[0].source, GeocodeSource::kSavedAddress) << text;
    EXPECT_EQ(m[0].id, alice_home_) << text;
    EXPECT_EQ(m[0].label, "home");
    EXPECT_EQ(m[0].location, (LatLon{30.26, 120.174}));
    EXPECT_EQ(m[0].node_id, 103) << "snapped to the road node at the door";
  }
  for (const char* text : {"office", "work", "公司", "单位", "my office", "办公室"}) {
    auto m = geocode(alice_, {.text = text});
    ASSERT_FALSE(m.empty()) << text;
    EXPECT_EQ(m[0].id, alice_office_) << text;
    EXPECT_EQ(m[0].name_zh, "纵路9号");
    EXPECT_EQ(m[0].node_id, 109);
  }
  auto def = geocode(alice_, {.text = "default"});
  ASSERT_FALSE(def.empty());
  EXPECT_EQ(def[0].id, alice_home_);
}

TEST_P(MapsTest, AnotherUsersSavedPlacesAreInvisible) {
  // Bob's home is labelled "Home" too; alice sees only hers, bob only his.
  for (const char* text : {"home", "家"}) {
    for (const GeocodeMatch& m : geocode(alice_, {.text = text, .limit = 20})) {
      EXPECT_NE(m.id, bob_home_) << text;
    }
    auto bobs = geocode(bob_, {.text = text});
    ASSERT_FALSE(bobs.empty());
    EXPECT_EQ(bobs[0].id, bob_home_);
  }
  // Bob has no office; what comes back is no saved address.
  for (const GeocodeMatch& m : geocode(bob_, {.text = "公司"})) {
    EXPECT_NE(m.source, GeocodeSource::kSavedAddress);
  }
  // Nor does an admin see other people's saved places by label.
  auto admin = testing::add_user(*db_, "root@example.com", Role::kAdmin);
  ASSERT_TRUE(admin.ok());
  for (const GeocodeMatch& m : geocode(*admin, {.text = "home"})) {
    EXPECT_NE(m.source, GeocodeSource::kSavedAddress);
  }
  // Routing from bob's address id as alice: NotFound, as if it did not exist.
  auto r = in_read([&](Tx& tx) {
    return maps_->route(tx, alice_, Waypoint::address(bob_home_), Waypoint::poi(1),
                        TravelMode::kWalk);
  });
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("address"), std::string::npos);
  auto own = in_read([&](Tx& tx) {
    return maps_->route(tx, bob_, Waypoint::address(bob_home_), Waypoint::poi(1),
                        TravelMode::kWalk);
  });
  EXPECT_TRUE(own.ok()) << own.status().to_string();
}

TEST_P(MapsTest, FindsPlacesByNameBestMatchThenRatingOrDistance) {
  auto ids = [&](std::vector<GeocodeMatch> ms) {
    std::vector<int64_t> out;
    for (const GeocodeMatch& m : ms) out.push_back(m.id);
    return out;
  };
  // Prefix matches (best rated first), then the word-prefix "Moonlight Luna".
  EXPECT_EQ(ids(geocode(alice_, {.text = "luna"})), (std::vector<int64_t>{1, 2, 8}));
  // With a reference point at the tea house: the nearer prefix match first.
  EXPECT_EQ(
      ids(geocode(alice_, {.text = "Luna", .near = LatLon{kCenter.lat + 0.002, kCenter.lon}})),
      (std::vector<int64_t>{2, 1, 8}));
  // The exact name beats the prefix matches.
  auto exact = geocode(alice_, {.text = "LUNA TEA HOUSE"});
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_EQ(exact[0].id, 2);
  EXPECT_EQ(exact[0].match, NameMatch::kExact);
  EXPECT_EQ(exact[0].kind, "tea");
  EXPECT_EQ(exact[0].node_id, 101);  // no recorded node: the nearest walkable one
  // Chinese: a prefix, and contained words ranked by rating.
  EXPECT_EQ(ids(geocode(alice_, {.text = "露娜"})), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(ids(geocode(alice_, {.text = "咖啡"})), (std::vector<int64_t>{6, 1, 8}));
  auto lotus = geocode(alice_, {.text = "莲花"});
  ASSERT_EQ(lotus.size(), 1u);
  EXPECT_EQ(lotus[0].match, NameMatch::kContains);
  EXPECT_EQ(ids(geocode(alice_, {.text = "luna", .limit = 1})), (std::vector<int64_t>{1}));
  EXPECT_TRUE(geocode(alice_, {.text = "no such place"}).empty());
  auto empty = in_read([&](Tx& tx) { return maps_->geocode(tx, alice_, {.text = "  "}); });
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
}

TEST_P(MapsTest, RoutesBetweenWaypoints) {
  // Home (node 103) to the office (node 109): 800 m of streets, walking.
  auto r = in_read([&](Tx& tx) {
    return maps_->route(tx, alice_, Waypoint::named("家"), Waypoint::named("公司"),
                        TravelMode::kWalk);
  });
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->from.node_id, 103);
  EXPECT_EQ(r->to.node_id, 109);
  EXPECT_EQ(r->distance_m, 800);
  EXPECT_EQ(r->duration_s, 576);
  EXPECT_FALSE(r->steps.empty());
  EXPECT_FALSE(r->polyline_encoded.empty());
  // A place by id, and a bare coordinate.
  auto to_cafe = in_read([&](Tx& tx) {
    return maps_->route(tx, alice_, Waypoint::address(alice_home_), Waypoint::poi(1),
                        TravelMode::kCycle);
  });
  ASSERT_TRUE(to_cafe.ok()) << to_cafe.status().to_string();
  EXPECT_EQ(to_cafe->to.node_id, 101);
  EXPECT_EQ(to_cafe->polyline.back(), (LatLon{kCenter.lat + 0.001, kCenter.lon}));
  // Refusals.
  auto code = [&](Waypoint from, Waypoint to, TravelMode mode) {
    return in_read([&](Tx& tx) { return maps_->route(tx, alice_, from, to, mode); })
        .status()
        .code();
  };
  Waypoint two = Waypoint::poi(1);
  two.address_id = alice_home_;
  EXPECT_EQ(code(two, Waypoint::poi(2), TravelMode::kWalk), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Waypoint{}, Waypoint::poi(2), TravelMode::kWalk), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Waypoint::poi(999), Waypoint::poi(2), TravelMode::kWalk), StatusCode::kNotFound);
  EXPECT_EQ(code(Waypoint::named("atlantis"), Waypoint::poi(2), TravelMode::kWalk),
            StatusCode::kNotFound);
  // The island: both ends on roads, none joining them.
  EXPECT_EQ(
      code(Waypoint::address(alice_home_), Waypoint::at({30.2605, 120.40}), TravelMode::kDrive),
      StatusCode::kNotFound);
}

TEST_P(MapsTest, DeliveryEtaIsPreparationPlusTheCouriersRide) {
  // The grocer at node 101, alice's home at node 103: 800 m at 15 km/h = 192 s, plus 12 min.
  const int64_t now = clock_.wall_us();
  auto eta = in_read(
      [&](Tx& tx) { return maps_->delivery_eta(tx, alice_, merchant_, Waypoint::named("home")); });
  ASSERT_TRUE(eta.ok()) << eta.status().to_string();
  EXPECT_EQ(eta->prep_s, 720);
  EXPECT_EQ(eta->travel_s, 192);
  EXPECT_EQ(eta->distance_m, 800);
  EXPECT_EQ(eta->eta_at_us, now + (720 + 192) * 1'000'000LL);
  EXPECT_FALSE(eta->estimated);
  // The clock moves, the ETA with it.
  clock_.advance_us(90'000'000);
  auto later = in_read([&](Tx& tx) {
    return maps_->delivery_eta(tx, alice_, merchant_, Waypoint::address(alice_home_));
  });
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->eta_at_us, now + 90'000'000 + 912'000'000);

  // The function checkout calls, inside its own transaction: graph + coordinates + its now.
  auto graph = maps_->graph();
  auto direct = delivery_eta(
      *graph, {.merchant = {30.26, 120.17}, .prep_minutes = 5, .destination = {30.264, 120.174}},
      1'000'000);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->travel_s, 384);  // 1600 m
  EXPECT_EQ(direct->eta_at_us, 1'000'000 + (300 + 384) * 1'000'000LL);
  // To the island there is no ride: an error, or with the fallback 1.4 x the straight line.
  const DeliveryEtaInput island{
      .merchant = {30.26, 120.17}, .prep_minutes = 5, .destination = {30.26, 120.40}};
  EXPECT_EQ(delivery_eta(*graph, island, 0).status().code(), StatusCode::kNotFound);
  DeliveryEtaInput fallback = island;
  fallback.straight_line_fallback = true;
  auto estimated = delivery_eta(*graph, fallback, 0);
  ASSERT_TRUE(estimated.ok());
  EXPECT_TRUE(estimated->estimated);
  const double road = haversine_m(island.merchant, island.destination) * 1.4;
  EXPECT_EQ(estimated->distance_m, std::llround(road));
  EXPECT_EQ(estimated->travel_s, std::llround(road * 3600 / 15'000));
  EXPECT_EQ(delivery_eta(*graph, {.prep_minutes = -1}, 0).status().code(),
            StatusCode::kInvalidArgument);
  // No such merchant; a merchant without a place.
  EXPECT_EQ(
      in_read([&](Tx& tx) { return maps_->delivery_eta(tx, alice_, 999, Waypoint::named("home")); })
          .status()
          .code(),
      StatusCode::kNotFound);
  Status s = db_->transact([&](Tx& tx) -> Status {
    return tx.exec("UPDATE merchants SET poi_id = NULL WHERE id = ?", {merchant_}).status();
  });
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(in_read([&](Tx& tx) {
              return maps_->delivery_eta(tx, alice_, merchant_, Waypoint::named("home"));
            })
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
}

TEST_P(MapsTest, RideQuotesDriveTheNetwork) {
  auto quote = in_read([&](Tx& tx) {
    return maps_->ride_quote(tx, alice_, Waypoint::named("home"), Waypoint::named("office"));
  });
  ASSERT_TRUE(quote.ok()) << quote.status().to_string();
  EXPECT_EQ(quote->distance_m, 800);
  // 2 x 48 s at 30 km/h, plus 5 s for the junction passed on the way.
  EXPECT_EQ(quote->duration_s, 101);
  auto direct = route_quote(*maps_->graph(), {30.26, 120.174}, {30.264, 120.174});
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->distance_m, 800);
  EXPECT_EQ(direct->duration_s, 101);
}

TEST_P(MapsTest, PlugsIntoOrdersAndRides) {
  // The orders service's estimator: the grocer (node 101) to alice's home (node 103) is 800 m
  // of cycling, 192 s, plus the courier's two minutes at the door.
  RoadDeliveryEstimator estimator(*maps_);
  const DeliveryQuery home{.merchant_id = merchant_,
                           .from_lat = 30.26,
                           .from_lon = 120.17,
                           .from_node = 101,
                           .to_lat = 30.26,
                           .to_lon = 120.174};
  auto e = estimator.estimate(home);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e->distance_m, 800);
  EXPECT_EQ(e->travel_s, 192 + 120);
  // No cycling route to the island: the straight-line estimate, not a refused order.
  DeliveryQuery island = home;
  island.to_lat = 30.26;
  island.to_lon = 120.40;
  auto fallback = estimator.estimate(island);
  ASSERT_TRUE(fallback.ok()) << fallback.status().to_string();
  auto straight = StraightLineEstimator().estimate(island);
  ASSERT_TRUE(straight.ok());
  EXPECT_EQ(fallback->distance_m, straight->distance_m);
  EXPECT_EQ(fallback->travel_s, straight->travel_s);
  island.to_lat = 95;
  EXPECT_EQ(estimator.estimate(island).status().code(), StatusCode::kInvalidArgument);

  // The rides service's quoter: alice's home to her office by car, 800 m in 101 s.
  RouteQuoter quoter = road_route_quoter(*maps_);
  auto drive = quoter(GeoPosition{30.26, 120.174}, GeoPosition{30.264, 120.174});
  ASSERT_TRUE(drive.ok()) << drive.status().to_string();
  EXPECT_EQ(drive->distance_m, 800);
  EXPECT_EQ(drive->duration_s, 101);
  EXPECT_EQ(quoter(GeoPosition{30.26, 120.174}, GeoPosition{30.26, 120.40}).status().code(),
            StatusCode::kNotFound);
}

TEST_P(MapsTest, RefreshSwapsTheSnapshotWhileQueriesRun) {
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, queries{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto places = maps_->nearby(alice_, {.center = kCenter, .radius_m = 300});
        auto route = route_quote(*maps_->graph(), {30.26, 120.17}, {30.264, 120.174});
        if (!places.ok() || places->size() < 6 || !route.ok() || route->distance_m != 1600) {
          ++failures;
        }
        ++queries;
      }
    });
  }
  EXPECT_EQ(nearby_ids({.center = kCenter, .radius_m = 60}), (std::vector<int64_t>{7}));
  Status s = db_->transact([&](Tx& tx) -> Status {
    return tx
        .exec(
            "INSERT INTO pois (id, kind, name_en, name_zh, lat, lon) VALUES "
            "(50, 'cafe', 'New Cafe', '新咖啡', ?, ?)",
            {kCenter.lat, kCenter.lon})
        .status();
  });
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(nearby_ids({.center = kCenter, .radius_m = 60}), (std::vector<int64_t>{7}));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(maps_->refresh(*db_).ok());
  while (queries.load() < 20) std::this_thread::yield();
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(nearby_ids({.center = kCenter, .radius_m = 60}), (std::vector<int64_t>{50, 7}));
  EXPECT_GT(maps_->snapshot()->load_time_us, 0);
}

class EmptyMapsTest : public ::testing::TestWithParam<DbKind> {};

TEST_P(EmptyMapsTest, AnEmptyCityLoadsAndAnswersPlainly) {
  auto db = testing::fresh_db(GetParam());
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  auto user = testing::add_user(**db, "solo@example.com");
  ASSERT_TRUE(user.ok());
  ManualClock clock;
  auto maps = Maps::load(**db, clock);
  ASSERT_TRUE(maps.ok()) << maps.status().to_string();
  EXPECT_EQ((*maps)->graph()->node_count(), 0u);
  auto places = (*maps)->nearby(*user, {.center = kCenter, .radius_m = 50'000});
  ASSERT_TRUE(places.ok());
  EXPECT_TRUE(places->empty());
  Status s = (*db)->read([&](Tx& tx) -> Status {
    auto found = (*maps)->geocode(tx, *user, {.text = "home"});
    EXPECT_TRUE(found.ok() && found->empty());
    auto route = (*maps)->route(tx, *user, Waypoint::at(kCenter), Waypoint::at({30.3, 120.2}),
                                TravelMode::kWalk);
    EXPECT_EQ(route.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(route.status().message().find("road network is empty"), std::string::npos);
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.to_string();
}

INSTANTIATE_TEST_SUITE_P(Db, EmptyMapsTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

INSTANTIATE_TEST_SUITE_P(Db, MapsTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
