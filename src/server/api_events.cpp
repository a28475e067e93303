// The event stream (api_events.h): one polling thread per server reads the user_events outbox
// and hands each row to the open streams of its user.
//
// Why one poller and not a producer per stream: a producer per stream would hold a handler
// thread (or a database query per stream per interval) for as long as the client listens; one
// query per interval for the whole server costs the same with one stream or thousands, and the
// streams themselves cost no thread (EventSink queues are drained by the I/O threads).
//
// Delivery rules, per stream (the reasoning behind "every row once"):
//   - the poller's cursor is the largest id it has read; rows above it come from the "tail"
//     query, in id order, and go to the streams that are live;
//   - a stream that starts behind the cursor (an old Last-Event-ID) is "catching up": it pages
//     through its own rows in (pos, cursor] with an indexed query (user_id, id), as fast as its
//     client takes them, and turns live when a page comes back short;
//   - ids skipped by the tail (PostgreSQL commits out of id order) are "gaps", queried again
//     every poll until they appear or time out; a row that appears late goes to every stream of
//     its user that has already passed its id (live ones, and catching-up ones whose pos is
//     beyond it); the others will read it in their own catch-up.
// A row is never sent twice to one stream: the tail only sends ids above the cursor, the
// catch-up only ids at or below it and above pos, and a late row leaves the gap set the moment
// it is first seen, by whichever query sees it.
#include "server/api_events.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <utility>

#include "base/log.h"
#include "server/http_error.h"

namespace qwl::app {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

// The outbox's kinds (0001_core.sql's CHECK), in EventKinds bit order.
constexpr std::array<std::string_view, 5> kKinds = {"order", "table_booking", "hotel_booking",
                                                    "ride", "wallet"};
constexpr size_t kMaxTailQueries = 16;  // per poll
constexpr size_t kMaxGaps = 2000;       // ids waited for at most; the oldest go first
constexpr size_t kGapQueryIds = 500;    // ids per IN (...) query
constexpr int64_t kCatchUpPage = 256;   // rows per catch-up query
constexpr int64_t kMicrosPerSecond = 1'000'000;

constexpr std::string_view kRowColumns = "id, user_id, kind, ref_id, status, payload, at_us";

struct OutboxRow {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string kind;
  int64_t ref_id = 0;
  std::string status;
  std::string payload;
  int64_t at_us = 0;
};

OutboxRow row_from(const Row& r) {
  return OutboxRow{.id = r.int64(0),
                   .user_id = r.int64(1),
                   .kind = r.text(2),
                   .ref_id = r.int64(3),
                   .status = r.text(4),
                   .payload = r.text(5),
                   .at_us = r.int64(6)};
}

// The stored payload as the API shows it: "x_at_us" instants become "x_at" in Unix seconds.
json api_payload(const OutboxRow& row) {
  json stored = json::parse(row.payload, nullptr, /*allow_exceptions=*/false);
  if (!stored.is_object()) {
    QWL_LOG_WARN("user_events {}: payload is not a JSON object; sent as {{}}", row.id);
    return json::object();
  }
  json out = json::object();
  for (auto it = stored.begin(); it != stored.end(); ++it) {
    const std::string& key = it.key();
    if (key.size() > 6 && key.ends_with("_at_us")) {
      const std::string name = key.substr(0, key.size() - 3);
      if (it->is_number_integer()) {
        const int64_t us = it->get<int64_t>();
        // 0 is how the services write "none" (an order without an ETA).
        out[name] = us == 0 ? json() : json(us / kMicrosPerSecond);
      } else {
        out[name] = *it;  // null stays null
      }
      continue;
    }
    out[key] = *it;
  }
  return out;
}

std::string event_data(const OutboxRow& row) {
  const json data{{"object", "event"},          {"id", row.id},
                  {"kind", row.kind},           {"ref_id", row.ref_id},
                  {"status", row.status},       {"created_at", row.at_us / kMicrosPerSecond},
                  {"payload", api_payload(row)}};
  return data.dump(-1, ' ', false, json::error_handler_t::replace);
}

// One open stream.
struct FeedStream {
  int64_t user_id = 0;
  int64_t after = 0;  // the client has every id up to here
  int64_t pos = 0;    // catching up: rows up to here are handled
  bool live = false;  // decided when the poller adopts the stream
  bool done = false;  // closed or cancelled: removed at the next poll
  EventKinds kinds;
  http::EventSink sink;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<int64_t> parse_event_id(std::string_view text) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 0)
    return std::nullopt;
  return v;
}

}  // namespace

