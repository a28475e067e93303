// Geometry: distances against closed forms, bearings, the polyline format's published example,
// simplification, and the point grid against brute force.
#include "services/geo.h"

#include <gtest/gtest.h>

#include <random>

namespace qwl::services {
namespace {

TEST(GeoTest, HaversineMatchesClosedForms) {
  // One degree along a meridian, and along the equator, is R * pi / 180.
  EXPECT_NEAR(haversine_m({30, 120}, {31, 120}), 111'195.08, 0.01);
  EXPECT_NEAR(haversine_m({0, 10}, {0, 11}), 111'195.08, 0.01);
  // Along a parallel the great circle is shorter than the parallel's arc R cos(lat) dlon.
  EXPECT_LT(haversine_m({60, 0}, {60, 1}), 111'195.08 * 0.5);
  EXPECT_NEAR(haversine_m({60, 0}, {60, 1}), 111'195.08 * 0.5, 2);
  EXPECT_NEAR(haversine_m({90, 0}, {-90, 0}), kPi * kEarthRadiusM, 1e-6);
  EXPECT_NEAR(haversine_m({0, 0}, {0, 180}), kPi * kEarthRadiusM, 1e-6);
  EXPECT_EQ(haversine_m({30.25, 120.16}, {30.25, 120.16}), 0);
  EXPECT_DOUBLE_EQ(haversine_m({30.25, 120.16}, {30.3, 120.2}),
                   haversine_m({30.3, 120.2}, {30.25, 120.16}));
}

TEST(GeoTest, ChordAgreesWithHaversineAtCityScale) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> lat(30.0, 30.5), lon(119.9, 120.4);
  for (int i = 0; i < 1000; ++i) {
    LatLon a{lat(rng), lon(rng)}, b{lat(rng), lon(rng)};
    const double arc = haversine_m(a, b);
    const double chord = chord_m(earth_point(a), earth_point(b));
    EXPECT_LE(chord, arc + 1e-6);
    EXPECT_NEAR(arc_from_chord_m(chord), arc, 1e-6 * std::max(1.0, arc));
    EXPECT_NEAR(chord_from_arc_m(arc), chord, 1e-6 * std::max(1.0, arc));
  }
}

TEST(GeoTest, ChecksCoordinates) {
  EXPECT_TRUE(check_lat_lon({30.25, 120.16}, "from").ok());
  EXPECT_TRUE(check_lat_lon({-90, -180}, "from").ok());
  Status s = check_lat_lon({91, 0}, "from");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("from: latitude 91"), std::string::npos) << s.message();
  EXPECT_FALSE(check_lat_lon({0, 180.5}, "to").ok());
  EXPECT_FALSE(check_lat_lon({std::nan(""), 0}, "to").ok());
  EXPECT_FALSE(check_lat_lon({0, INFINITY}, "to").ok());
}

TEST(GeoTest, Bearings) {
  EXPECT_NEAR(bearing_deg({0, 0}, {1, 0}), 0, 1e-9);
  EXPECT_NEAR(bearing_deg({0, 0}, {0, 1}), 90, 1e-9);
  EXPECT_NEAR(bearing_deg({1, 0}, {0, 0}), 180, 1e-9);
  EXPECT_NEAR(bearing_deg({0, 1}, {0, 0}), 270, 1e-9);
  EXPECT_NEAR(bearing_deg({30.25, 120.16}, {30.26, 120.17}), 40.8, 0.5);
}

TEST(GeoTest, PolylineEncodingMatchesThePublishedExample) {
  // The example in the description of the encoded polyline algorithm format.
  const std::vector<LatLon> points = {{38.5, -120.2}, {40.7, -120.95}, {43.252, -126.453}};
  EXPECT_EQ(encode_polyline(points), "_p~iF~ps|U_ulLnnqC_mqNvxq`@");
  auto decoded = decode_polyline("_p~iF~ps|U_ulLnnqC_mqNvxq`@");
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  ASSERT_EQ(decoded->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR((*decoded)[i].lat, points[i].lat, 1e-9);
    EXPECT_NEAR((*decoded)[i].lon, points[i].lon, 1e-9);
  }
  EXPECT_EQ(encode_polyline({}), "");
  EXPECT_FALSE(decode_polyline("_p~iF~ps|U_").ok());  // truncated
  EXPECT_FALSE(decode_polyline("_p~iF\x01").ok());    // byte below 63
}

TEST(GeoTest, PolylineRoundTripsToFiveDecimals) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> lat(-89, 89), lon(-179, 179);
  std::vector<LatLon> points;
  for (int i = 0; i < 200; ++i) points.push_back({lat(rng), lon(rng)});
  auto decoded = decode_polyline(encode_polyline(points));
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    EXPECT_NEAR((*decoded)[i].lat, points[i].lat, 0.5e-5 + 1e-12);
    EXPECT_NEAR((*decoded)[i].lon, points[i].lon, 0.5e-5 + 1e-12);
  }
}

TEST(GeoTest, SimplifyDropsPointsOnTheLineAndKeepsCorners) {
  // A straight street east, a corner, then north: the corner stays.
  std::vector<LatLon> points;
  for (int i = 0; i <= 10; ++i) points.push_back({30.25, 120.16 + i * 0.001});
  for (int i = 1; i <= 10; ++i) points.push_back({30.25 + i * 0.001, 120.17});
  std::vector<LatLon> s = simplify_polyline(points, 2);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0], points.front());
  EXPECT_EQ(s[1], (LatLon{30.25, 120.17}));
  EXPECT_EQ(s[2], points.back());
  // A point 5 m off the line survives a 2 m tolerance, not a 10 m one.
  std::vector<LatLon> bump = {
      {30.25, 120.16}, {30.25 + 5 / kMetresPerDegree, 120.165}, {30.25, 120.17}};
  EXPECT_EQ(simplify_polyline(bump, 2).size(), 3u);
  EXPECT_EQ(simplify_polyline(bump, 10).size(), 2u);
  // A route that doubles back keeps its far end.
  std::vector<LatLon> back = {{30.25, 120.16}, {30.25, 120.17}, {30.25, 120.165}};
  EXPECT_EQ(simplify_polyline(back, 2).size(), 3u);
}

