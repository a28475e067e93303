// The seed's plumbing (see seed_internal.h): random streams, libm-free geometry, the tables'
// columns, the batch writer and the road network's connectivity check.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "services/seed_internal.h"

namespace qwl::services::seed_internal {

// ---------------------------------------------------------------------------------------------
// Randomness

size_t Rng::weighted(std::span<const int> weights) {
  const int64_t total = std::accumulate(weights.begin(), weights.end(), int64_t{0});
  int64_t r = range(0, total - 1);
  for (size_t i = 0; i < weights.size(); ++i) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  return weights.size() - 1;
}

Rng rng_for(uint64_t seed, std::string_view stream, uint64_t index) {
  // Three rounds of splitmix64 over (seed, stream, index): streams that differ in any part are
  // unrelated, and neighbouring indexes do not give neighbouring states.
  uint64_t state = seed;
  uint64_t a = splitmix64(state);
  state = a ^ fnv1a(stream);
  uint64_t b = splitmix64(state);
  state = b ^ (index * 0xd1342543de82ef95ull);
  return Rng(splitmix64(state));
}

// ---------------------------------------------------------------------------------------------
// Geometry

void sin_cos(double radians, double* s, double* c) {
  constexpr double kPi = 3.14159265358979323846;
  double x = radians;
  while (x > kPi) x -= 2 * kPi;
  while (x < -kPi) x += 2 * kPi;
  // Taylor series to x^29/29!: below 1e-16 relative error for |x| <= pi, using + - * / only.
  double term_s = x;
  double term_c = 1;
  double sum_s = 0;
  double sum_c = 0;
  const double x2 = x * x;
  for (int k = 0; k < 15; ++k) {
    sum_s += term_s;
    sum_c += term_c;
    term_s *= -x2 / ((2 * k + 2) * (2 * k + 3));
    term_c *= -x2 / ((2 * k + 1) * (2 * k + 2));
  }
  *s = sum_s;
  *c = sum_c;
}

double cos_deg(double degrees) {
  double s = 0;
  double c = 0;
  sin_cos(degrees * (3.14159265358979323846 / 180.0), &s, &c);
  return c;
}

double meters_per_deg_lon(double lat) {
  return kMetersPerDegLat * cos_deg(lat);
}

LatLon offset_m(LatLon from, double north_m, double east_m) {
  return {from.lat + north_m / kMetersPerDegLat, from.lon + east_m / meters_per_deg_lon(from.lat)};
}

double distance_m(LatLon a, LatLon b) {
  const double dy = (a.lat - b.lat) * kMetersPerDegLat;
  const double dx = (a.lon - b.lon) * meters_per_deg_lon((a.lat + b.lat) / 2);
  return std::sqrt(dx * dx + dy * dy);
}

// ---------------------------------------------------------------------------------------------
// Tables

const TableSpec& table_spec(T table) {
  static const std::array<TableSpec, kTableCount> kSpecs = {{
      {"districts", {"id", "name_en", "name_zh", "lat", "lon"}, true},
      {"road_nodes", {"id", "lat", "lon"}, true},
      {"road_edges",
       {"id", "from_node", "to_node", "length_m", "road_class", "speed_kmh", "oneway", "name_en",
        "name_zh"},
       true},
      {"users",
       {"id", "email", "name", "role", "locale", "password_hash", "daily_spend_limit",
        "created_at_us"},
       true},
      {"pois",
       {"id", "kind", "name_en", "name_zh", "description_en", "description_zh", "address_en",
        "address_zh", "cuisine", "lat", "lon", "district_id", "node_id", "rating_x10",
        "review_count", "price_level", "phone"},
       true},
      {"poi_hours", {"poi_id", "weekday", "open_min", "close_min"}, false},
      {"reviews", {"id", "poi_id", "user_id", "rating_x10", "text", "created_at_us"}, true},
      {"addresses",
       {"id", "user_id", "label", "recipient", "phone", "line_en", "line_zh", "lat", "lon",
        "district_id", "node_id", "is_default", "created_at_us"},
       true},
      {"merchants",
       {"id", "poi_id", "owner_user_id", "kind", "name_en", "name_zh", "description_en",
        "description_zh", "prep_minutes", "delivery_fee", "min_order", "delivery_radius_m",
        "rating_x10", "sales", "accepting", "created_at_us"},
       true},
      {"menu_items",
       {"id", "merchant_id", "category_en", "category_zh", "name_en", "name_zh", "description_en",
        "description_zh", "price", "available", "stock", "sales", "sort", "updated_at_us"},
       true},
      {"menu_option_groups",
       {"id", "item_id", "key", "name_en", "name_zh", "min_choices", "max_choices", "sort"},
       true},
      {"menu_options",
       {"id", "group_id", "name_en", "name_zh", "price_delta", "is_default", "sort"},
       true},
      {"restaurant_tables", {"id", "poi_id", "label", "seats"}, true},
      {"hotel_room_types",
       {"id", "poi_id", "name_en", "name_zh", "beds", "max_guests", "price_per_night"},
       true},
      {"hotel_rooms", {"id", "room_type_id", "number"}, true},
      {"categories", {"id", "parent_id", "name_en", "name_zh"}, true},
      {"brands", {"id", "name_en", "name_zh"}, true},
      {"products",
       {"id", "merchant_id", "category_id", "brand_id", "name_en", "name_zh", "description_en",
        "description_zh", "rating_x10", "review_count", "sales", "listed", "created_at_us",
        "updated_at_us"},
       true},
      {"product_variants",
       {"id", "product_id", "sku", "name_en", "name_zh", "price", "stock"},
       true},
      {"product_attributes", {"product_id", "name", "value"}, false},
      {"coupons",
       {"id", "code", "title_en", "title_zh", "merchant_id", "funded_by", "min_subtotal",
        "amount_off", "percent_off", "max_discount", "stackable", "starts_at_us", "ends_at_us",
        "total_limit", "used_count"},
       true},
      {"user_coupons",
       {"id", "user_id", "coupon_id", "claimed_at_us", "used_at_us", "order_id"},
       true},
  }};
  return kSpecs[static_cast<int>(table)];
}

// ---------------------------------------------------------------------------------------------
// The writer

namespace {

// At most this many rows and parameters per statement. PostgreSQL's protocol allows 65,535
// parameters and SQLite (3.32 and later) 32,766, but libpq (15) drops the connection ("lost
// synchronization with server") on a ParameterDescription message above 30,000 bytes, which is
// 4 bytes per parameter: the store describes every prepared statement, so 7,000 it is. Statement
// sizes are powers of two, so each table prepares at most eleven distinct statements however
// many batches it writes.
constexpr int64_t kMaxRowsPerStatement = 1024;
constexpr int64_t kMaxParamsPerStatement = 7'000;

int64_t rows_per_statement(size_t columns) {
  int64_t rows = kMaxRowsPerStatement;
  while (rows * static_cast<int64_t>(columns) > kMaxParamsPerStatement) rows /= 2;
  return rows;
}

}  // namespace

Writer::Writer(Db& db, const Clock& clock, const SeedProgressFn& progress, int64_t values_per_batch,
               int64_t planned_rows)
    : db_(db),
      clock_(clock),
      progress_(progress),
      values_per_batch_(values_per_batch),
      planned_rows_(planned_rows),
      start_us_(clock.monotonic_us()) {
  for (int t = 0; t < kTableCount; ++t) {
    buffers_[t].columns = table_spec(static_cast<T>(t)).columns.size();
  }
}

const std::string& Writer::insert_sql(T table, int64_t rows) {
  auto& cache = sql_[static_cast<int>(table)];
  auto it = cache.find(rows);
  if (it != cache.end()) return it->second;
  const TableSpec& spec = table_spec(table);
  std::string sql =
      fmt::format("INSERT INTO {} ({}) VALUES ", spec.name, fmt::join(spec.columns, ", "));
  std::string one = "(";
  for (size_t c = 0; c < spec.columns.size(); ++c) one += c == 0 ? "?" : ", ?";
  one += ")";
  sql.reserve(sql.size() + static_cast<size_t>(rows) * (one.size() + 2));
  for (int64_t r = 0; r < rows; ++r) {
    if (r > 0) sql += ", ";
    sql += one;
  }
  return cache.emplace(rows, std::move(sql)).first->second;
}

Status Writer::flush() {
  if (!status_.ok()) return status_;
  if (pending_values_ == 0) return Status::Ok();
  std::array<int64_t, kTableCount> rows{};
  Status s = db_.transact([&](Tx& tx) -> Status {
    for (int t = 0; t < kTableCount; ++t) {
      const Buffer& b = buffers_[t];
      if (b.values.empty()) continue;
      const auto columns = static_cast<int64_t>(b.columns);
      const int64_t total = static_cast<int64_t>(b.values.size()) / columns;
      int64_t done = 0;
      int64_t chunk = rows_per_statement(b.columns);
      while (done < total) {
        while (chunk > total - done) chunk /= 2;
        const std::string& sql = insert_sql(static_cast<T>(t), chunk);
        const std::span<const Value> values(b.values.data() + done * columns,
                                            static_cast<size_t>(chunk * columns));
        Result<int64_t> r = tx.exec(sql, Params(values));
        if (!r.ok()) {
          return r.status().with_context(
              fmt::format("seed: writing {}", table_spec(static_cast<T>(t)).name));
        }
        done += chunk;
      }
      rows[t] = total;
    }
    return Status::Ok();
  });
  if (!s.ok()) {
    status_ = s;
    return s;
  }
  for (int t = 0; t < kTableCount; ++t) {
    written_[t] += rows[t];
    buffers_[t].values.clear();
  }
  pending_values_ = 0;
  report(false);
  return Status::Ok();
}

void Writer::begin_phase(std::string_view phase) {
  phase_ = std::string(phase);
}

Status Writer::end_phase() {
  QWL_RETURN_IF_ERROR(flush());
  report(true);
  return Status::Ok();
}

void Writer::count_external_rows(std::string_view table, int64_t rows) {
  for (auto& [name, n] : external_) {
    if (name == table) {
      n += rows;
      return;
    }
  }
  external_.emplace_back(std::string(table), rows);
}

int64_t Writer::total_written() const {
  int64_t total = std::accumulate(written_.begin(), written_.end(), int64_t{0});
  for (const auto& [name, n] : external_) total += n;
  return total;
}

std::vector<SeedTableCount> Writer::counts() const {
  std::vector<SeedTableCount> out;
  for (int t = 0; t < kTableCount; ++t) {
    out.push_back({std::string(table_spec(static_cast<T>(t)).name), written_[t]});
  }
  for (const auto& [name, n] : external_) out.push_back({name, n});
  return out;
}

void Writer::report(bool phase_done) {
  if (!progress_) return;
  SeedProgress p;
  p.phase = phase_;
  p.rows = total_written();
  p.planned_rows = planned_rows_;
  p.elapsed_s = static_cast<double>(clock_.monotonic_us() - start_us_) * 1e-6;
  p.rows_per_s = p.elapsed_s > 0 ? static_cast<double>(p.rows) / p.elapsed_s : 0;
  p.eta_s = p.rows_per_s > 0
                ? std::max(0.0, static_cast<double>(planned_rows_ - p.rows) / p.rows_per_s)
                : 0;
  p.phase_done = phase_done;
  progress_(p);
}

// ---------------------------------------------------------------------------------------------
// Road connectivity

namespace {

struct UnionFind {
  std::vector<int64_t> parent;
  explicit UnionFind(int64_t n) : parent(static_cast<size_t>(n)) {
    std::iota(parent.begin(), parent.end(), 0);
  }
  int64_t find(int64_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  }
  void unite(int64_t a, int64_t b) { parent[find(a)] = find(b); }
};

// Nodes reachable from `start` over adjacency lists in CSR form.
std::vector<uint8_t> reach(int64_t start, const std::vector<int64_t>& offsets,
                           const std::vector<int64_t>& targets) {
  std::vector<uint8_t> seen(offsets.size() - 1, 0);
  std::vector<int64_t> stack = {start};
  seen[start] = 1;
  while (!stack.empty()) {
    const int64_t n = stack.back();
    stack.pop_back();
    for (int64_t i = offsets[n]; i < offsets[n + 1]; ++i) {
      if (!seen[targets[i]]) {
        seen[targets[i]] = 1;
        stack.push_back(targets[i]);
      }
    }
  }
  return seen;
}

void build_csr(int64_t n, const std::vector<std::pair<int64_t, int64_t>>& arcs,
               std::vector<int64_t>* offsets, std::vector<int64_t>* targets) {
  offsets->assign(static_cast<size_t>(n) + 1, 0);
  for (const auto& [a, b] : arcs) ++(*offsets)[a + 1];
  for (int64_t i = 0; i < n; ++i) (*offsets)[i + 1] += (*offsets)[i];
  targets->assign(arcs.size(), 0);
  std::vector<int64_t> fill(offsets->begin(), offsets->end() - 1);
  for (const auto& [a, b] : arcs) (*targets)[fill[a]++] = b;
}

// Whether all `members` lie in one (strongly, when `directed`) connected part of `arcs`.
bool connected(int64_t n, const std::vector<std::pair<int64_t, int64_t>>& arcs,
               const std::vector<uint8_t>& members) {
  int64_t start = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (members[i]) {
      start = i;
      break;
    }
  }
  if (start < 0) return true;
  std::vector<int64_t> offsets;
  std::vector<int64_t> targets;
  build_csr(n, arcs, &offsets, &targets);
  std::vector<uint8_t> forward = reach(start, offsets, targets);
  std::vector<std::pair<int64_t, int64_t>> reversed;
  reversed.reserve(arcs.size());
  for (const auto& [a, b] : arcs) reversed.emplace_back(b, a);
  build_csr(n, reversed, &offsets, &targets);
  std::vector<uint8_t> backward = reach(start, offsets, targets);
  for (int64_t i = 0; i < n; ++i) {
    if (members[i] && (!forward[i] || !backward[i])) return false;
  }
  return true;
}

}  // namespace

