// The seed's inner parts, shared by its files (seed.h is the public contract): the random
// generator, libm-free geometry, the batch writer, the plan of one scale, the in-memory city
// the phases share, and the phases themselves. Not for use outside src/services/seed*.cpp.
//
// Determinism rules that every phase follows: each record draws from its own generator
// stream, rng_for(seed, "<stream>", index), so a record's content depends on nothing but the
// seed, its stream name and its index (not on batch sizes or on how many numbers another record
// drew); coordinates and lengths use only + - * / and sqrt (correctly rounded everywhere);
// ids are counted by the phases and written explicitly.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/check.h"
#include "base/clock.h"
#include "base/status.h"
#include "services/seed.h"
#include "store/db.h"

namespace qwl::services::seed_internal {

// ---------------------------------------------------------------------------------------------
// Randomness

constexpr uint64_t fnv1a(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (char c : text) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman and Vigna), seeded through splitmix64. Every draw below is defined
// from 64-bit integer operations only, so a stream gives the same numbers on every platform
// (the standard library's distributions are implementation-defined).
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (uint64_t& s : s_) s = splitmix64(x);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [lo, hi] (inclusive), by the high half of a 128-bit product (bias below 2^-40
  // for every range used here).
  int64_t range(int64_t lo, int64_t hi) {
    QWL_CHECK(hi >= lo, "Rng::range({}, {})", lo, hi);
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    const auto wide = static_cast<unsigned __int128>(next()) * span;
    return lo + static_cast<int64_t>(static_cast<uint64_t>(wide >> 64));
  }
  size_t index(size_t n) { return static_cast<size_t>(range(0, static_cast<int64_t>(n) - 1)); }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * unit(); }
  bool chance(double p) { return unit() < p; }
  template <typename T>
  const T& pick(std::span<const T> items) {
    return items[index(items.size())];
  }
  // Index by integer weights.
  size_t weighted(std::span<const int> weights);

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_{};
};

// The generator of one record: `seed`, the stream's name and the record's index mixed.
Rng rng_for(uint64_t seed, std::string_view stream, uint64_t index = 0);

// ---------------------------------------------------------------------------------------------
// Geometry without libm: sin/cos from their Taylor series, so coordinates are bit-identical on
// every machine and so in both databases.

void sin_cos(double radians, double* s, double* c);
double cos_deg(double degrees);

struct LatLon {
  double lat = 0;
  double lon = 0;
};

inline constexpr double kCenterLat = 30.25;
inline constexpr double kCenterLon = 120.16;
// Metres per degree of latitude on the IUGG mean sphere (R = 6,371,008.8 m), the radius a
// haversine uses: edge lengths computed with it never fall below the great-circle distance a
// router's A* heuristic may assume.
inline constexpr double kMetersPerDegLat = 111'195.08;

double meters_per_deg_lon(double lat);
LatLon offset_m(LatLon from, double north_m, double east_m);
// Equirectangular distance at the mean latitude; within 1e-6 of the haversine at city scale.
double distance_m(LatLon a, LatLon b);

// ---------------------------------------------------------------------------------------------
// Words

struct Bi {
  std::string_view en;
  std::string_view zh;
};

// ---------------------------------------------------------------------------------------------
// Tables and the batch writer

// The tables the seed writes, parents before children (the order batches are written in).
enum class T : int {
  kDistricts,
  kRoadNodes,
  kRoadEdges,
  kUsers,
  kPois,
  kPoiHours,
  kReviews,
  kAddresses,
  kMerchants,
  kMenuItems,
  kMenuOptionGroups,
  kMenuOptions,
  kRestaurantTables,
  kHotelRoomTypes,
  kHotelRooms,
  kCategories,
  kBrands,
  kProducts,
  kProductVariants,
  kProductAttributes,
  kCoupons,
  kUserCoupons,
  kCount
};
inline constexpr int kTableCount = static_cast<int>(T::kCount);

struct TableSpec {
  std::string_view name;
  std::vector<std::string_view> columns;
  bool has_id = false;  // the first column is an identity `id` written explicitly
};
const TableSpec& table_spec(T table);

// Buffers rows and writes them in multi-row INSERTs, one transaction per batch. A batch may be
// written inside any row() call; it writes the tables in T's order, so a child row added after
// its parent row is never written before it and foreign keys hold at every statement (rule
// for callers: add a parent's row before its children's). After the first error every row is
// dropped and status() holds the error; phases check it at their loops' boundaries.
class Writer {
 public:
  Writer(Db& db, const Clock& clock, const SeedProgressFn& progress, int64_t values_per_batch,
         int64_t planned_rows);

