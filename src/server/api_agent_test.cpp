// The agent's routes over real HTTP on 127.0.0.1, on SQLite and PostgreSQL, with the real agent
// loop, action store and session store, a scripted model (its reply is chosen from the
// conversation) and a small executor of two tools (find_drink, a read with a product card;
// buy_drink, irreversible, whose commits are counted): a message streamed as SSE events in order
// and saved with its card; the history handed to the next turn; a purchase proposed as a card,
// refused with a wrong hash, confirmed once under repeated and concurrent confirms and a replayed
// Idempotency-Key, noted in the conversation; cancellation; a changed price that fails the
// confirm and proposes a new card; a second message while one is answered (409); another user's
// session and action (404); a client that goes away mid-turn (the turn stops, what finished is
// saved, the session is free again); bad input; listing, renaming and deleting sessions.
#include "server/api_agent.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "agent/backend.h"
#include "services/identity.h"
#include "services/services_testing.h"

namespace qwl::app {
namespace {

using nlohmann::json;
namespace st = services::testing;
using namespace std::chrono_literals;

// ---- HTTP client ---------------------------------------------------------------------------

struct Reply {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string body;                                 // de-chunked

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  json body_json() const { return json::parse(body, nullptr, false); }
  json error() const {
    json j = body_json();
    return j.is_object() && j.contains("error") ? j["error"] : json();
  }
  std::string param() const {
    json e = error();
    return e.is_object() && e["param"].is_string() ? e["param"].get<std::string>() : "";
  }
};

std::ostream& operator<<(std::ostream& os, const Reply& r) {
  return os << r.status << " " << r.body;
}

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

std::string request_text(uint16_t port, std::string_view method, std::string_view target,
                         std::string_view body, const std::vector<std::string>& headers) {
  std::string req = fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n",
                                method, target, port);
  for (const std::string& h : headers) req += h + "\r\n";
  if (!body.empty() || method == "POST" || method == "PATCH")
    req += fmt::format("Content-Type: application/json\r\nContent-Length: {}\r\n", body.size());
  req += "\r\n";
  req += body;
  return req;
}

void send_all(int fd, std::string_view out) {
  while (!out.empty()) {
    const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    out.remove_prefix(static_cast<size_t>(n));
  }
}

std::string dechunk(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    const size_t eol = in.find("\r\n");
    if (eol == std::string_view::npos) break;
    const size_t n = std::stoul(std::string(in.substr(0, eol)), nullptr, 16);
    if (n == 0) break;
    out.append(in.substr(eol + 2, n));
    in.remove_prefix(std::min(in.size(), eol + 2 + n + 2));
  }
  return out;
}

Reply parse_reply(const std::string& in) {
  Reply reply;
  const size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos || in.size() < 12) return reply;
  reply.status = std::atoi(in.substr(9, 3).c_str());
  std::string_view head = std::string_view(in).substr(0, head_end);
  head.remove_prefix(std::min(head.size(), head.find("\r\n") + 2));
  while (!head.empty()) {
    const size_t eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    head = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    reply.headers.emplace(name, std::string(value));
  }
  reply.body = in.substr(head_end + 4);
  if (reply.header("transfer-encoding") == "chunked") reply.body = dechunk(reply.body);
  return reply;
}

// One request per connection (Connection: close), read to the end.
Reply request(uint16_t port, std::string_view method, std::string_view target,
              std::string_view body, const std::vector<std::string>& headers) {
  const int fd = connect_to(port);
  if (fd < 0) return Reply{};
  send_all(fd, request_text(port, method, target, body, headers));
  std::string in;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return parse_reply(in);
}

struct SseEvent {
  std::string name;
  json data;
};

std::vector<SseEvent> parse_sse(std::string_view body) {
  std::vector<SseEvent> out;
  size_t at = 0;
  while (at < body.size()) {
    size_t end = body.find("\n\n", at);
    if (end == std::string_view::npos) end = body.size();
    std::string_view block = body.substr(at, end - at);
    at = end + 2;
    SseEvent e;
    std::string data;
    bool any = false;
    while (!block.empty()) {
      const size_t eol = block.find('\n');
      std::string_view line = block.substr(0, eol);
      block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 1);
      if (line.starts_with("event: ")) e.name = std::string(line.substr(7));
      if (line.starts_with("data: ")) {
        if (any) data += "\n";
        data += line.substr(6);
        any = true;
      }
    }
    if (!any) continue;  // a comment (": ping")
    e.data = json::parse(data, nullptr, false);
    out.push_back(std::move(e));
  }
  return out;
}

