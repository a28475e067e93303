// Geometry for the maps service: coordinates, great-circle distances, bearings, polylines and a
// uniform grid over points for radius and nearest-point queries.
//
// Distances are great-circle distances on a sphere of the Earth's mean radius (IUGG,
// 6,371,008.8 m) by the haversine formula. Against the WGS84 ellipsoid (the geodesic distance)
// the spherical model errs by at most about 0.56 % (north-south lines at the poles or equator),
// about 0.2 % at the city's latitude (30 degrees north); that is 2 m over 1 km, below the error
// of the coordinates themselves. The haversine formula is numerically exact at short range,
// unlike the spherical law of cosines. Hot loops compare chord lengths (the straight line
// through the sphere between two EarthPoints) instead: the chord is monotone in the arc length,
// needs no trigonometry per pair, and for city distances differs from it by less than 1 ppm
// (arc - chord ~ arc^3 / 24 R^2: 2.6 mm at 50 km).
//
// Thread-safety: pure functions; a built PointGrid is immutable and may be read from any number
// of threads.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace qwl::services {

inline constexpr double kEarthRadiusM = 6'371'008.8;
inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kMetresPerDegree = kEarthRadiusM * kPi / 180.0;  // 111,195.08 m

// A WGS84 coordinate in degrees: lat in [-90, 90], lon in [-180, 180].
struct LatLon {
  double lat = 0;
  double lon = 0;
  friend bool operator==(const LatLon&, const LatLon&) = default;
};

// InvalidArgument "<field>: latitude 91 outside [-90, 90]" (or not a finite number).
Status check_lat_lon(LatLon p, std::string_view field);

// The great-circle distance in metres (haversine).
double haversine_m(LatLon a, LatLon b);

// The initial bearing from `from` towards `to` in degrees clockwise from north, in [0, 360).
double bearing_deg(LatLon from, LatLon to);

// A point of the sphere in Cartesian metres (x towards lon 0 on the equator, z to the north
// pole): chords between EarthPoints are straight-line distances, a metric, so they give
// admissible A* heuristics and cheap distance comparisons.
struct EarthPoint {
  double x = 0;
  double y = 0;
  double z = 0;
};
EarthPoint earth_point(LatLon p);
inline double chord2_m2(const EarthPoint& a, const EarthPoint& b) {
  const double dx = a.x - b.x, dy = a.y - b.y, dz = a.z - b.z;
  return dx * dx + dy * dy + dz * dz;
}
inline double chord_m(const EarthPoint& a, const EarthPoint& b) {
  return std::sqrt(chord2_m2(a, b));
}
// The arc length (great-circle metres) of a chord of `chord` metres, and back.
inline double arc_from_chord_m(double chord) {
  return 2.0 * kEarthRadiusM * std::asin(std::min(1.0, chord / (2.0 * kEarthRadiusM)));
}
inline double chord_from_arc_m(double arc) {
  return 2.0 * kEarthRadiusM * std::sin(std::min(arc, kPi * kEarthRadiusM) / (2.0 * kEarthRadiusM));
}

// Polylines as Google's "encoded polyline algorithm format" (precision 1e-5 degrees, about
// 1.1 m): deltas of rounded coordinates, zig-zag signed, in 5-bit groups offset by 63, so a
// route of 100 points is a few hundred ASCII characters. decode_polyline() inverts it;
// InvalidArgument on a truncated or malformed text.
std::string encode_polyline(std::span<const LatLon> points);
Result<std::vector<LatLon>> decode_polyline(std::string_view text);

// Douglas-Peucker simplification: drops points closer than `tolerance_m` to the line kept
// around them (measured in a local equirectangular projection, exact enough below 100 km).
// Keeps the first and last point; returns the input when it has fewer than three points.
std::vector<LatLon> simplify_polyline(std::span<const LatLon> points, double tolerance_m);

// A uniform grid over a fixed set of points in degree space (rows of latitude, columns of
// longitude, cells about `cell_m` square at the points' middle latitude). Building sorts the
// points by cell, row-major; the caller stores its per-point data in that order (`order` maps
// each grid position to the caller's original index), so the points of a row of cells are one
// contiguous run of positions. The grid covers the points' bounding box and assumes they do
// not straddle the antimeridian (a city never does); the cell count is capped (about 4 million),
// growing the cells when the points spread wider.
class PointGrid {
 public:
  PointGrid() = default;
  // `order` receives n indices into `points`, in grid order.
  static PointGrid build(std::span<const LatLon> points, double cell_m,
                         std::vector<uint32_t>* order);

  // Calls fn(begin, end) for the runs of grid positions whose cells meet the bounding box of
  // the circle around `center` of `radius_m`: a superset of the points inside the circle.
  template <typename Fn>
  void for_each_run(LatLon center, double radius_m, Fn&& fn) const {
    if (rows_ == 0) return;
    Range r = cell_range(center, radius_m);
    for (int64_t row = r.row0; row <= r.row1; ++row) {
      const size_t base = static_cast<size_t>(row) * cols_;
      const uint32_t begin = cell_start_[base + r.col0];
      const uint32_t end = cell_start_[base + r.col1 + 1];
      if (begin < end) fn(begin, end);
    }
  }

  // The grid position of the point nearest to `p` among those with usable(position) true and
  // within `max_m` metres, by great-circle distance (ties: the lower position). `points` are
  // the EarthPoints in grid order.
  template <typename Usable>
  std::optional<uint32_t> nearest(std::span<const EarthPoint> points, LatLon p, double max_m,
                                  Usable&& usable) const {
    if (rows_ == 0) return std::nullopt;
    const EarthPoint q = earth_point(p);
    double radius = std::min(max_m, cell_m_);
    for (;;) {
      // Every point within `radius` lies in the box; the best one found there is the nearest
      // when it is itself within `radius`, else widen the search.
      const double max2 = chord_from_arc_m(radius) * chord_from_arc_m(radius);
      std::optional<uint32_t> best;
      double best2 = max2;
      for_each_run(p, radius, [&](uint32_t begin, uint32_t end) {
        for (uint32_t i = begin; i < end; ++i) {
          const double d2 = chord2_m2(points[i], q);
          if (d2 > best2 || (d2 == best2 && best && i > *best)) continue;
          if (!usable(i)) continue;
          best = i;
          best2 = d2;
        }
      });
      if (best || radius >= max_m) return best;
      radius = std::min(max_m, radius * 4);
    }
  }

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  size_t memory_bytes() const { return cell_start_.capacity() * sizeof(uint32_t); }

 private:
  struct Range {
    int64_t row0 = 0, row1 = -1, col0 = 0, col1 = -1;
  };
  Range cell_range(LatLon center, double radius_m) const;

  double lat0_ = 0, lon0_ = 0;          // the south-west corner of cell (0, 0)
  double cell_lat_ = 1, cell_lon_ = 1;  // cell size in degrees
  double cell_m_ = 0;                   // cell height in metres
  int64_t rows_ = 0, cols_ = 0;
  std::vector<uint32_t> cell_start_;  // (rows * cols + 1) first position of each cell
};

}  // namespace qwl::services
