// The HTTP server over Boost.Beast/Asio: an accept loop, and per connection one coroutine that
// reads requests, hands each to a handler thread and writes the response or SSE stream.
//
// Each connection lives on its own strand, so its coroutines (the main loop, a deadline watchdog
// and a disconnect watcher) never run at the same time and share its state without locks; other
// threads reach a connection only by posting to that strand.
//
// Timeouts are one steady_timer per connection (deadline_): each phase (waiting for a request,
// reading headers, reading the body, each write) moves its expiry, and the watchdog coroutine
// closes the socket when an expiry passes, which fails whatever operation is pending. One timer
// keeps the timeout logic in one place instead of wrapping every operation.
//
// Disconnects: while a handler, deferred response or stream is running, a watcher waits for the
// socket to become readable. EOF or an error means the client is gone and fires the request's
// cancel token (compute stops); bytes (a pipelined next request) are kept in the read buffer for
// the next parse. Without the watcher a disconnect would only be noticed at the next write.
//
// Every co_await here is a statement of its own (`const bool ok = co_await f(); if (!ok) ...`),
// never inside an if/while condition or `co_return co_await`: GCC 12 miscompiled
// `if (co_await write_response(...)) co_await linger_close();` into a coroutine resumed at an
// invalid point (SIGILL on the first 400 answer).
#include "server/http_server.h"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <ctime>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "base/check.h"
#include "base/log.h"
#include "server/http_error.h"
#include "server/http_internal.h"

namespace qwl::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// A lingering close reads (and drops) at most this much of an unread request, for at most this
// long, before closing, so that the client sees our error response instead of a reset. Clients
// (fetch, the openai package) send a whole body before they read the answer, so a 413 only
// reaches them if the rest of a large body is drained: reading it costs little on our side.
constexpr size_t kLingerBytes = size_t{256} << 20;
constexpr milliseconds kLingerTime{5'000};

int64_t micros_since(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t).count();
}

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 IMF-fixdate), without the locale strftime uses.
std::string http_date() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t now = std::time(nullptr);
  std::tm t{};
  gmtime_r(&now, &t);
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", kDays[t.tm_wday], t.tm_mday,
                     kMonths[t.tm_mon], 1900 + t.tm_year, t.tm_hour, t.tm_min, t.tm_sec);
}

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool valid_header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), is_token_char);
}

