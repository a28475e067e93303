// The event stream over real HTTP on 127.0.0.1, on SQLite and PostgreSQL: a customer's stream
// receives the order changes a merchant makes through the commerce routes, in id order with
// the row id as the SSE id; resuming after Last-Event-ID (or ?after=) delivers exactly the rows
// after it, paced for a long backlog; kinds filter; another user's events never arrive; a
// second server node on the same database streams changes made through the first; heartbeats;
// late rows (ids committed out of order, as on PostgreSQL) arrive once, and missing ids are
// given up after the gap timeout; a client that goes away is let go; stop() ends every stream
// cleanly; bad requests are 400s naming their parameter.
#include "server/api_events.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/api_commerce.h"
#include "services/orders_testing.h"
#include "services/schema.h"
#include "services/services_testing.h"
#include "store/test_db.h"

namespace qwl::app {
namespace {

using nlohmann::json;
using services::Role;
using std::chrono::milliseconds;
namespace st = services::testing;

struct Reply {
  int status = 0;
  std::string body;
  json body_json() const { return json::parse(body, nullptr, false); }
  std::string param() const {
    json j = body_json();
    return j.is_object() && j.contains("error") && j["error"]["param"].is_string()
               ? j["error"]["param"].get<std::string>()
               : "";
  }
};

int connect_to(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, std::string_view out) {
  while (!out.empty()) {
    const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    out.remove_prefix(static_cast<size_t>(n));
  }
}

std::string request_text(uint16_t port, std::string_view method, std::string_view target,
                         std::string_view body, const std::vector<std::string>& headers,
                         bool keep_open) {
  std::string req = fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{}", method, target, port,
                                keep_open ? "" : "Connection: close\r\n");
  for (const std::string& h : headers) req += h + "\r\n";
  if (!body.empty() || method == "POST")
    req += fmt::format("Content-Type: application/json\r\nContent-Length: {}\r\n", body.size());
  return req + "\r\n" + std::string(body);
}

// One plain request (Connection: close), read to the end.
Reply request(uint16_t port, std::string_view method, std::string_view target,
              std::string_view body, const std::vector<std::string>& headers) {
  Reply reply;
  const int fd = connect_to(port);
  if (fd < 0) return reply;
  send_all(fd, request_text(port, method, target, body, headers, false));
  std::string in;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos || in.size() < 12) return reply;
  reply.status = std::atoi(in.substr(9, 3).c_str());
  reply.body = in.substr(head_end + 4);
  return reply;
}

// Polls `done` until it holds or 5 s pass.
template <typename F>
bool eventually(F done) {
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

struct SseEvent {
  std::string id;
  std::string event;
  std::string data;
  json data_json() const { return json::parse(data, nullptr, false); }
};

// An SSE client over a raw socket: reads the response head, then decodes the chunked body
// into events as they arrive.
class SseClient {
 public:
  SseClient(uint16_t port, std::string_view target, const std::vector<std::string>& headers) {
    fd_ = connect_to(port);
    if (fd_ >= 0) send_all(fd_, request_text(port, "GET", target, "", headers, true));
  }
  ~SseClient() { close(); }
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Reads until the response head is in; the status (0 on failure).
  int read_head(milliseconds timeout = milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (raw_.find("\r\n\r\n") == std::string::npos) {
      if (!fill(deadline)) return 0;
    }
    const size_t end = raw_.find("\r\n\r\n");
    head_ = raw_.substr(0, end);
    raw_.erase(0, end + 4);
    return std::atoi(head_.substr(9, 3).c_str());
  }
  const std::string& head() const { return head_; }

  // The next event, or nullopt at the timeout or the end of the stream.
  std::optional<SseEvent> next(milliseconds timeout = milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      decode();
      const size_t end = body_.find("\n\n");
      if (end != std::string::npos) {
        const std::string block = body_.substr(0, end);
        body_.erase(0, end + 2);
        SseEvent ev;
        bool any = false;
        size_t at = 0;
        while (at <= block.size()) {
          size_t eol = block.find('\n', at);
          if (eol == std::string::npos) eol = block.size();
          const std::string line = block.substr(at, eol - at);
          at = eol + 1;
          if (line.starts_with(":")) {
            ++comments_;
            continue;
          }
          auto value = [&](std::string_view name) { return line.substr(name.size() + 2); };
          if (line.starts_with("id: ")) ev.id = value("id"), any = true;
          if (line.starts_with("event: ")) ev.event = value("event"), any = true;
          if (line.starts_with("data: ")) {
            ev.data += (ev.data.empty() ? "" : "\n") + value("data");
            any = true;
          }
        }
        if (any) return ev;
        continue;
      }
      if (ended_ || !fill(deadline)) return std::nullopt;
    }
  }

  // Waits for the stream to end (the terminating chunk, or the connection closing).
  bool wait_end(milliseconds timeout = milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!ended_) {
      decode();
      if (ended_) break;
      if (!fill(deadline)) return ended_ || closed_;
    }
    return true;
  }
  int comments() {
    decode();
    // Comments between events are counted when their block is parsed; a block of comments
    // only is consumed here.
    for (size_t end = body_.find("\n\n"); end != std::string::npos && body_.starts_with(":");
         end = body_.find("\n\n")) {
      ++comments_;
      body_.erase(0, end + 2);
    }
    return comments_;
  }
  bool ended() const { return ended_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0 || closed_) return false;
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    raw_.append(buf, static_cast<size_t>(n));
    return true;
  }
  // Chunked transfer decoding of what has arrived.
  void decode() {
    while (!ended_) {
      const size_t eol = raw_.find("\r\n");
      if (eol == std::string::npos) return;
      const size_t size = std::strtoul(raw_.substr(0, eol).c_str(), nullptr, 16);
      if (size == 0) {
        ended_ = true;
        return;
      }
      if (raw_.size() < eol + 2 + size + 2) return;
      body_.append(raw_, eol + 2, size);
      raw_.erase(0, eol + 2 + size + 2);
    }
  }

  int fd_ = -1;
  std::string raw_, head_, body_;
  bool ended_ = false, closed_ = false;
  int comments_ = 0;
};

