// The server over real sockets on 127.0.0.1: routing, keep-alive, limits, malformed input,
// slow clients, SSE streams, disconnects, concurrency, shutdown, and curl as an outside client.
//
// Timeouts are set to a few hundred milliseconds so that every test runs in well under a second
// or two; the bounds asserted leave room for a loaded 2-core machine.
#include "server/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/http_error.h"

namespace qwl::http {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

int64_t ms_since(SteadyClock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - t).count();
}

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // de-chunked
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// A blocking client on a raw socket, so tests control every byte (and its timing).
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Sends RST instead of FIN when closed.
  void set_abortive_close() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  void set_receive_buffer(int bytes) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads whatever arrives within `timeout` into the pending buffer; false on EOF or error.
  bool fill(milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return true;  // nothing yet
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    pending_.append(buf, static_cast<size_t>(n));
    return true;
  }

  // Reads until `marker` is in the pending bytes; returns the bytes up to and including it.
  std::optional<std::string> read_until(std::string_view marker, milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    for (;;) {
      const size_t at = pending_.find(marker);
      if (at != std::string::npos) {
        std::string out = pending_.substr(0, at + marker.size());
        pending_.erase(0, at + marker.size());
        return out;
      }
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0 || !fill(left)) return std::nullopt;
    }
  }

  std::optional<std::string> read_exactly(size_t n, milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (pending_.size() < n) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0 || !fill(left)) return std::nullopt;
    }
    std::string out = pending_.substr(0, n);
    pending_.erase(0, n);
    return out;
  }

  // Reads the status line and headers.
  std::optional<RawResponse> read_head(milliseconds timeout = milliseconds(3000)) {
    auto head = read_until("\r\n\r\n", timeout);
    if (!head) return std::nullopt;
    RawResponse r;
    std::string_view text = *head;
    const size_t line_end = text.find("\r\n");
    const std::string_view status_line = text.substr(0, line_end);
    if (!status_line.starts_with("HTTP/1.")) return std::nullopt;
    r.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
    text.remove_prefix(line_end + 2);
    while (!text.empty()) {
      const size_t end = text.find("\r\n");
      const std::string_view line = text.substr(0, end);
      text.remove_prefix(end + 2);
      if (line.empty()) break;
      const size_t colon = line.find(':');
      std::string name(line.substr(0, colon));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      r.headers[name] = std::string(value);
    }
    return r;
  }

  // Reads one chunk of a chunked body; "" for the last chunk, nullopt on timeout or EOF.
  std::optional<std::string> read_chunk(milliseconds timeout) {
    auto size_line = read_until("\r\n", timeout);
    if (!size_line) return std::nullopt;
    const size_t size = std::stoul(*size_line, nullptr, 16);
    auto data = read_exactly(size + 2, timeout);
    if (!data) return std::nullopt;
    return data->substr(0, size);
  }

  // Reads one whole response (Content-Length, chunked, or until EOF).
  std::optional<RawResponse> read_response(milliseconds timeout = milliseconds(3000)) {
    auto r = read_head(timeout);
    if (!r) return std::nullopt;
    if (r->header("transfer-encoding") == "chunked") {
      for (;;) {
        auto chunk = read_chunk(timeout);
        if (!chunk) return std::nullopt;
        if (chunk->empty()) break;
        r->body += *chunk;
      }
    } else if (!r->header("content-length").empty()) {
      auto body = read_exactly(std::stoul(r->header("content-length")), timeout);
      if (!body) return std::nullopt;
      r->body = *body;
    } else {
      while (fill(timeout)) {
      }
      r->body = std::move(pending_);
      pending_.clear();
    }
    return r;
  }

  // True when the server closes the connection (EOF or reset) within `timeout`.
  bool wait_closed(milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (!eof_) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0) return false;
      fill(left);
    }
    return true;
  }

  const std::string& pending() const { return pending_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string pending_;
};

std::string get(std::string_view target, std::string_view extra_headers = "") {
  return fmt::format("GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\n{}\r\n", target, extra_headers);
}

std::string post(std::string_view target, std::string_view body) {
  return fmt::format(
      "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: {}\r\n\r\n{}",
      target, body.size(), body);
}

ServerOptions test_options() {
  ServerOptions o;
  o.port = 0;
  o.io_threads = 1;
  o.handler_threads = 4;
  o.max_header_bytes = 4096;
  o.max_body_bytes = 1024;
  o.header_timeout = milliseconds(2000);
  o.body_timeout = milliseconds(2000);
  o.idle_timeout = milliseconds(2000);
  o.write_timeout = milliseconds(2000);
  o.heartbeat = milliseconds(5000);
  return o;
}

