// Internal to src/server/http_*.cpp: the shared state behind EventSink and DeferredReply, and
// the access the connection code needs to a Response's stream or deferred parts. Nothing outside
// the HTTP implementation includes this header.
//
// Both states are shared between a producer (any thread) and one connection (its I/O strand).
// The connection installs a `waker`, which the producer calls (under the state's mutex) when
// there is something new to take; the waker only posts to the connection's strand, so calling it
// under the lock is cheap and cannot deadlock.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "server/http_message.h"
#include "server/http_sse.h"

namespace qwl::http::detail {

struct StreamState {
  explicit StreamState(StreamOptions options) : options(options) {}

  const StreamOptions options;
  mutable std::mutex mu;
  std::condition_variable space;  // signalled when events are taken or the stream is cancelled
  std::deque<std::string> queue;  // formatted events, oldest first
  bool closed = false;            // no more events will be queued
  bool wake_pending = false;      // the waker was called and take() has not run since
  std::stop_source cancel;
  std::function<void()> waker;

  // Connection side. Installs the waker (calls it at once if something is queued or closed).
  void attach(std::function<void()> wake);
  // Removes the waker; no call into the connection happens afterwards.
  void detach();
  // Appends every queued event to *out. Returns true when the stream is closed and drained.
  bool take(std::string* out);
  // Cancels: send() fails from now on and blocked senders wake up.
  void cancel_stream();
  // Producer side.
  Status push(std::string formatted, bool block);
  void close_stream();
};

struct DeferredState {
  std::mutex mu;
  bool completed = false;            // a response was delivered (it may already be taken)
  std::optional<Response> response;  // delivered and not yet taken
  std::function<void()> waker;

  // Connection side: installs the waker (calls it at once when a response is already there).
  void attach(std::function<void()> wake);
  void detach();
  std::optional<Response> take();
  // Producer side; false when already completed.
  bool complete(Response response);
};

struct ResponseAccess {
  static const std::shared_ptr<StreamState>& stream(const Response& r) { return r.stream_; }
  static std::function<void(EventSink&)>& producer(Response& r) { return r.producer_; }
  static const std::shared_ptr<DeferredState>& deferred(const Response& r) { return r.deferred_; }
  // A new sink handle (with its own owner) for `state`.
  static EventSink make_sink(const std::shared_ptr<StreamState>& state);
  // The state behind a sink handle.
  static std::shared_ptr<StreamState> sink_state(const EventSink& sink);
};

}  // namespace qwl::http::detail
