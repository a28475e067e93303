// The road graph: a hand-made network whose answers are worked out by hand (shortest vs fastest,
// oneway, motorway and path rules, an island), loaded from both databases; and A* against a
// plain Dijkstra written here from the documented rules, on random networks.
#include "services/road_graph.h"

#include <gtest/gtest.h>

#include <map>
#include <queue>
#include <random>
#include <set>
#include <tuple>

#include "services/services_testing.h"

namespace qwl::services {
namespace {

// The reference: Dijkstra over the edge list, with the rules of road_graph.h written out again.
class ReferenceRouter {
 public:
  ReferenceRouter(std::span<const RoadNodeInput> nodes, std::span<const RoadEdgeInput> edges,
                  TravelMode mode)
      : mode_(mode) {
    for (size_t i = 0; i < nodes.size(); ++i) index_[nodes[i].id] = i;
    adj_.resize(nodes.size());
    std::vector<std::set<size_t>> neighbours(nodes.size());
    for (const RoadEdgeInput& e : edges) {
      const size_t a = index_.at(e.from_node), b = index_.at(e.to_node);
      if (a == b) continue;
      neighbours[a].insert(b);
      neighbours[b].insert(a);
      if (!mode_allowed(e.road_class, mode)) continue;
      int64_t kmh = e.speed_kmh;
      if (mode == TravelMode::kWalk) kmh = std::min<int64_t>(kmh, 5);
      if (mode == TravelMode::kCycle) kmh = std::min<int64_t>(kmh, 15);
      const int64_t t = (e.length_m * 3600 + kmh / 2) / kmh;
      adj_[a].push_back({b, t});
      if (!e.oneway || mode == TravelMode::kWalk) adj_[b].push_back({a, t});
    }
    junction_.resize(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) junction_[i] = neighbours[i].size() >= 3;
  }

  // The least time from node id `from` to `to`, or -1 when unreachable.
  int64_t time_ms(int64_t from, int64_t to) const {
    const size_t src = index_.at(from), dst = index_.at(to);
    std::vector<int64_t> dist(adj_.size(), -1);
    using Entry = std::pair<int64_t, size_t>;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue;
    dist[src] = 0;
    queue.push({0, src});
    while (!queue.empty()) {
      auto [d, u] = queue.top();
      queue.pop();
      if (d != dist[u]) continue;
      if (u == dst) return d;
      const int64_t leave =
          d + ((mode_ == TravelMode::kDrive && u != src && junction_[u]) ? 5000 : 0);
      for (auto [v, t] : adj_[u]) {
        if (dist[v] < 0 || leave + t < dist[v]) {
          dist[v] = leave + t;
          queue.push({dist[v], v});
        }
      }
    }
    return -1;
  }

  // The time of a given node sequence (the fastest arc between each pair), or -1 if some
  // consecutive pair is not joined by an arc open to the mode.
  int64_t path_time_ms(const std::vector<int64_t>& ids) const {
    int64_t total = 0;
    for (size_t i = 0; i + 1 < ids.size(); ++i) {
      const size_t u = index_.at(ids[i]), v = index_.at(ids[i + 1]);
      int64_t best = -1;
      for (auto [w, t] : adj_[u]) {
        if (w == v && (best < 0 || t < best)) best = t;
      }
      if (best < 0) return -1;
      total += best + ((mode_ == TravelMode::kDrive && i > 0 && junction_[u]) ? 5000 : 0);
    }
    return total;
  }

