// The road network in memory, and routes on it for walking, cycling and driving.
//
// RoadGraph is built once from the road_nodes and road_edges tables (load(), in the caller's
// read transaction) or from plain lists (build(), for tests and benchmarks), and is immutable
// afterwards: a compact CSR (compressed sparse row) adjacency with per-mode travel times, the
// nodes renumbered by the cells of a 250 m grid (so that a search touches nearby memory, and the
// same grid snaps coordinates to the nearest usable node). Refreshing the map builds a new graph
// and swaps the shared pointer (maps.h); a graph in use is never changed.
//
// Who may use a road (road_edges.road_class): motorway, cars only; path, walking and cycling
// only; primary, secondary and residential, everyone. A oneway edge runs from_node -> to_node
// for driving and cycling; walking uses it both ways.
//
// Travel times, in whole milliseconds per edge so that sums are exact and every search agrees
// on ties: time_ms(edge) = round(length_m * 3600 / speed_kmh), where speed_kmh is min(5, edge
// speed) walking, min(15, edge speed) cycling and the edge's speed_kmh driving. Driving also
// pays kIntersectionPenaltyMs for each intersection it passes through (a node where three or
// more distinct neighbours meet; not the route's first or last node), a stand-in for traffic
// lights and turns.
//
// Search: A* on time ("ALT": A*, landmarks, triangle inequality). The heuristic is the larger of
// two lower bounds of the time left to the target t:
//  - geometric: chord(v, t) * f_mode, where f_mode is the smallest time per chord metre over
//    all edges the mode may use (computed at build time, so it holds whatever lengths and
//    speeds the data has);
//  - landmarks: for a few landmark nodes L per mode (spread around the network's edge), the
//    exact times from L to every node and from every node to L are computed at build time;
//    then time(v, t) >= time(L, t) - time(L, v) and time(v, t) >= time(v, L) - time(t, L).
// Both are consistent (the chord is a metric; the landmark bounds are feasible potentials), so
// each node is settled once and the target's first settlement is optimal. The landmark times
// ignore the intersection penalty, which only adds time, so they stay lower bounds.
// Snapping: the nearest node (great-circle distance) that has an edge the mode may use.
//
// Memory: about 60 bytes per node and 20 bytes per directed arc plus 24 bytes per edge and the
// distinct road names, and landmark times: 4 bytes per node per landmark for walking (its
// network is symmetric) and 8 for cycling and driving each (docs/ecosystem/maps.md has measured
// figures); plus one search workspace (24 bytes per node) per thread searching at once, kept for
// reuse.
//
// Thread-safety: all const methods may be called from any number of threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "services/geo.h"
#include "store/db.h"

