// The per-user event stream of the app API: GET /api/v1/events, server-sent events of the
// caller's rows in the user_events outbox (order, booking, ride and wallet changes; the services
// write one row per change in the same transaction as the change). docs/api/events.md is the
// contract.
//
// Each event is one user_events row:
//
//   id: 1234                      the row id (what Last-Event-ID resumes from)
//   event: order                  the row's kind: order, table_booking, hotel_booking, ride, wallet
//   data: {"object":"event","id":1234,"kind":"order","ref_id":42,"status":"accepted",
//          "created_at":1767542400,"payload":{"order_id":42,"event":"accepted",...}}
//
// "payload" is the JSON the service stored, with its instants ("..._at_us") given as Unix
// seconds ("..._at"), as everywhere in the app API. A stream starts after Last-Event-ID (the
// header a reconnecting EventSource sends), else after ?after=ID, else at the present; ?kinds=
// (comma separated) keeps only those kinds. ": ping" comments keep idle connections open.
//
// How events reach the stream: an EventFeed polls the user_events table every poll_interval
// (one query for all streams of this server; a joining stream with an older Last-Event-ID first
// pages through its own backlog), so a change made through any server node sharing the database
// reaches every node's streams. PostgreSQL may commit a row after a row with a larger id (ids
// are taken when a transaction inserts, not when it commits): the feed remembers the ids it
// skipped and delivers them when they appear, waiting at most gap_timeout (rolled-back
// transactions leave ids that never appear). So a stream delivers every row of its user once,
// in id order except for such late rows. A stream whose client reads slower than its events
// come (max_queued_events waiting) goes back to reading its rows from the table at its client's
// pace: nothing is lost, it only lags; a client that stops reading altogether is cut off by the
// server's write timeout.
//
// What the server must do (cmd_serve): construct one EventFeed over the ecosystem Db, start()
// it before the server starts, add_event_routes() before AppApi::register_routes(), and at
// shutdown call feed.stop() as soon as server.stop() has begun (from another thread, since
// server.stop() blocks): stop() ends every stream cleanly (clients reconnect elsewhere), so
// the server's grace period is not spent waiting on open streams. The feed must outlive the
// server (the handlers keep a reference).
//
// Thread-safety: start() and stop() from one owner thread; subscribe(), stats() and the route's
// handler from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "server/app_api.h"
#include "server/http_sse.h"
#include "store/db.h"

namespace qwl::app {

struct EventFeedOptions {
  // How often the outbox is read; an event reaches its stream within about this long.
  std::chrono::milliseconds poll_interval{250};
  // ": ping" after this long without an event (keeps proxies from closing idle streams).
  std::chrono::milliseconds heartbeat{15'000};
  // How long an id below the newest one seen is waited for (see above).
  std::chrono::milliseconds gap_timeout{30'000};
  // Events a stream may have waiting for its client; beyond it the stream catches up from the
  // table as its client reads.
  size_t max_queued_events = 256;
  // Open streams at most, per user and in all (more answer 429).
  int max_streams_per_user = 8;
  int max_streams = 10'000;
  // Rows read per query; at most 16 queries of new rows per poll.
  int64_t batch_rows = 1000;
};

// Counters since start(); each read atomically.
struct EventFeedStats {
  int64_t streams_open = 0;
  int64_t streams_opened = 0;
  int64_t streams_dropped_slow = 0;  // closed: a late row found the client's queue full
  int64_t events_sent = 0;
  int64_t polls = 0;
  int64_t late_rows = 0;    // rows delivered after a larger id (PostgreSQL commit order)
  int64_t gaps_open = 0;    // ids waited for now
  int64_t poll_errors = 0;  // failed reads (logged; retried on the next poll)
  int64_t cursor = 0;       // the largest user_events id seen
};

// Kinds a stream keeps (bit set over the outbox's kinds); all by default.
struct EventKinds {
  static constexpr uint32_t kAll = 0x1f;
  uint32_t bits = kAll;
  bool has(std::string_view kind) const;
  // "order,ride" -> the set; InvalidArgument naming an unknown kind.
  static Result<EventKinds> parse(std::string_view list);
};

class EventFeed {
 public:
  // `db` must outlive the feed.
  explicit EventFeed(Db& db, EventFeedOptions options = {});
  // Stops (see stop()).
  ~EventFeed();
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  // Reads the newest outbox id (streams without Last-Event-ID start after it) and starts the
  // polling thread. Errors: the database's. A second start() is FailedPrecondition.
  Status start();
  // Closes every stream (each ends after its queued events), stops the thread and waits for it.
  // Later subscribe() calls are Unavailable. Idempotent.
  void stop();

  // A stream of `user_id`'s events with ids above `after_id` (nullopt: from the present),
  // keeping `kinds`. The returned sink is given to http::Response::event_stream(). Errors:
  // InvalidArgument (user_id <= 0, after_id < 0), ResourceExhausted (too many streams),
  // Unavailable (not started, or stopped).
  Result<http::EventSink> subscribe(int64_t user_id, std::optional<int64_t> after_id,
                                    EventKinds kinds = {});

  EventFeedStats stats() const;
  const EventFeedOptions& options() const { return options_; }

 private:
  struct State;
  void loop(std::stop_token stop);

  Db& db_;
  EventFeedOptions options_;
  std::unique_ptr<State> state_;
  std::jthread thread_;
};

// Adds GET /api/v1/events (any signed-in user; the operator key, which acts for no user, is a
// 400) to `api`. Errors: AppApi::add_route()'s.
Status add_event_routes(AppApi& api, EventFeed& feed);

}  // namespace qwl::app