  template <typename... A>
  void row(T table, A&&... values) {
    Buffer& b = buffers_[static_cast<int>(table)];
    QWL_CHECK(sizeof...(A) == b.columns, "seed: {} takes {} values, got {}", table_spec(table).name,
              b.columns, sizeof...(A));
    if (!status_.ok()) return;
    (b.values.emplace_back(std::forward<A>(values)), ...);
    pending_values_ += static_cast<int64_t>(sizeof...(A));
    if (pending_values_ >= values_per_batch_) status_ = flush();
  }

  // Writes every buffered row in one transaction (retried as a whole on busy/serialization
  // failures: the buffers are only read, so a retry writes the same rows).
  Status flush();
  void begin_phase(std::string_view phase);
  // Flushes and reports the phase's end.
  Status end_phase();
  // Rows of other tables written outside the writer (the ledger's), for the counts and progress.
  void count_external_rows(std::string_view table, int64_t rows);

  const Status& status() const { return status_; }
  int64_t written(T table) const { return written_[static_cast<int>(table)]; }
  int64_t total_written() const;
  std::vector<SeedTableCount> counts() const;
  Db& db() { return db_; }

 private:
  struct Buffer {
    size_t columns = 0;
    std::vector<Value> values;
  };
  const std::string& insert_sql(T table, int64_t rows);
  void report(bool phase_done);

  Db& db_;
  const Clock& clock_;
  const SeedProgressFn& progress_;
  int64_t values_per_batch_;
  int64_t planned_rows_;
  int64_t start_us_;
  std::string phase_;
  std::array<Buffer, kTableCount> buffers_;
  std::array<int64_t, kTableCount> written_{};
  std::vector<std::pair<std::string, int64_t>> external_;  // other tables' rows (ledger)
  std::array<std::map<int64_t, std::string>, kTableCount> sql_;
  int64_t pending_values_ = 0;
  Status status_;
};

// ---------------------------------------------------------------------------------------------
// The plan of one scale

struct Plan {
  bool demo = true;
  int grid_rows = 0;
  int grid_cols = 0;
  double spacing_m = 0;
  int district_rows = 0;
  int district_cols = 0;
  double park_share = 0;           // share of grid blocks that are parks with paths
  double airport_distance_m = 0;   // from the grid's east edge
  int64_t random_pois = 0;         // places besides the landmarks and parks
  double food_merchant_share = 0;  // of generated cafés, tea shops, restaurants: take orders
  double shop_merchant_share = 0;  // of generated shops (supermarkets, pharmacies: all)
  int64_t online_shops = 0;
  int64_t products = 0;
  int64_t brands = 0;
  int64_t customers = 0;  // generated customers besides the demo accounts
  int max_reviews = 0;    // per place
  double merchant_coupon_share = 0;
  double funded_share = 0;  // of generated customers with a topped-up wallet
  int64_t planned_rows = 0;
};
Result<Plan> make_plan(const SeedOptions& options);

// ---------------------------------------------------------------------------------------------
// The shared state of one seed run

enum class PoiKind : uint8_t {
  kCafe,
  kTea,
  kRestaurant,
  kSupermarket,
  kPharmacy,
  kHotel,
  kCinema,
  kSight,
  kOffice,
  kResidence,
  kStation,
  kAirport,
  kShop,
};
inline constexpr int kPoiKindCount = 13;
std::string_view poi_kind_name(PoiKind kind);

enum class RoadClass : uint8_t { kMotorway, kPrimary, kSecondary, kResidential, kPath };
std::string_view road_class_name(RoadClass road_class);

struct Edge {
  int64_t from = 0;
  int64_t to = 0;
  RoadClass road_class = RoadClass::kResidential;
  bool oneway = false;
};

struct District {
  int64_t id = 0;
  std::string name_en;
  std::string name_zh;
  LatLon center;
};

struct Street {
  std::string name_en;
  std::string name_zh;
};

// A park block: a node in its middle joined to the block's corners by paths.
struct Park {
  int64_t node = 0;
  LatLon at;
  std::string name_en;
  std::string name_zh;
};

// The road network and districts, kept in memory for snapping places and addresses to nodes.
struct City {
  int rows = 0;
  int cols = 0;
  double spacing_m = 0;
  LatLon south_west;                 // grid node (0, 0) before jitter
  LatLon north_east;                 // grid node (rows-1, cols-1) before jitter
  std::vector<LatLon> nodes;         // node id - 1
  std::vector<int32_t> node_street;  // index into streets; -1: not a street node (no snapping)
  std::vector<int32_t> node_number;  // house number of the node on its street
  std::vector<Street> streets;
  std::vector<Edge> edges;  // edge id - 1
  std::vector<District> districts;
  std::vector<Park> parks;
  int64_t airport_node = 0;

