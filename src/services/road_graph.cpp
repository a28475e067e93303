// The road network in memory and routes on it (see road_graph.h).
#include "services/road_graph.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <unordered_map>

#include "base/check.h"

namespace qwl::services {

namespace {

constexpr uint32_t kNoTime = std::numeric_limits<uint32_t>::max();
constexpr uint32_t kNoArc = std::numeric_limits<uint32_t>::max();
constexpr double kNodeGridCellM = 250;
constexpr int64_t kRowsPerPage = 50'000;

uint8_t mode_bit(TravelMode mode) {
  return static_cast<uint8_t>(1u << static_cast<int>(mode));
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower_trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// Edge time in whole milliseconds, rounded half up: length_m * 3600 / kmh.
uint32_t edge_time_ms(int64_t length_m, int64_t kmh) {
  return static_cast<uint32_t>((length_m * 3600 + kmh / 2) / kmh);
}

int64_t access_time_ms(double distance_m, TravelMode mode) {
  return std::llround(distance_m * 3600.0 /
                      static_cast<double>(kAccessKmh[static_cast<int>(mode)]));
}

double real_of(const Value& v) {
  return v.type() == Value::Type::kInt64 ? static_cast<double>(v.int64()) : v.real();
}

// Times from `src` to every node by plain Dijkstra over a CSR whose arc(k) yields {node,
// time_ms} (kNoTime: closed), into `dist` (kNoTime: unreachable, or beyond 2^32 ms). Heap
// entries pack (time << 32 | node) into one integer, so the heap compares and moves 8 bytes;
// `dist` and `heap` are the caller's, reused across runs.
template <typename ArcAt>
void dijkstra_all(std::span<const uint32_t> begin, ArcAt&& arc, uint32_t src,
                  std::vector<uint32_t>* dist, std::vector<uint64_t>* heap) {
  dist->assign(begin.size() - 1, kNoTime);
  heap->clear();
  (*dist)[src] = 0;
  heap->push_back(src);
  while (!heap->empty()) {
    std::pop_heap(heap->begin(), heap->end(), std::greater<>());
    const uint64_t key = heap->back();
    heap->pop_back();
    const uint32_t d = static_cast<uint32_t>(key >> 32), u = static_cast<uint32_t>(key);
    if (d != (*dist)[u]) continue;
    for (uint32_t k = begin[u]; k < begin[u + 1]; ++k) {
      auto [v, t] = arc(k);
      if (t == kNoTime) continue;
      const uint64_t nd = static_cast<uint64_t>(d) + t;
      if (nd >= (*dist)[v]) continue;
      (*dist)[v] = static_cast<uint32_t>(nd);
      heap->push_back(nd << 32 | v);
      std::push_heap(heap->begin(), heap->end(), std::greater<>());
    }
  }
}

Turn classify_turn(double in_deg, double out_deg) {
  // Positive: clockwise, a right turn.
  const double d = std::fmod(out_deg - in_deg + 540.0, 360.0) - 180.0;
  const double a = std::fabs(d);
  if (a <= 20) return Turn::kStraight;
  if (a > 170) return Turn::kUTurn;
  if (a <= 60) return d > 0 ? Turn::kSlightRight : Turn::kSlightLeft;
  if (a <= 120) return d > 0 ? Turn::kRight : Turn::kLeft;
  return d > 0 ? Turn::kSharpRight : Turn::kSharpLeft;
}

}  // namespace

// The per-search state, reused across searches: a node's entry is valid only when its stamp is
// the current search's, so starting a search clears nothing.
struct RoadGraph::Workspace {
  struct NodeState {
    uint64_t g = 0;       // best time found so far, ms
    uint32_t parent = 0;  // the arc that reached the node
    uint32_t stamp = 0;   // (search generation << 1) | settled
    uint32_t h = 0;       // the heuristic, computed when the node is first reached
  };
  struct HeapEntry {
    uint64_t f = 0;  // g + h
    uint32_t node = 0;
    bool operator>(const HeapEntry& o) const { return f != o.f ? f > o.f : node > o.node; }
  };
  static_assert(sizeof(NodeState) == 24, "docs/ecosystem/maps.md states 24 bytes per node");
  explicit Workspace(size_t n) : state(n) {}
  std::vector<NodeState> state;
  std::vector<HeapEntry> heap;
  uint32_t generation = 0;

  void start() {
    heap.clear();
    if (++generation >= (1u << 31)) {  // stamps would wrap: clear them once
      for (NodeState& s : state) s.stamp = 0;
      generation = 1;
    }
  }
  bool seen(uint32_t v) const { return (state[v].stamp >> 1) == generation; }
  bool settled(uint32_t v) const { return state[v].stamp == ((generation << 1) | 1u); }
};

// Takes an idle workspace from the graph's pool (or makes one) and gives it back at scope exit.
class RoadGraph::WorkspaceLease {
 public:
  explicit WorkspaceLease(const RoadGraph& graph) : graph_(graph) {
    {
      std::lock_guard<std::mutex> lock(graph_.workspaces_mu_);
      if (!graph_.workspaces_.empty()) {
        ws_ = std::move(graph_.workspaces_.back());
        graph_.workspaces_.pop_back();
      }
    }
    if (!ws_) ws_ = std::make_unique<Workspace>(graph_.node_count());
  }
  ~WorkspaceLease() {
    std::lock_guard<std::mutex> lock(graph_.workspaces_mu_);
    graph_.workspaces_.push_back(std::move(ws_));
  }
  Workspace& operator*() { return *ws_; }
  WorkspaceLease(const WorkspaceLease&) = delete;
  WorkspaceLease& operator=(const WorkspaceLease&) = delete;