bool valid_header_value(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Headers the server owns: a handler's values for them are ignored.
bool is_framing_header(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
         iequals(name, "Connection") || iequals(name, "Date");
}

// Checks what a handler returned; a response the server cannot send as-is becomes a 500.
Response sanitize(Response response) {
  std::string problem;
  if (response.status < 200 || response.status > 599) {
    problem = fmt::format("status {}", response.status);
  }
  for (const Headers::Field& f : response.headers) {
    if (!valid_header_name(f.name) || !valid_header_value(f.value)) {
      problem = fmt::format("header '{}'", f.name);
      break;
    }
  }
  if (problem.empty()) return response;
  QWL_LOG_ERROR("http: a handler returned an invalid response ({}); answered 500", problem);
  return error_response(500, "internal server error");
}

bool is_parse_error(const ErrorCode& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

// The path and query of a request target in origin form ("/a?b") or absolute form
// ("http://host/a?b"); nullopt for anything else ("*", "host:443").
std::optional<std::pair<std::string_view, std::string_view>> split_target(std::string_view t) {
  if (t.starts_with("http://") || t.starts_with("https://")) {
    const size_t authority = t.find("//") + 2;
    const size_t slash = t.find('/', authority);
    t = slash == std::string_view::npos ? std::string_view("/") : t.substr(slash);
  }
  if (t.empty() || t[0] != '/') return std::nullopt;
  const size_t q = t.find('?');
  if (q == std::string_view::npos) return std::make_pair(t, std::string_view());
  return std::make_pair(t.substr(0, q), t.substr(q + 1));
}

}  // namespace

class Connection;

struct detail::ServerImpl {
  explicit ServerImpl(ServerOptions o) : options(std::move(o)), acceptor(asio::make_strand(ioc)) {}

  ServerOptions options;
  Router router;
  Handler fallback;                 // GET and HEAD that match no route (Server::set_fallback)
  size_t max_route_body_bytes = 0;  // the largest body any route accepts

  asio::io_context ioc;
  tcp::acceptor acceptor;
  std::optional<asio::thread_pool> handlers;
  std::vector<std::thread> io_threads;
  std::atomic<uint16_t> port{0};
  std::atomic<bool> running{false};
  std::atomic<bool> stopping{false};
  bool started = false;

  std::mutex conns_mu;
  std::condition_variable conns_cv;  // signalled when a connection unregisters
  std::unordered_map<Connection*, std::weak_ptr<Connection>> conns;

  struct Counters {
    std::atomic<int64_t> open{0}, accepted{0}, rejected{0}, requests{0}, cancelled{0}, timeouts{0};
  } counters;

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> reject(tcp::socket socket);
  void unregister(Connection* c);
  std::vector<std::shared_ptr<Connection>> snapshot();
};

// One client connection. Everything below runs on the connection's strand.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(detail::ServerImpl& server, tcp::socket socket)
      : server_(server),
        options_(server.options),
        socket_(std::move(socket)),
        deadline_(socket_.get_executor()),
        wake_(socket_.get_executor()),
        buffer_(options_.max_header_bytes + 4096) {}

  auto executor() { return socket_.get_executor(); }

  static asio::awaitable<void> run(std::shared_ptr<Connection> self);

  // Shutdown, step 1: an idle connection closes now, a busy one after its response.
  void begin_drain() {
    draining_ = true;
    if (phase_ == Phase::kIdle) close_socket();
  }
  // Shutdown, step 2 (the grace period is over): cancel the request and close.
  void force_close() {
    draining_ = true;
    cancel_request();
    close_socket();
  }

 private:
  enum class Phase { kIdle, kReading, kHandling, kWriting, kDone };

  // --- deadlines -------------------------------------------------------------------------------
  void set_deadline(milliseconds d) { deadline_.expires_after(d); }
  void clear_deadline() { deadline_.expires_at(SteadyClock::time_point::max()); }
  static asio::awaitable<void> watchdog(std::shared_ptr<Connection> self);

  // --- disconnect watcher ----------------------------------------------------------------------
  void start_watcher();
  void stop_watcher();
  static asio::awaitable<void> watch(std::shared_ptr<Connection> self, uint64_t generation);

  void cancel_request();
  void close_socket() {
    ErrorCode ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }
  std::function<void()> make_waker();

  // --- one request -----------------------------------------------------------------------------
  // Returns false when the connection must close.
  asio::awaitable<bool> serve_one(bool first, bool last);
  asio::awaitable<Response> run_handler(const Handler& handler, Request& request);
  asio::awaitable<std::optional<Response>> await_deferred(std::shared_ptr<detail::DeferredState>);
  asio::awaitable<bool> write_response(Response response, bool keep_alive);
  asio::awaitable<bool> write_stream(Response response, bool keep_alive);
  asio::awaitable<bool> write_bytes(std::string_view bytes);
  // Sends `response` (an error) for a request whose body may be unread, then closes gracefully.
  asio::awaitable<void> fail(Response response);
  asio::awaitable<void> fail(int status, std::string_view message) {
    return fail(error_response(status, message));
  }
  asio::awaitable<void> linger_close();
  void finish_log();

  detail::ServerImpl& server_;
  const ServerOptions& options_;
  tcp::socket socket_;
  asio::steady_timer deadline_;
  asio::steady_timer wake_;  // woken (cancelled) by producers of streams and deferred responses
  beast::flat_buffer buffer_;

  Phase phase_ = Phase::kIdle;
  bool draining_ = false;
  bool timed_out_ = false;
  bool lingering_ = false;  // the deadline is the linger's, not a timeout
  bool watching_ = false;
  uint64_t watch_generation_ = 0;
  bool peer_closed_ = false;  // EOF seen by the watcher
  bool peer_failed_ = false;  // error seen by the watcher (reset)
  std::string remote_address_;
  uint16_t remote_port_ = 0;

  // The request in flight.
  std::stop_source cancel_;
  std::shared_ptr<detail::StreamState> stream_;
  int http_version_ = 11;
  SteadyClock::time_point started_;
  std::string log_target_;
  Method log_method_ = Method::kOther;
  int log_status_ = 0;
  int64_t log_body_bytes_ = 0;
  int64_t log_bytes_out_ = 0;
};

// --- deadlines and the watcher ---------------------------------------------------------------

asio::awaitable<void> Connection::watchdog(std::shared_ptr<Connection> self) {
  while (self->phase_ != Phase::kDone) {
    co_await self->deadline_.async_wait(kTuple);
    if (self->phase_ == Phase::kDone) break;
    // A wait also ends when the expiry is moved; only a passed expiry is a timeout.
    if (self->deadline_.expiry() <= SteadyClock::now()) {
      self->timed_out_ = true;
      if (!self->lingering_) self->server_.counters.timeouts++;
      QWL_LOG_DEBUG("http: {}:{}: timeout, closing", self->remote_address_, self->remote_port_);
      self->cancel_request();
      self->close_socket();
      break;
    }
  }
}

