// The ecosystem as the server runs it: the in-memory indexes, the workers and every domain's
// routes of the app API, built over one database and started and stopped together.
//
// EcosystemServer::start() loads the maps snapshot (road graph and places) and builds the search
// index from the database, starts the event feed (api_events.h), the fulfilment worker that moves
// orders along (services/fulfilment.h), the bookings worker (rides, ended bookings) and a
// refresher that keeps the search index current from its change log (every
// kSearchRefreshInterval) and the maps snapshot from the places and roads (every
// maps_refresh_interval). add_routes() adds the catalog, maps, commerce, bookings and event
// routes to an AppApi. stop() ends the workers and the event streams; call it as soon as the HTTP
// server has begun to stop (from another thread: server.stop() blocks), and destroy the
// EcosystemServer only after the server has stopped, since the routes keep references to it.
//
// Start-up cost on the large seed (1M products, 100k places, 100k road nodes): a few seconds
// and a few hundred MB for the indexes (docs/PERFORMANCE.md, "Ecosystem"); the demo city takes
// well under a second.
// Thread-safety: start(), add_routes() and stop() from one owner thread; everything it hands
// to the routes is thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <thread>

#include "base/clock.h"
#include "base/status.h"
#include "server/api_events.h"
#include "server/app_api.h"
#include "services/fulfilment.h"
#include "services/maps.h"
#include "services/maps_adapters.h"
#include "services/orders.h"
#include "services/search.h"
#include "store/db.h"

namespace qwl::app {

struct EcosystemServerOptions {
  std::chrono::milliseconds fulfilment_interval{1000};
  std::chrono::milliseconds bookings_interval{5000};
  std::chrono::milliseconds maps_refresh_interval{300'000};  // kMapsRefreshInterval
  EventFeedOptions events;
};

class EcosystemServer {
 public:
  // Loads the indexes and starts the workers. `db` and `clock` must outlive the object.
  static Result<std::unique_ptr<EcosystemServer>> start(Db& db, const Clock& clock,
                                                        EcosystemServerOptions options = {});
  ~EcosystemServer();  // stop()s
  EcosystemServer(const EcosystemServer&) = delete;
  EcosystemServer& operator=(const EcosystemServer&) = delete;

  // Adds every domain's routes (before AppApi::register_routes()).
  Status add_routes(AppApi& api);
  // Ends the workers, the refresher and the event streams; idempotent.
  void stop();

  services::SearchIndex& search() { return *search_; }
  services::Maps& maps() { return *maps_; }
  services::Orders& orders() { return *orders_; }

 private:
  EcosystemServer(Db& db, const Clock& clock, EcosystemServerOptions options);
  void refresh_loop(std::stop_token stop);
  void bookings_loop(std::stop_token stop);

  Db& db_;
  const Clock& clock_;
  EcosystemServerOptions options_;
  std::unique_ptr<services::Maps> maps_;
  std::unique_ptr<services::SearchIndex> search_;
  std::unique_ptr<services::RoadDeliveryEstimator> estimator_;
  std::unique_ptr<services::Orders> orders_;
  std::unique_ptr<services::Fulfilment> fulfilment_;
  std::unique_ptr<EventFeed> events_;
  std::jthread refresher_;
  std::jthread bookings_worker_;
  bool stopped_ = false;
};

}  // namespace qwl::app