 private:
  const RoadGraph& graph_;
  std::unique_ptr<Workspace> ws_;
};

RoadGraph::~RoadGraph() = default;

std::string_view travel_mode_name(TravelMode mode) {
  switch (mode) {
    case TravelMode::kWalk:
      return "walking";
    case TravelMode::kCycle:
      return "cycling";
    case TravelMode::kDrive:
      return "driving";
  }
  return "unknown";
}

std::optional<TravelMode> parse_travel_mode(std::string_view text) {
  const std::string t = lower_trimmed(text);
  if (t == "walk" || t == "walking" || t == "foot" || t == "步行") return TravelMode::kWalk;
  if (t == "cycle" || t == "cycling" || t == "bike" || t == "bicycle" || t == "骑行" ||
      t == "骑车") {
    return TravelMode::kCycle;
  }
  if (t == "drive" || t == "driving" || t == "car" || t == "驾车" || t == "开车") {
    return TravelMode::kDrive;
  }
  return std::nullopt;
}

std::string_view road_class_name(RoadClass road_class) {
  switch (road_class) {
    case RoadClass::kMotorway:
      return "motorway";
    case RoadClass::kPrimary:
      return "primary";
    case RoadClass::kSecondary:
      return "secondary";
    case RoadClass::kResidential:
      return "residential";
    case RoadClass::kPath:
      return "path";
  }
  return "unknown";
}

std::optional<RoadClass> parse_road_class(std::string_view text) {
  for (RoadClass c : {RoadClass::kMotorway, RoadClass::kPrimary, RoadClass::kSecondary,
                      RoadClass::kResidential, RoadClass::kPath}) {
    if (road_class_name(c) == text) return c;
  }
  return std::nullopt;
}

bool mode_allowed(RoadClass road_class, TravelMode mode) {
  if (road_class == RoadClass::kMotorway) return mode == TravelMode::kDrive;
  if (road_class == RoadClass::kPath) return mode != TravelMode::kDrive;
  return true;
}

std::string_view turn_name(Turn turn) {
  switch (turn) {
    case Turn::kDepart:
      return "depart";
    case Turn::kStraight:
      return "straight";
    case Turn::kSlightLeft:
      return "slight_left";
    case Turn::kLeft:
      return "left";
    case Turn::kSharpLeft:
      return "sharp_left";
    case Turn::kSlightRight:
      return "slight_right";
    case Turn::kRight:
      return "right";
    case Turn::kSharpRight:
      return "sharp_right";
    case Turn::kUTurn:
      return "u_turn";
  }
  return "unknown";
}

Result<std::shared_ptr<const RoadGraph>> RoadGraph::build(std::span<const RoadNodeInput> nodes,
                                                          std::span<const RoadEdgeInput> edges,
                                                          const RoadGraphOptions& options) {
  if (nodes.size() >= kNoArc || edges.size() * 2 >= kNoArc) {
    return InvalidArgumentError("road network: {} nodes, {} edges: above the 32-bit limit",
                                nodes.size(), edges.size());
  }
  std::shared_ptr<RoadGraph> g(new RoadGraph());
  const size_t n = nodes.size();

  // Nodes: in the grid's order, so that nodes near each other sit near each other in memory.
  std::vector<LatLon> at(n);
  for (size_t i = 0; i < n; ++i) {
    QWL_RETURN_IF_ERROR(check_lat_lon(nodes[i].at, fmt::format("road_nodes {}", nodes[i].id)));
    at[i] = nodes[i].at;
  }
  std::vector<uint32_t> order;
  g->grid_ = PointGrid::build(at, kNodeGridCellM, &order);
  g->node_ids_.resize(n);
  g->node_at_.resize(n);
  g->node_xyz_.resize(n);
  g->node_flags_.assign(n, 0);
  g->id_to_index_.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    const RoadNodeInput& node = nodes[order[i]];
    g->node_ids_[i] = node.id;
    g->node_at_[i] = node.at;
    g->node_xyz_[i] = earth_point(node.at);
    g->id_to_index_[i] = {node.id, i};
  }
  std::sort(g->id_to_index_.begin(), g->id_to_index_.end());
  for (size_t i = 1; i < n; ++i) {
    if (g->id_to_index_[i].first == g->id_to_index_[i - 1].first) {
      return InvalidArgumentError("road_nodes {}: duplicate id", g->id_to_index_[i].first);
    }
  }
  if (n > 0) {
    const int64_t lo = g->id_to_index_.front().first, hi = g->id_to_index_.back().first;
    // Subtract as unsigned: the span of any two int64 ids fits in a uint64.
    const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
    if (span < 4 * static_cast<uint64_t>(n) + 1024) {
      g->id_base_ = lo;
      g->id_table_.assign(span + 1, kNoArc);
      for (const auto& [id, i] : g->id_to_index_) {
        g->id_table_[static_cast<uint64_t>(id) - static_cast<uint64_t>(lo)] = i;
      }
      std::vector<std::pair<int64_t, uint32_t>>().swap(g->id_to_index_);  // the table answers
    }
  }