// ---- EventKinds ----------------------------------------------------------------------------

bool EventKinds::has(std::string_view kind) const {
  for (size_t i = 0; i < kKinds.size(); ++i) {
    if (kKinds[i] == kind) return (bits >> i) & 1u;
  }
  return false;  // a kind this build does not know: never asked for
}

Result<EventKinds> EventKinds::parse(std::string_view list) {
  EventKinds kinds{.bits = 0};
  while (true) {
    const size_t comma = list.find(',');
    const std::string_view name = trim(list.substr(0, comma));
    bool known = false;
    for (size_t i = 0; i < kKinds.size(); ++i) {
      if (kKinds[i] == name) {
        kinds.bits |= 1u << i;
        known = true;
      }
    }
    if (!known)
      return InvalidArgumentError(
          "kinds: '{}' is not one of order, table_booking, hotel_booking, ride, wallet",
          shown(name));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return kinds;
}

// ---- EventFeed -----------------------------------------------------------------------------

struct EventFeed::State {
  mutable std::mutex mu;
  std::condition_variable_any wake;
  bool started = false;                               // guarded by mu
  bool stopped = false;                               // guarded by mu
  int64_t cursor = 0;                                 // guarded by mu; written by the poller only
  std::vector<std::shared_ptr<FeedStream>> joining;   // guarded by mu
  std::unordered_map<int64_t, int> streams_per_user;  // guarded by mu
  int streams_total = 0;                              // guarded by mu

  // The poller's own (and stop()'s after the poller has ended).
  std::vector<std::shared_ptr<FeedStream>> streams;
  std::map<int64_t, Steady::time_point> gaps;  // id -> give up after

  std::atomic<int64_t> streams_opened{0}, streams_dropped_slow{0}, events_sent{0}, polls{0},
      late_rows{0}, gaps_open{0}, poll_errors{0};
};

EventFeed::EventFeed(Db& db, EventFeedOptions options)
    : db_(db), options_(options), state_(std::make_unique<State>()) {
  QWL_CHECK(options_.max_queued_events > 0, "EventFeedOptions::max_queued_events must be > 0");
  QWL_CHECK(options_.batch_rows > 0, "EventFeedOptions::batch_rows must be > 0");
}

EventFeed::~EventFeed() {
  stop();
}

Status EventFeed::start() {
  {
    std::lock_guard lock(state_->mu);
    if (state_->started) return FailedPreconditionError("event feed: started twice");
  }
  int64_t newest = 0;
  QWL_RETURN_IF_ERROR(db_.read([&](Tx& tx) -> Status {
    QWL_ASSIGN_OR_RETURN(newest, tx.query_int64("SELECT COALESCE(MAX(id), 0) FROM user_events"));
    return Status::Ok();
  }));
  {
    std::lock_guard lock(state_->mu);
    state_->cursor = newest;
    state_->started = true;
  }
  thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
  return Status::Ok();
}

void EventFeed::stop() {
  {
    std::lock_guard lock(state_->mu);
    if (state_->stopped) return;
    state_->stopped = true;
  }
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  // The poller has ended: its streams are ours now.
  std::vector<std::shared_ptr<FeedStream>> all = std::move(state_->streams);
  {
    std::lock_guard lock(state_->mu);
    for (auto& s : state_->joining) all.push_back(std::move(s));
    state_->joining.clear();
    state_->streams_per_user.clear();
    state_->streams_total = 0;
  }
  for (const auto& s : all) s->sink.close();
}

Result<http::EventSink> EventFeed::subscribe(int64_t user_id, std::optional<int64_t> after_id,
                                             EventKinds kinds) {
  if (user_id <= 0) return InvalidArgumentError("events: user {} is not a user", user_id);
  if (after_id && *after_id < 0)
    return InvalidArgumentError("after: {} is not an event id", *after_id);
  std::lock_guard lock(state_->mu);
  if (!state_->started || state_->stopped)
    return UnavailableError("events: the event feed is not running");
  int& mine = state_->streams_per_user[user_id];
  if (mine >= options_.max_streams_per_user)
    return ResourceExhaustedError("events: user {} has {} event streams open, at most {}", user_id,
                                  mine, options_.max_streams_per_user);
  if (state_->streams_total >= options_.max_streams)
    return ResourceExhaustedError("events: {} event streams are open, at most {}",
                                  state_->streams_total, options_.max_streams);
  auto stream = std::make_shared<FeedStream>();
  stream->user_id = user_id;
  stream->after = after_id.value_or(state_->cursor);
  stream->pos = stream->after;
  stream->kinds = kinds;
  stream->sink = http::EventSink::create(http::StreamOptions{
      .max_queued_events = options_.max_queued_events, .heartbeat = options_.heartbeat});
  ++mine;
  ++state_->streams_total;
  ++state_->streams_opened;
  state_->joining.push_back(stream);
  state_->wake.notify_all();
  return stream->sink;
}

EventFeedStats EventFeed::stats() const {
  EventFeedStats s;
  {
    std::lock_guard lock(state_->mu);
    s.streams_open = state_->streams_total;
    s.cursor = state_->cursor;
  }
  s.streams_opened = state_->streams_opened.load();
  s.streams_dropped_slow = state_->streams_dropped_slow.load();
  s.events_sent = state_->events_sent.load();
  s.polls = state_->polls.load();
  s.late_rows = state_->late_rows.load();
  s.gaps_open = state_->gaps_open.load();
  s.poll_errors = state_->poll_errors.load();
  return s;
}

namespace {

// One poll of the outbox; everything here runs on the poller thread.
class Poller {
 public:
  Poller(Db& db, const EventFeedOptions& options, int64_t cursor)
      : db_(db), options_(options), cursor_(cursor) {}

  int64_t cursor() const { return cursor_; }
  int64_t late_rows() const { return late_rows_; }
  int64_t events_sent() const { return events_sent_; }
  int64_t dropped_slow() const { return dropped_slow_; }

  Status run(std::vector<std::shared_ptr<FeedStream>>& streams,
             std::map<int64_t, Steady::time_point>& gaps,
             const std::function<void(int64_t)>& publish_cursor) {
    by_user_.clear();
    for (auto& s : streams) by_user_.emplace(s->user_id, s.get());
    // New rows above the cursor.
    for (size_t q = 0; q < kMaxTailQueries; ++q) {
      Rows rows;
      QWL_RETURN_IF_ERROR(read_rows(
          fmt::format("SELECT {} FROM user_events WHERE id > ? ORDER BY id LIMIT ?", kRowColumns),
          {cursor_, options_.batch_rows}, &rows));
      const Steady::time_point give_up = Steady::now() + options_.gap_timeout;
      for (const Row& r : rows) {
        OutboxRow row = row_from(r);
        if (row.id > cursor_ + 1) {
          const int64_t first = std::max<int64_t>(cursor_ + 1, row.id - int64_t{kMaxGaps});
          for (int64_t id = first; id < row.id; ++id) gaps.emplace(id, give_up);
        }
        cursor_ = row.id;
        deliver(row, /*late=*/false);
      }
      publish_cursor(cursor_);
      if (static_cast<int64_t>(rows.size()) < options_.batch_rows) break;
    }
    while (gaps.size() > kMaxGaps) gaps.erase(gaps.begin());
    // Ids skipped earlier: appeared, or given up.
    const Steady::time_point now = Steady::now();
    std::erase_if(gaps, [&](const auto& g) { return g.second < now; });
    std::vector<int64_t> ids;
    for (const auto& g : gaps) ids.push_back(g.first);
    for (size_t at = 0; at < ids.size(); at += kGapQueryIds) {
      const size_t n = std::min(kGapQueryIds, ids.size() - at);
      std::string sql = fmt::format("SELECT {} FROM user_events WHERE id IN (", kRowColumns);
      std::vector<Value> params;
      params.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        sql += i == 0 ? "?" : ", ?";
        params.emplace_back(ids[at + i]);
      }
      sql += ") ORDER BY id";
      Rows rows;
      QWL_RETURN_IF_ERROR(read_rows(sql, params, &rows));
      for (const Row& r : rows) {
        const OutboxRow row = row_from(r);
        gaps.erase(row.id);
        ++late_rows_;
        deliver(row, /*late=*/true);
      }
    }
    // Streams behind the cursor page through their own rows.
    for (auto& s : streams) {
      if (s->live || s->done) continue;
      QWL_RETURN_IF_ERROR(catch_up(*s, gaps));
    }
    return Status::Ok();
  }

  // Sends one event. When the stream's queue is full, a row in id order (not `late`) turns
  // the stream into a catching-up one just before that row: it reads the rest from the table
  // as its client takes them, so a burst never loses events and a slow client only lags (a
  // client that stops reading is cut off by the server's write timeout). A late row cannot be
  // read again that way (the stream is past its id): the stream is closed and its client
  // resumes from Last-Event-ID. Returns whether the event was queued.
  bool send(FeedStream& s, const OutboxRow& row, const std::string& data, bool late) {
    if (s.done) return false;
    const std::string id = std::to_string(row.id);
    const Status st = s.sink.try_send(http::Event{.data = data, .event = row.kind, .id = id});
    if (st.ok()) {
      ++events_sent_;
      return true;
    }
    if (st.code() == StatusCode::kResourceExhausted && !late) {
      s.live = false;
      s.pos = row.id - 1;
      return false;
    }
    s.done = true;
    if (st.code() == StatusCode::kResourceExhausted) {
      ++dropped_slow_;
      s.sink.close();
    }
    return false;
  }

 private:
  Status read_rows(const std::string& sql, const std::vector<Value>& params, Rows* out) {
    return db_.read([&](Tx& tx) -> Status {
      QWL_ASSIGN_OR_RETURN(*out, tx.query(sql, params));
      return Status::Ok();
    });
  }

  // A row to every stream of its user that should have it now (see the file comment).
  // `in_order`: a stream for which the row is in id order although it is late for the others
  // (the catching-up stream that found it).
  void deliver(const OutboxRow& row, bool late, const FeedStream* in_order = nullptr) {
    std::string data;
    auto [begin, end] = by_user_.equal_range(row.user_id);
    for (auto it = begin; it != end; ++it) {
      FeedStream* s = it->second;
      if (s->done || row.id <= s->after || (!s->live && row.id > s->pos)) continue;
      if (!s->kinds.has(row.kind)) continue;
      if (data.empty()) data = event_data(row);
      send(*s, row, data, late && s != in_order);
    }
  }

  Status catch_up(FeedStream& s, std::map<int64_t, Steady::time_point>& gaps) {
    const size_t queued = s.sink.queued();
    if (queued >= options_.max_queued_events) return Status::Ok();  // its client is reading
    const int64_t limit =
        std::min<int64_t>(kCatchUpPage, static_cast<int64_t>(options_.max_queued_events - queued));
    Rows rows;
    QWL_RETURN_IF_ERROR(read_rows(fmt::format("SELECT {} FROM user_events WHERE user_id = ? AND "
                                              "id > ? AND id <= ? ORDER BY id LIMIT ?",
                                              kRowColumns),
                                  {s.user_id, s.pos, cursor_, limit}, &rows));
    for (const Row& r : rows) {
      const OutboxRow row = row_from(r);
      s.pos = row.id;
      if (gaps.erase(row.id) > 0) {
        // A late row seen first here: every stream that passed it gets it now, this one too.
        ++late_rows_;
        deliver(row, /*late=*/true, &s);
        if (s.done || s.pos < row.id) return Status::Ok();  // closed, or full (pos went back)
        continue;
      }
      if (s.kinds.has(row.kind) && !send(s, row, event_data(row), /*late=*/false)) {
        return Status::Ok();  // full (pos is back before the row) or done
      }
    }
    if (static_cast<int64_t>(rows.size()) < limit) {
      s.live = true;
      s.pos = cursor_;
    }
    return Status::Ok();
  }

  Db& db_;
  const EventFeedOptions& options_;
  int64_t cursor_;
  std::unordered_multimap<int64_t, FeedStream*> by_user_;
  int64_t late_rows_ = 0, events_sent_ = 0, dropped_slow_ = 0;
};

}  // namespace

