// HTTP messages as plain values: Method, Headers, Request and Response.
//
// These are the types a route handler sees. They hold no Beast or Asio type, so the layers above
// (the OpenAI API, the app API, auth, metrics) depend only on this header, never on the network
// library. A Response is one of three kinds: a complete response (status, headers, body), an SSE
// stream whose events are written by an EventSink (http_sse.h) from any thread, or a deferred
// response that another thread completes later through a DeferredReply (for example the batch
// scheduler, so that no handler thread waits on generation).
//
// Thread-safety: plain values, except the handles (EventSink, DeferredReply) documented below.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http_sse.h"

namespace qwl::http {

enum class Method { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kOther };

// "GET", "POST", ... ("OTHER" for kOther).
std::string_view method_name(Method method);
// The Method for an upper-case token; kOther for anything else (methods are case-sensitive).
Method parse_method(std::string_view token);

// An ordered list of header fields with case-insensitive names. Values are kept as received
// (without surrounding whitespace). A name may occur more than once.
class Headers {
 public:
  struct Field {
    std::string name;
    std::string value;
  };

  // The first value of `name`, or nullopt.
  std::optional<std::string_view> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  // Replaces every field called `name` by one field.
  void set(std::string_view name, std::string_view value);
  // Appends a field (for names that may repeat, such as Set-Cookie).
  void add(std::string_view name, std::string_view value);
  void remove(std::string_view name);

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  std::vector<Field>::const_iterator begin() const { return fields_.begin(); }
  std::vector<Field>::const_iterator end() const { return fields_.end(); }

 private:
  std::vector<Field> fields_;
};

// ASCII case-insensitive comparison, as header names and tokens are compared.
bool iequals(std::string_view a, std::string_view b);

// One request as the handler receives it. The connection owns it for the duration of the
// handler call; a handler may move fields out of it (for example the body). Anything that must
// outlive the handler (a producer thread of an SSE stream) copies what it needs; `cancel` may be
// copied and kept.
struct Request {
  Method method = Method::kGet;
  std::string method_text;   // the method token as received ("GET", "PROPFIND")
  std::string target;        // the request target as received ("/v1/models/a%20b?x=1")
  std::string path;          // the target before '?', percent-decoded ("/v1/models/a b")
  std::string query_string;  // the raw text after '?' (not decoded), empty when none
  // Query parameters in order, decoded ('+' is a space); a name may repeat.
  std::vector<std::pair<std::string, std::string>> query;
  // Values of the route's {name} segments, percent-decoded, in pattern order.
  std::vector<std::pair<std::string, std::string>> params;
  Headers headers;
  std::string body;            // the whole body (chunked bodies are decoded); at most the limit
  int http_version = 11;       // 10 or 11
  std::string remote_address;  // the peer's IP address ("127.0.0.1", "::1")
  uint16_t remote_port = 0;
  // Fires when the client disconnects (seen while the handler or stream runs), when writing the
  // response fails or times out, or when the server's shutdown deadline passes. Long work for
  // this request (generation) checks it or registers a std::stop_callback on it; such callbacks
  // run on the thread that fires the token, usually an I/O thread, so they must not block.
  std::stop_token cancel;

  // The value of path parameter `name`; empty when the route has no such parameter.
  std::string_view param(std::string_view name) const;
  // The first value of query parameter `name`, or nullopt.
  std::optional<std::string_view> query_param(std::string_view name) const;
  // The first value of header `name`, or nullopt.
  std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }
};

namespace detail {
struct DeferredState;
struct ResponseAccess;
}  // namespace detail

class DeferredReply;

// What a handler returns. Build one with the static helpers or fill the fields directly. The
// server adds Content-Length, Connection and Date; a handler's Content-Length or
// Transfer-Encoding is replaced. A header name or value with CR, LF or NUL makes the server send
// a 500 instead (never a split response).
class Response {
 public:
  Response() = default;
  explicit Response(int status) : status(status) {}

  int status = 200;
  Headers headers;
  std::string body;

  // `body` with Content-Type application/json.
  static Response json(std::string body, int status = 200);
  // `body` with Content-Type text/plain; charset=utf-8.
  static Response text(std::string body, int status = 200);

  // An SSE stream (status 200, Content-Type text/event-stream, Cache-Control no-cache,
  // X-Accel-Buffering no) whose events come from `sink`. The stream ends when every EventSink
  // handle of it has called close() or been destroyed, or when the client goes away.
  static Response event_stream(const EventSink& sink);
  // An SSE stream whose events `produce` writes. It runs on a handler thread once the response
  // headers are written; the stream ends when it returns. It may block in EventSink::send
  // (backpressure) and must return soon after send() reports Cancelled.
  static Response event_stream(std::function<void(EventSink&)> produce, StreamOptions options = {});

  // A response that is not known yet: the connection waits (without a thread) until the
  // returned reply is sent from any thread. The reply may itself be an event stream. If every
  // DeferredReply handle is destroyed unsent, the client gets a 500.
  static std::pair<Response, DeferredReply> deferred();

  bool is_stream() const { return stream_ != nullptr; }
  bool is_deferred() const { return deferred_ != nullptr; }

 private:
  friend struct detail::ResponseAccess;
  std::shared_ptr<detail::StreamState> stream_;
  std::function<void(EventSink&)> producer_;
  std::shared_ptr<detail::DeferredState> deferred_;
};

// The sending end of a deferred response. A cheap handle: copies refer to the same reply.
// Thread-safe: send() may be called from any thread; only the first call counts.
class DeferredReply {
 public:
  DeferredReply() = default;
  // Delivers the response; returns false if one was already sent (this one is dropped). Safe to
  // call after the client has gone (the response is then discarded). The request's `cancel`
  // token tells the producer that nobody waits any more.
  bool send(Response response);
  bool valid() const { return owner_ != nullptr; }

 private:
  friend class Response;
  struct Owner;
  std::shared_ptr<Owner> owner_;
};

}  // namespace qwl::http