// Event names with runs of "text" collapsed into one.
std::vector<std::string> names_of(const std::vector<SseEvent>& events) {
  std::vector<std::string> out;
  for (const SseEvent& e : events) {
    if (e.name == "text" && !out.empty() && out.back() == "text") continue;
    out.push_back(e.name);
  }
  return out;
}

std::string text_of(const std::vector<SseEvent>& events) {
  std::string out;
  for (const SseEvent& e : events)
    if (e.name == "text") out += e.data["delta"].get<std::string>();
  return out;
}

// ---- the model and the tools ---------------------------------------------------------------

constexpr std::string_view kFindParams =
    R"({"type":"object","properties":{"query":{"type":"string"}},"required":["query"],)"
    R"("additionalProperties":false})";
constexpr std::string_view kBuyParams =
    R"({"type":"object","properties":{"item":{"type":"string"},"quantity":{"type":"integer",)"
    R"("minimum":1}},"required":["item","quantity"],"additionalProperties":false})";

class FakeTools final : public agent::ToolExecutor {
 public:
  std::vector<agent::ToolDef> tools() const override {
    return {{.name = "find_drink",
             .description = "Finds drinks.",
             .parameters = kFindParams,
             .result = "drinks",
             .effect = agent::SideEffect::kRead},
            {.name = "buy_drink",
             .description = "Buys a drink.",
             .parameters = kBuyParams,
             .result = "the order",
             .effect = agent::SideEffect::kIrreversible}};
  }
  Result<agent::ToolResult> run(const agent::UserContext& user, std::string_view name,
                                const json& arguments) override {
    if (name != "find_drink") return InvalidArgumentError("{} is not a read", name);
    last_user = user.actor.user_id;
    agent::ToolResult r;
    r.result = {{"items", json::array({{{"name", "Oat Latte"}, {"price", price.load()}}})}};
    r.cards.push_back(
        {.type = "product", .data = {{"name", "Oat Latte"}, {"price", price.load()}}});
    return r;
  }
  Result<agent::ActionDraft> prepare(const agent::UserContext& user, std::string_view name,
                                     const json& arguments) override {
    if (name != "buy_drink") return InvalidArgumentError("{} is not irreversible", name);
    const int64_t quantity = arguments["quantity"].get<int64_t>();
    const int64_t amount = price.load() * quantity;
    return agent::ActionDraft{
        .tool = "buy_drink",
        .arguments = arguments,
        .content = {{"item", arguments["item"]},
                    {"quantity", quantity},
                    {"merchant", "Luna Café"},
                    {"amount", amount}},
        .info = {{"eta", "09:10"}},
        .summary = fmt::format("{} x {}, Luna Café; ¥{}", quantity,
                               arguments["item"].get<std::string>(), amount / 100)};
  }
  Result<agent::ToolResult> commit(const agent::UserContext& user, const agent::ActionDraft& draft,
                                   std::string_view key) override {
    std::lock_guard lock(mu);
    ++commits;
    auto it = by_key.find(std::string(key));
    if (it != by_key.end()) return it->second;
    agent::ToolResult r;
    r.result = {{"order_id", 123 + static_cast<int64_t>(by_key.size())},
                {"eta", "09:10"},
                {"total", draft.content["amount"]}};
    r.cards.push_back({.type = "order", .data = r.result});
    by_key.emplace(std::string(key), r);
    return r;
  }

  std::atomic<int64_t> price{2000};
  std::atomic<int64_t> last_user{0};
  std::mutex mu;
  int commits = 0;  // guarded by mu
  std::map<std::string, agent::ToolResult> by_key;
};