// A server with a few routes used across tests.
class HttpServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = test_options()) {
    server_ = std::make_unique<Server>(std::move(options));
    ASSERT_TRUE(
        server_->add_route(Method::kGet, "/hello", [](Request&) { return Response::text("hello"); })
            .ok());
    ASSERT_TRUE(server_
                    ->add_route(Method::kPost, "/echo",
                                [](Request& r) {
                                  Response out = Response::text(std::move(r.body));
                                  out.headers.set("X-Method", r.method_text);
                                  return out;
                                })
                    .ok());
    ASSERT_TRUE(server_
                    ->add_route(Method::kGet, "/v1/models/{id}",
                                [](Request& r) {
                                  nlohmann::json j = {{"id", r.param("id")}, {"path", r.path}};
                                  if (auto q = r.query_param("q")) j["q"] = *q;
                                  if (auto h = r.header("x-test")) j["x_test"] = *h;
                                  j["remote"] = r.remote_address;
                                  return Response::json(j.dump());
                                })
                    .ok());
    for (auto& [method, pattern, handler, options] : extra_routes_) {
      ASSERT_TRUE(server_->add_route(method, pattern, handler, options).ok()) << pattern;
    }
    const Status s = server_->start();
    ASSERT_TRUE(s.ok()) << s.to_string();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }
  void route(Method method, std::string pattern, Handler handler, RouteOptions options = {}) {
    extra_routes_.push_back({method, std::move(pattern), std::move(handler), options});
  }
  void TearDown() override {
    if (server_) server_->stop(milliseconds(2000));
  }

  struct ExtraRoute {
    Method method;
    std::string pattern;
    Handler handler;
    RouteOptions options;
  };
  std::vector<ExtraRoute> extra_routes_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
};

nlohmann::json error_of(const RawResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("error")) return nlohmann::json();
  return j["error"];
}

// --- basics and routing ----------------------------------------------------------------------

TEST_F(HttpServerTest, ServesOnAnEphemeralLoopbackPort) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(get("/hello")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r->header("content-length"), "5");
  EXPECT_TRUE(r->header("date").ends_with(" GMT")) << r->header("date");
}

TEST_F(HttpServerTest, BindingATakenPortIsAnIoError) {
  start();
  ServerOptions o = test_options();
  o.port = port_;
  Server second(o);
  const Status s = second.start();
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find(fmt::format("127.0.0.1:{}", port_)), std::string::npos) << s.message();
}