namespace qwl::services {

enum class TravelMode : uint8_t { kWalk = 0, kCycle = 1, kDrive = 2 };
inline constexpr int kTravelModes = 3;

// "walking", "cycling", "driving".
std::string_view travel_mode_name(TravelMode mode);
// Accepts walk/walking/foot/步行, cycle/cycling/bike/bicycle/骑行/骑车, drive/driving/car/驾车/开车
// (ASCII case-insensitive); nullopt otherwise.
std::optional<TravelMode> parse_travel_mode(std::string_view text);

enum class RoadClass : uint8_t { kMotorway, kPrimary, kSecondary, kResidential, kPath };
std::string_view road_class_name(RoadClass road_class);
std::optional<RoadClass> parse_road_class(std::string_view text);
// Whether `mode` may use a road of `road_class` at all (oneway aside).
bool mode_allowed(RoadClass road_class, TravelMode mode);

inline constexpr int64_t kWalkKmh = 5;
inline constexpr int64_t kCycleKmh = 15;
inline constexpr int64_t kIntersectionPenaltyMs = 5'000;  // driving only
// Getting from a coordinate to its snapped node (and from the last node to the destination)
// is a straight line at this speed: a pavement, a courtyard, a car park.
inline constexpr int64_t kAccessKmh[kTravelModes] = {5, 15, 15};
// Longest edge accepted (1,000 km): keeps every edge time within 32 bits.
inline constexpr int64_t kMaxEdgeLengthM = 1'000'000;

// The rows build() takes (what road_nodes and road_edges hold).
struct RoadNodeInput {
  int64_t id = 0;
  LatLon at;
};
struct RoadEdgeInput {
  int64_t id = 0;
  int64_t from_node = 0;
  int64_t to_node = 0;
  int64_t length_m = 0;
  RoadClass road_class = RoadClass::kResidential;
  int64_t speed_kmh = 0;
  bool oneway = false;
  std::string name_en;
  std::string name_zh;
};

// A coordinate snapped onto the network.
struct SnappedPoint {
  int64_t node_id = 0;
  LatLon node_at;
  double distance_m = 0;  // from the coordinate to the node, great-circle
};

// A path between two nodes: node ids in order (the first is the start), its time and length.
struct NodePath {
  std::vector<int64_t> node_ids;
  int64_t time_ms = 0;
  int64_t length_m = 0;
};

// How a step begins: its turn relative to the direction the route was going.
enum class Turn : uint8_t {
  kDepart,
  kStraight,
  kSlightLeft,
  kLeft,
  kSharpLeft,
  kSlightRight,
  kRight,
  kSharpRight,
  kUTurn,
};
std::string_view turn_name(Turn turn);  // "depart", "straight", "slight_left", ... "u_turn"

// A stretch of the route along one named road (consecutive edges with the same names).
struct RouteStep {
  Turn turn = Turn::kDepart;
  std::string name_en;  // empty for an unnamed road
  std::string name_zh;
  std::string road_class;  // of the step's first edge ("" for a route without edges)
  int64_t distance_m = 0;  // the first and last steps include the access from/to the coordinate
  int64_t duration_s = 0;
  LatLon start;
};

struct Route {
  TravelMode mode = TravelMode::kWalk;
  int64_t distance_m = 0;  // on the network plus both straight access lines, rounded
  int64_t duration_s = 0;  // the same, rounded to the nearest second
  SnappedPoint from;
  SnappedPoint to;
  // The path as coordinates: the start coordinate, the nodes (simplified: points within
  // RouteOptions::simplify_m of the line are dropped), the end coordinate.
  std::vector<LatLon> polyline;
  std::string polyline_encoded;  // the same points, encode_polyline()
  std::vector<RouteStep> steps;
};

// One road as a straight segment between its two nodes, for drawing the map.
struct RoadSegment {
  LatLon a;
  LatLon b;
  RoadClass road_class = RoadClass::kResidential;
};

// The roads of an area (RoadGraph::segments_in).
struct RoadSegments {
  std::vector<RoadSegment> segments;  // larger roads first (motorway ... path)
  bool truncated = false;             // more roads touch the area than were asked for
};

struct RoadGraphOptions {
  int landmarks = 8;  // per mode; 0: the geometric bound only
  int threads = 3;    // computing the landmark times (one mode per thread at most)
};

struct RouteOptions {
  double max_snap_m = 2'000;  // farthest a coordinate may be from a usable node
  double simplify_m = 2;      // polyline tolerance; 0 keeps every node
};

class RoadGraph {
 public:
  // Builds the graph. InvalidArgument (naming the edge id and field) for an edge whose node is
  // not in `nodes`, a length outside (0, kMaxEdgeLengthM], a speed outside [1, 1000], a node
  // with a bad coordinate or a duplicate node id. Self-loops are dropped.
  static Result<std::shared_ptr<const RoadGraph>> build(std::span<const RoadNodeInput> nodes,
                                                        std::span<const RoadEdgeInput> edges,
                                                        const RoadGraphOptions& options = {});
  // Reads road_nodes and road_edges in pages through the caller's (read) transaction and
  // builds the graph. Errors: the store's, and build()'s.
  static Result<std::shared_ptr<const RoadGraph>> load(Tx& tx,
                                                       const RoadGraphOptions& options = {});

  size_t node_count() const { return node_ids_.size(); }
  size_t edge_count() const { return edges_.size(); }
  size_t arc_count() const { return arcs_.size(); }
  // Bytes held by the graph's arrays (excluding search workspaces).
  size_t memory_bytes() const;

  // The node's coordinate; nullopt for an unknown id.
  std::optional<LatLon> node_location(int64_t node_id) const;
  // Whether `mode` can leave or reach the node by some edge; false for an unknown id.
  bool node_usable(int64_t node_id, TravelMode mode) const;