// One server node: the app API with the commerce and event routes over its own Db handle.
struct Node {
  std::unique_ptr<Db> db;
  std::unique_ptr<services::Identity> identity;
  std::unique_ptr<services::Orders> orders;
  std::unique_ptr<EventFeed> feed;
  std::unique_ptr<AppApi> api;
  std::unique_ptr<http::Server> server;

  ~Node() {
    if (server) {
      std::thread stopper([&] { server->stop(milliseconds(2000)); });
      if (feed) feed->stop();
      stopper.join();
    }
  }
  uint16_t port() const { return server->port(); }
};

class EventsApiTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto url = fresh_database_url(GetParam(), services::migrations());
    ASSERT_TRUE(url.ok()) << url.status().to_string();
    url_ = *url;
    a_ = make_node();
    ASSERT_NE(a_, nullptr);
    auto world = st::build_world(*a_->db);
    ASSERT_TRUE(world.ok()) << world.status().to_string();
    w_ = *world;
    alice_ = key_for(w_.alice);
    bob_ = key_for(w_.bob);
    owner_ = key_for(w_.owner);
  }

  std::unique_ptr<Node> make_node(EventFeedOptions options = {.poll_interval = milliseconds(20),
                                                              .heartbeat = milliseconds(15'000)}) {
    auto node = std::make_unique<Node>();
    auto db = Db::open(url_, DbOptions{.pool_size = 4});
    EXPECT_TRUE(db.ok()) << db.status().to_string();
    if (!db.ok()) return nullptr;
    node->db = std::move(*db);
    node->identity = std::make_unique<services::Identity>(*node->db, clock_, random_);
    node->orders = std::make_unique<services::Orders>(*node->db, clock_);
    node->feed = std::make_unique<EventFeed>(*node->db, options);
    node->api = std::make_unique<AppApi>(*node->identity);
    EXPECT_TRUE(node->api->set_operator_key("operator-key-0123456789").ok());
    EXPECT_TRUE(add_commerce_routes(*node->api, *node->orders).ok());
    EXPECT_TRUE(add_event_routes(*node->api, *node->feed).ok());
    node->server = std::make_unique<http::Server>(http::ServerOptions{.port = 0});
    EXPECT_TRUE(node->api->register_routes(*node->server).ok());
    EXPECT_TRUE(node->feed->start().ok());
    EXPECT_TRUE(node->server->start().ok());
    return node;
  }

  std::string key_for(const services::Actor& who) {
    auto k = a_->identity->create_api_key(services::Actor::system(), who.user_id, {.name = "t"});
    EXPECT_TRUE(k.ok()) << k.status().to_string();
    return k.ok() ? "Authorization: Bearer " + k->key : "";
  }

  Reply post(const Node& node, std::string_view target, const std::string& who, const json& body,
             std::vector<std::string> headers = {}) {
    headers.push_back(who);
    return request(node.port(), "POST", target, body.dump(), headers);
  }

  // Alice orders two croissants for pickup at the café; returns the order id.
  int64_t place_order(const Node& node, std::string_view key) {
    Reply line =
        post(node, "/api/v1/cart/lines", alice_, {{"menu_item_id", w_.croissant}, {"quantity", 1}});
    EXPECT_EQ(line.status, 201) << line.body;
    Reply r = post(node, "/api/v1/orders", alice_,
                   {{"merchant_id", w_.cafe}, {"fulfilment", "pickup"}, {"expected_total", 1500}},
                   {fmt::format("Idempotency-Key: {}", key)});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body_json().value("id", int64_t{0});
  }

  int64_t max_event_id() {
    auto n = st::query_int(*a_->db, "SELECT COALESCE(MAX(id), 0) FROM user_events");
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : -1;
  }

  // Writes outbox rows directly (as any service would), with an explicit id when id > 0.
  void insert_event(int64_t id, int64_t user_id, std::string_view kind, std::string_view status,
                    std::string_view payload = "{}") {
    Status s = id > 0 ? st::exec_sql(*a_->db,
                                     "INSERT INTO user_events (id, user_id, kind, ref_id, status, "
                                     "payload, at_us) VALUES (?, ?, ?, 1, ?, ?, ?)",
                                     {id, user_id, kind, status, payload, st::kWorldTime})
                      : st::exec_sql(*a_->db,
                                     "INSERT INTO user_events (user_id, kind, ref_id, status, "
                                     "payload, at_us) VALUES (?, ?, 1, ?, ?, ?)",
                                     {user_id, kind, status, payload, st::kWorldTime});
    ASSERT_TRUE(s.ok()) << s.to_string();
  }

  ManualClock clock_{st::kWorldTime};
  services::SeededRandom random_{11};
  std::string url_;
  std::unique_ptr<Node> a_;
  st::CommerceWorld w_;
  std::string alice_, bob_, owner_;
};

TEST_P(EventsApiTest, CustomerStreamReceivesTheMerchantsSteps) {
  SseClient alice(a_->port(), "/api/v1/events", {alice_});
  ASSERT_EQ(alice.read_head(), 200);
  EXPECT_NE(alice.head().find("text/event-stream"), std::string::npos) << alice.head();
  SseClient bob(a_->port(), "/api/v1/events", {bob_});
  ASSERT_EQ(bob.read_head(), 200);

  const int64_t order = place_order(*a_, "k-1");
  std::optional<SseEvent> placed = alice.next();
  ASSERT_TRUE(placed.has_value());
  EXPECT_EQ(placed->event, "order");
  const json p = placed->data_json();
  EXPECT_EQ(p["object"], "event");
  EXPECT_EQ(p["kind"], "order");
  EXPECT_EQ(p["ref_id"], order);
  EXPECT_EQ(p["status"], "placed");
  EXPECT_EQ(p["id"].get<int64_t>(), std::stoll(placed->id));
  EXPECT_EQ(p["created_at"], st::kWorldTime / 1'000'000);
  EXPECT_EQ(p["payload"]["order_id"], order);
  EXPECT_EQ(p["payload"]["total"], 1500);
  EXPECT_FALSE(p["payload"].contains("eta_at_us"));
  EXPECT_EQ(p["payload"]["eta_at"].is_number_integer(), true) << p;

  // The merchant moves the order while Alice listens.
  for (const char* to : {"accepted", "preparing", "delivered"}) {
    Reply r =
        post(*a_, fmt::format("/api/v1/merchant/orders/{}/advance", order), owner_, {{"to", to}});
    ASSERT_EQ(r.status, 200) << r.body;
    std::optional<SseEvent> ev = alice.next();
    ASSERT_TRUE(ev.has_value()) << to;
    EXPECT_EQ(ev->event, "order");
    EXPECT_GT(std::stoll(ev->id), std::stoll(placed->id));
    EXPECT_EQ(ev->data_json()["status"], to);
    EXPECT_EQ(ev->data_json()["payload"]["status"], to);
  }
  // Bob heard nothing of it.
  EXPECT_FALSE(bob.next(milliseconds(200)).has_value());
  EXPECT_EQ(a_->feed->stats().streams_open, 2);
}

TEST_P(EventsApiTest, ResumesAfterLastEventIdOrAfterAndFiltersKinds) {
  const int64_t order = place_order(*a_, "k-1");
  ASSERT_EQ(post(*a_, "/api/v1/wallet/top-up", alice_, {{"amount", 500}}).status, 201);
  ASSERT_EQ(
      post(*a_, fmt::format("/api/v1/orders/{}/cancel", order), alice_, json::object()).status,
      200);
  // Alice's rows: placed, topup, cancelled (the owner has his own copies of the order rows).
  auto ids = [&] {
    std::vector<int64_t> out;
    EXPECT_TRUE(a_->db
                    ->read([&](Tx& tx) -> Status {
                      QWL_ASSIGN_OR_RETURN(Rows rows, tx.query("SELECT id FROM user_events WHERE "
                                                               "user_id = ? ORDER BY id",
                                                               {w_.alice.user_id}));
                      for (const Row& r : rows) out.push_back(r.int64(0));
                      return Status::Ok();
                    })
                    .ok());
    return out;
  }();
  ASSERT_EQ(ids.size(), 3u);

  // From the start: all three in order.
  SseClient all(a_->port(), "/api/v1/events?after=0", {alice_});
  ASSERT_EQ(all.read_head(), 200);
  std::vector<std::string> kinds;
  for (int64_t id : ids) {
    std::optional<SseEvent> ev = all.next();
    ASSERT_TRUE(ev.has_value());
    EXPECT_EQ(ev->id, std::to_string(id));
    kinds.push_back(ev->event + ":" + ev->data_json()["status"].get<std::string>());
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"order:placed", "wallet:topup", "order:cancelled"}));
  EXPECT_FALSE(all.next(milliseconds(150)).has_value());

  // Last-Event-ID wins over ?after= (a reconnecting EventSource keeps its URL).
  SseClient resumed(a_->port(), "/api/v1/events?after=0",
                    {alice_, fmt::format("Last-Event-ID: {}", ids[0])});
  ASSERT_EQ(resumed.read_head(), 200);
  std::optional<SseEvent> next = resumed.next();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->id, std::to_string(ids[1]));

  // Only wallet events.
  SseClient wallet(a_->port(), "/api/v1/events?after=0&kinds=wallet", {alice_});
  ASSERT_EQ(wallet.read_head(), 200);
  std::optional<SseEvent> only = wallet.next();
  ASSERT_TRUE(only.has_value());
  EXPECT_EQ(only->event, "wallet");
  EXPECT_EQ(only->data_json()["payload"]["amount"], 500);
  EXPECT_FALSE(wallet.next(milliseconds(150)).has_value());
  ASSERT_EQ(post(*a_, "/api/v1/wallet/top-up", alice_, {{"amount", 700}}).status, 201);
  std::optional<SseEvent> live = wallet.next();
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(live->data_json()["payload"]["amount"], 700);
}