void Connection::start_watcher() {
  watching_ = true;
  asio::co_spawn(executor(), watch(shared_from_this(), ++watch_generation_), asio::detached);
}

void Connection::stop_watcher() {
  if (!watching_) return;
  watching_ = false;
  // Ends the watcher's wait; nothing else is pending on the socket at this point.
  ErrorCode ignored;
  socket_.cancel(ignored);
}

asio::awaitable<void> Connection::watch(std::shared_ptr<Connection> self, uint64_t generation) {
  auto active = [&] { return self->watching_ && self->watch_generation_ == generation; };
  while (active()) {
    auto [ec] = co_await self->socket_.async_wait(tcp::socket::wait_read, kTuple);
    if (!active()) co_return;
    if (!ec) {
      const size_t room = self->buffer_.max_size() - self->buffer_.size();
      if (room == 0) {
        // A client that pipelines more than a header's worth is not watched any further; its
        // disconnect shows at the next write.
        self->watching_ = false;
        co_return;
      }
      // The socket is in non-blocking mode, so this returns at once.
      const size_t n =
          self->socket_.read_some(self->buffer_.prepare(std::min<size_t>(room, 4096)), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
      if (!ec) {
        self->buffer_.commit(n);
        continue;
      }
    }
    if (ec == asio::error::eof) {
      self->peer_closed_ = true;
    } else {
      self->peer_failed_ = true;
    }
    QWL_LOG_DEBUG("http: {}:{}: client went away ({})", self->remote_address_, self->remote_port_,
                  ec.message());
    self->watching_ = false;
    self->cancel_request();
    co_return;
  }
}

void Connection::cancel_request() {
  if (!cancel_.stop_requested() && phase_ != Phase::kIdle && phase_ != Phase::kDone) {
    cancel_.request_stop();
  }
  if (stream_) stream_->cancel_stream();
  wake_.cancel();
}

std::function<void()> Connection::make_waker() {
  // Called by producers on their own threads (under their state's lock): only posts.
  return [weak = weak_from_this(), ex = executor()] {
    asio::post(ex, [weak] {
      if (auto self = weak.lock()) self->wake_.cancel();
    });
  };
}

// --- the connection loop ---------------------------------------------------------------------

asio::awaitable<void> Connection::run(std::shared_ptr<Connection> self) {
  struct Unregister {
    Connection* c;
    ~Unregister() {
      c->phase_ = Phase::kDone;
      c->deadline_.cancel();
      c->close_socket();
      c->server_.unregister(c);
    }
  } unregister{self.get()};

  ErrorCode ec;
  const tcp::endpoint peer = self->socket_.remote_endpoint(ec);
  if (!ec) {
    self->remote_address_ = peer.address().to_string();
    self->remote_port_ = peer.port();
  }
  self->socket_.set_option(tcp::no_delay(true), ec);
  self->socket_.non_blocking(true, ec);
  // The first request's headers must be complete within header_timeout of the accept: a
  // connection that sends nothing, or dribbles, holds a slot only that long.
  self->set_deadline(self->options_.header_timeout);
  asio::co_spawn(self->executor(), watchdog(self), asio::detached);

  const int max_requests = self->options_.max_requests_per_connection;
  for (int served = 0; served < max_requests; ++served) {
    const bool keep_going = co_await self->serve_one(served == 0, served + 1 == max_requests);
    if (!keep_going) break;
  }
}

asio::awaitable<bool> Connection::serve_one(bool first, bool last) {
  // Wait for the first byte of the next request (it may already be buffered: pipelining).
  phase_ = Phase::kIdle;
  if (buffer_.size() == 0) {
    if (draining_ || server_.stopping) co_return false;
    if (!first) set_deadline(options_.idle_timeout);
    auto [ec] = co_await socket_.async_wait(tcp::socket::wait_read, kTuple);
    if (ec || timed_out_ || !socket_.is_open()) co_return false;
  }
  phase_ = Phase::kReading;
  started_ = SteadyClock::now();
  if (!first) set_deadline(options_.header_timeout);
  log_target_.clear();
  log_method_ = Method::kOther;
  log_status_ = 0;
  log_body_bytes_ = 0;
  log_bytes_out_ = 0;
  cancel_ = std::stop_source();
  stream_.reset();
  peer_closed_ = peer_failed_ = false;

  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
  parser.body_limit(server_.max_route_body_bytes);
  // Beast's header_limit bounds each parse step, not the whole header (fields parsed in an
  // earlier read are not counted again), so the total is counted here.
  size_t header_bytes = 0;
  while (!parser.is_header_done()) {
    auto [ec, n] = co_await bhttp::async_read_some(socket_, buffer_, parser, kTuple);
    header_bytes += n;
    if (!ec &&
        header_bytes + (parser.is_header_done() ? 0 : buffer_.size()) > options_.max_header_bytes) {
      ec = bhttp::error::header_limit;
    }
    if (ec) {
      if (timed_out_ || !socket_.is_open()) co_return false;
      if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
        co_await fail(431,
                      fmt::format("request headers exceed {} bytes", options_.max_header_bytes));
      } else if (ec == bhttp::error::body_limit) {
        co_await fail(413,
                      fmt::format("request body exceeds {} bytes", server_.max_route_body_bytes));
      } else if (is_parse_error(ec) && ec != bhttp::error::end_of_stream &&
                 ec != bhttp::error::partial_message) {
        co_await fail(400, fmt::format("malformed request: {}", ec.message()));
      }
      // Otherwise the client closed or reset the connection between or inside requests.
      co_return false;
    }
  }

  bhttp::request<bhttp::string_body>& msg = parser.get();
  http_version_ = msg.version() == 10 ? 10 : 11;
  const std::string_view target(msg.target().data(), msg.target().size());
  log_target_.assign(target);
  const std::string_view method_text(msg.method_string().data(), msg.method_string().size());
  const Method method = parse_method(method_text);
  log_method_ = method;
  bool keep_alive = msg.keep_alive() && !last;

  if (msg.count(bhttp::field::transfer_encoding) > 0 && !parser.chunked()) {
    // Beast treats a request with an unknown transfer coding as having no body, which would
    // let its body be parsed as the next request (smuggling); refuse it (RFC 9112 6.3).
    co_await fail(400, "unsupported Transfer-Encoding (only chunked is accepted)");
    co_return false;
  }
  const auto parts = split_target(target);
  if (!parts) {
    co_await fail(400, "the request target must be a path");
    co_return false;
  }
  auto query = parse_query(parts->second);
  Router::Lookup lookup = server_.router.match(method, parts->first);
  if (lookup.outcome == Router::Outcome::kBadPath || !query) {
    co_await fail(400, "the request target has an invalid percent-encoding");
    co_return false;
  }
  if (lookup.outcome == Router::Outcome::kNotFound && server_.fallback &&
      (method == Method::kGet || method == Method::kHead)) {
    lookup.outcome = Router::Outcome::kFound;
    lookup.match.handler = &server_.fallback;
  }
  if (lookup.outcome != Router::Outcome::kFound) {
    Response r;
    if (lookup.outcome == Router::Outcome::kNotFound) {
      r = error_response(404, fmt::format("no route for {} {}", method_text, lookup.decoded_path));
    } else {
      r = error_response(
          405, fmt::format("method {} not allowed for {}", method_text, lookup.decoded_path));
      std::string allow;
      for (Method m : lookup.allowed) {
        if (!allow.empty()) allow += ", ";
        allow += method_name(m);
      }
      r.headers.set("Allow", allow);
    }
    if (!parser.is_done()) {
      // The body was not read: answer and close rather than read a body nobody wants.
      co_await fail(std::move(r));
      co_return false;
    }
    keep_alive = keep_alive && !draining_;
    const bool written = co_await write_response(std::move(r), keep_alive);
    finish_log();
    const bool reuse = written && keep_alive;
    co_return reuse;
  }

  const size_t body_limit = lookup.match.options.max_body_bytes != 0
                                ? lookup.match.options.max_body_bytes
                                : options_.max_body_bytes;
  if (const auto length = parser.content_length(); length && *length > body_limit) {
    co_await fail(413, fmt::format("request body exceeds {} bytes", body_limit));
    co_return false;
  }
  if (!parser.is_done()) {
    const auto expect = msg[bhttp::field::expect];
    if (http_version_ == 11 &&
        iequals(std::string_view(expect.data(), expect.size()), "100-continue")) {
      const bool sent = co_await write_bytes("HTTP/1.1 100 Continue\r\n\r\n");
      if (!sent) co_return false;
    }
    set_deadline(options_.body_timeout);
    parser.body_limit(body_limit);
    auto [ec, n] = co_await bhttp::async_read(socket_, buffer_, parser, kTuple);
    if (ec) {
      if (timed_out_ || !socket_.is_open()) co_return false;
      if (ec == bhttp::error::body_limit) {
        co_await fail(413, fmt::format("request body exceeds {} bytes", body_limit));
      } else if (is_parse_error(ec) && ec != bhttp::error::end_of_stream &&
                 ec != bhttp::error::partial_message) {
        co_await fail(400, fmt::format("malformed request body: {}", ec.message()));
      }
      co_return false;
    }
  }
  clear_deadline();

  Request request;
  request.method = method;
  request.method_text.assign(method_text);
  request.target.assign(target);
  request.path = std::move(lookup.decoded_path);
  request.query_string.assign(parts->second);
  request.query = std::move(*query);
  request.params = std::move(lookup.match.params);
  for (const auto& field : msg) {
    request.headers.add(std::string_view(field.name_string().data(), field.name_string().size()),
                        std::string_view(field.value().data(), field.value().size()));
  }
  request.body = std::move(msg.body());
  log_body_bytes_ = static_cast<int64_t>(request.body.size());
  request.http_version = http_version_;
  request.remote_address = remote_address_;
  request.remote_port = remote_port_;
  request.cancel = cancel_.get_token();

  phase_ = Phase::kHandling;
  start_watcher();
  Response response = co_await run_handler(*lookup.match.handler, request);
  while (response.is_deferred() && socket_.is_open()) {
    std::optional<Response> r = co_await await_deferred(detail::ResponseAccess::deferred(response));
    if (!r) break;
    response = std::move(*r);
  }
  keep_alive = keep_alive && !draining_ && !server_.stopping;
  bool ok = false;
  if (peer_failed_ || !socket_.is_open() || response.is_deferred()) {
    // Nobody to answer: the client reset the connection, a timeout or shutdown closed it. A
    // stream's producer learns it from its sink.
    stop_watcher();
    if (response.is_stream()) detail::ResponseAccess::stream(response)->cancel_stream();
    cancel_request();
  } else if (response.is_stream()) {
    ok = co_await write_stream(std::move(response), keep_alive);
    stop_watcher();
  } else {
    // A response to a half-closed client (EOF seen) is still written: it may be waiting for it.
    stop_watcher();
    ok = co_await write_response(sanitize(std::move(response)), keep_alive && !peer_closed_);
  }
  if (cancel_.stop_requested()) server_.counters.cancelled++;
  finish_log();
  const bool reuse = ok && keep_alive && !peer_closed_ && !cancel_.stop_requested();
  co_return reuse;
}