// A gate a scripted reply waits at until the test opens it or the turn is stopped.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> waiting{0};

  Status wait(std::stop_token stop) {
    ++waiting;
    std::unique_lock lock(mu);
    while (!open) {
      if (stop.stop_requested()) return CancelledError("the turn was stopped");
      cv.wait_for(lock, 5ms);
    }
    return Status::Ok();
  }
  void release() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

std::string last_user_text(const agent::ModelRequest& req) {
  for (auto it = req.messages.rbegin(); it != req.messages.rend(); ++it) {
    if ((*it)["role"] == "user") return (*it)["content"].get<std::string>();
  }
  return "";
}

constexpr std::string_view kFindCall =
    "<tool_call>\n{\"name\": \"find_drink\", \"arguments\": {\"query\": \"latte\"}}\n</tool_call>";
constexpr std::string_view kBuyCall =
    "<tool_call>\n{\"name\": \"buy_drink\", \"arguments\": {\"item\": \"Oat Latte\", "
    "\"quantity\": 2}}\n</tool_call>";
constexpr std::string_view kAnswer = "Luna Café has an Oat Latte for ¥20.";

// ---- the fixture ---------------------------------------------------------------------------

class AgentApiTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = st::fresh_db(GetParam(), DbOptions{.pool_size = 8, .max_attempts = 200});
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto a = st::add_user(*db_, "alice@example.com");
    auto b = st::add_user(*db_, "bob@example.com");
    ASSERT_TRUE(a.ok() && b.ok());
    alice_id_ = a->user_id;
    bob_id_ = b->user_id;
    backend_ = std::make_unique<agent::ScriptedBackend>(agent::ScriptedBackend::Responder(
        [this](const agent::ModelRequest& req) { return respond(req); }));
    actions_ = std::make_unique<agent::ActionStore>(*db_, clock_, tools_);
    agent_ = std::make_unique<agent::Agent>(*backend_, tools_, *actions_, *db_, clock_);
    sessions_ = std::make_unique<agent::SessionStore>(*db_, clock_);
    routes_ = std::make_unique<AgentRoutes>(AgentRoutesDeps{.agent = *agent_,
                                                            .sessions = *sessions_,
                                                            .actions = *actions_,
                                                            .db = *db_,
                                                            .clock = clock_});
    identity_ = std::make_unique<services::Identity>(*db_, clock_, random_);
    api_ = std::make_unique<AppApi>(*identity_);
    ASSERT_TRUE(routes_->add_routes(*api_).ok());
    server_ = std::make_unique<http::Server>(
        http::ServerOptions{.port = 0, .handler_threads = 4, .heartbeat = 50ms});
    ASSERT_TRUE(api_->register_routes(*server_).ok());
    ASSERT_TRUE(server_->start().ok());
    port_ = server_->port();
    alice_ = key_for(alice_id_);
    bob_ = key_for(bob_id_);
  }
  void TearDown() override {
    gate_.release();
    if (routes_) routes_->stop();
    if (server_) server_->stop(std::chrono::milliseconds(0));
  }

  Result<std::string> respond(const agent::ModelRequest& req) {
    const std::string text = last_user_text(req);
    const bool after_tool = req.messages.back()["role"] == "tool";
    if (text.find("slow") != std::string::npos) {
      // A tool call, then an answer that waits at the gate.
      if (!after_tool) return std::string(kFindCall);
      QWL_RETURN_IF_ERROR(gate_.wait(req.stop));
      return std::string(kAnswer);
    }
    if (text.find("wait") != std::string::npos) {
      QWL_RETURN_IF_ERROR(gate_.wait(req.stop));
      return std::string("Done waiting.");
    }
    if (after_tool) return std::string(kAnswer);
    if (text.find("latte?") != std::string::npos) return std::string(kFindCall);
    if (text.find("buy") != std::string::npos) return std::string(kBuyCall);
    return std::string("Hello!");
  }

  std::string key_for(int64_t user_id) {
    auto k = identity_->create_api_key(services::Actor::system(), user_id, {.name = "test"});
    EXPECT_TRUE(k.ok()) << k.status().to_string();
    return k.ok() ? "Authorization: Bearer " + k->key : "";
  }

  Reply call(std::string_view method, std::string_view target, const std::string& who,
             const json& body = json(), std::vector<std::string> headers = {}) {
    headers.push_back(who);
    return request(port_, method, target, body.is_null() ? "" : body.dump(), headers);
  }
  Reply get(std::string_view target, const std::string& who) { return call("GET", target, who); }
  Reply post(std::string_view target, const std::string& who, const json& body,
             std::vector<std::string> headers = {}) {
    return call("POST", target, who, body, std::move(headers));
  }

  std::string new_session(const std::string& who) {
    Reply r = post("/api/v1/sessions", who, json::object());
    EXPECT_EQ(r.status, 201) << r;
    return r.body_json().value("id", "");
  }
  // Sends a message and reads the whole stream.
  std::vector<SseEvent> say(const std::string& session, std::string_view text,
                            const std::string& who = "") {
    Reply r = post(fmt::format("/api/v1/sessions/{}/messages", session), who.empty() ? alice_ : who,
                   {{"text", text}});
    EXPECT_EQ(r.status, 200) << r;
    EXPECT_TRUE(r.header("content-type").starts_with("text/event-stream")) << r;
    return parse_sse(r.body);
  }
  json session_json(const std::string& id) {
    Reply r = get(fmt::format("/api/v1/sessions/{}", id), alice_);
    EXPECT_EQ(r.status, 200) << r;
    return r.body_json();
  }
  // The pending action a "buy" message proposed.
  json propose(const std::string& session) {
    std::vector<SseEvent> events = say(session, "buy two oat lattes");
    for (const SseEvent& e : events)
      if (e.name == "action") return e.data;
    ADD_FAILURE() << "no action event";
    return json();
  }
  int commits() {
    std::lock_guard lock(tools_.mu);
    return tools_.commits;
  }
  // Waits until no turn runs (a stream's client may have left before its turn ended).
  void wait_idle() {
    for (int i = 0; i < 2000 && routes_->running_turns() > 0; ++i) std::this_thread::sleep_for(5ms);
    EXPECT_EQ(routes_->running_turns(), 0);
  }

  ManualClock clock_;
  services::SeededRandom random_{11};
  std::unique_ptr<Db> db_;
  int64_t alice_id_ = 0, bob_id_ = 0;
  FakeTools tools_;
  Gate gate_;
  std::unique_ptr<agent::ScriptedBackend> backend_;
  std::unique_ptr<agent::ActionStore> actions_;
  std::unique_ptr<agent::Agent> agent_;
  std::unique_ptr<agent::SessionStore> sessions_;
  std::unique_ptr<AgentRoutes> routes_;
  std::unique_ptr<services::Identity> identity_;
  std::unique_ptr<AppApi> api_;
  std::unique_ptr<http::Server> server_;
  uint16_t port_ = 0;
  std::string alice_, bob_;
};