TEST_P(EventsApiTest, ALongBacklogIsPacedToTheClient) {
  // 600 rows for Alice, more than the stream's queue (64): the catch-up sends them in pages as
  // the client reads, in order, none lost or repeated.
  const int64_t before = max_event_id();
  ASSERT_TRUE(
      a_->db
          ->transact([&](Tx& tx) -> Status {
            for (int i = 0; i < 600; ++i) {
              QWL_RETURN_IF_ERROR(
                  tx.exec("INSERT INTO user_events (user_id, kind, ref_id, status, "
                          "payload, at_us) VALUES (?, 'wallet', ?, 'topup', ?, ?)",
                          {w_.alice.user_id, i, fmt::format("{{\"n\":{}}}", i), st::kWorldTime})
                      .status());
            }
            return Status::Ok();
          })
          .ok());
  std::unique_ptr<Node> small =
      make_node({.poll_interval = milliseconds(20), .max_queued_events = 64});
  ASSERT_NE(small, nullptr);
  SseClient client(small->port(), fmt::format("/api/v1/events?after={}", before), {alice_});
  ASSERT_EQ(client.read_head(), 200);
  for (int i = 0; i < 600; ++i) {
    std::optional<SseEvent> ev = client.next();
    ASSERT_TRUE(ev.has_value()) << i;
    ASSERT_EQ(ev->data_json()["payload"]["n"], i);
  }
  EXPECT_FALSE(client.next(milliseconds(150)).has_value());
  EXPECT_EQ(small->feed->stats().streams_dropped_slow, 0);
}