TEST(GeoTest, PointGridFindsEverythingInRangeAndTheNearest) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> lat(30.1, 30.4), lon(120.0, 120.3);
  std::vector<LatLon> points;
  for (int i = 0; i < 3000; ++i) points.push_back({lat(rng), lon(rng)});
  points.push_back(points[5]);  // a duplicate position
  std::vector<uint32_t> order;
  PointGrid grid = PointGrid::build(points, 500, &order);
  ASSERT_EQ(order.size(), points.size());
  std::vector<EarthPoint> xyz(points.size());
  std::vector<uint8_t> seen(points.size(), 0);
  for (size_t i = 0; i < order.size(); ++i) {
    xyz[i] = earth_point(points[order[i]]);
    ++seen[order[i]];
  }
  for (uint8_t s : seen) ASSERT_EQ(s, 1);  // a permutation

  std::uniform_real_distribution<double> radius(0, 8000);
  std::uniform_real_distribution<double> qlat(30.0, 30.5), qlon(119.9, 120.4);
  for (int q = 0; q < 300; ++q) {
    const LatLon c{qlat(rng), qlon(rng)};
    const double r = radius(rng);
    std::vector<uint8_t> in_runs(points.size(), 0);
    grid.for_each_run(c, r, [&](uint32_t b, uint32_t e) {
      for (uint32_t i = b; i < e; ++i) in_runs[i] = 1;
    });
    std::optional<uint32_t> brute;
    double brute_d = 0;
    for (uint32_t i = 0; i < points.size(); ++i) {
      const double d = haversine_m(c, points[order[i]]);
      if (d <= r) {
        EXPECT_TRUE(in_runs[i]) << "point " << i << " at " << d << " m of " << r;
      }
      if (i % 3 == 0) continue;  // not usable below
      if (!brute || d < brute_d) {
        brute = i;
        brute_d = d;
      }
    }
    auto near = grid.nearest(xyz, c, r, [](uint32_t i) { return i % 3 != 0; });
    if (brute && brute_d <= r) {
      ASSERT_TRUE(near.has_value());
      EXPECT_NEAR(haversine_m(c, points[order[*near]]), brute_d, 1e-6);
    } else if (brute && brute_d > r + 1e-6) {
      EXPECT_FALSE(near.has_value());
    }
  }
  PointGrid empty = PointGrid::build({}, 500, &order);
  EXPECT_TRUE(order.empty());
  EXPECT_FALSE(empty.nearest({}, {30, 120}, 1000, [](uint32_t) { return true; }).has_value());
}

}  // namespace
}  // namespace qwl::services