TEST_P(AgentApiTest, StreamsATurnAndSavesItBeforeDone) {
  const std::string id = new_session(alice_);
  ASSERT_TRUE(id.starts_with("ses_")) << id;
  std::vector<SseEvent> events = say(id, "Any oat latte?");
  EXPECT_EQ(names_of(events),
            (std::vector<std::string>{"tool_call", "tool_result", "card", "text", "done"}));
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(events[0].data["name"], "find_drink");
  EXPECT_EQ(events[1].data["ok"], true);
  EXPECT_EQ(events[1].data["id"], events[0].data["id"]);
  EXPECT_EQ(events[2].data["type"], "product");
  EXPECT_EQ(text_of(events), kAnswer);
  EXPECT_EQ(events.back().data["finish"], "stop");
  EXPECT_EQ(events.back().data["steps"], 2);
  EXPECT_EQ(tools_.last_user.load(), alice_id_);  // the session's user, not the model's

  // Saved by the time "done" arrived: the user's message, the call, the result, the answer with
  // the card shown; the title from the message.
  json s = session_json(id);
  EXPECT_EQ(s["title"], "Any oat latte?");
  EXPECT_EQ(s["messages"], 4);
  ASSERT_EQ(s["history"].size(), 4u);
  EXPECT_EQ(s["history"][0]["message"]["role"], "user");
  EXPECT_EQ(s["history"][0]["message"]["content"], "Any oat latte?");
  EXPECT_EQ(s["history"][1]["message"]["tool_calls"][0]["function"]["name"], "find_drink");
  EXPECT_EQ(s["history"][2]["message"]["role"], "tool");
  EXPECT_EQ(s["history"][3]["message"]["content"], std::string(kAnswer));
  ASSERT_EQ(s["history"][3]["events"].size(), 1u);
  EXPECT_EQ(s["history"][3]["events"][0]["event"], "card");
  EXPECT_EQ(s["history"][3]["events"][0]["data"]["type"], "product");
  EXPECT_EQ(s["actions"], json::array());

  // The next turn gets the saved history: the system prompt, 4 messages, the new one.
  std::vector<SseEvent> next = say(id, "hello");
  EXPECT_EQ(names_of(next), (std::vector<std::string>{"text", "done"}));
  const agent::ModelRequest last = backend_->requests().back();
  ASSERT_EQ(last.messages.size(), 6u);
  EXPECT_EQ(last.messages[1]["content"], "Any oat latte?");
  EXPECT_EQ(last.messages[4]["content"], std::string(kAnswer));
  EXPECT_EQ(session_json(id)["messages"], 6);
}