TEST_P(EventsApiTest, ABurstToALiveStreamIsNotLost) {
  // 600 rows at once for a live stream whose queue holds 8: it falls back to reading the table
  // at its client's pace instead of dropping events or the client.
  std::unique_ptr<Node> small =
      make_node({.poll_interval = milliseconds(20), .max_queued_events = 8});
  ASSERT_NE(small, nullptr);
  SseClient client(small->port(), "/api/v1/events", {alice_});
  ASSERT_EQ(client.read_head(), 200);
  ASSERT_TRUE(eventually([&] { return small->feed->stats().polls >= 2; }));
  ASSERT_TRUE(
      a_->db
          ->transact([&](Tx& tx) -> Status {
            for (int i = 0; i < 600; ++i) {
              QWL_RETURN_IF_ERROR(
                  tx.exec("INSERT INTO user_events (user_id, kind, ref_id, status, "
                          "payload, at_us) VALUES (?, 'wallet', ?, 'topup', ?, ?)",
                          {w_.alice.user_id, i, fmt::format("{{\"n\":{}}}", i), st::kWorldTime})
                      .status());
            }
            return Status::Ok();
          })
          .ok());
  for (int i = 0; i < 600; ++i) {
    std::optional<SseEvent> ev = client.next();
    ASSERT_TRUE(ev.has_value()) << i;
    ASSERT_EQ(ev->data_json()["payload"]["n"], i);
  }
  EXPECT_FALSE(client.next(milliseconds(150)).has_value());
  EXPECT_EQ(small->feed->stats().streams_dropped_slow, 0);
  EXPECT_EQ(small->feed->stats().streams_open, 1);
  // Live again: the next event comes at once.
  ASSERT_EQ(post(*small, "/api/v1/wallet/top-up", alice_, {{"amount", 300}}).status, 201);
  std::optional<SseEvent> live = client.next();
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(live->data_json()["payload"]["amount"], 300);
}

