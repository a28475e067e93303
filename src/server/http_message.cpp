// Methods, headers, request accessors and the Response kinds (complete, stream, deferred).
#include "server/http_message.h"

#include <algorithm>
#include <array>

#include "base/check.h"
#include "base/log.h"
#include "server/http_error.h"
#include "server/http_internal.h"

namespace qwl::http {

namespace {

constexpr std::array<std::pair<Method, std::string_view>, 7> kMethods = {{
    {Method::kGet, "GET"},
    {Method::kHead, "HEAD"},
    {Method::kPost, "POST"},
    {Method::kPut, "PUT"},
    {Method::kDelete, "DELETE"},
    {Method::kPatch, "PATCH"},
    {Method::kOptions, "OPTIONS"},
}};

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::string_view method_name(Method method) {
  for (const auto& [m, name] : kMethods) {
    if (m == method) return name;
  }
  return "OTHER";
}

Method parse_method(std::string_view token) {
  for (const auto& [m, name] : kMethods) {
    if (name == token) return m;
  }
  return Method::kOther;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const Field& f : fields_) {
    if (iequals(f.name, name)) return std::string_view(f.value);
  }
  return std::nullopt;
}

void Headers::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value);
}

void Headers::add(std::string_view name, std::string_view value) {
  fields_.push_back(Field{std::string(name), std::string(value)});
}

void Headers::remove(std::string_view name) {
  std::erase_if(fields_, [&](const Field& f) { return iequals(f.name, name); });
}

std::string_view Request::param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return {};
}

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

Response Response::json(std::string body, int status) {
  Response r(status);
  r.headers.set("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

Response Response::text(std::string body, int status) {
  Response r(status);
  r.headers.set("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

namespace {

void set_stream_headers(Response* r) {
  r->headers.set("Content-Type", "text/event-stream");
  r->headers.set("Cache-Control", "no-cache");
  // Tells nginx-style proxies not to buffer the stream.
  r->headers.set("X-Accel-Buffering", "no");
}

}  // namespace

Response Response::event_stream(const EventSink& sink) {
  QWL_CHECK(sink.valid(), "Response::event_stream with an invalid EventSink");
  Response r(200);
  set_stream_headers(&r);
  // The response keeps the state, not a handle: the handles are the producer's, and the last
  // one to go ends the stream.
  r.stream_ = detail::ResponseAccess::sink_state(sink);
  return r;
}

Response Response::event_stream(std::function<void(EventSink&)> produce, StreamOptions options) {
  QWL_CHECK(produce != nullptr, "Response::event_stream with an empty producer");
  QWL_CHECK(options.max_queued_events > 0, "StreamOptions::max_queued_events must be > 0");
  Response r(200);
  set_stream_headers(&r);
  r.stream_ = std::make_shared<detail::StreamState>(options);
  r.producer_ = std::move(produce);
  return r;
}

// The Owner of a deferred reply: when the last DeferredReply handle goes without a send, the
// client gets a 500 rather than a connection that waits forever.
struct DeferredReply::Owner {
  explicit Owner(std::shared_ptr<detail::DeferredState> state) : state(std::move(state)) {}
  ~Owner() {
    if (state->complete(error_response(500, "the handler dropped its deferred response"))) {
      QWL_LOG_ERROR("http: a DeferredReply was destroyed without send(); answered 500");
    }
  }
  Owner(const Owner&) = delete;
  Owner& operator=(const Owner&) = delete;
  std::shared_ptr<detail::DeferredState> state;
};

std::pair<Response, DeferredReply> Response::deferred() {
  auto state = std::make_shared<detail::DeferredState>();
  Response r(0);
  r.deferred_ = state;
  DeferredReply reply;
  reply.owner_ = std::make_shared<DeferredReply::Owner>(state);
  return {std::move(r), std::move(reply)};
}

bool DeferredReply::send(Response response) {
  QWL_CHECK(owner_ != nullptr, "send() on an invalid DeferredReply");
  return owner_->state->complete(std::move(response));
}

namespace detail {

void DeferredState::attach(std::function<void()> wake) {
  std::lock_guard lock(mu);
  waker = std::move(wake);
  if (response) waker();
}

void DeferredState::detach() {
  std::lock_guard lock(mu);
  waker = nullptr;
}

std::optional<Response> DeferredState::take() {
  std::lock_guard lock(mu);
  std::optional<Response> out = std::move(response);
  response.reset();
  return out;
}

bool DeferredState::complete(Response r) {
  std::lock_guard lock(mu);
  if (completed) return false;
  completed = true;
  response = std::move(r);
  if (waker) waker();
  return true;
}

}  // namespace detail

}  // namespace qwl::http
