// Server-sent events: the wire format of one event and EventSink, the thread-safe producing end
// of an SSE response.
//
// An event is written as "event: NAME\n" (when named), "id: ID\n" (when given), one "data: LINE\n"
// per line of the data, then an empty line. The server adds ": ping" comments when the stream
// has been quiet for the heartbeat interval, writes each batch of queued events as soon as it is
// queued (no buffering on our side; TCP_NODELAY is set), and uses chunked transfer encoding on
// HTTP/1.1 so the connection can be reused afterwards.
//
// EventSink is a handle: copies refer to the same stream, and the stream ends (after the queued
// events are written) when close() is called or the last handle is destroyed. Every member is
// thread-safe; the producer is typically the engine's thread, never an I/O thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "base/status.h"

namespace qwl::http {

struct Event {
  std::string_view data;   // any text; "\n", "\r\n" or "\r" separate lines (one data: each)
  std::string_view event;  // optional event name; no CR, LF or NUL
  std::string_view id;     // optional event id; no CR, LF or NUL
};

// Appends the wire form of `event` to *out. Errors: InvalidArgument when `event` or `id` holds
// CR, LF or NUL (*out is then unchanged).
Status append_sse_event(const Event& event, std::string* out);

struct StreamOptions {
  // Events queued and not yet written at most; send() blocks and try_send() fails beyond this.
  size_t max_queued_events = 64;
  // A ": ping" comment is written after this long without output; 0 = ServerOptions::heartbeat.
  std::chrono::milliseconds heartbeat{0};
};

namespace detail {
struct StreamState;
struct ResponseAccess;
}  // namespace detail

class EventSink {
 public:
  // A sink for Response::event_stream(sink). Events sent before the response is returned are
  // queued, but the queue is only drained once the response is being written: a handler that
  // send()s more than max_queued_events before returning blocks itself forever.
  static EventSink create(StreamOptions options = {});
  EventSink() = default;  // an invalid handle; every call on it aborts

  // Queues one event; blocks while the queue is full (backpressure from a slow client).
  // Errors: Cancelled when the stream is cancelled (the client went away, a write failed or
  // timed out, the server's shutdown deadline passed): stop producing. InvalidArgument for a
  // malformed event or a send after close().
  Status send(const Event& event);
  Status send(std::string_view data) { return send(Event{.data = data}); }
  // As send(), but never blocks: ResourceExhausted when the queue is full.
  Status try_send(const Event& event);
  // No more events: the response ends once the queued ones are written. Idempotent.
  void close();

  bool cancelled() const;
  // Fires when the stream is cancelled (see send()).
  std::stop_token cancel_token() const;
  // Events queued and not yet taken by the connection.
  size_t queued() const;
  bool valid() const { return owner_ != nullptr; }

 private:
  friend struct detail::ResponseAccess;
  struct Owner;
  std::shared_ptr<Owner> owner_;
};

}  // namespace qwl::http