  // Edges: checked, names shared, both directions as arcs where some mode may use them.
  struct Pending {
    uint32_t tail, head, edge;
    uint32_t time_ms[kTravelModes];
  };
  std::vector<Pending> pending;
  pending.reserve(edges.size() * 2);
  std::vector<std::pair<uint32_t, uint32_t>> neighbours;  // undirected, for junctions
  neighbours.reserve(edges.size() * 2);
  std::unordered_map<std::string, uint32_t> name_index;
  for (const RoadEdgeInput& e : edges) {
    auto a = g->index_of(e.from_node);
    auto b = g->index_of(e.to_node);
    if (!a || !b) {
      return InvalidArgumentError("road_edges {}: {} {} is not a road node", e.id,
                                  a ? "to_node" : "from_node", a ? e.to_node : e.from_node);
    }
    if (e.length_m <= 0 || e.length_m > kMaxEdgeLengthM) {
      return InvalidArgumentError("road_edges {}: length_m {} outside (0, {}]", e.id, e.length_m,
                                  kMaxEdgeLengthM);
    }
    if (e.speed_kmh < 1 || e.speed_kmh > 1000) {
      return InvalidArgumentError("road_edges {}: speed_kmh {} outside [1, 1000]", e.id,
                                  e.speed_kmh);
    }
    if (*a == *b) continue;  // a loop never shortens a route
    std::string key = e.name_en;
    key.push_back('\0');
    key += e.name_zh;
    auto [it, inserted] = name_index.try_emplace(std::move(key), g->names_en_.size());
    if (inserted) {
      g->names_en_.push_back(e.name_en);
      g->names_zh_.push_back(e.name_zh);
    }
    const uint32_t edge = static_cast<uint32_t>(g->edges_.size());
    g->edges_.push_back(Edge{.id = e.id,
                             .length_m = static_cast<uint32_t>(e.length_m),
                             .name = it->second,
                             .road_class = static_cast<uint8_t>(e.road_class)});
    Pending fwd{.tail = *a, .head = *b, .edge = edge, .time_ms = {kNoTime, kNoTime, kNoTime}};
    static_assert(kTravelModes == 3);
    Pending back{.tail = *b, .head = *a, .edge = edge, .time_ms = {kNoTime, kNoTime, kNoTime}};
    for (TravelMode mode : {TravelMode::kWalk, TravelMode::kCycle, TravelMode::kDrive}) {
      if (!mode_allowed(e.road_class, mode)) continue;
      const int m = static_cast<int>(mode);
      int64_t kmh = e.speed_kmh;
      if (mode == TravelMode::kWalk) kmh = std::min(kmh, kWalkKmh);
      if (mode == TravelMode::kCycle) kmh = std::min(kmh, kCycleKmh);
      const uint32_t t = edge_time_ms(e.length_m, kmh);
      fwd.time_ms[m] = t;
      if (!e.oneway || mode == TravelMode::kWalk) back.time_ms[m] = t;
    }
    for (const Pending& p : {fwd, back}) {
      if (p.time_ms[0] == kNoTime && p.time_ms[1] == kNoTime && p.time_ms[2] == kNoTime) continue;
      pending.push_back(p);
    }
    neighbours.emplace_back(*a, *b);
    neighbours.emplace_back(*b, *a);
  }

  // CSR: arcs grouped by tail, each node's arcs in the edges' input order.
  g->arc_begin_.assign(n + 1, 0);
  for (const Pending& p : pending) ++g->arc_begin_[p.tail + 1];
  for (size_t i = 0; i < n; ++i) g->arc_begin_[i + 1] += g->arc_begin_[i];
  g->arcs_.resize(pending.size());
  std::vector<uint32_t> fill(g->arc_begin_.begin(), g->arc_begin_.end() - 1);
  for (const Pending& p : pending) {
    Arc& arc = g->arcs_[fill[p.tail]++];
    arc.head = p.head;
    arc.edge = p.edge;
    for (int m = 0; m < kTravelModes; ++m) arc.time_ms[m] = p.time_ms[m];
  }

  // Junctions: three or more distinct neighbours, whatever the roads' classes.
  std::sort(neighbours.begin(), neighbours.end());
  neighbours.erase(std::unique(neighbours.begin(), neighbours.end()), neighbours.end());
  for (size_t i = 0; i < neighbours.size();) {
    size_t j = i;
    while (j < neighbours.size() && neighbours[j].first == neighbours[i].first) ++j;
    if (j - i >= 3) g->node_flags_[neighbours[i].first] |= kJunctionFlag;
    i = j;
  }
  // The driving penalty is paid at a path's inner junctions. Charging half of it to every arc
  // that enters or leaves a junction makes it an ordinary arc weight (so landmark times and
  // the geometric bound include it) and changes a path's total only by the constant
  // half_penalty(first) + half_penalty(last), which search() takes off again.
  const int drive = static_cast<int>(TravelMode::kDrive);
  for (uint32_t u = 0; u < n; ++u) {
    for (uint32_t k = g->arc_begin_[u]; k < g->arc_begin_[u + 1]; ++k) {
      Arc& arc = g->arcs_[k];
      if (arc.time_ms[drive] == kNoTime) continue;
      arc.time_ms[drive] += g->half_penalty_ms(u) + g->half_penalty_ms(arc.head);
    }
  }

