// SSE event formatting and EventSink's queue: backpressure, close, cancellation, handles.
#include "server/http_sse.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "server/http_internal.h"
#include "server/http_message.h"

namespace qwl::http {
namespace {

using std::chrono::milliseconds;

std::string format(const Event& e) {
  std::string out;
  const Status s = append_sse_event(e, &out);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return out;
}

TEST(HttpSseTest, FormatsDataEventNameAndId) {
  EXPECT_EQ(format({.data = R"({"a":1})"}), "data: {\"a\":1}\n\n");
  EXPECT_EQ(format({.data = "[DONE]"}), "data: [DONE]\n\n");
  EXPECT_EQ(format({.data = "x", .event = "error"}), "event: error\ndata: x\n\n");
  EXPECT_EQ(format({.data = "x", .event = "card", .id = "7"}), "event: card\nid: 7\ndata: x\n\n");
  EXPECT_EQ(format({.data = ""}), "data: \n\n");
}

TEST(HttpSseTest, EachLineOfDataBecomesADataField) {
  EXPECT_EQ(format({.data = "a\nb"}), "data: a\ndata: b\n\n");
  EXPECT_EQ(format({.data = "a\r\nb\rc"}), "data: a\ndata: b\ndata: c\n\n");
  EXPECT_EQ(format({.data = "a\n"}), "data: a\ndata: \n\n");
  // A data line that looks like a field or comment stays inside the data field.
  EXPECT_EQ(format({.data = "x\n: ping\nevent: y"}), "data: x\ndata: : ping\ndata: event: y\n\n");
}

TEST(HttpSseTest, RejectsLineBreaksInNameAndId) {
  std::string out = "keep";
  EXPECT_EQ(append_sse_event({.data = "x", .event = "a\nb"}, &out).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(append_sse_event({.data = "x", .id = "1\r"}, &out).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(append_sse_event({.data = "x", .id = std::string_view("1\0", 2)}, &out).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "keep");
}

std::shared_ptr<detail::StreamState> state_of(const EventSink& sink) {
  return detail::ResponseAccess::sink_state(sink);
}

TEST(HttpSseTest, SinkQueuesUntilTakenAndTryFailsWhenFull) {
  EventSink sink = EventSink::create({.max_queued_events = 2});
  ASSERT_TRUE(sink.send("one").ok());
  ASSERT_TRUE(sink.try_send({.data = "two"}).ok());
  EXPECT_EQ(sink.queued(), 2u);
  EXPECT_EQ(sink.try_send({.data = "three"}).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(sink.send({.data = "x", .event = "bad\n"}).code(), StatusCode::kInvalidArgument);

  std::string out;
  EXPECT_FALSE(state_of(sink)->take(&out));
  EXPECT_EQ(out, "data: one\n\ndata: two\n\n");
  EXPECT_EQ(sink.queued(), 0u);
  EXPECT_TRUE(sink.try_send({.data = "three"}).ok());
}

TEST(HttpSseTest, BlockedSendResumesWhenTheQueueIsTaken) {
  EventSink sink = EventSink::create({.max_queued_events = 1});
  ASSERT_TRUE(sink.send("first").ok());
  std::atomic<bool> sent{false};
  std::thread producer([&] {
    EXPECT_TRUE(sink.send("second").ok());
    sent = true;
  });
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(sent.load());  // backpressure: the queue is full
  std::string out;
  state_of(sink)->take(&out);
  producer.join();
  EXPECT_TRUE(sent.load());
  out.clear();
  state_of(sink)->take(&out);
  EXPECT_EQ(out, "data: second\n\n");
}

TEST(HttpSseTest, CancelWakesABlockedSenderWithCancelled) {
  EventSink sink = EventSink::create({.max_queued_events = 1});
  ASSERT_TRUE(sink.send("first").ok());
  Status result;
  std::thread producer([&] { result = sink.send("second"); });
  std::this_thread::sleep_for(milliseconds(20));
  state_of(sink)->cancel_stream();
  producer.join();
  EXPECT_EQ(result.code(), StatusCode::kCancelled);
  EXPECT_TRUE(sink.cancelled());
  EXPECT_TRUE(sink.cancel_token().stop_requested());
  EXPECT_EQ(sink.try_send({.data = "x"}).code(), StatusCode::kCancelled);
}

TEST(HttpSseTest, CloseEndsTheStreamAfterQueuedEvents) {
  EventSink sink = EventSink::create();
  ASSERT_TRUE(sink.send("last").ok());
  sink.close();
  sink.close();  // idempotent
  EXPECT_EQ(sink.send("late").code(), StatusCode::kInvalidArgument);
  std::string out;
  EXPECT_TRUE(state_of(sink)->take(&out));
  EXPECT_EQ(out, "data: last\n\n");
}

TEST(HttpSseTest, TheLastHandleGoingAwayClosesTheStream) {
  std::shared_ptr<detail::StreamState> state;
  {
    EventSink sink = EventSink::create();
    state = state_of(sink);
    EventSink copy = sink;
    ASSERT_TRUE(copy.send("x").ok());
    { EventSink third = copy; }
    std::lock_guard lock(state->mu);
    EXPECT_FALSE(state->closed);
  }
  std::lock_guard lock(state->mu);
  EXPECT_TRUE(state->closed);
}

TEST(HttpSseTest, WakerIsCalledOncePerTake) {
  EventSink sink = EventSink::create();
  int wakes = 0;
  state_of(sink)->attach([&] { ++wakes; });
  EXPECT_EQ(wakes, 0);
  ASSERT_TRUE(sink.send("a").ok());
  ASSERT_TRUE(sink.send("b").ok());
  EXPECT_EQ(wakes, 1);  // still pending: the connection has not taken yet
  std::string out;
  state_of(sink)->take(&out);
  ASSERT_TRUE(sink.send("c").ok());
  EXPECT_EQ(wakes, 2);
  state_of(sink)->detach();
  ASSERT_TRUE(sink.send("d").ok());
  EXPECT_EQ(wakes, 2);
}

TEST(HttpSseTest, StreamResponsesCarryTheSseHeaders) {
  EventSink sink = EventSink::create();
  const Response r = Response::event_stream(sink);
  EXPECT_TRUE(r.is_stream());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("Content-Type"), "text/event-stream");
  EXPECT_EQ(r.headers.get("cache-control"), "no-cache");
  EXPECT_EQ(r.headers.get("X-Accel-Buffering"), "no");
}

TEST(HttpSseTest, DeferredReplySendsOnceAndDroppingAnswers500) {
  auto [response, reply] = Response::deferred();
  EXPECT_TRUE(response.is_deferred());
  auto state = detail::ResponseAccess::deferred(response);
  EXPECT_TRUE(reply.send(Response::text("hi")));
  EXPECT_FALSE(reply.send(Response::text("again")));
  auto taken = state->take();
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->body, "hi");

  std::shared_ptr<detail::DeferredState> dropped_state;
  {
    auto [r2, reply2] = Response::deferred();
    dropped_state = detail::ResponseAccess::deferred(r2);
  }
  auto dropped = dropped_state->take();
  ASSERT_TRUE(dropped.has_value());
  EXPECT_EQ(dropped->status, 500);
}

}  // namespace
}  // namespace qwl::http