RoadCheck check_roads(int64_t node_count, std::span<const Edge> edges) {
  RoadCheck check;
  UnionFind uf(node_count);
  for (const Edge& e : edges) uf.unite(e.from - 1, e.to - 1);
  for (int64_t i = 0; i < node_count; ++i) {
    if (uf.find(i) == i) ++check.components;
  }
  std::vector<std::pair<int64_t, int64_t>> walk;
  std::vector<std::pair<int64_t, int64_t>> drive;
  std::vector<uint8_t> walk_nodes(static_cast<size_t>(node_count), 0);
  std::vector<uint8_t> drive_nodes(static_cast<size_t>(node_count), 0);
  for (const Edge& e : edges) {
    const int64_t a = e.from - 1;
    const int64_t b = e.to - 1;
    if (e.road_class != RoadClass::kMotorway) {
      walk.emplace_back(a, b);
      walk.emplace_back(b, a);
      walk_nodes[a] = walk_nodes[b] = 1;
    }
    if (e.road_class != RoadClass::kPath) {
      drive.emplace_back(a, b);
      if (!e.oneway) drive.emplace_back(b, a);
      drive_nodes[a] = drive_nodes[b] = 1;
    }
  }
  check.walk_connected = connected(node_count, walk, walk_nodes);
  check.drive_strongly_connected = connected(node_count, drive, drive_nodes);
  return check;
}

}  // namespace qwl::services::seed_internal