TEST_F(HttpServerTest, RejectsBadOptionsAndLateRoutes) {
  ServerOptions o = test_options();
  o.header_timeout = milliseconds(0);
  Server bad(o);
  EXPECT_EQ(bad.start().code(), StatusCode::kInvalidArgument);
  start();
  EXPECT_EQ(server_->add_route(Method::kGet, "/late", [](Request&) { return Response(); }).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(HttpServerTest, RoutesWithParamsQueryAndHeaders) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.send(get("/v1/models/Qwen%2FQwen3?q=a+b&z=1", "X-Test: yes\r\n")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["id"], "Qwen/Qwen3");
  EXPECT_EQ(j["path"], "/v1/models/Qwen/Qwen3");
  EXPECT_EQ(j["q"], "a b");
  EXPECT_EQ(j["x_test"], "yes");
  EXPECT_EQ(j["remote"], "127.0.0.1");

  // Absolute-form targets route by their path.
  ASSERT_TRUE(c.send(get("http://127.0.0.1/v1/models/x")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(nlohmann::json::parse(r->body)["id"], "x");
}

TEST_F(HttpServerTest, UnknownRouteIs404AndWrongMethodIs405WithOpenAiErrors) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.send(get("/nope")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_EQ(error_of(*r)["type"], "not_found_error");
  // The connection stays usable after a 404 without a body.
  ASSERT_TRUE(c.send("DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("allow"), "GET");
  EXPECT_EQ(error_of(*r)["type"], "invalid_request_error");
  ASSERT_TRUE(c.send(get("/bad%zz")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

// --- keep-alive ------------------------------------------------------------------------------

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  RawClient c(port_);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.send(post("/echo", fmt::format("body {}", i))));
    auto r = c.read_response();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, fmt::format("body {}", i));
    EXPECT_NE(r->header("connection"), "close");
  }
  // Pipelined: three requests in one write, three responses in order.
  ASSERT_TRUE(c.send(post("/echo", "p1") + get("/hello") + post("/echo", "p3")));
  EXPECT_EQ(c.read_response()->body, "p1");
  EXPECT_EQ(c.read_response()->body, "hello");
  EXPECT_EQ(c.read_response()->body, "p3");
  EXPECT_EQ(server_->stats().connections_accepted, 1);
  // The count is taken after the response is written, so it may lag the client a moment.
  for (int i = 0; i < 100 && server_->stats().requests < 8; ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(server_->stats().requests, 8);
}

TEST_F(HttpServerTest, ConnectionCloseAndHttp10CloseAfterTheResponse) {
  start();
  {
    RawClient c(port_);
    ASSERT_TRUE(c.send(get("/hello", "Connection: close\r\n")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.wait_closed(milliseconds(1000)));
  }
  {
    RawClient c(port_);
    ASSERT_TRUE(c.send("GET /hello HTTP/1.0\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "hello");
    EXPECT_TRUE(c.wait_closed(milliseconds(1000)));
  }
  {
    RawClient c(port_);
    ASSERT_TRUE(c.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("connection"), "keep-alive");
    ASSERT_TRUE(c.send("GET /hello HTTP/1.0\r\n\r\n"));
    EXPECT_EQ(c.read_response()->body, "hello");
  }
}

TEST_F(HttpServerTest, MaxRequestsPerConnectionClosesAfterTheLast) {
  ServerOptions o = test_options();
  o.max_requests_per_connection = 2;
  start(o);
  RawClient c(port_);
  ASSERT_TRUE(c.send(get("/hello")));
  EXPECT_NE(c.read_response()->header("connection"), "close");
  ASSERT_TRUE(c.send(get("/hello")));
  EXPECT_EQ(c.read_response()->header("connection"), "close");
  EXPECT_TRUE(c.wait_closed(milliseconds(1000)));
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions o = test_options();
  o.idle_timeout = milliseconds(200);
  start(o);
  RawClient c(port_);
  ASSERT_TRUE(c.send(get("/hello")));
  ASSERT_TRUE(c.read_response());
  const auto t0 = SteadyClock::now();
  EXPECT_TRUE(c.wait_closed(milliseconds(2000)));
  EXPECT_GE(ms_since(t0), 150);
  EXPECT_LE(ms_since(t0), 1500);
}

// --- limits ----------------------------------------------------------------------------------

TEST_F(HttpServerTest, BodyOverTheLimitIs413BeforeTheBodyIsSent) {
  start();
  RawClient c(port_);
  // Only the headers are sent: the 413 must come from Content-Length alone.
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_EQ(error_of(*r)["type"], "invalid_request_error");
  EXPECT_TRUE(c.wait_closed(milliseconds(2000)));

  // At the limit exactly is fine.
  RawClient ok(port_);
  ASSERT_TRUE(ok.send(post("/echo", std::string(1024, 'a'))));
  r = ok.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), 1024u);
}

TEST_F(HttpServerTest, ChunkedBodyOverTheLimitIs413) {
  start();
  RawClient c(port_);
  std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) req += fmt::format("200\r\n{}\r\n", std::string(512, 'x'));
  req += "0\r\n\r\n";
  ASSERT_TRUE(c.send(req));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST_F(HttpServerTest, PerRouteBodyLimit) {
  route(
      Method::kPost, "/upload",
      [](Request& r) {
        const bool intact = r.body == std::string(r.body.size(), 'u');
        return Response::text(fmt::format("{} {}", r.body.size(), intact));
      },
      RouteOptions{.max_body_bytes = 256 * 1024});
  start();
  RawClient c(port_);
  // Many times the read buffer (max_header_bytes + 4 KiB): the body still arrives whole.
  ASSERT_TRUE(c.send(post("/upload", std::string(200 * 1024, 'u'))));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "204800 true");
  // The default limit still holds elsewhere.
  ASSERT_TRUE(c.send(post("/echo", std::string(5000, 'e'))));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST_F(HttpServerTest, HeadersOverTheLimitAre431) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.send(get("/hello", fmt::format("X-Big: {}\r\n", std::string(8000, 'h')))));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(error_of(*r)["type"], "invalid_request_error");
  EXPECT_TRUE(c.wait_closed(milliseconds(2000)));

  // Many small headers count too.
  RawClient d(port_);
  std::string many;
  for (int i = 0; i < 400; ++i) many += fmt::format("X-H{}: v\r\n", i);
  ASSERT_TRUE(d.send(get("/hello", many)));
  r = d.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
}

// --- malformed requests ----------------------------------------------------------------------

TEST_F(HttpServerTest, MalformedRequestsGet400AndTheServerKeepsServing) {
  // The start of a TLS ClientHello (with NUL bytes), as a client that speaks https sends.
  static constexpr char kTlsHello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n";
  start();
  const std::vector<std::string> bad = {
      std::string(kTlsHello, sizeof(kTlsHello) - 1),
      "GARBAGE\r\n\r\n",
      "GET /hello HTTP/9.9\r\n\r\n",
      "GET /hello HTTP/1.1\r\nBad Header\r\n\r\n",
      "POST /echo HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
      "POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "POST /echo HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
      "POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nabc",
      "POST /echo HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n",
      "GET * HTTP/1.1\r\n\r\n",
  };
  for (const std::string& request : bad) {
    RawClient c(port_);
    ASSERT_TRUE(c.send(request));
    auto r = c.read_response();
    ASSERT_TRUE(r) << request;
    EXPECT_EQ(r->status, 400) << request << "\n" << r->body;
    EXPECT_EQ(r->header("connection"), "close") << request;
    EXPECT_TRUE(c.wait_closed(milliseconds(2000))) << request;
  }
  RawClient good(port_);
  ASSERT_TRUE(good.send(get("/hello")));
  EXPECT_EQ(good.read_response()->status, 200);
}

TEST_F(HttpServerTest, ChunkedRequestBodyIsDecoded) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(
      c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello world");
  ASSERT_TRUE(c.send(get("/hello")));
  EXPECT_EQ(c.read_response()->body, "hello");
}

TEST_F(HttpServerTest, ExpectContinueGets100BeforeTheBody) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = c.read_head();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send("data"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "data");
}

// --- slow clients ----------------------------------------------------------------------------

TEST_F(HttpServerTest, SlowLorisIsCutOffAtTheHeaderDeadlineWithoutBlockingOthers) {
  ServerOptions o = test_options();
  o.header_timeout = milliseconds(500);
  start(o);
  std::atomic<int64_t> closed_after_ms{-1};
  std::atomic<int> bytes_sent{0};
  std::thread slow([&] {
    RawClient c(port_);
    const std::string request = get("/hello", "X-Slow: 1\r\n");
    const auto t0 = SteadyClock::now();
    // One byte every 50 ms would take about 2 s for this request.
    for (char ch : request) {
      if (!c.send(std::string_view(&ch, 1))) break;
      bytes_sent++;
      if (!c.fill(milliseconds(50))) break;
    }
    if (c.wait_closed(milliseconds(3000))) closed_after_ms = ms_since(t0);
  });
  // Meanwhile, other clients are served at once.
  std::this_thread::sleep_for(milliseconds(100));
  for (int i = 0; i < 5; ++i) {
    const auto t0 = SteadyClock::now();
    RawClient c(port_);
    ASSERT_TRUE(c.send(get("/hello")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_LT(ms_since(t0), 250);
  }
  slow.join();
  EXPECT_GE(closed_after_ms.load(), 400);
  EXPECT_LE(closed_after_ms.load(), 1500);
  EXPECT_LT(bytes_sent.load(), static_cast<int>(get("/hello", "X-Slow: 1\r\n").size()));
  EXPECT_GE(server_->stats().timeouts, 1);
}

TEST_F(HttpServerTest, AConnectionThatSendsNothingIsClosedAtTheHeaderDeadline) {
  ServerOptions o = test_options();
  o.header_timeout = milliseconds(300);
  start(o);
  RawClient c(port_);
  const auto t0 = SteadyClock::now();
  EXPECT_TRUE(c.wait_closed(milliseconds(2000)));
  EXPECT_GE(ms_since(t0), 250);
}

TEST_F(HttpServerTest, SlowBodyIsCutOffAtTheBodyDeadline) {
  ServerOptions o = test_options();
  o.body_timeout = milliseconds(300);
  start(o);
  RawClient c(port_);
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
  const auto t0 = SteadyClock::now();
  EXPECT_TRUE(c.wait_closed(milliseconds(2000)));
  EXPECT_GE(ms_since(t0), 250);
}

// --- handlers --------------------------------------------------------------------------------

TEST_F(HttpServerTest, HandlerExceptionsAndInvalidResponsesBecome500) {
  route(Method::kGet, "/throw", [](Request&) -> Response { throw std::runtime_error("boom"); });
  route(Method::kGet, "/split", [](Request&) {
    Response r = Response::text("x");
    r.headers.set("X-Bad", "a\r\nSet-Cookie: evil=1");
    return r;
  });
  route(Method::kGet, "/status", [](Request&) { return Response(42); });
  start();
  RawClient c(port_);
  for (const char* target : {"/throw", "/split", "/status"}) {
    ASSERT_TRUE(c.send(get(target)));
    auto r = c.read_response();
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 500) << target;
    EXPECT_EQ(error_of(*r)["type"], "server_error");
    EXPECT_EQ(r->header("set-cookie"), "");
  }
}

TEST_F(HttpServerTest, HandlersRunOffTheIoThreadsConcurrently) {
  // Four handlers that each wait for all four to have started: this only finishes if they run
  // on four threads at once while the I/O thread keeps reading requests.
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  route(Method::kGet, "/barrier", [&](Request&) {
    std::unique_lock lock(mu);
    ++started;
    cv.notify_all();
    const bool all = cv.wait_for(lock, std::chrono::seconds(5), [&] { return started >= 4; });
    return Response::text(all ? "ok" : "timeout");
  });
  start();
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<RawClient>(port_));
    ASSERT_TRUE(clients.back()->send(get("/barrier")));
  }
  for (auto& c : clients) {
    auto r = c->read_response(milliseconds(5000));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "ok");
  }
}

TEST_F(HttpServerTest, DeferredResponseIsCompletedFromAnotherThread) {
  std::vector<std::thread> workers;
  std::mutex mu;
  route(Method::kGet, "/later", [&](Request& req) {
    auto [response, reply] = Response::deferred();
    std::lock_guard lock(mu);
    workers.emplace_back(
        [reply = std::move(reply), q = std::string(*req.query_param("v"))]() mutable {
          std::this_thread::sleep_for(milliseconds(30));
          reply.send(Response::text("later " + q));
        });
    return std::move(response);
  });
  route(Method::kGet, "/dropped", [](Request&) {
    auto [response, reply] = Response::deferred();
    return std::move(response);  // the reply handle dies here
  });
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.send(get("/later?v=1") + get("/later?v=2")));
  EXPECT_EQ(c.read_response()->body, "later 1");
  EXPECT_EQ(c.read_response()->body, "later 2");
  ASSERT_TRUE(c.send(get("/dropped")));
  EXPECT_EQ(c.read_response()->status, 500);
  std::lock_guard lock(mu);
  for (auto& t : workers) t.join();
}