asio::awaitable<Response> Connection::run_handler(const Handler& handler, Request& request) {
  // The handler runs on the handler pool; the coroutine resumes on this strand afterwards.
  Response response = co_await asio::co_spawn(
      *server_.handlers,
      [&handler, &request]() -> asio::awaitable<Response> {
        try {
          co_return handler(request);
        } catch (const std::exception& e) {
          QWL_LOG_ERROR("http: handler for {} {} threw: {}", request.method_text, request.path,
                        e.what());
        } catch (...) {
          QWL_LOG_ERROR("http: handler for {} {} threw", request.method_text, request.path);
        }
        co_return error_response(500, "internal server error");
      },
      asio::use_awaitable);
  co_return response;
}

asio::awaitable<std::optional<Response>> Connection::await_deferred(
    std::shared_ptr<detail::DeferredState> state) {
  state->attach(make_waker());
  std::optional<Response> response;
  for (;;) {
    response = state->take();
    if (response || cancel_.stop_requested() || !socket_.is_open()) break;
    wake_.expires_at(SteadyClock::time_point::max());
    co_await wake_.async_wait(kTuple);
  }
  state->detach();
  co_return response;
}

// --- writing ---------------------------------------------------------------------------------

asio::awaitable<bool> Connection::write_bytes(std::string_view bytes) {
  phase_ = Phase::kWriting;
  set_deadline(options_.write_timeout);
  auto [ec, n] =
      co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), kTuple);
  clear_deadline();
  log_bytes_out_ += static_cast<int64_t>(n);
  if (ec) cancel_request();
  co_return !ec;
}