TEST_P(EventsApiTest, AnotherNodeOnTheSameDatabaseStreamsTheChanges) {
  std::unique_ptr<Node> b = make_node();
  ASSERT_NE(b, nullptr);
  SseClient on_b(b->port(), "/api/v1/events", {alice_});
  ASSERT_EQ(on_b.read_head(), 200);
  const int64_t order = place_order(*a_, "k-1");  // through node A
  std::optional<SseEvent> ev = on_b.next();
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->data_json()["ref_id"], order);
  ASSERT_EQ(post(*a_, fmt::format("/api/v1/merchant/orders/{}/advance", order), owner_,
                 {{"to", "accepted"}})
                .status,
            200);
  ev = on_b.next();
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->data_json()["status"], "accepted");
}

TEST_P(EventsApiTest, LateRowsArriveOnceAndMissingIdsAreGivenUp) {
  std::unique_ptr<Node> n =
      make_node({.poll_interval = milliseconds(20), .gap_timeout = milliseconds(1500)});
  ASSERT_NE(n, nullptr);
  SseClient client(n->port(), "/api/v1/events", {alice_});
  ASSERT_EQ(client.read_head(), 200);
  // Ids far above the sequence, so that no service insert collides with them: base + 3 commits
  // first, base + 1 later (PostgreSQL's out-of-order commits), base + 2 never (a rollback).
  const int64_t base = max_event_id() + 1000;
  insert_event(base + 3, w_.alice.user_id, "wallet", "third");
  std::optional<SseEvent> third = client.next();
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->id, std::to_string(base + 3));
  // (the stats are published after the poll that sent it)
  EXPECT_TRUE(eventually([&] { return n->feed->stats().gaps_open >= 2; }));
  insert_event(base + 1, w_.alice.user_id, "wallet", "first");
  std::optional<SseEvent> first = client.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->id, std::to_string(base + 1));
  EXPECT_FALSE(client.next(milliseconds(200)).has_value());  // once, not again
  EXPECT_EQ(n->feed->stats().late_rows, 1);
  // base + 2 never appears: given up after the gap timeout.
  EXPECT_TRUE(eventually([&] { return n->feed->stats().gaps_open == 0; }));

  // A stream that resumes from before a late row reads it in its own catch-up, once.
  SseClient resumed(n->port(), fmt::format("/api/v1/events?after={}", base), {alice_});
  ASSERT_EQ(resumed.read_head(), 200);
  std::optional<SseEvent> a = resumed.next();
  std::optional<SseEvent> b = resumed.next();
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->id, std::to_string(base + 1));
  EXPECT_EQ(b->id, std::to_string(base + 3));
  EXPECT_FALSE(resumed.next(milliseconds(150)).has_value());
}