  // The nearest node usable by `mode` within `max_m` metres of `p`. NotFound ("no road for
  // walking within 2000 m of (30.25, 120.16)") when there is none; InvalidArgument for a bad
  // coordinate.
  Result<SnappedPoint> snap(LatLon p, TravelMode mode, double max_m = 2'000) const;

  // The fastest path for `mode` between two nodes (by id). NotFound for an unknown node id or
  // when no path exists; FailedPrecondition when a node has no edge the mode may use ("node 7
  // is on roads closed to walking").
  Result<NodePath> fastest_path(int64_t from_node_id, int64_t to_node_id, TravelMode mode) const;

  // A route between two coordinates: each end snapped (snap()), the fastest path between the
  // nodes, the polyline and the steps. Errors: snap()'s and fastest_path()'s.
  Result<Route> route(LatLon from, LatLon to, TravelMode mode,
                      const RouteOptions& options = {}) const;
  // As route(), from and to already snapped (a place's own road node, say).
  Result<Route> route_between(LatLon from, const SnappedPoint& from_node, LatLon to,
                              const SnappedPoint& to_node, TravelMode mode,
                              const RouteOptions& options = {}) const;

  // The snapped point of `node_id` seen from `p` (a place that records its road node);
  // nullopt for an unknown node or one `mode` cannot use.
  std::optional<SnappedPoint> node_as_snap(int64_t node_id, LatLon p, TravelMode mode) const;

  // The roads with at least one end inside the box [south, north] x [west, east] (degrees;
  // south <= north, west <= east; a oneway motorway counts by its start), each once, larger roads
  // first and at most `max_segments` of them (the smaller roads are the ones left out). A scan of
  // every node: about a millisecond per 100,000 nodes.
  RoadSegments segments_in(double south, double west, double north, double east,
                           size_t max_segments) const;

  RoadGraph(const RoadGraph&) = delete;
  RoadGraph& operator=(const RoadGraph&) = delete;
  ~RoadGraph();

 private:
  RoadGraph() = default;
  // One direction of an edge, stored with its tail node's arcs.
  struct Arc {
    uint32_t head = 0;
    uint32_t edge = 0;
    uint32_t time_ms[kTravelModes] = {};  // UINT32_MAX: closed to that mode
  };
  struct Edge {
    int64_t id = 0;
    uint32_t length_m = 0;
    uint32_t name = 0;  // index into names_en_ / names_zh_
    uint8_t road_class = 0;
  };
  struct Workspace;
  class WorkspaceLease;

  std::optional<uint32_t> index_of(int64_t node_id) const;
  void compute_landmarks(TravelMode mode, int count);
  uint32_t half_penalty_ms(uint32_t node) const {
    return (node_flags_[node] & kJunctionFlag) ? kIntersectionPenaltyMs / 2 : 0;
  }
  // A* from src to dst (internal indices); fills the arcs of the path (in order) and returns
  // its time, or nullopt when dst is unreachable.
  std::optional<int64_t> search(uint32_t src, uint32_t dst, TravelMode mode,
                                std::vector<uint32_t>* path_arcs) const;
  Route assemble(LatLon from, const SnappedPoint& from_node, LatLon to, const SnappedPoint& to_node,
                 TravelMode mode, uint32_t src, std::span<const uint32_t> path_arcs,
                 int64_t time_ms, const RouteOptions& options) const;

  static constexpr uint8_t kJunctionFlag = 0x80;  // in node_flags_

  // Nodes, in grid order (index = grid position).
  std::vector<int64_t> node_ids_;      // (n) database id
  std::vector<LatLon> node_at_;        // (n)
  std::vector<EarthPoint> node_xyz_;   // (n) metres, for the heuristic and snapping
  std::vector<uint8_t> node_flags_;    // (n) bit m: mode m may use the node; bit 7: junction
  std::vector<uint32_t> arc_begin_;    // (n + 1) CSR offsets into arcs_
  std::vector<Arc> arcs_;              // (directed arcs) grouped by tail node
  std::vector<Edge> edges_;            // (edges) what steps and lengths need
  std::vector<std::string> names_en_;  // distinct (name_en, name_zh) pairs; edges index them
  std::vector<std::string> names_zh_;
  // Node id -> index: id_table_[id - id_base_] (UINT32_MAX: none) when the ids are dense (the
  // usual case), else a binary search of id_to_index_ (sorted by id).
  std::vector<std::pair<int64_t, uint32_t>> id_to_index_;
  int64_t id_base_ = 0;
  std::vector<uint32_t> id_table_;
  double ms_per_chord_m_[kTravelModes] = {0, 0, 0};  // the heuristic's factor per mode
  // Landmark times in ms, node-major: lm_from_[m][v * landmarks_ + l] = time(L_l, v) and
  // lm_to_[m][...] = time(v, L_l) for mode m (UINT32_MAX: unreachable). Walking's network is
  // symmetric, so its lm_to_ is empty and lm_from_ serves both.
  int landmarks_ = 0;
  std::vector<uint32_t> lm_from_[kTravelModes];
  std::vector<uint32_t> lm_to_[kTravelModes];
  PointGrid grid_;

  mutable std::mutex workspaces_mu_;
  mutable std::vector<std::unique_ptr<Workspace>> workspaces_;  // idle ones, for reuse
};

}  // namespace qwl::services