asio::awaitable<bool> Connection::write_response(Response response, bool keep_alive) {
  bhttp::response<bhttp::string_body> res;
  res.version(http_version_);
  res.result(static_cast<unsigned>(response.status));
  res.reason(reason_phrase(response.status));
  for (const Headers::Field& f : response.headers) {
    if (!is_framing_header(f.name)) res.insert(f.name, f.value);
  }
  res.set(bhttp::field::date, http_date());
  res.keep_alive(keep_alive);
  if (response.status == 204 || response.status == 304) response.body.clear();
  res.body() = std::move(response.body);
  res.prepare_payload();
  log_status_ = response.status;

  phase_ = Phase::kWriting;
  set_deadline(options_.write_timeout);
  auto [ec, n] = co_await bhttp::async_write(socket_, res, kTuple);
  clear_deadline();
  log_bytes_out_ += static_cast<int64_t>(n);
  if (ec) {
    cancel_request();
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> Connection::write_stream(Response response, bool keep_alive) {
  std::shared_ptr<detail::StreamState> state = detail::ResponseAccess::stream(response);
  const bool chunked = http_version_ >= 11;
  keep_alive = keep_alive && chunked;
  response = sanitize(std::move(response));
  if (!response.is_stream()) {
    state->cancel_stream();
    const bool ok = co_await write_response(std::move(response), keep_alive);
    co_return ok;
  }
  stream_ = state;
  if (cancel_.stop_requested()) state->cancel_stream();
  std::string head = fmt::format("HTTP/1.{} {} {}\r\n", http_version_ == 10 ? 0 : 1,
                                 response.status, reason_phrase(response.status));
  for (const Headers::Field& f : response.headers) {
    if (!is_framing_header(f.name)) head += fmt::format("{}: {}\r\n", f.name, f.value);
  }
  head += fmt::format("Date: {}\r\n", http_date());
  if (chunked) head += "Transfer-Encoding: chunked\r\n";
  if (!keep_alive) head += "Connection: close\r\n";  // HTTP/1.0 streams always end with it
  head += "\r\n";
  log_status_ = response.status;
  const bool head_written = co_await write_bytes(head);
  if (!head_written) {
    state->cancel_stream();
    co_return false;
  }

  if (auto& producer = detail::ResponseAccess::producer(response)) {
    asio::post(*server_.handlers, [state, produce = std::move(producer)] {
      EventSink sink = detail::ResponseAccess::make_sink(state);
      try {
        produce(sink);
      } catch (const std::exception& e) {
        QWL_LOG_ERROR("http: event stream producer threw: {}", e.what());
      } catch (...) {
        QWL_LOG_ERROR("http: event stream producer threw");
      }
    });
  }

  const milliseconds heartbeat =
      state->options.heartbeat.count() > 0 ? state->options.heartbeat : options_.heartbeat;
  state->attach(make_waker());
  SteadyClock::time_point last_write = SteadyClock::now();
  bool completed = false;
  std::string out;
  for (;;) {
    out.clear();
    const bool closed = state->take(&out);
    if (cancel_.stop_requested() || state->cancel.stop_requested() || !socket_.is_open()) break;
    if (closed) {
      if (chunked) {
        if (!out.empty()) out = fmt::format("{:x}\r\n{}\r\n", out.size(), out);
        out += "0\r\n\r\n";
      }
      completed = co_await write_bytes(out);
      break;
    }
    if (!out.empty()) {
      if (chunked) out = fmt::format("{:x}\r\n{}\r\n", out.size(), out);
      const bool written = co_await write_bytes(out);
      if (!written) break;
      last_write = SteadyClock::now();
      continue;
    }
    phase_ = Phase::kHandling;
    wake_.expires_at(last_write + heartbeat);
    auto [ec] = co_await wake_.async_wait(kTuple);
    if (!ec) {
      // A quiet stream: a comment keeps proxies from timing out and shows a dead client.
      const std::string_view ping = chunked ? "8\r\n: ping\n\n\r\n" : ": ping\n\n";
      const bool written = co_await write_bytes(ping);
      if (!written) break;
      last_write = SteadyClock::now();
    }
  }
  state->detach();
  if (!completed) {
    // The client went away or a write failed: the producer must stop.
    cancel_request();
  }
  stream_.reset();
  const bool reuse = completed && keep_alive;
  co_return reuse;
}

asio::awaitable<void> Connection::fail(Response response) {
  QWL_LOG_DEBUG("http: {}:{}: {} {}", remote_address_, remote_port_, response.status,
                response.body);
  const bool written = co_await write_response(std::move(response), /*keep_alive=*/false);
  finish_log();
  if (written) co_await linger_close();
}

asio::awaitable<void> Connection::linger_close() {
  // Closing with unread bytes in the receive queue makes the kernel send a reset, which can
  // destroy the response before the client reads it; so stop sending, then drain a little.
  ErrorCode ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  lingering_ = true;
  set_deadline(kLingerTime);
  std::array<char, 8192> scratch;
  size_t drained = 0;
  while (drained < kLingerBytes && socket_.is_open()) {
    auto [read_ec, n] = co_await socket_.async_read_some(asio::buffer(scratch), kTuple);
    if (read_ec) break;
    drained += n;
  }
  close_socket();
}

void Connection::finish_log() {
  server_.counters.requests++;
  const int64_t duration_us = micros_since(started_);
  QWL_LOG_DEBUG("http: {} {} {} -> {} ({} B in, {} B out, {} us)", remote_address_,
                method_name(log_method_), log_target_, log_status_, log_body_bytes_, log_bytes_out_,
                duration_us);
  if (options_.on_request_done) {
    options_.on_request_done(RequestLog{
        .method = log_method_,
        .target = log_target_,
        .status = log_status_,
        .body_bytes_in = log_body_bytes_,
        .bytes_out = log_bytes_out_,
        .duration_us = duration_us,
        .cancelled = cancel_.stop_requested(),
        .remote_address = remote_address_,
    });
  }
}

// --- the server ------------------------------------------------------------------------------

asio::awaitable<void> detail::ServerImpl::accept_loop() {
  asio::steady_timer backoff(acceptor.get_executor());
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), kTuple);
    if (ec) {
      if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
      // Out of file descriptors (or similar): wait rather than spin; connections will close.
      QWL_LOG_WARN("http: accept failed: {}", ec.message());
      backoff.expires_after(milliseconds{50});
      co_await backoff.async_wait(kTuple);
      continue;
    }
    if (stopping) continue;  // the socket closes as it goes out of scope
    std::shared_ptr<Connection> connection;
    {
      std::lock_guard lock(conns_mu);
      if (conns.size() < options.max_connections) {
        connection = std::make_shared<Connection>(*this, std::move(socket));
        conns.emplace(connection.get(), connection);
      }
    }
    if (!connection) {
      counters.rejected++;
      asio::co_spawn(socket.get_executor(), reject(std::move(socket)), asio::detached);
      continue;
    }
    counters.accepted++;
    counters.open++;
    asio::co_spawn(connection->executor(), Connection::run(connection), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        QWL_LOG_ERROR("http: connection failed: {}", ex.what());
      } catch (...) {
        QWL_LOG_ERROR("http: connection failed");
      }
    });
  }
}

