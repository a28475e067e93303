// The ecosystem as the server runs it (see app_ecosystem.h).
#include "server/app_ecosystem.h"

#include <condition_variable>
#include <mutex>

#include "base/log.h"
#include "server/api_bookings.h"
#include "server/api_catalog.h"
#include "server/api_commerce.h"
#include "server/api_maps.h"
#include "services/bookings.h"

namespace qwl::app {
namespace {

// Sleeps for `d` or until `stop` is requested; false when stopped.
bool sleep_for(std::stop_token stop, std::chrono::milliseconds d) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  return !cv.wait_for(lock, stop, d, [] { return false; }) && !stop.stop_requested();
}

}  // namespace

EcosystemServer::EcosystemServer(Db& db, const Clock& clock, EcosystemServerOptions options)
    : db_(db), clock_(clock), options_(std::move(options)) {}

Result<std::unique_ptr<EcosystemServer>> EcosystemServer::start(Db& db, const Clock& clock,
                                                                EcosystemServerOptions options) {
  std::unique_ptr<EcosystemServer> eco(new EcosystemServer(db, clock, std::move(options)));
  Stopwatch watch;
  QWL_ASSIGN_OR_RETURN(eco->maps_, services::Maps::load(db, clock));
  const double maps_s = watch.elapsed_s();
  watch.reset();
  QWL_ASSIGN_OR_RETURN(eco->search_, services::SearchIndex::build(db, clock));
  const services::SearchIndexStats stats = eco->search_->stats();
  QWL_LOG_INFO(
      "ecosystem: maps loaded in {:.2f} s; search index of {} products built in {:.2f} s "
      "({:.0f} MB)",
      maps_s, stats.products, watch.elapsed_s(), static_cast<double>(stats.memory_bytes) / 1e6);
  eco->estimator_ = std::make_unique<services::RoadDeliveryEstimator>(*eco->maps_);
  eco->orders_ = std::make_unique<services::Orders>(
      db, clock, services::OrdersOptions{.estimator = eco->estimator_.get()});
  eco->fulfilment_ = std::make_unique<services::Fulfilment>(*eco->orders_);
  eco->events_ = std::make_unique<EventFeed>(db, eco->options_.events);
  QWL_RETURN_IF_ERROR(eco->events_->start());
  eco->fulfilment_->start(eco->options_.fulfilment_interval);
  EcosystemServer* self = eco.get();
  eco->refresher_ = std::jthread([self](std::stop_token stop) { self->refresh_loop(stop); });
  eco->bookings_worker_ = std::jthread([self](std::stop_token stop) { self->bookings_loop(stop); });
  return eco;
}

EcosystemServer::~EcosystemServer() {
  stop();
}

Status EcosystemServer::add_routes(AppApi& api) {
  QWL_RETURN_IF_ERROR(add_catalog_routes(api, db_, clock_, *search_));
  QWL_RETURN_IF_ERROR(add_map_routes(api, db_, clock_, *maps_));
  QWL_RETURN_IF_ERROR(add_commerce_routes(api, *orders_));
  QWL_RETURN_IF_ERROR(add_booking_routes(api, db_, clock_, services::road_route_quoter(*maps_)));
  return add_event_routes(api, *events_);
}

void EcosystemServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  refresher_.request_stop();
  bookings_worker_.request_stop();
  if (refresher_.joinable()) refresher_.join();
  if (bookings_worker_.joinable()) bookings_worker_.join();
  if (fulfilment_) fulfilment_->stop();
  if (events_) events_->stop();
}

void EcosystemServer::refresh_loop(std::stop_token stop) {
  auto next_maps = std::chrono::steady_clock::now() + options_.maps_refresh_interval;
  while (sleep_for(stop,
                   std::chrono::duration_cast<std::chrono::milliseconds>(kSearchRefreshInterval))) {
    // An error keeps the index as it was; the next round tries again.
    if (Status s = search_->refresh(); !s.ok()) {
      QWL_LOG_WARN("search index refresh: {}", s.to_string());
    }
    if (std::chrono::steady_clock::now() >= next_maps) {
      next_maps = std::chrono::steady_clock::now() + options_.maps_refresh_interval;
      if (Status s = maps_->refresh(db_); !s.ok()) {
        QWL_LOG_WARN("maps refresh: {}", s.to_string());
      }
    }
  }
}

void EcosystemServer::bookings_loop(std::stop_token stop) {
  while (sleep_for(stop, options_.bookings_interval)) {
    auto report = services::run_bookings_worker(db_, clock_);
    if (!report.ok()) QWL_LOG_WARN("bookings worker: {}", report.status().to_string());
  }
}

}  // namespace qwl::app