TEST_F(HttpServerTest, DisconnectDuringAHandlerFiresItsCancelToken) {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false;
  std::atomic<int64_t> cancelled_after_ms{-1};
  SteadyClock::time_point closed_at;
  route(Method::kPost, "/generate", [&](Request& req) {
    {
      std::lock_guard lock(mu);
      entered = true;
    }
    cv.notify_all();
    // Simulated generation: runs until cancelled (or 5 s).
    std::mutex wait_mu;
    std::condition_variable wait_cv;
    std::stop_callback on_cancel(req.cancel, [&] { wait_cv.notify_all(); });
    std::unique_lock lock(wait_mu);
    wait_cv.wait_for(lock, std::chrono::seconds(5), [&] { return req.cancel.stop_requested(); });
    if (req.cancel.stop_requested()) {
      std::lock_guard l(mu);
      cancelled_after_ms = ms_since(closed_at);
    }
    return Response::text("done");
  });
  start();
  {
    RawClient c(port_);
    ASSERT_TRUE(c.send(post("/generate", "{}")));
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(3), [&] { return entered; }));
    closed_at = SteadyClock::now();
  }  // closes the socket
  for (int i = 0; i < 300 && cancelled_after_ms < 0; ++i)
    std::this_thread::sleep_for(milliseconds(10));
  EXPECT_GE(cancelled_after_ms.load(), 0);
  EXPECT_LT(cancelled_after_ms.load(), 250);
  for (int i = 0; i < 100 && server_->stats().requests_cancelled == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(server_->stats().requests_cancelled, 1);
}