void EventFeed::loop(std::stop_token stop) {
  State& st = *state_;
  int64_t cursor = 0;
  {
    std::lock_guard lock(st.mu);
    cursor = st.cursor;
  }
  int64_t failing = 0;  // polls failed in a row
  while (!stop.stop_requested()) {
    // Adopt new streams and let go of finished ones.
    {
      std::lock_guard lock(st.mu);
      for (auto& s : st.joining) {
        // Behind the cursor: catch up first (the cursor may have moved since subscribe()).
        s->live = s->pos >= cursor;
        st.streams.push_back(std::move(s));
      }
      st.joining.clear();
      std::erase_if(st.streams, [&](const std::shared_ptr<FeedStream>& s) {
        if (!s->done && !s->sink.cancelled()) return false;
        if (--st.streams_per_user[s->user_id] <= 0) st.streams_per_user.erase(s->user_id);
        --st.streams_total;
        return true;
      });
    }
    Poller poller(db_, options_, cursor);
    const Status status = poller.run(st.streams, st.gaps, [&](int64_t c) {
      std::lock_guard lock(st.mu);
      st.cursor = c;
    });
    cursor = poller.cursor();
    ++st.polls;
    st.events_sent += poller.events_sent();
    st.late_rows += poller.late_rows();
    st.streams_dropped_slow += poller.dropped_slow();
    st.gaps_open = static_cast<int64_t>(st.gaps.size());
    // A database that is down fails every poll: say so when it starts and when it ends, not
    // four times a second.
    if (!status.ok()) {
      ++st.poll_errors;
      if (failing++ == 0)
        QWL_LOG_WARN("events: reading the outbox failed (retrying every poll): {}",
                     status.to_string());
    } else if (failing > 0) {
      QWL_LOG_INFO("events: reading the outbox works again after {} failed polls", failing);
      failing = 0;
    }
    std::unique_lock lock(st.mu);
    st.wake.wait_for(lock, stop, options_.poll_interval, [&] { return !st.joining.empty(); });
  }
}