  // Which modes may use each node, and the heuristic's factor: the least time per chord metre
  // over all arcs of the mode, shaved by 1e-9 so that rounding never makes h exceed a true time.
  double factor[kTravelModes];
  std::fill(std::begin(factor), std::end(factor), std::numeric_limits<double>::infinity());
  for (uint32_t u = 0; u < n; ++u) {
    for (uint32_t k = g->arc_begin_[u]; k < g->arc_begin_[u + 1]; ++k) {
      const Arc& arc = g->arcs_[k];
      const double chord = chord_m(g->node_xyz_[u], g->node_xyz_[arc.head]);
      for (int m = 0; m < kTravelModes; ++m) {
        if (arc.time_ms[m] == kNoTime) continue;
        g->node_flags_[u] |= static_cast<uint8_t>(1u << m);
        g->node_flags_[arc.head] |= static_cast<uint8_t>(1u << m);
        if (chord > 0) factor[m] = std::min(factor[m], arc.time_ms[m] / chord);
      }
    }
  }
  for (int m = 0; m < kTravelModes; ++m) {
    g->ms_per_chord_m_[m] = std::isfinite(factor[m]) ? factor[m] * (1 - 1e-9) : 0;
  }

  // Landmark times, one mode per worker thread (each writes only its own mode's arrays).
  g->landmarks_ = static_cast<int>(std::min<size_t>(std::max(0, options.landmarks), n));
  if (g->landmarks_ > 0) {
    std::atomic<int> next_mode{0};
    auto work = [&] {
      for (int m; (m = next_mode.fetch_add(1)) < kTravelModes;) {
        g->compute_landmarks(static_cast<TravelMode>(m), g->landmarks_);
      }
    };
    const int threads = std::clamp(options.threads, 1, kTravelModes);
    std::vector<std::thread> workers;
    for (int t = 1; t < threads; ++t) workers.emplace_back(work);
    work();
    for (std::thread& t : workers) t.join();
  }
  return std::shared_ptr<const RoadGraph>(std::move(g));
}

void RoadGraph::compute_landmarks(TravelMode mode, int count) {
  const int m = static_cast<int>(mode);
  const uint8_t bit = mode_bit(mode);
  const size_t n = node_count();
  // The mode's usable nodes and their centre: the usable node nearest their mean position.
  EarthPoint mean;
  size_t usable = 0;
  for (size_t v = 0; v < n; ++v) {
    if ((node_flags_[v] & bit) == 0) continue;
    mean.x += node_xyz_[v].x;
    mean.y += node_xyz_[v].y;
    mean.z += node_xyz_[v].z;
    ++usable;
  }
  if (usable == 0) return;
  mean = {mean.x / usable, mean.y / usable, mean.z / usable};
  uint32_t centre = 0;
  double centre_d2 = std::numeric_limits<double>::infinity();
  for (uint32_t v = 0; v < n; ++v) {
    if ((node_flags_[v] & bit) && chord2_m2(node_xyz_[v], mean) < centre_d2) {
      centre = v;
      centre_d2 = chord2_m2(node_xyz_[v], mean);
    }
  }
  auto forward = [&](uint32_t k) {
    return std::pair<uint32_t, uint32_t>{arcs_[k].head, arcs_[k].time_ms[m]};
  };
  // Incoming arcs, for the times towards a landmark (walking needs none: symmetric).
  std::vector<uint32_t> in_begin, in_tail, in_time;
  if (mode != TravelMode::kWalk) {
    in_begin.assign(n + 1, 0);
    for (const Arc& a : arcs_) {
      if (a.time_ms[m] != kNoTime) ++in_begin[a.head + 1];
    }
    for (size_t v = 0; v < n; ++v) in_begin[v + 1] += in_begin[v];
    in_tail.resize(in_begin[n]);
    in_time.resize(in_begin[n]);
    std::vector<uint32_t> fill(in_begin.begin(), in_begin.end() - 1);
    for (uint32_t u = 0; u < n; ++u) {
      for (uint32_t k = arc_begin_[u]; k < arc_begin_[u + 1]; ++k) {
        const Arc& a = arcs_[k];
        if (a.time_ms[m] == kNoTime) continue;
        in_tail[fill[a.head]] = u;
        in_time[fill[a.head]++] = a.time_ms[m];
      }
    }
  }
  auto backward = [&](uint32_t k) { return std::pair<uint32_t, uint32_t>{in_tail[k], in_time[k]}; };

  // Landmarks: in each of `count` sectors around the centre, the node reachable from it that
  // lies farthest from it. Far landmarks behind the target or the start give the tightest
  // bounds; reachability (a breadth-first search) keeps them out of islands.
  std::vector<uint8_t> reached(n, 0);
  {
    std::vector<uint32_t> queue = {centre};
    reached[centre] = 1;
    for (size_t q = 0; q < queue.size(); ++q) {
      const uint32_t u = queue[q];
      for (uint32_t k = arc_begin_[u]; k < arc_begin_[u + 1]; ++k) {
        const Arc& a = arcs_[k];
        if (a.time_ms[m] == kNoTime || reached[a.head]) continue;
        reached[a.head] = 1;
        queue.push_back(a.head);
      }
    }
  }
  const EarthPoint c = node_xyz_[centre];
  const double norm = std::sqrt(c.x * c.x + c.y * c.y + c.z * c.z);
  const EarthPoint up{c.x / norm, c.y / norm, c.z / norm};
  // East = z x up (normalised), north = up x east; at a pole any east will do.
  EarthPoint east{-up.y, up.x, 0};
  const double east_norm = std::sqrt(east.x * east.x + east.y * east.y);
  east = east_norm > 1e-9 ? EarthPoint{east.x / east_norm, east.y / east_norm, 0}
                          : EarthPoint{1, 0, 0};
  const EarthPoint north{up.y * east.z - up.z * east.y, up.z * east.x - up.x * east.z,
                         up.x * east.y - up.y * east.x};
  std::vector<int64_t> best(count, -1);
  std::vector<double> best_r2(count, 0);
  for (uint32_t v = 0; v < n; ++v) {
    if (!reached[v]) continue;
    const EarthPoint d{node_xyz_[v].x - c.x, node_xyz_[v].y - c.y, node_xyz_[v].z - c.z};
    const double e = d.x * east.x + d.y * east.y + d.z * east.z;
    const double nn = d.x * north.x + d.y * north.y + d.z * north.z;
    const double r2 = e * e + nn * nn;
    if (r2 == 0) continue;
    const int sector =
        std::min(count - 1, static_cast<int>((std::atan2(nn, e) + kPi) / (2 * kPi) * count));
    if (r2 > best_r2[sector]) {
      best_r2[sector] = r2;
      best[sector] = v;
    }
  }
  lm_from_[m].assign(n * count, kNoTime);
  if (mode != TravelMode::kWalk) lm_to_[m].assign(n * count, kNoTime);
  std::vector<uint32_t> dist;
  std::vector<uint64_t> heap;
  for (int l = 0; l < count; ++l) {
    if (best[l] < 0) continue;  // an empty sector: its slot stays unknown and is skipped
    const uint32_t landmark = static_cast<uint32_t>(best[l]);
    dijkstra_all(arc_begin_, forward, landmark, &dist, &heap);
    for (size_t v = 0; v < n; ++v) lm_from_[m][v * count + l] = dist[v];
    if (mode == TravelMode::kWalk) continue;
    dijkstra_all(in_begin, backward, landmark, &dist, &heap);
    for (size_t v = 0; v < n; ++v) lm_to_[m][v * count + l] = dist[v];
  }
}

Result<std::shared_ptr<const RoadGraph>> RoadGraph::load(Tx& tx, const RoadGraphOptions& options) {
  std::vector<RoadNodeInput> nodes;
  std::vector<RoadEdgeInput> edges;
  // Pages by id (keyset), so that no result set holds the whole table at once.
  for (int64_t after = std::numeric_limits<int64_t>::min();;) {
    QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT id, lat, lon FROM road_nodes WHERE id > ? "
                                             "ORDER BY id LIMIT ?",
                                             {after, kRowsPerPage}));
    for (const Row& r : rows) {
      nodes.push_back(RoadNodeInput{.id = r.int64(0), .at = {real_of(r[1]), real_of(r[2])}});
    }
    if (static_cast<int64_t>(rows.size()) < kRowsPerPage) break;
    after = nodes.back().id;
  }
  for (int64_t after = std::numeric_limits<int64_t>::min();;) {
    QWL_ASSIGN_OR_RETURN(Rows rows,
                         tx.query("SELECT id, from_node, to_node, length_m, road_class, speed_kmh, "
                                  "oneway, name_en, name_zh FROM road_edges WHERE id > ? "
                                  "ORDER BY id LIMIT ?",
                                  {after, kRowsPerPage}));
    for (const Row& r : rows) {
      auto road_class = parse_road_class(r.text(4));
      if (!road_class) {
        return InvalidArgumentError("road_edges {}: unknown road_class '{}'", r.int64(0),
                                    r.text(4));
      }
      edges.push_back(RoadEdgeInput{.id = r.int64(0),
                                    .from_node = r.int64(1),
                                    .to_node = r.int64(2),
                                    .length_m = r.int64(3),
                                    .road_class = *road_class,
                                    .speed_kmh = r.int64(5),
                                    .oneway = r.int64(6) != 0,
                                    .name_en = r.text(7),
                                    .name_zh = r.text(8)});
    }
    if (static_cast<int64_t>(rows.size()) < kRowsPerPage) break;
    after = edges.back().id;
  }
  return build(nodes, edges, options);
}

