// Geometry for the maps service (see geo.h).
#include "services/geo.h"

#include <algorithm>
#include <cmath>

namespace qwl::services {
namespace {

constexpr double kRadPerDeg = kPi / 180.0;

// Cells beyond this many make the offsets table larger than the data it indexes (16 MB).
constexpr int64_t kMaxCells = int64_t{1} << 22;

}  // namespace

Status check_lat_lon(LatLon p, std::string_view field) {
  if (!std::isfinite(p.lat) || p.lat < -90 || p.lat > 90) {
    return InvalidArgumentError("{}: latitude {} outside [-90, 90]", field, p.lat);
  }
  if (!std::isfinite(p.lon) || p.lon < -180 || p.lon > 180) {
    return InvalidArgumentError("{}: longitude {} outside [-180, 180]", field, p.lon);
  }
  return Status::Ok();
}

double haversine_m(LatLon a, LatLon b) {
  const double phi1 = a.lat * kRadPerDeg, phi2 = b.lat * kRadPerDeg;
  const double sin_dphi = std::sin((phi2 - phi1) / 2);
  const double sin_dlambda = std::sin((b.lon - a.lon) * kRadPerDeg / 2);
  const double h =
      sin_dphi * sin_dphi + std::cos(phi1) * std::cos(phi2) * sin_dlambda * sin_dlambda;
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(h)));
}

double bearing_deg(LatLon from, LatLon to) {
  const double phi1 = from.lat * kRadPerDeg, phi2 = to.lat * kRadPerDeg;
  const double dlambda = (to.lon - from.lon) * kRadPerDeg;
  const double y = std::sin(dlambda) * std::cos(phi2);
  const double x =
      std::cos(phi1) * std::sin(phi2) - std::sin(phi1) * std::cos(phi2) * std::cos(dlambda);
  double deg = std::atan2(y, x) / kRadPerDeg;
  if (deg < 0) deg += 360;
  return deg >= 360 ? 0 : deg;
}

EarthPoint earth_point(LatLon p) {
  const double phi = p.lat * kRadPerDeg, lambda = p.lon * kRadPerDeg;
  const double c = std::cos(phi);
  return EarthPoint{.x = kEarthRadiusM * c * std::cos(lambda),
                    .y = kEarthRadiusM * c * std::sin(lambda),
                    .z = kEarthRadiusM * std::sin(phi)};
}

namespace {

void encode_signed(int64_t value, std::string* out) {
  // Zig-zag: the sign goes to the lowest bit, so small negative deltas stay short.
  uint64_t v = value < 0 ? ~(static_cast<uint64_t>(value) << 1) : static_cast<uint64_t>(value) << 1;
  while (v >= 0x20) {
    out->push_back(static_cast<char>((0x20 | (v & 0x1f)) + 63));
    v >>= 5;
  }
  out->push_back(static_cast<char>(v + 63));
}

int64_t to_e5(double degrees) {
  return std::llround(degrees * 1e5);
}

}  // namespace

std::string encode_polyline(std::span<const LatLon> points) {
  std::string out;
  out.reserve(points.size() * 8);
  int64_t prev_lat = 0, prev_lon = 0;
  for (const LatLon& p : points) {
    const int64_t lat = to_e5(p.lat), lon = to_e5(p.lon);
    encode_signed(lat - prev_lat, &out);
    encode_signed(lon - prev_lon, &out);
    prev_lat = lat;
    prev_lon = lon;
  }
  return out;
}

Result<std::vector<LatLon>> decode_polyline(std::string_view text) {
  std::vector<LatLon> points;
  size_t i = 0;
  auto next = [&](int64_t* value) -> Status {
    uint64_t v = 0;
    int shift = 0;
    for (;;) {
      if (i >= text.size()) return InvalidArgumentError("polyline: truncated at byte {}", i);
      const int c = static_cast<unsigned char>(text[i++]) - 63;
      if (c < 0 || c > 63 || shift > 60) {
        return InvalidArgumentError("polyline: bad byte {} at {}", text[i - 1], i - 1);
      }
      v |= static_cast<uint64_t>(c & 0x1f) << shift;
      shift += 5;
      if ((c & 0x20) == 0) break;
    }
    *value = (v & 1) ? ~static_cast<int64_t>(v >> 1) : static_cast<int64_t>(v >> 1);
    return Status::Ok();
  };
  int64_t lat = 0, lon = 0;
  while (i < text.size()) {
    int64_t dlat = 0, dlon = 0;
    QWL_RETURN_IF_ERROR(next(&dlat));
    QWL_RETURN_IF_ERROR(next(&dlon));
    lat += dlat;
    lon += dlon;
    points.push_back(
        LatLon{.lat = static_cast<double>(lat) / 1e5, .lon = static_cast<double>(lon) / 1e5});
  }
  return points;
}

