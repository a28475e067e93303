// bench_maps: the maps service's latency at the size of the large seed (100,000 road nodes and
// 100,000 places): load time and memory of the snapshot, then p50 / p99 / max of nearby
// searches, routes per travel mode, place-name lookups and delivery ETAs, single-threaded.
//
// Without --db it writes a synthetic city into a temporary SQLite file first: a perturbed
// street grid (about 100 m blocks) with primary roads every 20 lines, motorways (cars only)
// every 80, park paths (walking and cycling only) and one-way streets; places uniformly spread
// with random kinds, ratings, bilingual names and opening hours (some past midnight, some
// without any). With --db URL it measures an existing ecosystem database instead (say one made
// by `qwenlayer seed --scale large`).
//
//   bench_maps [--db URL] [--nodes 100000] [--pois 100000] [--queries 2000] [--landmarks 8]
//   bench_maps --write PATH [--nodes N] [--pois N]   (only write the synthetic city to PATH)
//
// docs/ecosystem/maps.md records the figures and the machine they were taken on.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "base/clock.h"
#include "services/actor.h"
#include "services/maps.h"
#include "services/schema.h"
#include "store/migrations.h"

namespace qwl::services {
namespace {

struct Args {
  std::string db;
  std::string write;  // write the synthetic city here and stop
  int64_t nodes = 100'000;
  int64_t pois = 100'000;
  int queries = 2'000;
  int landmarks = 8;
};

const char* const kWords[] = {"Luna",   "Jade", "Lotus", "Golden", "River",  "Bamboo", "Maple",
                              "Harbor", "Silk", "Cloud", "Pearl",  "Willow", "Lake",   "Dragon"};
const char* const kWordsZh[] = {"露娜", "翡翠", "莲花", "金色", "河畔", "竹林", "枫叶",
                                "港湾", "丝绸", "云端", "珍珠", "杨柳", "湖畔", "龙"};
const char* const kKinds[] = {"cafe",    "tea",     "restaurant", "supermarket", "pharmacy",
                              "hotel",   "cinema",  "sight",      "office",      "residence",
                              "station", "airport", "shop"};

// Multi-row INSERTs of `cols` columns, `rows_per_stmt` rows each.
class BulkInsert {
 public:
  BulkInsert(Tx& tx, std::string head, int cols) : tx_(tx), head_(std::move(head)), cols_(cols) {}
  Status add(std::vector<Value> row) {
    for (Value& v : row) values_.push_back(std::move(v));
    if (values_.size() >= static_cast<size_t>(cols_) * kRows) return flush();
    return Status::Ok();
  }
  Status flush() {
    if (values_.empty()) return Status::Ok();
    const size_t rows = values_.size() / cols_;
    std::string sql = head_ + " VALUES ";
    std::string one = "(";
    for (int c = 0; c < cols_; ++c) one += c ? ", ?" : "?";
    one += ")";
    for (size_t r = 0; r < rows; ++r) sql += (r ? ", " : "") + one;
    Status s = tx_.exec(sql, values_).status();
    values_.clear();
    return s;
  }

