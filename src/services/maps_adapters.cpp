// The maps service behind the orders' and rides' injection points (see maps_adapters.h).
#include "services/maps_adapters.h"

namespace qwl::services {

Result<DeliveryEstimate> RoadDeliveryEstimator::estimate(const DeliveryQuery& query) const {
  const LatLon from{query.from_lat, query.from_lon}, to{query.to_lat, query.to_lon};
  QWL_RETURN_IF_ERROR(check_lat_lon(from, "delivery: from"));
  QWL_RETURN_IF_ERROR(check_lat_lon(to, "delivery: to"));
  const std::shared_ptr<const RoadGraph> graph = maps_.graph();
  constexpr TravelMode kMode = TravelMode::kCycle;
  auto end = [&](int64_t node, LatLon at) -> Result<SnappedPoint> {
    if (node != 0) {
      if (auto s = graph->node_as_snap(node, at, kMode)) return *s;
    }
    return graph->snap(at, kMode);
  };
  auto a = end(query.from_node, from);
  auto b = a.ok() ? end(query.to_node, to) : a;
  Result<Route> ride =
      b.ok() ? graph->route_between(from, *a, to, *b, kMode, RouteOptions{.simplify_m = 0})
             : Result<Route>(b.status());
  if (ride.ok()) {
    return DeliveryEstimate{.distance_m = ride->distance_m,
                            .travel_s = ride->duration_s + kCourierHandoverS};
  }
  const StatusCode code = ride.status().code();
  if (code == StatusCode::kNotFound || code == StatusCode::kFailedPrecondition) {
    return StraightLineEstimator().estimate(query);
  }
  return ride.status();
}

RouteQuoter road_route_quoter(const Maps& maps) {
  return [&maps](const GeoPosition& from, const GeoPosition& to) -> Result<DrivingEstimate> {
    QWL_ASSIGN_OR_RETURN(RouteQuote q, route_quote(*maps.graph(), LatLon{from.lat, from.lon},
                                                   LatLon{to.lat, to.lon}));
    return DrivingEstimate{.distance_m = q.distance_m, .duration_s = q.duration_s};
  };
}

}  // namespace qwl::services