TEST_P(AgentApiTest, ConfirmRunsOnceAndTheConversationSaysSo) {
  const std::string id = new_session(alice_);
  std::vector<SseEvent> events = say(id, "buy two oat lattes");
  EXPECT_EQ(names_of(events),
            (std::vector<std::string>{"tool_call", "action", "tool_result", "text", "done"}));
  json action;
  for (const SseEvent& e : events)
    if (e.name == "action") action = e.data;
  ASSERT_TRUE(action.is_object());
  const std::string aid = action["id"];
  EXPECT_EQ(action["status"], "pending");
  EXPECT_EQ(action["content"]["amount"], 4000);
  EXPECT_EQ(events.back().data["action_id"], aid);
  EXPECT_EQ(commits(), 0);  // proposed, never executed by the model

  // The session shows the pending action.
  json s = session_json(id);
  ASSERT_EQ(s["actions"].size(), 1u);
  EXPECT_EQ(s["actions"][0]["status"], "pending");
  EXPECT_EQ(s["history"].back()["events"][0]["event"], "action");

  const std::string confirm = fmt::format("/api/v1/actions/{}/confirm", aid);
  const std::string hash = action["hash"];
  // A wrong hash: 400, nothing runs.
  Reply wrong = post(confirm, alice_, {{"hash", std::string(64, '0')}});
  EXPECT_EQ(wrong.status, 400) << wrong;
  EXPECT_EQ(wrong.param(), "hash");
  EXPECT_EQ(commits(), 0);
  // Bob cannot see or confirm it.
  EXPECT_EQ(post(confirm, bob_, {{"hash", hash}}).status, 404);
  EXPECT_EQ(get(fmt::format("/api/v1/actions/{}", aid), bob_).status, 404);
  EXPECT_EQ(commits(), 0);

  // Confirmed once; the retry with the same key replays the answer; another confirm returns it.
  Reply first = post(confirm, alice_, {{"hash", hash}}, {"Idempotency-Key: confirm-1"});
  ASSERT_EQ(first.status, 200) << first;
  EXPECT_EQ(first.body_json()["status"], "confirmed");
  EXPECT_EQ(first.body_json()["result"]["result"]["order_id"], 123);
  EXPECT_EQ(first.header("idempotent-replayed"), "");
  Reply again = post(confirm, alice_, {{"hash", hash}}, {"Idempotency-Key: confirm-1"});
  ASSERT_EQ(again.status, 200) << again;
  EXPECT_EQ(again.header("idempotent-replayed"), "true");
  EXPECT_EQ(again.body, first.body);
  Reply plain = post(confirm, alice_, {{"hash", hash}});
  ASSERT_EQ(plain.status, 200) << plain;
  EXPECT_EQ(plain.body_json()["status"], "confirmed");
  // The same key for another request is refused.
  Reply reused =
      post(confirm, alice_, {{"hash", std::string(64, 'a')}}, {"Idempotency-Key: confirm-1"});
  EXPECT_EQ(reused.status, 400) << reused;
  EXPECT_EQ(reused.param(), "Idempotency-Key");
  EXPECT_EQ(commits(), 1);

  // One note in the conversation, from the result.
  s = session_json(id);
  int notes = 0;
  for (const json& m : s["history"]) {
    const json& content = m["message"]["content"];
    if (content.is_string() && content.get<std::string>().starts_with("Order #123 placed")) {
      ++notes;
      EXPECT_EQ(content, "Order #123 placed: 2 x Oat Latte, Luna Café; ¥40; arrives ~09:10");
      EXPECT_EQ(m["events"][0]["data"]["status"], "confirmed");
    }
  }
  EXPECT_EQ(notes, 1);
  EXPECT_EQ(s["actions"][0]["status"], "confirmed");
  Reply read = get(fmt::format("/api/v1/actions/{}", aid), alice_);
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(read.body_json()["status"], "confirmed");
}