 private:
  static constexpr int kRows = 500;
  Tx& tx_;
  std::string head_;
  int cols_;
  std::vector<Value> values_;
};

Status write_city(Db& db, const Args& args) {
  return db.transact([&](Tx& tx) -> Status {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> unit(0, 1);
    const int64_t side = static_cast<int64_t>(std::sqrt(static_cast<double>(args.nodes)));
    const double dlat = 0.0009, dlon = 0.00104;  // about 100 m at 30 degrees north
    std::vector<LatLon> at;
    BulkInsert nodes(tx, "INSERT INTO road_nodes (id, lat, lon)", 3);
    for (int64_t r = 0; r < side; ++r) {
      for (int64_t c = 0; c < side; ++c) {
        at.push_back({30.1 + r * dlat + (unit(rng) - 0.5) * 0.0003,
                      120.0 + c * dlon + (unit(rng) - 0.5) * 0.0003});
        QWL_RETURN_IF_ERROR(nodes.add({r * side + c + 1, at.back().lat, at.back().lon}));
      }
    }
    QWL_RETURN_IF_ERROR(nodes.flush());
    BulkInsert edges(tx,
                     "INSERT INTO road_edges (from_node, to_node, length_m, road_class, "
                     "speed_kmh, oneway, name_en, name_zh)",
                     8);
    auto road = [&](int64_t a, int64_t b, int64_t line, bool across) -> Status {
      std::string cls = "residential";
      int64_t speed = 30;
      if (line % 80 == 0) {
        cls = "motorway";
        speed = 100;
      } else if (line % 20 == 0) {
        cls = "primary";
        speed = 60;
      } else if (unit(rng) < 0.08) {
        cls = "path";
        speed = 10;
      }
      const bool oneway = cls == "residential" && unit(rng) < 0.08;
      const int64_t length = std::max<int64_t>(1, std::llround(haversine_m(at[a], at[b]) * 1.03));
      return edges.add(
          {a + 1, b + 1, length, cls, speed, oneway,
           fmt::format("{} {} {}", kWords[line % 14], line, across ? "Road" : "Street"),
           fmt::format("{}{}{}", kWordsZh[line % 14], line, across ? "路" : "街")});
    };
    for (int64_t r = 0; r < side; ++r) {
      for (int64_t c = 0; c < side; ++c) {
        const int64_t i = r * side + c;
        if (c + 1 < side && unit(rng) < 0.97) QWL_RETURN_IF_ERROR(road(i, i + 1, r, false));
        if (r + 1 < side && unit(rng) < 0.97) QWL_RETURN_IF_ERROR(road(i, i + side, c, true));
      }
    }
    QWL_RETURN_IF_ERROR(edges.flush());
    BulkInsert pois(tx,
                    "INSERT INTO pois (id, kind, name_en, name_zh, cuisine, lat, lon, rating_x10, "
                    "review_count, price_level)",
                    10);
    std::vector<std::vector<Value>> hour_rows;  // written after their places
    const double lat_span = side * dlat, lon_span = side * dlon;
    for (int64_t id = 1; id <= args.pois; ++id) {
      const int w1 = static_cast<int>(rng() % 14), w2 = static_cast<int>(rng() % 14);
      const char* kind = kKinds[rng() % 13];
      QWL_RETURN_IF_ERROR(
          pois.add({id, kind, fmt::format("{} {} {}", kWords[w1], kWords[w2], id),
                    fmt::format("{}{}{}", kWordsZh[w1], kWordsZh[w2], id),
                    std::string(rng() % 3 == 0 ? "sichuan" : ""), 30.1 + unit(rng) * lat_span,
                    120.0 + unit(rng) * lon_span, static_cast<int64_t>(rng() % 51),
                    static_cast<int64_t>(rng() % 2000), static_cast<int64_t>(rng() % 5)}));
      if (id % 5 == 0) continue;  // no hours: always open
      const int64_t open = 360 + static_cast<int64_t>(rng() % 300);
      const int64_t close = 1080 + static_cast<int64_t>(rng() % 480);  // up to 02:00
      for (int day = 0; day < 7; ++day) {
        if (id % 7 == day) continue;  // one day off
        hour_rows.push_back({id, day, open, close});
      }
    }
    QWL_RETURN_IF_ERROR(pois.flush());
    BulkInsert hours(tx, "INSERT INTO poi_hours (poi_id, weekday, open_min, close_min)", 4);
    for (std::vector<Value>& row : hour_rows) QWL_RETURN_IF_ERROR(hours.add(std::move(row)));
    return hours.flush();
  });
}

// Wall time and this thread's CPU time of one query: on a shared machine the CPU time shows
// the work a query does, the wall time adds the waits for a core.
class QueryTimer {
 public:
  QueryTimer() : cpu_start_us_(thread_cpu_us()) {}
  int64_t wall_us() const { return wall_.elapsed_us(); }
  int64_t cpu_us() const { return thread_cpu_us() - cpu_start_us_; }
  static int64_t thread_cpu_us() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
  }

 private:
  Stopwatch wall_;
  int64_t cpu_start_us_;
};

struct Samples {
  std::vector<int64_t> wall_us, cpu_us;
  int failed = 0;
  void add(const QueryTimer& t, bool ok) {
    wall_us.push_back(t.wall_us());
    cpu_us.push_back(t.cpu_us());
    failed += ok ? 0 : 1;
  }
};

void print(const char* what, Samples s) {
  auto pct = [](std::vector<int64_t>& v, double q) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[std::min(v.size() - 1, static_cast<size_t>(v.size() * q))] / 1e3;
  };
  const size_t n = s.wall_us.size();
  std::printf("%-32s %5zu  wall p50 %7.3f p99 %7.3f ms   cpu p50 %7.3f p99 %7.3f ms  (errors %d)\n",
              what, n, pct(s.wall_us, 0.5), pct(s.wall_us, 0.99), pct(s.cpu_us, 0.5),
              pct(s.cpu_us, 0.99), s.failed);
}