size_t RoadGraph::memory_bytes() const {
  size_t bytes = sizeof(*this);
  bytes += node_ids_.capacity() * sizeof(int64_t) + node_at_.capacity() * sizeof(LatLon) +
           node_xyz_.capacity() * sizeof(EarthPoint) + node_flags_.capacity() +
           arc_begin_.capacity() * sizeof(uint32_t) + arcs_.capacity() * sizeof(Arc) +
           edges_.capacity() * sizeof(Edge) +
           id_to_index_.capacity() * sizeof(std::pair<int64_t, uint32_t>) +
           id_table_.capacity() * sizeof(uint32_t) + grid_.memory_bytes();
  for (int m = 0; m < kTravelModes; ++m) {
    bytes += (lm_from_[m].capacity() + lm_to_[m].capacity()) * sizeof(uint32_t);
  }
  for (size_t i = 0; i < names_en_.size(); ++i) {
    bytes += 2 * sizeof(std::string) + names_en_[i].capacity() + names_zh_[i].capacity();
  }
  return bytes;
}

std::optional<uint32_t> RoadGraph::index_of(int64_t node_id) const {
  if (!id_table_.empty()) {
    const uint64_t offset = static_cast<uint64_t>(node_id) - static_cast<uint64_t>(id_base_);
    if (offset >= id_table_.size() || id_table_[offset] == kNoArc) return std::nullopt;
    return id_table_[offset];
  }
  auto it = std::lower_bound(id_to_index_.begin(), id_to_index_.end(),
                             std::pair<int64_t, uint32_t>{node_id, 0});
  if (it == id_to_index_.end() || it->first != node_id) return std::nullopt;
  return it->second;
}