// ---- the route -----------------------------------------------------------------------------

Status add_event_routes(AppApi& api, EventFeed& feed) {
  return api.add_route(
      http::Method::kGet, "/api/v1/events",
      [&feed](http::Request& req, const Caller& caller) -> Result<http::Response> {
        auto bad = [](std::string_view param, const Status& s) {
          return http::error_response(s, param, error_code_for(s.code()));
        };
        for (const auto& [name, value] : req.query) {
          if (name != "after" && name != "kinds")
            return bad(name, InvalidArgumentError("{}: unknown query parameter", shown(name)));
        }
        if (caller.actor.user_id <= 0)
          return bad("Authorization",
                     InvalidArgumentError("Authorization: the operator key acts for no user, "
                                          "so it has no events; use a user's key"));
        std::optional<int64_t> after;
        if (const auto text = req.query_param("after")) {
          after = parse_event_id(*text);
          if (!after)
            return bad("after", InvalidArgumentError("after: '{}' is not an event id (an "
                                                     "integer >= 0)",
                                                     shown(*text)));
        }
        // A reconnecting EventSource keeps the URL (and its ?after=) but sends the newest id
        // it saw in Last-Event-ID: that one wins.
        if (const auto header = req.header("last-event-id")) {
          const std::string_view text = trim(*header);
          if (!text.empty()) {
            after = parse_event_id(text);
            if (!after)
              return bad("Last-Event-ID",
                         InvalidArgumentError("Last-Event-ID: '{}' is not an event id (an "
                                              "integer >= 0)",
                                              shown(text)));
          }
        }
        EventKinds kinds;
        if (const auto text = req.query_param("kinds")) {
          Result<EventKinds> parsed = EventKinds::parse(*text);
          if (!parsed.ok()) return bad("kinds", parsed.status());
          kinds = *parsed;
        }
        Result<http::EventSink> sink = feed.subscribe(caller.actor.user_id, after, kinds);
        if (!sink.ok()) return sink.status();
        return http::Response::event_stream(*sink);
      });
}

}  // namespace qwl::app