TEST_F(HttpServerTest, RequestLogSeesEveryRequest) {
  std::mutex mu;
  std::vector<std::tuple<std::string, int, int64_t>> logs;
  ServerOptions o = test_options();
  o.on_request_done = [&](const RequestLog& log) {
    std::lock_guard lock(mu);
    logs.emplace_back(std::string(log.target), log.status, log.body_bytes_in);
  };
  start(o);
  RawClient c(port_);
  ASSERT_TRUE(c.send(post("/echo", "12345") + get("/missing")));
  ASSERT_TRUE(c.read_response());
  ASSERT_TRUE(c.read_response());
  RawClient d(port_);
  ASSERT_TRUE(d.send(get("/hello", fmt::format("X-Big: {}\r\n", std::string(5000, 'b')))));
  ASSERT_TRUE(d.read_response());
  ASSERT_TRUE(d.wait_closed(milliseconds(2000)));
  std::lock_guard lock(mu);
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(logs[0], std::make_tuple(std::string("/echo"), 200, int64_t{5}));
  EXPECT_EQ(logs[1], std::make_tuple(std::string("/missing"), 404, int64_t{0}));
  EXPECT_EQ(std::get<1>(logs[2]), 431);
}

// --- SSE -------------------------------------------------------------------------------------

// Reads SSE chunks until `pred` holds for the accumulated text (or timeout).
std::optional<std::string> read_stream_until(RawClient& c, const std::string& marker,
                                             milliseconds timeout) {
  std::string text;
  const auto deadline = SteadyClock::now() + timeout;
  while (text.find(marker) == std::string::npos) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return std::nullopt;
    auto chunk = c.read_chunk(left);
    if (!chunk) return std::nullopt;
    if (chunk->empty()) return text + "<end>";
    text += *chunk;
  }
  return text;
}