asio::awaitable<void> detail::ServerImpl::reject(tcp::socket socket_in) {
  // Over the connection limit: a short 503 without reading the request, then a brief linger so
  // that the client reads it. Costs one small write and at most 100 ms.
  static const std::string kResponse = [] {
    const std::string body = error_json("too many connections", error_type_for(503));
    return fmt::format(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Content-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{}",
        body.size(), body);
  }();
  // Shared with the timer's handler, which may run after this coroutine has ended.
  auto socket = std::make_shared<tcp::socket>(std::move(socket_in));
  ErrorCode ec;
  socket->non_blocking(true, ec);
  asio::write(*socket, asio::buffer(kResponse), ec);  // fits the empty send buffer: no blocking
  socket->shutdown(tcp::socket::shutdown_send, ec);
  asio::steady_timer timer(socket->get_executor());
  timer.expires_after(milliseconds{100});
  timer.async_wait([socket](const ErrorCode&) {
    ErrorCode ignored;
    socket->close(ignored);
  });
  std::array<char, 4096> scratch;
  for (;;) {
    auto [read_ec, n] = co_await socket->async_read_some(asio::buffer(scratch), kTuple);
    if (read_ec) break;
  }
  timer.cancel();
  socket->close(ec);
}

void detail::ServerImpl::unregister(Connection* c) {
  {
    std::lock_guard lock(conns_mu);
    conns.erase(c);
  }
  counters.open--;
  conns_cv.notify_all();
}