std::vector<LatLon> simplify_polyline(std::span<const LatLon> points, double tolerance_m) {
  const size_t n = points.size();
  if (n < 3) return std::vector<LatLon>(points.begin(), points.end());
  // Local metres around the first point: x east, y north.
  const double kx = kMetresPerDegree * std::cos(points[0].lat * kRadPerDeg);
  auto x_of = [&](const LatLon& p) { return (p.lon - points[0].lon) * kx; };
  auto y_of = [&](const LatLon& p) { return (p.lat - points[0].lat) * kMetresPerDegree; };
  std::vector<uint8_t> keep(n, 0);
  keep[0] = keep[n - 1] = 1;
  // An explicit stack instead of recursion: a route may have tens of thousands of points.
  std::vector<std::pair<size_t, size_t>> stack = {{0, n - 1}};
  const double tol2 = tolerance_m * tolerance_m;
  while (!stack.empty()) {
    auto [a, b] = stack.back();
    stack.pop_back();
    if (b <= a + 1) continue;
    const double ax = x_of(points[a]), ay = y_of(points[a]);
    const double dx = x_of(points[b]) - ax, dy = y_of(points[b]) - ay;
    const double len2 = dx * dx + dy * dy;
    double worst2 = -1;
    size_t worst = a;
    for (size_t i = a + 1; i < b; ++i) {
      const double px = x_of(points[i]) - ax, py = y_of(points[i]) - ay;
      // Distance to the segment (not the infinite line), so a route that doubles back keeps
      // its turning point.
      double t = len2 > 0 ? (px * dx + py * dy) / len2 : 0;
      t = std::clamp(t, 0.0, 1.0);
      const double ex = px - t * dx, ey = py - t * dy;
      const double d2 = ex * ex + ey * ey;
      if (d2 > worst2) {
        worst2 = d2;
        worst = i;
      }
    }
    if (worst2 > tol2) {
      keep[worst] = 1;
      stack.push_back({a, worst});
      stack.push_back({worst, b});
    }
  }
  std::vector<LatLon> out;
  for (size_t i = 0; i < n; ++i) {
    if (keep[i]) out.push_back(points[i]);
  }
  return out;
}

PointGrid PointGrid::build(std::span<const LatLon> points, double cell_m,
                           std::vector<uint32_t>* order) {
  PointGrid g;
  order->clear();
  if (points.empty()) return g;
  double min_lat = points[0].lat, max_lat = min_lat, min_lon = points[0].lon, max_lon = min_lon;
  for (const LatLon& p : points) {
    min_lat = std::min(min_lat, p.lat);
    max_lat = std::max(max_lat, p.lat);
    min_lon = std::min(min_lon, p.lon);
    max_lon = std::max(max_lon, p.lon);
  }
  const double mid_cos = std::max(0.01, std::cos((min_lat + max_lat) / 2 * kRadPerDeg));
  double cell = std::max(cell_m, 1.0);
  for (;;) {
    g.cell_lat_ = cell / kMetresPerDegree;
    g.cell_lon_ = cell / (kMetresPerDegree * mid_cos);
    g.rows_ = static_cast<int64_t>((max_lat - min_lat) / g.cell_lat_) + 1;
    g.cols_ = static_cast<int64_t>((max_lon - min_lon) / g.cell_lon_) + 1;
    if (g.rows_ * g.cols_ <= kMaxCells) break;
    cell *= 2;
  }
  g.cell_m_ = cell;
  g.lat0_ = min_lat;
  g.lon0_ = min_lon;
  const size_t n_cells = static_cast<size_t>(g.rows_ * g.cols_);
  std::vector<uint32_t> cell_of(points.size());
  g.cell_start_.assign(n_cells + 1, 0);
  for (size_t i = 0; i < points.size(); ++i) {
    const int64_t row =
        std::min(g.rows_ - 1, static_cast<int64_t>((points[i].lat - min_lat) / g.cell_lat_));
    const int64_t col =
        std::min(g.cols_ - 1, static_cast<int64_t>((points[i].lon - min_lon) / g.cell_lon_));
    cell_of[i] = static_cast<uint32_t>(row * g.cols_ + col);
    ++g.cell_start_[cell_of[i] + 1];
  }
  for (size_t c = 0; c < n_cells; ++c) g.cell_start_[c + 1] += g.cell_start_[c];
  // A stable counting sort: within a cell the caller's order is kept.
  order->resize(points.size());
  std::vector<uint32_t> fill(g.cell_start_.begin(), g.cell_start_.end() - 1);
  for (size_t i = 0; i < points.size(); ++i)
    (*order)[fill[cell_of[i]]++] = static_cast<uint32_t>(i);
  return g;
}

PointGrid::Range PointGrid::cell_range(LatLon center, double radius_m) const {
  Range r;
  const double dlat = std::max(0.0, radius_m) / kMetresPerDegree;
  const double lat_lo = center.lat - dlat, lat_hi = center.lat + dlat;
  const double max_abs_lat = std::max(std::fabs(lat_lo), std::fabs(lat_hi));
  double lon_lo = -1e9, lon_hi = 1e9;  // the whole grid
  if (max_abs_lat < 89.9) {
    const double dlon =
        std::max(0.0, radius_m) / (kMetresPerDegree * std::cos(max_abs_lat * kRadPerDeg));
    if (dlon < 180) {
      lon_lo = center.lon - dlon;
      lon_hi = center.lon + dlon;
    }
  }
  // Clamp in floating point before converting, so far-away boxes cannot overflow an int64.
  auto index = [](double offset, double cell, int64_t count) {
    const double v = std::floor(offset / cell);
    return static_cast<int64_t>(std::clamp(v, -1.0, static_cast<double>(count)));
  };
  const int64_t row0 = std::max<int64_t>(0, index(lat_lo - lat0_, cell_lat_, rows_));
  const int64_t row1 = std::min<int64_t>(rows_ - 1, index(lat_hi - lat0_, cell_lat_, rows_));
  const int64_t col0 = std::max<int64_t>(0, index(lon_lo - lon0_, cell_lon_, cols_));
  const int64_t col1 = std::min<int64_t>(cols_ - 1, index(lon_hi - lon0_, cell_lon_, cols_));
  if (row0 > row1 || col0 > col1) return r;  // empty
  r.row0 = row0;
  r.row1 = row1;
  r.col0 = col0;
  r.col1 = col1;
  return r;
}

}  // namespace qwl::services