RoadSegments RoadGraph::segments_in(double south, double west, double north, double east,
                                    size_t max_segments) const {
  const auto inside = [&](LatLon p) {
    return p.lat >= south && p.lat <= north && p.lon >= west && p.lon <= east;
  };
  // An edge has an arc from each end that some mode may leave by (a oneway motorway only from
  // its start), so it is found from the arcs of its inside ends, and taken once.
  std::vector<bool> taken(edges_.size(), false);
  RoadSegments out;
  for (uint32_t v = 0; v < node_at_.size(); ++v) {
    if (!inside(node_at_[v])) continue;
    for (uint32_t k = arc_begin_[v]; k < arc_begin_[v + 1]; ++k) {
      const Arc& arc = arcs_[k];
      if (taken[arc.edge]) continue;
      taken[arc.edge] = true;
      out.segments.push_back(RoadSegment{.a = node_at_[v],
                                         .b = node_at_[arc.head],
                                         .road_class = RoadClass(edges_[arc.edge].road_class)});
    }
  }
  std::stable_sort(
      out.segments.begin(), out.segments.end(),
      [](const RoadSegment& x, const RoadSegment& y) { return x.road_class < y.road_class; });
  if (out.segments.size() > max_segments) {
    out.segments.resize(max_segments);
    out.truncated = true;
  }
  return out;
}

std::optional<LatLon> RoadGraph::node_location(int64_t node_id) const {
  auto i = index_of(node_id);
  if (!i) return std::nullopt;
  return node_at_[*i];
}

bool RoadGraph::node_usable(int64_t node_id, TravelMode mode) const {
  auto i = index_of(node_id);
  return i && (node_flags_[*i] & mode_bit(mode)) != 0;
}

Result<SnappedPoint> RoadGraph::snap(LatLon p, TravelMode mode, double max_m) const {
  QWL_RETURN_IF_ERROR(check_lat_lon(p, "coordinate"));
  if (node_ids_.empty()) return FailedPreconditionError("the road network is empty");
  const uint8_t bit = mode_bit(mode);
  auto best = grid_.nearest(node_xyz_, p, std::max(0.0, max_m),
                            [&](uint32_t i) { return (node_flags_[i] & bit) != 0; });
  if (!best) {
    return NotFoundError("no road open to {} within {:.0f} m of ({}, {})", travel_mode_name(mode),
                         max_m, p.lat, p.lon);
  }
  return SnappedPoint{.node_id = node_ids_[*best],
                      .node_at = node_at_[*best],
                      .distance_m = haversine_m(p, node_at_[*best])};
}

std::optional<SnappedPoint> RoadGraph::node_as_snap(int64_t node_id, LatLon p,
                                                    TravelMode mode) const {
  auto i = index_of(node_id);
  if (!i || (node_flags_[*i] & mode_bit(mode)) == 0) return std::nullopt;
  return SnappedPoint{
      .node_id = node_id, .node_at = node_at_[*i], .distance_m = haversine_m(p, node_at_[*i])};
}