TEST_F(HttpServerTest, SseStreamWithEventsAndHeartbeatsFromAnotherThread) {
  std::vector<std::thread> producers;
  route(Method::kGet, "/stream", [&](Request&) {
    EventSink sink = EventSink::create({.max_queued_events = 4, .heartbeat = milliseconds(60)});
    producers.emplace_back([sink]() mutable {
      EXPECT_TRUE(sink.send({.data = R"({"n":1})"}).ok());
      std::this_thread::sleep_for(milliseconds(200));  // quiet: heartbeats go out
      EXPECT_TRUE(sink.send({.data = "line1\nline2", .event = "card", .id = "2"}).ok());
      EXPECT_TRUE(sink.send({.data = "[DONE]"}).ok());
      sink.close();
    });
    return Response::event_stream(sink);
  });
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.send(get("/stream")));
  auto head = c.read_head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-type"), "text/event-stream");
  EXPECT_EQ(head->header("cache-control"), "no-cache");
  EXPECT_EQ(head->header("x-accel-buffering"), "no");
  EXPECT_EQ(head->header("transfer-encoding"), "chunked");
  EXPECT_EQ(head->header("content-length"), "");

  // The first event arrives on its own, before the producer's pause ends.
  const auto t0 = SteadyClock::now();
  auto first = c.read_chunk(milliseconds(1000));
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, "data: {\"n\":1}\n\n");
  EXPECT_LT(ms_since(t0), 150);

  auto rest = read_stream_until(c, "<end>", milliseconds(3000));
  ASSERT_TRUE(rest);
  const size_t ping = rest->find(": ping\n\n");
  const size_t card = rest->find("event: card\nid: 2\ndata: line1\ndata: line2\n\n");
  EXPECT_NE(ping, std::string::npos) << *rest;
  EXPECT_NE(card, std::string::npos) << *rest;
  EXPECT_LT(ping, card);
  EXPECT_NE(rest->find("data: [DONE]\n\n"), std::string::npos);
  for (auto& t : producers) t.join();

  // The connection is reusable after the stream.
  ASSERT_TRUE(c.send(get("/hello")));
  EXPECT_EQ(c.read_response()->body, "hello");
}

TEST_F(HttpServerTest, SseProducerOnTheHandlerPool) {
  route(Method::kGet, "/count", [](Request& req) {
    const int n = std::stoi(std::string(req.query_param("n").value_or("3")));
    return Response::event_stream([n](EventSink& sink) {
      for (int i = 0; i < n; ++i) {
        if (!sink.send(std::to_string(i)).ok()) return;
      }
    });
  });
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.send(get("/count?n=50")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  std::string expected;
  for (int i = 0; i < 50; ++i) expected += fmt::format("data: {}\n\n", i);
  EXPECT_EQ(r->body, expected);
}

TEST_F(HttpServerTest, SseOverHttp10EndsWithTheConnection) {
  route(Method::kGet, "/count", [](Request&) {
    return Response::event_stream([](EventSink& sink) {
      (void)sink.send("a");
      (void)sink.send("b");
    });
  });
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.send("GET /count HTTP/1.0\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("transfer-encoding"), "");
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_EQ(r->body, "data: a\n\ndata: b\n\n");
}

// A producer that sends until the sink reports Cancelled, and records when.
struct EndlessProducer {
  std::atomic<bool> started{false};
  std::atomic<int64_t> cancelled_at_us{-1};
  std::atomic<int> sent{0};
  std::thread thread;
  std::atomic<bool> token_fired{false};

  Response start(std::stop_token request_token, milliseconds pause, size_t event_bytes) {
    EventSink sink = EventSink::create({.max_queued_events = 4});
    thread = std::thread([this, sink, request_token, pause, event_bytes]() mutable {
      const std::string payload(event_bytes, 'x');
      for (;;) {
        const Status s = sink.send(payload);
        if (!s.ok()) {
          EXPECT_EQ(s.code(), StatusCode::kCancelled);
          cancelled_at_us = now_us();
          token_fired = request_token.stop_requested() && sink.cancel_token().stop_requested();
          return;
        }
        sent++;
        std::this_thread::sleep_for(pause);
      }
    });
    started = true;  // after `thread` is assigned, so join() may read it
    return Response::event_stream(sink);
  }
  static int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               SteadyClock::now().time_since_epoch())
        .count();
  }
  // Waits for the handler to have started the producer, then for the producer to end.
  void join() {
    for (int i = 0; i < 500 && !started; ++i) std::this_thread::sleep_for(milliseconds(2));
    ASSERT_TRUE(started.load());
    thread.join();
  }
  ~EndlessProducer() {
    if (thread.joinable()) thread.join();
  }
};

