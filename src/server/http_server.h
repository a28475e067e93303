// Server: an HTTP/1.1 server over Boost.Beast/Asio, hidden behind this header (pimpl), on which
// the OpenAI API, the app API and MCP over HTTP register their routes.
//
// Threads. `io_threads` threads run the sockets: one C++20 coroutine per connection reads a
// request, and writes its response or stream. Handlers never run there: each request's handler
// runs on one of `handler_threads` handler threads, so a handler may block briefly (a database
// query); long work (generation) is posted to its own threads and answered with
// Response::deferred() or Response::event_stream(), which cost no thread while they wait.
//
// Defences (see docs/HTTP.md): the headers of each request must arrive within header_timeout of
// its first byte (slow-loris), in at most max_header_bytes (else 431); bodies are at most
// max_body_bytes (else 413, refused from Content-Length before any body is read), read within
// body_timeout; each write must finish within write_timeout (a client that stops reading is cut
// off and its request cancelled); a keep-alive connection idles at most idle_timeout; at most
// max_connections are open (more are answered 503 and closed). A request with bad syntax gets a
// 400 and the connection is closed.
//
// Thread-safety: add_route() before start(); start(), stop() and the destructor from one owner
// thread (never from a handler or I/O thread); port(), stats() from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/http_message.h"
#include "server/http_router.h"

namespace qwl::http {

using std::chrono::milliseconds;

// What ServerOptions::on_request_done receives. `status` is the status sent (0 when none was sent:
// the client went away or a timeout cut the connection before a response).
struct RequestLog {
  Method method = Method::kOther;
  std::string_view target;  // raw, as received; may be empty for a request that did not parse
  int status = 0;
  int64_t body_bytes_in = 0;
  int64_t bytes_out = 0;    // response bytes written, headers included
  int64_t duration_us = 0;  // from the first byte of the request to the end of the response
  bool cancelled = false;   // the request's cancel token fired
  std::string_view remote_address;
};

struct ServerOptions {
  std::string host = "127.0.0.1";  // an IP address or a name; 127.0.0.1 keeps it off the network
  uint16_t port = 8080;            // 0 = an ephemeral port, see Server::port()
  int io_threads = 1;              // socket threads; one is plenty for loopback serving
  int handler_threads = 4;         // threads that run handlers
  size_t max_connections = 512;    // open connections at most; more get 503 and are closed
  size_t max_header_bytes = 16 * 1024;       // request line + headers; over -> 431
  size_t max_body_bytes = 16 * 1024 * 1024;  // default per route; over -> 413
  int max_requests_per_connection = 1000;    // then the connection is closed after the response
  milliseconds header_timeout{10'000};       // from a request's first byte to its last header byte
  milliseconds body_timeout{60'000};         // for the whole body, after the headers
  milliseconds idle_timeout{60'000};         // keep-alive: between requests (and before the first)
  milliseconds write_timeout{30'000};        // for each write (a response, a batch of events)
  milliseconds heartbeat{15'000};            // SSE ": ping" after this long without an event
  // Called on an I/O thread once per request after its response is written or abandoned; keep
  // it cheap and thread-safe (metrics, access log). Empty = none.
  std::function<void(const RequestLog&)> on_request_done;
};

// Counters since start(); each is read atomically (together they are not a snapshot).
struct ServerStats {
  int64_t connections_open = 0;
  int64_t connections_accepted = 0;
  int64_t connections_rejected = 0;  // over max_connections (503)
  int64_t requests = 0;              // requests answered, or abandoned after they were parsed
  int64_t requests_cancelled = 0;    // whose cancel token fired
  int64_t timeouts = 0;              // connections closed by a header, body, idle or write timeout
};

namespace detail {
struct ServerImpl;
}  // namespace detail

class Server {
 public:
  explicit Server(ServerOptions options);
  // Stops with a zero grace period if still running.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Registers a route (see http_router.h for patterns). Errors: InvalidArgument for a bad or
  // duplicate pattern. Must be called before start().
  Status add_route(Method method, std::string_view pattern, Handler handler,
                   RouteOptions options = {});
  // The handler for a GET or HEAD request whose path no route matches under any method (a path
  // that a route takes under another method still gets 405). For a catch-all below every route,
  // such as the web app's files. Replaces an earlier one; empty = 404. Errors: InvalidArgument
  // after start().
  Status set_fallback(Handler handler);

  // Binds, listens and starts the threads. Errors: InvalidArgument for bad options,
  // IoError when the address cannot be resolved or bound ("127.0.0.1:8080: Address already in
  // use"). Called once.
  Status start();
  // The bound port (the ephemeral one when ServerOptions::port is 0); 0 before start().
  uint16_t port() const;

  // Graceful shutdown: stops accepting, closes idle keep-alive connections, lets requests in
  // flight finish and close, and when `grace` has passed cancels the rest (their cancel tokens
  // fire, their sockets close). Returns when every connection is closed and every handler and
  // stream producer has returned, so a handler that ignores its cancel token delays it.
  // Idempotent.
  void stop(milliseconds grace = milliseconds{10'000});
  bool running() const;

  ServerStats stats() const;

 private:
  std::unique_ptr<detail::ServerImpl> impl_;
};

}  // namespace qwl::http