TEST_P(AgentApiTest, ConcurrentConfirmsExecuteOnce) {
  const std::string id = new_session(alice_);
  json action = propose(id);
  ASSERT_TRUE(action.is_object());
  const std::string confirm =
      fmt::format("/api/v1/actions/{}/confirm", action["id"].get<std::string>());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      std::vector<std::string> headers;
      if (i % 2 == 0) headers.push_back("Idempotency-Key: same-key");
      Reply r = post(confirm, alice_, {{"hash", action["hash"]}}, headers);
      if (r.status == 200 && r.body_json()["status"] == "confirmed") ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(commits(), 1);
  EXPECT_GE(ok.load(), 1);
}

TEST_P(AgentApiTest, CancelAndAChangedPrice) {
  const std::string id = new_session(alice_);
  json action = propose(id);
  const std::string aid = action["id"];
  Reply cancel = post(fmt::format("/api/v1/actions/{}/cancel", aid), alice_, json());
  ASSERT_EQ(cancel.status, 200) << cancel;
  EXPECT_EQ(cancel.body_json()["status"], "cancelled");
  Reply late =
      post(fmt::format("/api/v1/actions/{}/confirm", aid), alice_, {{"hash", action["hash"]}});
  EXPECT_EQ(late.status, 409) << late;
  EXPECT_EQ(commits(), 0);
  json s = session_json(id);
  EXPECT_EQ(s["history"].back()["message"]["content"], "Cancelled: 2 x Oat Latte, Luna Café; ¥40");

  // The price moves between the card and the confirmation: nothing is charged, the
  // conversation says so and shows the new card, which can be confirmed.
  json second = propose(id);
  tools_.price = 2500;
  Reply changed = post(fmt::format("/api/v1/actions/{}/confirm", second["id"].get<std::string>()),
                       alice_, {{"hash", second["hash"]}});
  EXPECT_EQ(changed.status, 409) << changed;
  EXPECT_EQ(commits(), 0);
  s = session_json(id);
  const json& note = s["history"].back();
  EXPECT_TRUE(note["message"]["content"].get<std::string>().starts_with("Not done: "))
      << note.dump();
  ASSERT_EQ(note["events"].size(), 2u);
  EXPECT_EQ(note["events"][0]["data"]["status"], "failed");
  const json& fresh = note["events"][1]["data"];
  EXPECT_EQ(fresh["status"], "pending");
  EXPECT_EQ(fresh["content"]["amount"], 5000);
  Reply ok = post(fmt::format("/api/v1/actions/{}/confirm", fresh["id"].get<std::string>()), alice_,
                  {{"hash", fresh["hash"]}});
  EXPECT_EQ(ok.status, 200) << ok;
  EXPECT_EQ(commits(), 1);
}

