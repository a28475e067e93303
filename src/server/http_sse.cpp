// SSE event formatting and the shared queue behind EventSink.
//
// The queue holds formatted events, so the connection's strand only concatenates bytes and the
// formatting cost stays on the producer's thread. Backpressure is a count of events: a producer
// blocks (or try_send fails) until the connection has taken the queue, which it does right before
// each write, so a client that reads slowly slows the producer down instead of growing memory.
#include "server/http_sse.h"

#include <utility>

#include "base/check.h"
#include "server/http_internal.h"

namespace qwl::http {

namespace {

bool has_line_break_or_nul(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

}  // namespace

Status append_sse_event(const Event& event, std::string* out) {
  if (has_line_break_or_nul(event.event)) {
    return InvalidArgumentError("http: SSE event name holds CR, LF or NUL");
  }
  if (has_line_break_or_nul(event.id)) {
    return InvalidArgumentError("http: SSE event id holds CR, LF or NUL");
  }
  if (!event.event.empty()) {
    out->append("event: ").append(event.event).append("\n");
  }
  if (!event.id.empty()) {
    out->append("id: ").append(event.id).append("\n");
  }
  // Each line of the data becomes one "data:" field; the client joins them with "\n" again. An
  // empty data still yields one "data:" field so that the event is dispatched.
  std::string_view data = event.data;
  for (;;) {
    const size_t end = data.find_first_of("\r\n");
    out->append("data: ").append(data.substr(0, end)).append("\n");
    if (end == std::string_view::npos) break;
    const size_t skip =
        (data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n') ? 2 : 1;
    data.remove_prefix(end + skip);
  }
  out->append("\n");
  return Status::Ok();
}

namespace detail {

void StreamState::attach(std::function<void()> wake) {
  std::lock_guard lock(mu);
  waker = std::move(wake);
  if (!queue.empty() || closed || cancel.stop_requested()) {
    wake_pending = true;
    waker();
  }
}

void StreamState::detach() {
  std::lock_guard lock(mu);
  waker = nullptr;
}

bool StreamState::take(std::string* out) {
  std::lock_guard lock(mu);
  wake_pending = false;
  const bool had_events = !queue.empty();
  for (std::string& event : queue) out->append(event);
  queue.clear();
  if (had_events) space.notify_all();
  return closed;
}

void StreamState::cancel_stream() {
  std::lock_guard lock(mu);
  cancel.request_stop();
  queue.clear();
  space.notify_all();
}

Status StreamState::push(std::string formatted, bool block) {
  std::unique_lock lock(mu);
  if (block) {
    space.wait(lock, [&] {
      return queue.size() < options.max_queued_events || cancel.stop_requested() || closed;
    });
  }
  if (cancel.stop_requested()) return CancelledError("http: event stream cancelled");
  if (closed) return InvalidArgumentError("http: event stream: send after close()");
  if (queue.size() >= options.max_queued_events) {
    return ResourceExhaustedError("http: event stream: {} events queued", queue.size());
  }
  queue.push_back(std::move(formatted));
  if (waker && !wake_pending) {
    wake_pending = true;
    waker();
  }
  return Status::Ok();
}

void StreamState::close_stream() {
  std::lock_guard lock(mu);
  if (closed) return;
  closed = true;
  space.notify_all();
  if (waker && !wake_pending) {
    wake_pending = true;
    waker();
  }
}

}  // namespace detail

// Every EventSink handle of one stream shares one Owner; its destruction (the last handle gone)
// closes the stream, so a producer that forgets close() still ends the response.
struct EventSink::Owner {
  explicit Owner(std::shared_ptr<detail::StreamState> state) : state(std::move(state)) {}
  ~Owner() { state->close_stream(); }
  Owner(const Owner&) = delete;
  Owner& operator=(const Owner&) = delete;
  std::shared_ptr<detail::StreamState> state;
};

EventSink EventSink::create(StreamOptions options) {
  QWL_CHECK(options.max_queued_events > 0, "StreamOptions::max_queued_events must be > 0");
  return detail::ResponseAccess::make_sink(std::make_shared<detail::StreamState>(options));
}

EventSink detail::ResponseAccess::make_sink(const std::shared_ptr<StreamState>& state) {
  EventSink sink;
  sink.owner_ = std::make_shared<EventSink::Owner>(state);
  return sink;
}

std::shared_ptr<detail::StreamState> detail::ResponseAccess::sink_state(const EventSink& sink) {
  return sink.owner_->state;
}

Status EventSink::send(const Event& event) {
  QWL_CHECK(owner_ != nullptr, "send() on an invalid EventSink");
  std::string formatted;
  QWL_RETURN_IF_ERROR(append_sse_event(event, &formatted));
  return owner_->state->push(std::move(formatted), /*block=*/true);
}

Status EventSink::try_send(const Event& event) {
  QWL_CHECK(owner_ != nullptr, "try_send() on an invalid EventSink");
  std::string formatted;
  QWL_RETURN_IF_ERROR(append_sse_event(event, &formatted));
  return owner_->state->push(std::move(formatted), /*block=*/false);
}

void EventSink::close() {
  QWL_CHECK(owner_ != nullptr, "close() on an invalid EventSink");
  owner_->state->close_stream();
}

bool EventSink::cancelled() const {
  QWL_CHECK(owner_ != nullptr, "cancelled() on an invalid EventSink");
  return owner_->state->cancel.stop_requested();
}

std::stop_token EventSink::cancel_token() const {
  QWL_CHECK(owner_ != nullptr, "cancel_token() on an invalid EventSink");
  return owner_->state->cancel.get_token();
}

size_t EventSink::queued() const {
  QWL_CHECK(owner_ != nullptr, "queued() on an invalid EventSink");
  std::lock_guard lock(owner_->state->mu);
  return owner_->state->queue.size();
}

}  // namespace qwl::http