std::optional<int64_t> RoadGraph::search(uint32_t src, uint32_t dst, TravelMode mode,
                                         std::vector<uint32_t>* path_arcs) const {
  path_arcs->clear();
  if (src == dst) return 0;
  WorkspaceLease lease(*this);
  Workspace& ws = *lease;
  ws.start();
  const int m = static_cast<int>(mode);
  const double factor = ms_per_chord_m_[m];
  const EarthPoint target = node_xyz_[dst];
  // The landmark bounds need the target's times to and from each landmark.
  const int nl = lm_from_[m].empty() ? 0 : landmarks_;
  const uint32_t* from_lm = nl ? lm_from_[m].data() : nullptr;
  const uint32_t* to_lm = nl ? (lm_to_[m].empty() ? from_lm : lm_to_[m].data()) : nullptr;
  const uint32_t* t_from = nl ? from_lm + static_cast<size_t>(dst) * nl : nullptr;
  const uint32_t* t_to = nl ? to_lm + static_cast<size_t>(dst) * nl : nullptr;
  // Capped at 2^32 - 1 ms (49 days) to fit NodeState; a capped lower bound is still one, and
  // still consistent.
  auto h = [&](uint32_t v) -> uint32_t {
    uint64_t best = static_cast<uint64_t>(
        std::min(factor * chord_m(node_xyz_[v], target), static_cast<double>(kNoTime)));
    const uint32_t* v_from = from_lm + static_cast<size_t>(v) * nl;
    const uint32_t* v_to = to_lm + static_cast<size_t>(v) * nl;
    for (int l = 0; l < nl; ++l) {
      // time(v, t) >= time(L, t) - time(L, v) and >= time(v, L) - time(t, L); an unknown
      // (unreachable) time gives no bound.
      if (t_from[l] != kNoTime && v_from[l] < t_from[l]) {
        best = std::max<uint64_t>(best, t_from[l] - v_from[l]);
      }
      if (v_to[l] != kNoTime && t_to[l] < v_to[l]) {
        best = std::max<uint64_t>(best, v_to[l] - t_to[l]);
      }
    }
    return static_cast<uint32_t>(std::min<uint64_t>(best, kNoTime));
  };
  auto push = [&](uint64_t f, uint32_t v) {
    ws.heap.push_back({f, v});
    std::push_heap(ws.heap.begin(), ws.heap.end(), std::greater<>());
  };
  const uint32_t seen_stamp = ws.generation << 1;
  const uint32_t settled_stamp = seen_stamp | 1u;
  ws.state[src] = {.g = 0, .parent = kNoArc, .stamp = seen_stamp, .h = h(src)};
  push(ws.state[src].h, src);
  bool found = false;
  while (!ws.heap.empty()) {
    std::pop_heap(ws.heap.begin(), ws.heap.end(), std::greater<>());
    const uint32_t u = ws.heap.back().node;
    ws.heap.pop_back();
    if (ws.state[u].stamp == settled_stamp) continue;  // a stale entry
    ws.state[u].stamp = settled_stamp;
    if (u == dst) {
      found = true;
      break;
    }
    const uint64_t g_u = ws.state[u].g;
    for (uint32_t k = arc_begin_[u], end = arc_begin_[u + 1]; k < end; ++k) {
      const Arc& arc = arcs_[k];
      const uint32_t t = arc.time_ms[m];
      if (t == kNoTime) continue;
      const uint32_t v = arc.head;
      const uint64_t g_v = g_u + t;
      Workspace::NodeState& s = ws.state[v];
      if ((s.stamp >> 1) == ws.generation) {
        if (s.stamp == settled_stamp || g_v >= s.g) continue;
      } else {
        s.h = h(v);
      }
      s.g = g_v;
      s.parent = k;
      s.stamp = seen_stamp;
      push(g_v + s.h, v);
    }
  }
  if (!found) return std::nullopt;
  for (uint32_t v = dst; v != src;) {
    const uint32_t k = ws.state[v].parent;
    path_arcs->push_back(k);
    // The tail of arc k: the node whose CSR range holds k.
    v = static_cast<uint32_t>(std::upper_bound(arc_begin_.begin(), arc_begin_.end(), k) -
                              arc_begin_.begin() - 1);
  }
  std::reverse(path_arcs->begin(), path_arcs->end());
  // The arcs carry half a penalty at each end (build()); the path's ends pay none.
  const int64_t ends = mode == TravelMode::kDrive ? half_penalty_ms(src) + half_penalty_ms(dst) : 0;
  return static_cast<int64_t>(ws.state[dst].g) - ends;
}

Result<NodePath> RoadGraph::fastest_path(int64_t from_node_id, int64_t to_node_id,
                                         TravelMode mode) const {
  auto src = index_of(from_node_id);
  if (!src) return NotFoundError("road node {} not found", from_node_id);
  auto dst = index_of(to_node_id);
  if (!dst) return NotFoundError("road node {} not found", to_node_id);
  for (auto [i, id] : {std::pair{*src, from_node_id}, std::pair{*dst, to_node_id}}) {
    if ((node_flags_[i] & mode_bit(mode)) == 0) {
      return FailedPreconditionError("road node {} is on roads closed to {}", id,
                                     travel_mode_name(mode));
    }
  }
  std::vector<uint32_t> arcs;
  auto time_ms = search(*src, *dst, mode, &arcs);
  if (!time_ms) {
    return NotFoundError("no {} route from road node {} to road node {}", travel_mode_name(mode),
                         from_node_id, to_node_id);
  }
  NodePath path;
  path.time_ms = *time_ms;
  path.node_ids.push_back(from_node_id);
  for (uint32_t k : arcs) {
    path.node_ids.push_back(node_ids_[arcs_[k].head]);
    path.length_m += edges_[arcs_[k].edge].length_m;
  }
  return path;
}

