// The maps service plugged into other services' injection points: the orders service's
// DeliveryEstimator (orders.h: how long a courier rides) and the rides service's RouteQuoter
// (rides.h: a driving route for a ride quote), both answered from the road network.
//
// Both read the Maps object's current snapshot at each call; a refresh between two calls (say a
// checkout's retried transaction) can change an answer by what the new data changes. Neither
// opens a database transaction, so both may be called inside a caller's.
// Thread-safety: as Maps (any number of threads).
#pragma once

#include "services/maps.h"
#include "services/orders.h"
#include "services/rides.h"

namespace qwl::services {

// A courier's ride: the cycling route on the road network from the merchant to the
// destination (starting and ending at the recorded road nodes when cycling may use them, else
// at the nearest usable ones), plus kCourierHandoverS at the door. Where no cycling route
// exists (no road near an end, or none joining them) it answers as StraightLineEstimator does
// instead of refusing the order. Errors: InvalidArgument for a bad coordinate.
class RoadDeliveryEstimator final : public DeliveryEstimator {
 public:
  static constexpr int64_t kCourierHandoverS = 120;  // as StraightLineEstimator's
  explicit RoadDeliveryEstimator(const Maps& maps) : maps_(maps) {}
  Result<DeliveryEstimate> estimate(const DeliveryQuery& query) const override;

 private:
  const Maps& maps_;  // must outlive the estimator
};

// Driving routes for ride quotes: route_quote() on the current road graph. NotFound when no
// road is near an end or none joins them, FailedPrecondition for an empty network,
// InvalidArgument for a bad coordinate. `maps` must outlive the returned function.
RouteQuoter road_route_quoter(const Maps& maps);

}  // namespace qwl::services