int64_t process_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

int run(const Args& args) {
  std::string url = args.db;
  std::filesystem::path temp;
  if (url.empty()) {
    temp = args.write.empty() ? std::filesystem::temp_directory_path() /
                                    fmt::format("bench_maps_{}.db", ::getpid())
                              : std::filesystem::path(args.write);
    url = temp.string();
    auto db = Db::open(url);
    if (!db.ok()) return std::fprintf(stderr, "%s\n", db.status().to_string().c_str()), 1;
    auto m = migrate(**db, migrations());
    if (!m.ok()) return std::fprintf(stderr, "%s\n", m.status().to_string().c_str()), 1;
    Stopwatch w;
    Status s = write_city(**db, args);
    if (!s.ok()) return std::fprintf(stderr, "%s\n", s.to_string().c_str()), 1;
    std::printf("wrote a synthetic city (%lld nodes, %lld places) in %.1f s\n",
                static_cast<long long>(args.nodes), static_cast<long long>(args.pois),
                w.elapsed_s());
    if (!args.write.empty()) return 0;
  }
  auto db = Db::open(url);
  if (!db.ok()) return std::fprintf(stderr, "%s\n", db.status().to_string().c_str()), 1;
  ManualClock clock;
  Stopwatch load_watch;
  const int64_t load_cpu0 = process_cpu_us();
  auto maps = Maps::load(**db, clock, RoadGraphOptions{.landmarks = args.landmarks});
  if (!maps.ok()) return std::fprintf(stderr, "%s\n", maps.status().to_string().c_str()), 1;
  const double load_s = load_watch.elapsed_s();
  const double load_cpu_s = (process_cpu_us() - load_cpu0) / 1e6;
  auto snap = (*maps)->snapshot();
  const RoadGraph& graph = *snap->graph;
  const MapIndex& places = *snap->places;
  std::printf(
      "load: %.3f s wall, %.3f s cpu (all threads) for %zu nodes, %zu edges (%zu arcs), "
      "%zu places\n",
      load_s, load_cpu_s, graph.node_count(), graph.edge_count(), graph.arc_count(), places.size());
  std::printf("memory: road graph %.1f MB (%.0f bytes/node), places %.1f MB (%.0f bytes/place)\n",
              graph.memory_bytes() / 1e6,
              static_cast<double>(graph.memory_bytes()) / std::max<size_t>(1, graph.node_count()),
              places.memory_bytes() / 1e6,
              static_cast<double>(places.memory_bytes()) / std::max<size_t>(1, places.size()));
  if (graph.node_count() == 0 || places.size() == 0) return 1;
  {
    // Where the load time goes: reading and building each half, and the landmarks' share.
    // CPU seconds of this process (the landmark threads included).
    double graph_s = 0, graph_no_landmarks_s = 0, places_s = 0;
    Status s = (*db)->read([&](Tx& tx) -> Status {
      int64_t c = process_cpu_us();
      QWL_RETURN_IF_ERROR(RoadGraph::load(tx, {.landmarks = args.landmarks}).status());
      graph_s = (process_cpu_us() - c) / 1e6;
      c = process_cpu_us();
      QWL_RETURN_IF_ERROR(RoadGraph::load(tx, {.landmarks = 0}).status());
      graph_no_landmarks_s = (process_cpu_us() - c) / 1e6;
      c = process_cpu_us();
      QWL_RETURN_IF_ERROR(MapIndex::load(tx).status());
      places_s = (process_cpu_us() - c) / 1e6;
      return Status::Ok();
    });
    if (!s.ok()) return std::fprintf(stderr, "%s\n", s.to_string().c_str()), 1;
    std::printf("load parts (cpu): road graph %.3f s (%.3f s without landmarks), places %.3f s\n",
                graph_s, graph_no_landmarks_s, places_s);
  }

  // Query points: random places' coordinates (so the points lie in the city).
  std::mt19937_64 rng(7);
  std::vector<LatLon> points;
  for (int i = 0; i < 4096; ++i) {
    auto p = places.place(static_cast<int64_t>(1 + rng() % places.size()), 0);
    if (p) points.push_back(p->location);
  }
  if (points.empty()) {  // ids not dense (a seeded database): any matches of a common letter
    auto named = places.find_by_name("a", std::nullopt, 100, 0);
    if (named.ok()) {
      for (const NamedPlace& p : *named) points.push_back(p.place.location);
    }
  }
  auto point = [&] { return points[rng() % points.size()]; };
  const Actor actor{.user_id = 1};
  clock.set_wall_us(1'795'386'600'000'000);  // a Monday morning

  auto time_nearby = [&](const char* what, auto make_query) {
    Samples samples;
    for (int i = 0; i < args.queries; ++i) {
      NearbyQuery q = make_query();
      QueryTimer t;
      auto r = (*maps)->nearby(actor, q);
      samples.add(t, r.ok());
    }
    print(what, std::move(samples));
  };
  time_nearby("nearby 1 km, any kind, limit 20",
              [&] { return NearbyQuery{.center = point(), .radius_m = 1000}; });
  time_nearby("nearby 3 km, cafe, open now", [&] {
    return NearbyQuery{.center = point(), .radius_m = 3000, .kinds = {"cafe"}, .open_now = true};
  });
  time_nearby("nearby 10 km, rating >= 4.5", [&] {
    return NearbyQuery{.center = point(), .radius_m = 10'000, .min_rating_x10 = 45};
  });

  for (TravelMode mode : {TravelMode::kWalk, TravelMode::kCycle, TravelMode::kDrive}) {
    Samples samples;
    for (int i = 0; i < args.queries / 2; ++i) {
      const LatLon a = point(), b = point();
      QueryTimer t;
      auto r = graph.route(a, b, mode);
      samples.add(t, r.ok());
    }
    print(fmt::format("route {} (random pairs)", travel_mode_name(mode)).c_str(),
          std::move(samples));
  }
  {
    Samples samples;
    for (int i = 0; i < args.queries / 2; ++i) {
      const LatLon a = point(), b = point();
      QueryTimer t;
      auto r = delivery_eta(graph, {.merchant = a, .prep_minutes = 10, .destination = b}, 0);
      samples.add(t, r.ok());
    }
    print("delivery ETA (cycling route)", std::move(samples));
  }
  {
    Samples samples;
    for (int i = 0; i < args.queries; ++i) {
      const std::string text = rng() % 2 ? kWords[rng() % 14] : kWordsZh[rng() % 14];
      const LatLon near = point();
      QueryTimer t;
      auto r = places.find_by_name(text, near, 5, 0);
      samples.add(t, r.ok());
    }
    print("place by name (common word)", std::move(samples));
  }
  {
    // A place's own English or Chinese name, as geocoding "Luna Café" or "露娜咖啡" does.
    Samples samples;
    for (int i = 0; i < args.queries; ++i) {
      auto target = places.find_by_name(rng() % 2 ? kWords[rng() % 14] : kWordsZh[rng() % 14],
                                        std::nullopt, 100, 0);
      if (!target.ok() || target->empty()) continue;
      const Place& p = (*target)[rng() % target->size()].place;
      const std::string text = rng() % 2 ? p.name_en : p.name_zh;
      QueryTimer t;
      auto r = places.find_by_name(text, std::nullopt, 5, 0);
      // The first answer must bear that name (another place may share it: a chain's branch).
      samples.add(t,
                  r.ok() && !r->empty() &&
                      ((*r)[0].place.name_en == p.name_en || (*r)[0].place.name_zh == p.name_zh));
    }
    print("place by name (a full name)", std::move(samples));
  }
  db->reset();
  if (!temp.empty()) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(temp.string() + suffix, ec);
    }
  }
  return 0;
}

}  // namespace
}  // namespace qwl::services

int main(int argc, char** argv) {
  qwl::services::Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--db" && has_value) {
      args.db = argv[++i];
    } else if (a == "--write" && has_value) {
      args.write = argv[++i];
    } else if (a == "--nodes" && has_value) {
      args.nodes = std::atoll(argv[++i]);
    } else if (a == "--pois" && has_value) {
      args.pois = std::atoll(argv[++i]);
    } else if (a == "--queries" && has_value) {
      args.queries = std::atoi(argv[++i]);
    } else if (a == "--landmarks" && has_value) {
      args.landmarks = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: bench_maps [--db URL | --write PATH] [--nodes N] [--pois N] "
                   "[--queries N] [--landmarks N]\n");
      return 2;
    }
  }
  return qwl::services::run(args);
}