TEST_P(AgentApiTest, OneMessageAtATimePerSession) {
  const std::string id = new_session(alice_);
  const std::string other = new_session(alice_);
  Reply first;
  std::thread t([&] {
    first = post(fmt::format("/api/v1/sessions/{}/messages", id), alice_, {{"text", "wait"}});
  });
  for (int i = 0; i < 2000 && gate_.waiting.load() == 0; ++i) std::this_thread::sleep_for(2ms);
  ASSERT_EQ(gate_.waiting.load(), 1);
  Reply busy = post(fmt::format("/api/v1/sessions/{}/messages", id), alice_, {{"text", "hi"}});
  EXPECT_EQ(busy.status, 409) << busy;
  EXPECT_EQ(busy.error()["code"], "failed_precondition");
  // Other sessions and reads go on meanwhile.
  EXPECT_EQ(names_of(say(other, "hello")), (std::vector<std::string>{"text", "done"}));
  EXPECT_EQ(get(fmt::format("/api/v1/sessions/{}", id), alice_).status, 200);
  gate_.release();
  t.join();
  ASSERT_EQ(first.status, 200) << first;
  EXPECT_EQ(names_of(parse_sse(first.body)), (std::vector<std::string>{"text", "done"}));
  // Free again as soon as done was read.
  EXPECT_EQ(names_of(say(id, "hello")), (std::vector<std::string>{"text", "done"}));
  EXPECT_EQ(session_json(id)["messages"], 4);
}

TEST_P(AgentApiTest, AnotherUsersSessionIsNotFound) {
  const std::string id = new_session(alice_);
  say(id, "Any oat latte?");
  const std::string path = fmt::format("/api/v1/sessions/{}", id);
  EXPECT_EQ(get(path, bob_).status, 404);
  EXPECT_EQ(post(path + "/messages", bob_, {{"text", "what did she order?"}}).status, 404);
  EXPECT_EQ(call("PATCH", path, bob_, {{"title", "mine"}}).status, 404);
  EXPECT_EQ(call("DELETE", path, bob_).status, 404);
  Reply list = get("/api/v1/sessions", bob_);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body_json()["data"], json::array());
  // Alice's session is untouched, and the same 404 as for a session that never existed.
  EXPECT_EQ(session_json(id)["messages"], 4);
  EXPECT_EQ(session_json(id)["title"], "Any oat latte?");
  EXPECT_EQ(get("/api/v1/sessions/ses_000000000000000000000000", bob_).status, 404);
  // No credentials: 401.
  EXPECT_EQ(request(port_, "GET", path, "", {}).status, 401);
}

TEST_P(AgentApiTest, AClientThatLeavesStopsTheTurnAndWhatFinishedIsSaved) {
  const std::string id = new_session(alice_);
  const int fd = connect_to(port_);
  ASSERT_GE(fd, 0);
  send_all(fd, request_text(port_, "POST", fmt::format("/api/v1/sessions/{}/messages", id),
                            json{{"text", "slow latte?"}}.dump(), {alice_}));
  // Read until the tool's result arrived (the model then waits at the gate), then leave.
  std::string in;
  char buf[4096];
  while (in.find("event: tool_result") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    ASSERT_GT(n, 0) << in;
    in.append(buf, static_cast<size_t>(n));
  }
  for (int i = 0; i < 2000 && gate_.waiting.load() == 0; ++i) std::this_thread::sleep_for(2ms);
  ::close(fd);
  wait_idle();
  EXPECT_EQ(gate_.waiting.load(), 1);

  // Saved: the message, the call and its result; the turn ended by the stop.
  json s = session_json(id);
  ASSERT_GE(s["history"].size(), 3u) << s.dump();
  EXPECT_EQ(s["history"][0]["message"]["content"], "slow latte?");
  EXPECT_EQ(s["history"][1]["message"]["tool_calls"][0]["function"]["name"], "find_drink");
  EXPECT_EQ(s["history"][2]["message"]["role"], "tool");
  EXPECT_NE(s["history"].back()["message"]["content"], std::string(kAnswer));
  // The session is free for the next message.
  EXPECT_EQ(names_of(say(id, "hello")), (std::vector<std::string>{"text", "done"}));
}