Result<Route> RoadGraph::route(LatLon from, LatLon to, TravelMode mode,
                               const RouteOptions& options) const {
  QWL_RETURN_IF_ERROR(check_lat_lon(from, "from"));
  QWL_RETURN_IF_ERROR(check_lat_lon(to, "to"));
  auto from_node = snap(from, mode, options.max_snap_m);
  if (!from_node.ok()) return from_node.status().with_context("from");
  auto to_node = snap(to, mode, options.max_snap_m);
  if (!to_node.ok()) return to_node.status().with_context("to");
  return route_between(from, *from_node, to, *to_node, mode, options);
}

Result<Route> RoadGraph::route_between(LatLon from, const SnappedPoint& from_node, LatLon to,
                                       const SnappedPoint& to_node, TravelMode mode,
                                       const RouteOptions& options) const {
  auto src = index_of(from_node.node_id);
  if (!src) return NotFoundError("road node {} not found", from_node.node_id);
  auto dst = index_of(to_node.node_id);
  if (!dst) return NotFoundError("road node {} not found", to_node.node_id);
  for (auto [i, id] : {std::pair{*src, from_node.node_id}, std::pair{*dst, to_node.node_id}}) {
    if ((node_flags_[i] & mode_bit(mode)) == 0) {
      return FailedPreconditionError("road node {} is on roads closed to {}", id,
                                     travel_mode_name(mode));
    }
  }
  std::vector<uint32_t> arcs;
  auto time_ms = search(*src, *dst, mode, &arcs);
  if (!time_ms) {
    return NotFoundError(
        "no {} route between ({}, {}) and ({}, {}): the roads do not connect "
        "road node {} to road node {}",
        travel_mode_name(mode), from.lat, from.lon, to.lat, to.lon, from_node.node_id,
        to_node.node_id);
  }
  return assemble(from, from_node, to, to_node, mode, *src, arcs, *time_ms, options);
}

Route RoadGraph::assemble(LatLon from, const SnappedPoint& from_node, LatLon to,
                          const SnappedPoint& to_node, TravelMode mode, uint32_t src,
                          std::span<const uint32_t> path_arcs, int64_t time_ms,
                          const RouteOptions& options) const {
  Route route;
  route.mode = mode;
  route.from = from_node;
  route.to = to_node;
  const int m = static_cast<int>(mode);
  const int64_t access_from_ms = access_time_ms(from_node.distance_m, mode);
  const int64_t access_to_ms = access_time_ms(to_node.distance_m, mode);

  // Polyline: the coordinate, the nodes, the coordinate (without repeated points).
  std::vector<LatLon> points;
  points.reserve(path_arcs.size() + 3);
  auto add_point = [&](LatLon p) {
    if (points.empty() || !(points.back() == p)) points.push_back(p);
  };
  add_point(from);
  add_point(node_at_[src]);
  int64_t length_m = 0;
  for (uint32_t k : path_arcs) {
    add_point(node_at_[arcs_[k].head]);
    length_m += edges_[arcs_[k].edge].length_m;
  }
  add_point(to);
  route.polyline =
      options.simplify_m > 0 ? simplify_polyline(points, options.simplify_m) : std::move(points);
  route.polyline_encoded = encode_polyline(route.polyline);
  route.distance_m =
      std::llround(static_cast<double>(length_m) + from_node.distance_m + to_node.distance_m);
  route.duration_s = (time_ms + access_from_ms + access_to_ms + 500) / 1000;

  // Steps: runs of arcs along the same road names. A junction's penalty is shared by the arcs
  // in and out of it, and the first and last steps hold the straight access lines, so the steps
  // add up to the route (before each is rounded).
  std::vector<int64_t> step_ms;
  uint32_t step_name = kNoArc;
  uint32_t tail = src;
  double last_bearing = 0;
  for (uint32_t k : path_arcs) {
    const Arc& arc = arcs_[k];
    const Edge& edge = edges_[arc.edge];
    const double bearing = bearing_deg(node_at_[tail], node_at_[arc.head]);
    if (edge.name != step_name) {
      route.steps.push_back(RouteStep{
          .turn = step_name == kNoArc ? Turn::kDepart : classify_turn(last_bearing, bearing),
          .name_en = names_en_[edge.name],
          .name_zh = names_zh_[edge.name],
          .road_class = std::string(road_class_name(static_cast<RoadClass>(edge.road_class))),
          .start = node_at_[tail]});
      step_ms.push_back(0);
      step_name = edge.name;
    }
    route.steps.back().distance_m += edge.length_m;
    step_ms.back() += arc.time_ms[m];
    last_bearing = bearing;
    tail = arc.head;
  }
  if (route.steps.empty()) {  // both ends snapped to one node
    route.steps.push_back(RouteStep{.turn = Turn::kDepart, .start = from});
    step_ms.push_back(0);
  }
  route.steps.front().start = from;
  route.steps.front().distance_m += std::llround(from_node.distance_m);
  step_ms.front() += access_from_ms;
  route.steps.back().distance_m += std::llround(to_node.distance_m);
  step_ms.back() += access_to_ms;
  if (mode == TravelMode::kDrive && !path_arcs.empty()) {
    step_ms.front() -= half_penalty_ms(src);
    step_ms.back() -= half_penalty_ms(arcs_[path_arcs.back()].head);
  }
  for (size_t i = 0; i < route.steps.size(); ++i) {
    route.steps[i].duration_s = (step_ms[i] + 500) / 1000;
  }
  return route;
}

}  // namespace qwl::services