TEST_F(HttpServerTest, ClientDisconnectMidStreamCancelsWithinABoundedTime) {
  for (const bool reset : {false, true}) {
    SCOPED_TRACE(reset ? "reset" : "close");
    EndlessProducer producer;
    extra_routes_.clear();
    route(Method::kGet, "/endless",
          [&](Request& req) { return producer.start(req.cancel, milliseconds(5), 16); });
    start();
    int64_t closed_at_us = 0;
    {
      RawClient c(port_);
      ASSERT_TRUE(c.send(get("/endless")));
      ASSERT_TRUE(c.read_head());
      ASSERT_TRUE(c.read_chunk(milliseconds(1000)));
      if (reset) c.set_abortive_close();
      closed_at_us = EndlessProducer::now_us();
    }
    producer.join();
    ASSERT_GE(producer.cancelled_at_us.load(), 0);
    const int64_t latency_ms = (producer.cancelled_at_us - closed_at_us) / 1000;
    EXPECT_LT(latency_ms, 250);
    EXPECT_TRUE(producer.token_fired.load());
    server_->stop(milliseconds(1000));
    server_.reset();
  }
}

TEST_F(HttpServerTest, AClientThatStopsReadingIsCutOffByTheWriteTimeout) {
  ServerOptions o = test_options();
  o.write_timeout = milliseconds(300);
  EndlessProducer producer;
  route(Method::kGet, "/endless",
        [&](Request& req) { return producer.start(req.cancel, milliseconds(0), 64 * 1024); });
  start(o);
  RawClient c(port_);
  c.set_receive_buffer(4096);
  ASSERT_TRUE(c.send(get("/endless")));
  // Never read: the socket buffers fill, the server's write stalls and times out.
  producer.join();
  EXPECT_GE(producer.cancelled_at_us.load(), 0);
  EXPECT_TRUE(producer.token_fired.load());
  EXPECT_GE(server_->stats().timeouts, 1);
}

// --- concurrency and limits ------------------------------------------------------------------

TEST_F(HttpServerTest, ServesTwoHundredConcurrentConnections) {
  // With one I/O thread, and with two (connections then run on two threads, each on its strand).
  for (const int io_threads : {1, 2}) {
    SCOPED_TRACE(io_threads);
    route(Method::kGet, "/count", [](Request&) {
      return Response::event_stream([](EventSink& sink) {
        for (int i = 0; i < 5; ++i) (void)sink.send(std::to_string(i));
      });
    });
    ServerOptions o = test_options();
    o.io_threads = io_threads;
    start(o);
    constexpr int kClients = 200;
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.push_back(std::make_unique<RawClient>(port_));
      ASSERT_TRUE(clients.back()->connected()) << i;
    }
    // Every connection is open at once; each sends, then all are answered.
    for (int i = 0; i < kClients; ++i) {
      ASSERT_TRUE(clients[i]->send(i % 4 == 0 ? get("/count")
                                              : post("/echo", fmt::format("client {}", i))));
    }
    for (int i = 0; i < kClients; ++i) {
      auto r = clients[i]->read_response(milliseconds(5000));
      ASSERT_TRUE(r) << i;
      EXPECT_EQ(r->body, i % 4 == 0 ? "data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n"
                                    : fmt::format("client {}", i));
    }
    EXPECT_EQ(server_->stats().connections_open, kClients);
    EXPECT_EQ(server_->stats().connections_rejected, 0);
    clients.clear();
    server_->stop(milliseconds(1000));
    server_.reset();
    extra_routes_.clear();
  }
}