 private:
  TravelMode mode_;
  std::map<int64_t, size_t> index_;
  std::vector<std::vector<std::pair<size_t, int64_t>>> adj_;
  std::vector<bool> junction_;
};

struct Network {
  std::vector<RoadNodeInput> nodes;
  std::vector<RoadEdgeInput> edges;
};

// A jittered grid city with random classes, speeds, oneways, gaps and lengths that are not
// always the straight-line distance (some shorter: the heuristic must cope with any data).
Network random_network(uint64_t seed, int side) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> jitter(-0.0003, 0.0003), unit(0, 1);
  Network net;
  for (int r = 0; r < side; ++r) {
    for (int c = 0; c < side; ++c) {
      net.nodes.push_back(
          {.id = 1000 + r * side + c,
           .at = {30.2 + r * 0.002 + jitter(rng), 120.1 + c * 0.002 + jitter(rng)}});
    }
  }
  const RoadClass classes[] = {RoadClass::kMotorway, RoadClass::kPrimary, RoadClass::kSecondary,
                               RoadClass::kResidential, RoadClass::kPath};
  const int64_t speeds[] = {100, 60, 40, 30, 8};
  std::set<std::pair<int64_t, int64_t>> pairs;
  auto add = [&](int a, int b) {
    const int64_t ia = net.nodes[a].id, ib = net.nodes[b].id;
    if (!pairs.insert({std::min(ia, ib), std::max(ia, ib)}).second) return;
    const int k = static_cast<int>(unit(rng) * 5) % 5;
    const double straight = haversine_m(net.nodes[a].at, net.nodes[b].at);
    net.edges.push_back(
        {.id = static_cast<int64_t>(net.edges.size()) + 1,
         .from_node = ia,
         .to_node = ib,
         .length_m = std::max<int64_t>(1, std::llround(straight * (0.6 + unit(rng)))),
         .road_class = classes[k],
         .speed_kmh = speeds[k] + static_cast<int64_t>(unit(rng) * 20),
         .oneway = unit(rng) < 0.2,
         .name_en = fmt::format("Road {}", k),
         .name_zh = fmt::format("路{}", k)});
  };
  for (int r = 0; r < side; ++r) {
    for (int c = 0; c < side; ++c) {
      const int i = r * side + c;
      if (c + 1 < side && unit(rng) < 0.9) add(i, i + 1);
      if (r + 1 < side && unit(rng) < 0.9) add(i, i + side);
    }
  }
  // A few long straight roads across the grid (fast, and shorter than the streets).
  std::uniform_int_distribution<int> any(0, side * side - 1);
  for (int k = 0; k < side / 2; ++k) {
    const int a = any(rng), b = any(rng);
    if (a != b) add(a, b);
  }
  return net;
}

TEST(RoadGraphTest, AStarAgreesWithDijkstraOnRandomNetworks) {
  for (uint64_t seed : {1, 2, 3, 4}) {
    Network net = random_network(seed, 30);
    // Odd seeds: the geometric bound alone; even ones with landmarks.
    auto graph = RoadGraph::build(net.nodes, net.edges, {.landmarks = seed % 2 ? 0 : 8});
    ASSERT_TRUE(graph.ok()) << graph.status().to_string();
    std::mt19937_64 rng(seed * 100);
    std::uniform_int_distribution<size_t> pick(0, net.nodes.size() - 1);
    for (TravelMode mode : {TravelMode::kWalk, TravelMode::kCycle, TravelMode::kDrive}) {
      ReferenceRouter ref(net.nodes, net.edges, mode);
      int found = 0;
      for (int q = 0; q < 150; ++q) {
        const int64_t a = net.nodes[pick(rng)].id, b = net.nodes[pick(rng)].id;
        const int64_t want = ref.time_ms(a, b);
        auto path = (*graph)->fastest_path(a, b, mode);
        if (!(*graph)->node_usable(a, mode) || !(*graph)->node_usable(b, mode)) {
          EXPECT_EQ(path.status().code(), StatusCode::kFailedPrecondition);
          continue;
        }
        if (want < 0) {
          EXPECT_EQ(path.status().code(), StatusCode::kNotFound) << a << " -> " << b;
          continue;
        }
        ASSERT_TRUE(path.ok()) << path.status().to_string();
        ++found;
        EXPECT_EQ(path->time_ms, want) << travel_mode_name(mode) << " " << a << " -> " << b;
        ASSERT_FALSE(path->node_ids.empty());
        EXPECT_EQ(path->node_ids.front(), a);
        EXPECT_EQ(path->node_ids.back(), b);
        EXPECT_EQ(ref.path_time_ms(path->node_ids), want) << "the path is not what it claims";
      }
      EXPECT_GT(found, 50) << travel_mode_name(mode);
    }
  }
}

// The roads of a box against the edge list: every edge with an end inside (a oneway motorway by
// its start, the only end it can be left by), once; truncation keeps the larger roads.
TEST(RoadGraphTest, SegmentsInABoxAreTheRoadsTouchingIt) {
  Network net = random_network(5, 30);
  auto graph = RoadGraph::build(net.nodes, net.edges, {.landmarks = 0});
  ASSERT_TRUE(graph.ok()) << graph.status().to_string();
  const double south = 30.21, west = 120.11, north = 30.23, east = 120.14;
  std::map<int64_t, LatLon> at;
  for (const RoadNodeInput& n : net.nodes) at[n.id] = n.at;
  const auto inside = [&](LatLon p) {
    return p.lat >= south && p.lat <= north && p.lon >= west && p.lon <= east;
  };
  using Key = std::tuple<double, double, double, double, int>;
  const auto key = [](LatLon a, LatLon b, RoadClass c) {
    if (std::pair(b.lat, b.lon) < std::pair(a.lat, a.lon)) std::swap(a, b);
    return Key{a.lat, a.lon, b.lat, b.lon, static_cast<int>(c)};
  };
  std::multiset<Key> want;
  for (const RoadEdgeInput& e : net.edges) {
    const bool from_in = inside(at[e.from_node]), to_in = inside(at[e.to_node]);
    const bool found =
        e.road_class == RoadClass::kMotorway && e.oneway ? from_in : (from_in || to_in);
    if (found) want.insert(key(at[e.from_node], at[e.to_node], e.road_class));
  }
  ASSERT_GT(want.size(), 40u);
  ASSERT_LT(want.size(), net.edges.size() / 2) << "the box should hold part of the network";

  const RoadSegments all = (*graph)->segments_in(south, west, north, east, 100'000);
  EXPECT_FALSE(all.truncated);
  std::multiset<Key> got;
  for (const RoadSegment& s : all.segments) got.insert(key(s.a, s.b, s.road_class));
  EXPECT_EQ(got, want);
  for (size_t i = 1; i < all.segments.size(); ++i)
    EXPECT_LE(all.segments[i - 1].road_class, all.segments[i].road_class) << "larger roads first";

  const RoadSegments some = (*graph)->segments_in(south, west, north, east, 10);
  EXPECT_TRUE(some.truncated);
  ASSERT_EQ(some.segments.size(), 10u);
  for (size_t i = 0; i < 10; ++i)
    EXPECT_EQ(some.segments[i].road_class, all.segments[i].road_class);
  EXPECT_TRUE((*graph)->segments_in(0, 0, 1, 1, 100).segments.empty()) << "a box with no roads";
}

TEST(RoadGraphTest, RefusesBadInput) {
  std::vector<RoadNodeInput> nodes = {{1, {30.25, 120.16}}, {2, {30.26, 120.16}}};
  auto edge = [](int64_t from, int64_t to, int64_t length, int64_t speed) {
    return RoadEdgeInput{.id = 9,
                         .from_node = from,
                         .to_node = to,
                         .length_m = length,
                         .road_class = RoadClass::kPrimary,
                         .speed_kmh = speed};
  };
  std::vector<RoadEdgeInput> bad_node = {edge(1, 3, 100, 50)};
  auto r = RoadGraph::build(nodes, bad_node);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("road_edges 9: to_node 3"), std::string::npos);
  std::vector<RoadEdgeInput> bad_length = {edge(1, 2, 0, 50)};
  EXPECT_EQ(RoadGraph::build(nodes, bad_length).status().code(), StatusCode::kInvalidArgument);
  std::vector<RoadEdgeInput> bad_speed = {edge(1, 2, 100, 0)};
  EXPECT_EQ(RoadGraph::build(nodes, bad_speed).status().code(), StatusCode::kInvalidArgument);
  std::vector<RoadNodeInput> dup = {{1, {30.25, 120.16}}, {1, {30.26, 120.16}}};
  EXPECT_EQ(RoadGraph::build(dup, {}).status().code(), StatusCode::kInvalidArgument);
  std::vector<RoadNodeInput> off = {{1, {95, 120.16}}};
  EXPECT_EQ(RoadGraph::build(off, {}).status().code(), StatusCode::kInvalidArgument);
  auto empty = RoadGraph::build({}, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)->snap({30, 120}, TravelMode::kWalk).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(RoadGraphTest, ParsesModes) {
  EXPECT_EQ(parse_travel_mode("Walking"), TravelMode::kWalk);
  EXPECT_EQ(parse_travel_mode(" bike "), TravelMode::kCycle);
  EXPECT_EQ(parse_travel_mode("骑行"), TravelMode::kCycle);
  EXPECT_EQ(parse_travel_mode("驾车"), TravelMode::kDrive);
  EXPECT_EQ(parse_travel_mode("car"), TravelMode::kDrive);
  EXPECT_FALSE(parse_travel_mode("teleport").has_value());
  EXPECT_EQ(travel_mode_name(TravelMode::kCycle), "cycling");
}

// The hand-made network (ids in brackets), lengths in metres, speeds in km/h:
//
//            F[6] --- North Lane 1500 res 30 --- G[7]
//             |  Garden Path 400 (path 10)        |  Ring Expressway 800 (motorway 100)
//   A[1] -- Lake Road 500 -- B[2] -- Lake Road 500 -- C[3] -- Ring Expressway 950 -- M[8]
//    |                      /                          |
//   West St 450 (pri 80)   Short Cut 300 (res 30, oneway D -> B)
//    |                   /                             |  East St 450 (pri 80)
//   D[4] ------ Riverside Avenue 1000 (pri 80) ------ E[5]
//
//   island: X[9] -- Island Road 111 -- Y[10]
//
// Junctions (3+ neighbours): B, C, D. Driving pays 5 s leaving each one it passes.
class RoadNetworkTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = testing::fresh_db(GetParam());
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    Status s = db_->transact([&](Tx& tx) -> Status {
      QWL_RETURN_IF_ERROR(tx.exec_script(
          "INSERT INTO road_nodes (id, lat, lon) VALUES (1, 30.250, 120.160), "
          "(2, 30.250, 120.165), (3, 30.250, 120.170), (4, 30.246, 120.160), "
          "(5, 30.246, 120.170), (6, 30.254, 120.165), (7, 30.258, 120.170), "
          "(8, 30.250, 120.180), (9, 30.300, 120.300), (10, 30.301, 120.300);"
          "INSERT INTO road_edges (id, from_node, to_node, length_m, road_class, speed_kmh, "
          "oneway, name_en, name_zh) VALUES "
          "(1, 1, 2, 500, 'residential', 30, FALSE, 'Lake Road', '湖滨路'), "
          "(2, 2, 3, 500, 'residential', 30, FALSE, 'Lake Road', '湖滨路'), "
          "(3, 1, 4, 450, 'primary', 80, FALSE, 'West Street', '西街'), "
          "(4, 4, 5, 1000, 'primary', 80, FALSE, 'Riverside Avenue', '滨江大道'), "
          "(5, 5, 3, 450, 'primary', 80, FALSE, 'East Street', '东街'), "
          "(6, 2, 6, 400, 'path', 10, FALSE, 'Garden Path', '花园小径'), "
          "(7, 3, 7, 800, 'motorway', 100, FALSE, 'Ring Expressway', '环城高速'), "
          "(8, 6, 7, 1500, 'residential', 30, FALSE, 'North Lane', '北巷'), "
          "(9, 4, 2, 300, 'residential', 30, TRUE, 'Short Cut', '捷径'), "
          "(10, 3, 8, 950, 'motorway', 100, FALSE, 'Ring Expressway', '环城高速'), "
          "(11, 9, 10, 111, 'residential', 30, FALSE, 'Island Road', '岛路')"));
      return Status::Ok();
    });
    ASSERT_TRUE(s.ok()) << s.to_string();
    s = db_->read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(graph_, RoadGraph::load(tx));
      return Status::Ok();
    });
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
  LatLon at(int64_t node) const { return *graph_->node_location(node); }
  Route route(int64_t a, int64_t b, TravelMode mode) {
    auto r = graph_->route(at(a), at(b), mode);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : Route{};
  }
  NodePath path(int64_t a, int64_t b, TravelMode mode) {
    auto p = graph_->fastest_path(a, b, mode);
    EXPECT_TRUE(p.ok()) << p.status().to_string();
    return p.ok() ? *p : NodePath{};
  }

  std::unique_ptr<Db> db_;
  std::shared_ptr<const RoadGraph> graph_;
};