TEST_P(EventsApiTest, HeartbeatsGoneClientsAndACleanStop) {
  std::unique_ptr<Node> n =
      make_node({.poll_interval = milliseconds(20), .heartbeat = milliseconds(50)});
  ASSERT_NE(n, nullptr);
  {
    SseClient quiet(n->port(), "/api/v1/events", {alice_});
    ASSERT_EQ(quiet.read_head(), 200);
    std::this_thread::sleep_for(milliseconds(300));
    EXPECT_FALSE(quiet.next(milliseconds(50)).has_value());
    EXPECT_GE(quiet.comments(), 2);
    EXPECT_EQ(n->feed->stats().streams_open, 1);
  }
  // The client went away: its stream is let go.
  EXPECT_TRUE(eventually([&] { return n->feed->stats().streams_open == 0; }));

  // Per-user limit.
  std::vector<std::unique_ptr<SseClient>> many;
  for (int i = 0; i < 8; ++i) {
    many.push_back(std::make_unique<SseClient>(n->port(), "/api/v1/events", std::vector{alice_}));
    ASSERT_EQ(many.back()->read_head(), 200);
  }
  SseClient ninth(n->port(), "/api/v1/events", {alice_});
  EXPECT_EQ(ninth.read_head(), 429);
  SseClient bobs(n->port(), "/api/v1/events", {bob_});  // another user is not limited by it
  EXPECT_EQ(bobs.read_head(), 200);
  bobs.close();
  many.clear();
  EXPECT_TRUE(eventually([&] { return n->feed->stats().streams_open == 0; }));

  // stop(): the stream ends with the terminating chunk, not a cut connection, and at once.
  SseClient open(n->port(), "/api/v1/events", {alice_});
  ASSERT_EQ(open.read_head(), 200);
  const auto started = std::chrono::steady_clock::now();
  n->feed->stop();
  EXPECT_TRUE(open.wait_end(milliseconds(2000)));
  EXPECT_TRUE(open.ended());
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(1000));
  // Later requests: 503.
  EXPECT_EQ(request(n->port(), "GET", "/api/v1/events", "", {alice_}).status, 503);
}

TEST_P(EventsApiTest, BadRequestsNameTheirParameter) {
  struct Case {
    std::string target;
    std::vector<std::string> headers;
    std::string param;
  };
  const std::vector<Case> cases = {
      {"/api/v1/events?after=-1", {alice_}, "after"},
      {"/api/v1/events?after=x", {alice_}, "after"},
      {"/api/v1/events?kinds=order,parcel", {alice_}, "kinds"},
      {"/api/v1/events?since=3", {alice_}, "since"},
      {"/api/v1/events", {alice_, "Last-Event-ID: abc"}, "Last-Event-ID"},
      {"/api/v1/events", {"Authorization: Bearer operator-key-0123456789"}, "Authorization"},
  };
  for (const Case& c : cases) {
    Reply r = request(a_->port(), "GET", c.target, "", c.headers);
    EXPECT_EQ(r.status, 400) << c.target << " " << r.body;
    EXPECT_EQ(r.param(), c.param) << c.target << " " << r.body;
  }
  EXPECT_EQ(request(a_->port(), "GET", "/api/v1/events", "", {}).status, 401);
}

TEST(EventKindsTest, ParsesListsAndRefusesUnknownKinds) {
  auto kinds = EventKinds::parse("order, ride");
  ASSERT_TRUE(kinds.ok());
  EXPECT_TRUE(kinds->has("order"));
  EXPECT_TRUE(kinds->has("ride"));
  EXPECT_FALSE(kinds->has("wallet"));
  EXPECT_FALSE(kinds->has("parcel"));
  EXPECT_TRUE(EventKinds{}.has("hotel_booking"));
  EXPECT_FALSE(EventKinds::parse("order,").ok());
  EXPECT_FALSE(EventKinds::parse("").ok());
}

INSTANTIATE_TEST_SUITE_P(Db, EventsApiTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return st::kind_name(info.param); });

}  // namespace
}  // namespace qwl::app