TEST_F(HttpServerTest, ConnectionsOverTheLimitGet503) {
  ServerOptions o = test_options();
  o.max_connections = 2;
  start(o);
  RawClient a(port_), b(port_);
  ASSERT_TRUE(a.send(get("/hello")));
  ASSERT_TRUE(b.send(get("/hello")));
  ASSERT_TRUE(a.read_response());
  ASSERT_TRUE(b.read_response());
  RawClient c(port_);
  ASSERT_TRUE(c.send(get("/hello")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->header("retry-after"), "1");
  EXPECT_EQ(error_of(*r)["type"], "unavailable_error");
  EXPECT_EQ(server_->stats().connections_rejected, 1);
  // Once one closes, a new connection is served again.
  a.close();
  for (int i = 0; i < 100 && server_->stats().connections_open > 1; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  RawClient d(port_);
  ASSERT_TRUE(d.send(get("/hello")));
  EXPECT_EQ(d.read_response()->status, 200);
}

// --- shutdown --------------------------------------------------------------------------------

TEST_F(HttpServerTest, GracefulShutdownFinishesAnInFlightRequest) {
  std::atomic<bool> entered{false};
  route(Method::kGet, "/slow", [&](Request&) {
    entered = true;
    std::this_thread::sleep_for(milliseconds(300));
    return Response::text("finished");
  });
  start();
  RawClient idle(port_);  // an idle keep-alive connection is closed at once
  ASSERT_TRUE(idle.send(get("/hello")));
  ASSERT_TRUE(idle.read_response());
  RawClient c(port_);
  ASSERT_TRUE(c.send(get("/slow")));
  while (!entered) std::this_thread::sleep_for(milliseconds(5));
  const auto t0 = SteadyClock::now();
  std::thread stopper([&] { server_->stop(milliseconds(5000)); });
  EXPECT_TRUE(idle.wait_closed(milliseconds(1000)));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "finished");
  EXPECT_EQ(r->header("connection"), "close");
  stopper.join();
  EXPECT_LT(ms_since(t0), 2000);  // did not wait for the whole grace period
  EXPECT_FALSE(server_->running());
  RawClient after(port_);
  EXPECT_FALSE(after.connected() && after.send(get("/hello")) && after.read_response());
}

TEST_F(HttpServerTest, ShutdownDeadlineCancelsWhatIsLeft) {
  std::atomic<bool> entered{false};
  std::atomic<bool> saw_cancel{false};
  route(Method::kGet, "/forever", [&](Request& req) {
    entered = true;
    while (!req.cancel.stop_requested()) std::this_thread::sleep_for(milliseconds(5));
    saw_cancel = true;
    return Response::text("cancelled");
  });
  EndlessProducer producer;
  route(Method::kGet, "/endless",
        [&](Request& req) { return producer.start(req.cancel, milliseconds(20), 8); });
  start();
  RawClient a(port_), b(port_);
  ASSERT_TRUE(a.send(get("/forever")));
  ASSERT_TRUE(b.send(get("/endless")));
  ASSERT_TRUE(b.read_head());
  while (!entered) std::this_thread::sleep_for(milliseconds(5));
  const auto t0 = SteadyClock::now();
  server_->stop(milliseconds(200));
  const int64_t took = ms_since(t0);
  EXPECT_GE(took, 150);
  EXPECT_LT(took, 1500);
  EXPECT_TRUE(saw_cancel.load());
  producer.join();
  EXPECT_GE(producer.cancelled_at_us.load(), 0);
  EXPECT_TRUE(a.wait_closed(milliseconds(1000)));
  EXPECT_TRUE(b.wait_closed(milliseconds(1000)));
}

// --- an outside client -----------------------------------------------------------------------

std::optional<std::string> run_command(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  if (::pclose(pipe) != 0) return std::nullopt;
  return out;
}

TEST_F(HttpServerTest, CurlGetsJsonAnErrorAndAStream) {
  if (::access("/usr/bin/curl", X_OK) != 0) GTEST_SKIP() << "curl is not installed";
  route(Method::kGet, "/events", [](Request&) {
    return Response::event_stream([](EventSink& sink) {
      for (int i = 0; i < 3; ++i) (void)sink.send(fmt::format("{{\"i\":{}}}", i));
      (void)sink.send("[DONE]");
    });
  });
  start();
  const std::string base = fmt::format("http://127.0.0.1:{}", port_);
  auto json =
      run_command(fmt::format("/usr/bin/curl -sS --max-time 5 '{}/v1/models/qwen3?q=1'", base));
  ASSERT_TRUE(json);
  EXPECT_EQ(nlohmann::json::parse(*json)["id"], "qwen3");

  auto missing = run_command(fmt::format(
      "/usr/bin/curl -sS --max-time 5 -o /dev/null -w '%{{http_code}}' {}/missing", base));
  ASSERT_TRUE(missing);
  EXPECT_EQ(*missing, "404");

  auto big = run_command(fmt::format(
      "head -c 5000 /dev/zero | /usr/bin/curl -sS --max-time 5 -o /dev/null -w '%{{http_code}}' "
      "--data-binary @- {}/echo",
      base));
  ASSERT_TRUE(big);
  EXPECT_EQ(*big, "413");

  auto echo = run_command(fmt::format(
      "/usr/bin/curl -sS --max-time 5 -H 'Transfer-Encoding: chunked' --data-binary 'chunky' "
      "{}/echo",
      base));
  ASSERT_TRUE(echo);
  EXPECT_EQ(*echo, "chunky");

  auto stream = run_command(fmt::format("/usr/bin/curl -sS -N --max-time 5 {}/events", base));
  ASSERT_TRUE(stream);
  EXPECT_EQ(*stream, "data: {\"i\":0}\n\ndata: {\"i\":1}\n\ndata: {\"i\":2}\n\ndata: [DONE]\n\n");
}

}  // namespace
}  // namespace qwl::http