std::vector<std::shared_ptr<Connection>> detail::ServerImpl::snapshot() {
  std::vector<std::shared_ptr<Connection>> out;
  std::lock_guard lock(conns_mu);
  for (auto& [ptr, weak] : conns) {
    if (auto c = weak.lock()) out.push_back(std::move(c));
  }
  return out;
}

Server::Server(ServerOptions options)
    : impl_(std::make_unique<detail::ServerImpl>(std::move(options))) {}

Server::~Server() {
  stop(milliseconds{0});
}

Status Server::add_route(Method method, std::string_view pattern, Handler handler,
                         RouteOptions options) {
  if (impl_->started) {
    return InvalidArgumentError("http: route '{}' added after start()", pattern);
  }
  QWL_RETURN_IF_ERROR(impl_->router.add(method, pattern, std::move(handler), options));
  impl_->max_route_body_bytes = std::max(impl_->max_route_body_bytes, options.max_body_bytes);
  return Status::Ok();
}

Status Server::set_fallback(Handler handler) {
  if (impl_->started) return InvalidArgumentError("http: fallback set after start()");
  impl_->fallback = std::move(handler);
  return Status::Ok();
}

Status Server::start() {
  detail::ServerImpl& s = *impl_;
  if (s.started) return InvalidArgumentError("http: server started twice");
  const ServerOptions& o = s.options;
  if (o.io_threads < 1 || o.handler_threads < 1) {
    return InvalidArgumentError("http: io_threads and handler_threads must be >= 1");
  }
  if (o.max_connections < 1 || o.max_header_bytes < 256 || o.max_requests_per_connection < 1) {
    return InvalidArgumentError(
        "http: max_connections, max_requests_per_connection must be >= 1 and max_header_bytes "
        ">= 256");
  }
  if (o.header_timeout.count() <= 0 || o.body_timeout.count() <= 0 || o.idle_timeout.count() <= 0 ||
      o.write_timeout.count() <= 0 || o.heartbeat.count() <= 0) {
    return InvalidArgumentError("http: timeouts and the heartbeat must be > 0");
  }

  ErrorCode ec;
  tcp::resolver resolver(s.ioc);
  const auto endpoints = resolver.resolve(
      o.host, std::to_string(o.port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return IoErrorError("http: cannot resolve host '{}': {}", o.host, ec.message());
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  const std::string where = fmt::format("{}:{}", o.host, o.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    ErrorCode ignored;
    s.acceptor.close(ignored);
    return IoErrorError("http: cannot listen on {}: {}", where, ec.message());
  }
  s.port = s.acceptor.local_endpoint(ec).port();

  // The largest limit of any route bounds what the header parser accepts from Content-Length;
  // the route's own limit is checked once the route is known.
  s.max_route_body_bytes = std::max(s.max_route_body_bytes, o.max_body_bytes);
  s.started = true;
  s.running = true;
  s.handlers.emplace(static_cast<size_t>(o.handler_threads));
  asio::co_spawn(s.acceptor.get_executor(), s.accept_loop(), asio::detached);
  for (int i = 0; i < o.io_threads; ++i) {
    s.io_threads.emplace_back([&s] {
      for (;;) {
        try {
          s.ioc.run();
          return;
        } catch (const std::exception& e) {
          QWL_LOG_ERROR("http: I/O thread caught: {}", e.what());
        }
      }
    });
  }
  QWL_LOG_INFO("http: listening on {}:{}", o.host, s.port.load());
  return Status::Ok();
}

uint16_t Server::port() const {
  return impl_->port;
}

bool Server::running() const {
  return impl_->running;
}

void Server::stop(milliseconds grace) {
  detail::ServerImpl& s = *impl_;
  if (!s.running) return;
  // From one of our own threads, stop() would wait for that thread to finish: a deadlock.
  QWL_CHECK(!s.ioc.get_executor().running_in_this_thread() &&
                !s.handlers->get_executor().running_in_this_thread(),
            "http: Server::stop() called from a handler or I/O thread");
  if (!s.running.exchange(false)) return;
  s.stopping = true;
  asio::post(s.acceptor.get_executor(), [&s] {
    ErrorCode ignored;
    s.acceptor.close(ignored);
  });
  for (auto& c : s.snapshot()) asio::post(c->executor(), [c] { c->begin_drain(); });

  const auto deadline = SteadyClock::now() + grace;
  {
    std::unique_lock lock(s.conns_mu);
    s.conns_cv.wait_until(lock, deadline, [&] { return s.conns.empty(); });
  }
  for (auto& c : s.snapshot()) asio::post(c->executor(), [c] { c->force_close(); });
  {
    std::unique_lock lock(s.conns_mu);
    while (!s.conns_cv.wait_for(lock, std::chrono::seconds(5), [&] { return s.conns.empty(); })) {
      QWL_LOG_WARN("http: shutdown waits for {} connection(s) whose handlers have not returned",
                   s.conns.size());
    }
  }
  // Stream producers still running on the pool have been cancelled; wait for them.
  s.handlers->join();
  for (std::thread& t : s.io_threads) t.join();
  s.io_threads.clear();
  QWL_LOG_INFO("http: stopped");
}

ServerStats Server::stats() const {
  const detail::ServerImpl::Counters& c = impl_->counters;
  return ServerStats{
      .connections_open = c.open,
      .connections_accepted = c.accepted,
      .connections_rejected = c.rejected,
      .requests = c.requests,
      .requests_cancelled = c.cancelled,
      .timeouts = c.timeouts,
  };
}

}  // namespace qwl::http