TEST_P(AgentApiTest, RefusesBadInput) {
  const std::string id = new_session(alice_);
  const std::string messages = fmt::format("/api/v1/sessions/{}/messages", id);
  auto expect_400 = [&](const json& body, std::string_view param) {
    Reply r = post(messages, alice_, body);
    EXPECT_EQ(r.status, 400) << body.dump() << " -> " << r;
    EXPECT_EQ(r.param(), param) << r;
  };
  expect_400(json::object(), "text");
  expect_400({{"text", ""}}, "text");
  expect_400({{"text", " \n "}}, "text");
  expect_400({{"text", 42}}, "text");
  expect_400({{"text", std::string(4001, 'a')}}, "text");
  expect_400({{"text", "hi"}, {"colour", "red"}}, "colour");
  expect_400({{"text", "hi"}, {"location", {{"lat", 91}, {"lon", 120}}}}, "location");
  expect_400({{"text", "hi"}, {"location", {{"lat", 30}}}}, "location.lon");
  expect_400({{"text", "hi"}, {"location", "home"}}, "location");
  // 4000 characters of Chinese (12000 bytes) are fine; the location too.
  std::string long_zh;
  for (int i = 0; i < 4000; ++i) long_zh += "茶";
  Reply ok =
      post(messages, alice_, {{"text", long_zh}, {"location", {{"lat", 30.25}, {"lon", 120.16}}}});
  EXPECT_EQ(ok.status, 200) << ok;
  EXPECT_EQ(session_json(id)["title"].get<std::string>().size(), 80u * 3);

  Reply bad_id = post("/api/v1/sessions/ses_nope/messages", alice_, {{"text", "hi"}});
  EXPECT_EQ(bad_id.status, 400) << bad_id;
  EXPECT_EQ(bad_id.param(), "id");
  EXPECT_EQ(get("/api/v1/sessions/SES_0123456789abcdef01234567", alice_).param(), "id");
  EXPECT_EQ(post("/api/v1/sessions/ses_0123456789abcdef01234567/messages", alice_, {{"text", "hi"}})
                .status,
            404);
  EXPECT_EQ(get("/api/v1/sessions?limit=0", alice_).status, 400);
  EXPECT_EQ(get("/api/v1/sessions?colour=red", alice_).param(), "colour");
  EXPECT_EQ(post("/api/v1/actions/act_nope/confirm", alice_, json::object()).param(), "hash");
  EXPECT_EQ(post("/api/v1/actions/act_000000000000000000000000/confirm", alice_,
                 {{"hash", std::string(64, '0')}})
                .status,
            404);
}

TEST_P(AgentApiTest, ListsRenamesAndDeletesSessions) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(new_session(alice_));
  Reply named = post("/api/v1/sessions", alice_, {{"title", "Dinner"}});
  ASSERT_EQ(named.status, 201);
  EXPECT_EQ(named.body_json()["title"], "Dinner");
  ids.push_back(named.body_json()["id"]);

  std::vector<std::string> seen;
  std::string target = "/api/v1/sessions?limit=4";
  for (int page = 0; page < 5; ++page) {
    Reply r = get(target, alice_);
    ASSERT_EQ(r.status, 200) << r;
    json j = r.body_json();
    for (const json& s : j["data"]) seen.push_back(s["id"]);
    if (!j["has_more"].get<bool>()) break;
    target = fmt::format("/api/v1/sessions?limit=4&before={}", j["next_before"].get<int64_t>());
  }
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen.front(), ids.back());  // newest first
  EXPECT_EQ(seen.back(), ids.front());
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 6u);

  const std::string path = fmt::format("/api/v1/sessions/{}", ids[0]);
  Reply renamed = call("PATCH", path, alice_, {{"title", "Coffee"}});
  ASSERT_EQ(renamed.status, 200) << renamed;
  EXPECT_EQ(renamed.body_json()["title"], "Coffee");
  Reply deleted = call("DELETE", path, alice_);
  ASSERT_EQ(deleted.status, 200) << deleted;
  EXPECT_EQ(deleted.body_json()["deleted"], true);
  EXPECT_EQ(get(path, alice_).status, 404);
  EXPECT_EQ(call("DELETE", path, alice_).status, 404);
}

INSTANTIATE_TEST_SUITE_P(Db, AgentApiTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return st::kind_name(info.param); });

}  // namespace
}  // namespace qwl::app