TEST_P(RoadNetworkTest, LoadsEveryNodeAndEdge) {
  EXPECT_EQ(graph_->node_count(), 10u);
  EXPECT_EQ(graph_->edge_count(), 11u);
  // Two-way edges give two arcs, oneway ones one for cars and bikes plus the walkers' reverse.
  EXPECT_EQ(graph_->arc_count(), 22u);
  EXPECT_GT(graph_->memory_bytes(), 0u);
  EXPECT_TRUE(graph_->node_usable(8, TravelMode::kDrive));
  EXPECT_FALSE(graph_->node_usable(8, TravelMode::kWalk));
  EXPECT_FALSE(graph_->node_usable(8, TravelMode::kCycle));
  EXPECT_FALSE(graph_->node_usable(99, TravelMode::kDrive));
}

TEST_P(RoadNetworkTest, DrivingTakesTheFasterLongerWayWalkingAndCyclingTheShortest) {
  // Driving: A-D-E-C = 20.25 s + 5 s (junction D) + 45 s + 20.25 s = 90.5 s over 1900 m, beating
  // A-B-C = 60 + 5 + 60 = 125 s over 1000 m.
  NodePath drive = path(1, 3, TravelMode::kDrive);
  EXPECT_EQ(drive.node_ids, (std::vector<int64_t>{1, 4, 5, 3}));
  EXPECT_EQ(drive.time_ms, 90'500);
  EXPECT_EQ(drive.length_m, 1900);
  Route r = route(1, 3, TravelMode::kDrive);
  EXPECT_EQ(r.distance_m, 1900);
  EXPECT_EQ(r.duration_s, 91);
  ASSERT_EQ(r.steps.size(), 3u);
  EXPECT_EQ(r.steps[0].name_en, "West Street");
  EXPECT_EQ(r.steps[0].name_zh, "西街");
  EXPECT_EQ(r.steps[0].turn, Turn::kDepart);
  EXPECT_EQ(r.steps[0].distance_m, 450);
  // A junction's 5 s are shared by the steps in and out of it: 20.25 + 2.5 s.
  EXPECT_EQ(r.steps[0].duration_s, 23);
  EXPECT_EQ(r.steps[1].name_zh, "滨江大道");
  EXPECT_EQ(r.steps[1].turn, Turn::kLeft);  // heading south, turning east
  EXPECT_EQ(r.steps[1].distance_m, 1000);
  EXPECT_EQ(r.steps[1].duration_s, 48);  // 2.5 + 45 s
  EXPECT_EQ(r.steps[2].name_en, "East Street");
  EXPECT_EQ(r.steps[2].turn, Turn::kLeft);  // heading east, turning north
  EXPECT_EQ(r.steps[2].road_class, "primary");
  EXPECT_EQ(r.steps[2].duration_s, 20);  // C is a junction, but the route ends there
  EXPECT_EQ(r.polyline, (std::vector<LatLon>{at(1), at(4), at(5), at(3)}));
  auto decoded = decode_polyline(r.polyline_encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->size(), 4u);

  // Walking ignores speed limits above 5 km/h: the shortest way, A-B-C, 1000 m in 720 s.
  Route walk = route(1, 3, TravelMode::kWalk);
  EXPECT_EQ(walk.distance_m, 1000);
  EXPECT_EQ(walk.duration_s, 720);
  ASSERT_EQ(walk.steps.size(), 1u);
  EXPECT_EQ(walk.steps[0].name_en, "Lake Road");
  EXPECT_EQ(walk.steps[0].distance_m, 1000);
  // Cycling at 15 km/h: A-B-C in 240 s.
  Route bike = route(1, 3, TravelMode::kCycle);
  EXPECT_EQ(bike.distance_m, 1000);
  EXPECT_EQ(bike.duration_s, 240);
}

TEST_P(RoadNetworkTest, OnewayBindsCarsAndBikesNotWalkers) {
  NodePath d_to_b = path(4, 2, TravelMode::kDrive);
  EXPECT_EQ(d_to_b.node_ids, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(d_to_b.time_ms, 36'000);
  // Against the oneway: B-A-D, 60 s + 20.25 s (A is no junction).
  NodePath b_to_d = path(2, 4, TravelMode::kDrive);
  EXPECT_EQ(b_to_d.node_ids, (std::vector<int64_t>{2, 1, 4}));
  EXPECT_EQ(b_to_d.time_ms, 80'250);
  EXPECT_EQ(path(2, 4, TravelMode::kCycle).length_m, 950);
  NodePath walk = path(2, 4, TravelMode::kWalk);
  EXPECT_EQ(walk.node_ids, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(walk.time_ms, 216'000);
}

TEST_P(RoadNetworkTest, MotorwaysAreForCarsAndPathsNotForCars) {
  // C to G: cars take the motorway (800 m, 28.8 s); walkers and cyclists go round by the path.
  NodePath drive = path(3, 7, TravelMode::kDrive);
  EXPECT_EQ(drive.node_ids, (std::vector<int64_t>{3, 7}));
  EXPECT_EQ(drive.time_ms, 28'800);
  NodePath walk = path(3, 7, TravelMode::kWalk);
  EXPECT_EQ(walk.node_ids, (std::vector<int64_t>{3, 2, 6, 7}));
  EXPECT_EQ(walk.length_m, 2400);
  EXPECT_EQ(walk.time_ms, 2400 * 720);
  // Cycling: 15 km/h, but the path allows only 10: 120 s + 144 s + 360 s.
  EXPECT_EQ(path(3, 7, TravelMode::kCycle).time_ms, 624'000);
  // B to F by car: not the 400 m path but B-C-G-F, 60 + 5 (C) + 28.8 + 180 s.
  NodePath car = path(2, 6, TravelMode::kDrive);
  EXPECT_EQ(car.node_ids, (std::vector<int64_t>{2, 3, 7, 6}));
  EXPECT_EQ(car.time_ms, 273'800);
  EXPECT_EQ(car.length_m, 2800);
  // M lies only on the motorway: walking there is refused by node, and a walk to its
  // coordinate ends at the nearest walkable node, C (about 961 m away).
  auto refused = graph_->fastest_path(1, 8, TravelMode::kWalk);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("closed to walking"), std::string::npos);
  Route to_m = route(1, 8, TravelMode::kWalk);
  EXPECT_EQ(to_m.to.node_id, 3);
  EXPECT_NEAR(to_m.to.distance_m, haversine_m(at(3), at(8)), 1e-6);
  EXPECT_EQ(to_m.distance_m, 1000 + std::llround(haversine_m(at(3), at(8))));
  EXPECT_EQ(to_m.polyline.back(), at(8));
}

TEST_P(RoadNetworkTest, AnIslandHasNoRouteAndFarPointsNoRoad) {
  auto island = graph_->route(at(1), at(9), TravelMode::kWalk);
  EXPECT_EQ(island.status().code(), StatusCode::kNotFound);
  EXPECT_NE(island.status().message().find("do not connect"), std::string::npos);
  EXPECT_EQ(graph_->fastest_path(1, 10, TravelMode::kDrive).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(graph_->fastest_path(9, 10, TravelMode::kDrive).ok());
  auto far = graph_->route({31.5, 121.5}, at(1), TravelMode::kDrive);
  EXPECT_EQ(far.status().code(), StatusCode::kNotFound);
  EXPECT_NE(far.status().message().find("no road open to driving within 2000 m"), std::string::npos)
      << far.status().message();
  EXPECT_EQ(graph_->route({91, 0}, at(1), TravelMode::kDrive).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(graph_->fastest_path(1, 99, TravelMode::kDrive).status().code(), StatusCode::kNotFound);
}

TEST_P(RoadNetworkTest, SnapsCoordinatesAndCountsTheAccessLines) {
  // 22 m north of A and 33 m south of C.
  const LatLon from{30.250 + 0.0002, 120.160}, to{30.250 - 0.0003, 120.170};
  auto r = graph_->route(from, to, TravelMode::kCycle);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->from.node_id, 1);
  EXPECT_EQ(r->to.node_id, 3);
  EXPECT_NEAR(r->from.distance_m, 0.0002 * kMetresPerDegree, 0.01);
  const double access = r->from.distance_m + r->to.distance_m;  // 55.6 m at 15 km/h = 13.3 s
  EXPECT_EQ(r->distance_m, std::llround(1000 + access));
  EXPECT_EQ(r->duration_s, (240'000 + std::llround(r->from.distance_m * 240) +
                            std::llround(r->to.distance_m * 240) + 500) /
                               1000);
  EXPECT_EQ(r->polyline.front(), from);
  EXPECT_EQ(r->polyline.back(), to);
  EXPECT_EQ(r->steps.front().distance_m,
            1000 + std::llround(r->from.distance_m) + std::llround(r->to.distance_m));
  // Both ends at one node: no road, one step of access lines.
  auto same = graph_->route(at(1), {30.2501, 120.160}, TravelMode::kWalk);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->distance_m, 11);
  ASSERT_EQ(same->steps.size(), 1u);
  EXPECT_EQ(same->steps[0].name_en, "");
  // A snap limit below the distance to the nearest road refuses.
  EXPECT_EQ(graph_->route(from, to, TravelMode::kCycle, {.max_snap_m = 10}).status().code(),
            StatusCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Db, RoadNetworkTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::services