  // Street-node buckets for nearest-node queries (cell = spacing).
  double bucket_lat_deg = 0;
  double bucket_lon_deg = 0;
  int bucket_rows = 0;
  int bucket_cols = 0;
  LatLon bucket_origin;
  std::vector<std::vector<int64_t>> buckets;

  int64_t nearest_street_node(LatLon p) const;
  int64_t district_at(LatLon p) const;
  LatLon grid_point(double row, double col) const;  // unjittered position of fractional cell
};

struct Place {
  int64_t id = 0;
  PoiKind kind = PoiKind::kCafe;
  int cuisine = -1;  // restaurants: index into cuisines()
  int line = -1;     // shops: index into shop_lines()
  LatLon at;
  int64_t node_id = 0;
  int64_t district_id = 0;
  int rating_x10 = 0;
  int price_level = 0;
  std::string name_en;
  std::string name_zh;
  std::string address_en;
  std::string address_zh;
  bool merchant = false;  // sells through the app
  int landmark = -1;      // index into the landmark list, -1 for generated places
};

// Landmarks that tests, docs and the demo refer to by key.
enum class Landmark : int {
  kLuna,
  kManner,
  kAliceOffice,
  kAliceHome,
  kSichuan,
  kCloudTea,
  kJadeTea,
  kMoonlightNoodles,
  kFreshway,
  kKangjian,
  kLakeviewHotel,
  kRailwayStation,
  kAirport,
  kWangHome,
  kWangOffice,
  kGoldenCinema,
  kCityMuseum,
  kNightOwlBbq,
  kCount
};

// Fixed user ids of the demo accounts.
inline constexpr int64_t kAliceId = 1;
inline constexpr int64_t kWangId = 2;
inline constexpr int64_t kLunaOwnerId = 3;
inline constexpr int64_t kMannerOwnerId = 4;
inline constexpr int64_t kAdminId = 5;
inline constexpr int64_t kDemoUserCount = 5;

struct MerchantInfo {
  int64_t id = 0;
  size_t place = SIZE_MAX;  // index into places; SIZE_MAX for an online shop
  PoiKind kind = PoiKind::kShop;
  int line = -1;  // shops: the shop line; online shops: -1 (several)
  std::string name_en;
  std::string name_zh;
  std::vector<int64_t> menu_item_ids;
};

struct Context {
  const SeedOptions& options;
  Plan plan;
  Writer& w;
  City city;
  std::vector<Place> places;
  std::array<size_t, static_cast<int>(Landmark::kCount)> landmark_place{};
  std::vector<MerchantInfo> merchants;
  std::array<int64_t, static_cast<int>(Landmark::kCount)> landmark_merchant{};
  int64_t users = 0;  // user ids are 1..users
  std::vector<int64_t> funded_users;
  std::vector<int64_t> wallet_amounts;
  std::vector<std::string> brand_names_en;  // brand id - 1
  std::vector<std::string> brand_names_zh;
  int64_t next_review_id = 1;
  int64_t next_product_id = 1;
  int64_t next_variant_id = 1;

  uint64_t seed() const { return options.seed; }
  int64_t epoch_us() const { return options.epoch_us; }
  Rng rng(std::string_view stream, uint64_t index = 0) const {
    return rng_for(options.seed, stream, index);
  }
  const Place& landmark(Landmark l) const { return places[landmark_place[static_cast<int>(l)]]; }
};

// Whether generated user `index` (id kDemoUserCount + 1 + index) writes in Chinese.
bool customer_prefers_zh(const Context& ctx, int64_t user_id);

// The phases, in the order seed_ecosystem() runs them.
Status seed_roads(Context& ctx);      // districts, road_nodes, road_edges; checks connectivity
Status seed_users(Context& ctx);      // users
Status seed_places(Context& ctx);     // pois, poi_hours, reviews
Status seed_addresses(Context& ctx);  // addresses
Status seed_merchants(Context& ctx);  // merchants, menus, restaurant tables, hotel rooms
Status seed_catalog(Context& ctx);    // categories, brands, products, variants, attributes
Status seed_coupons(Context& ctx);    // coupons, user_coupons
Status seed_wallets(Context& ctx);    // ledger top-ups (through ledger.h post())

// Connectivity of a road network: every node in one undirected component; the walking graph
// (all but motorways, either direction) and the driving graph (all but paths, one-way
// respected) each connected over the nodes they touch (driving: strongly connected).
struct RoadCheck {
  int64_t components = 0;
  bool walk_connected = false;
  bool drive_strongly_connected = false;
};
RoadCheck check_roads(int64_t node_count, std::span<const Edge> edges);

}  // namespace qwl::services::seed_internal
