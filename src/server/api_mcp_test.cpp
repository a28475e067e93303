// MCP over Streamable HTTP, request by request through McpEndpoint::handle() on SQLite and
// PostgreSQL: Origin checks, authentication by key and cookie, sessions issued at initialize
// and bound to their user and version (shared by every endpoint on the database), the
// protocol-version header, 202 for notifications, DELETE, GET 405, content types, and an
// irreversible call that only leaves a pending action.
#include "server/api_mcp.h"

#include <gtest/gtest.h>

#include <atomic>

#include "services/services_testing.h"

namespace qwl::app {
namespace {

using nlohmann::json;

constexpr std::string_view kOperatorKey = "operator-key-0123456789";

class FakeTools final : public agent::ToolExecutor {
 public:
  std::atomic<int> commits{0};
  std::atomic<int64_t> last_user{-1};

  std::vector<agent::ToolDef> tools() const override {
    return {
        {.name = "get_wallet",
         .description = "The wallet.",
         .parameters = R"({"type":"object","properties":{},"additionalProperties":false})",
         .effect = agent::SideEffect::kRead},
        {.name = "top_up_wallet",
         .description = "Add money.",
         .parameters = R"({"type":"object","properties":{"amount":{"type":"integer",
           "minimum":100}},"required":["amount"],"additionalProperties":false})",
         .effect = agent::SideEffect::kIrreversible},
    };
  }
  Result<agent::ToolResult> run(const agent::UserContext& user, std::string_view,
                                const json&) override {
    last_user = user.actor.user_id;
    return agent::ToolResult{.result = {{"balance", 500}, {"user", user.actor.user_id}}};
  }
  Result<agent::ActionDraft> prepare(const agent::UserContext& user, std::string_view name,
                                     const json& arguments) override {
    last_user = user.actor.user_id;
    return agent::ActionDraft{.tool = std::string(name),
                              .arguments = arguments,
                              .content = {{"amount", arguments.at("amount")}},
                              .summary = "Top up"};
  }
  Result<agent::ToolResult> commit(const agent::UserContext&, const agent::ActionDraft&,
                                   std::string_view) override {
    ++commits;
    return agent::ToolResult{.result = {{"ok", true}}};
  }
};

struct Reply {
  int status = 0;
  http::Headers headers;
  json body;
  std::string header(std::string_view name) const {
    auto v = headers.get(name);
    return v ? std::string(*v) : "";
  }
};

class McpEndpointTest : public ::testing::TestWithParam<DbKind> {
 protected:
  void SetUp() override {
    auto db = services::testing::fresh_db(GetParam());
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    identity_ = std::make_unique<services::Identity>(
        *db_, clock_, random_, services::IdentityOptions{.password_iterations = 100});
    api_ = std::make_unique<AppApi>(*identity_);
    ASSERT_TRUE(api_->set_operator_key(kOperatorKey).ok());
    auto alice =
        identity_->create_user(services::Actor::system(),
                               {.email = "alice@example.com", .password = "correct horse battery"});
    auto bob = identity_->create_user(services::Actor::system(), {.email = "bob@example.com"});
    ASSERT_TRUE(alice.ok() && bob.ok());
    alice_ = *alice;
    alice_key_ = identity_->create_api_key(services::Actor::system(), alice_.id, {})->key;
    bob_key_ = identity_->create_api_key(services::Actor::system(), bob->id, {})->key;
    actions_ = std::make_unique<agent::ActionStore>(*db_, clock_, tools_);
    endpoint_ = std::make_unique<McpEndpoint>(*api_, *db_, clock_, tools_, *actions_);
  }

  Reply send(http::Method method, const json& body,
             std::vector<std::pair<std::string, std::string>> headers,
             McpEndpoint* endpoint = nullptr) {
    http::Request req;
    req.method = method;
    req.path = "/mcp";
    req.target = "/mcp";
    req.headers.set("Host", "127.0.0.1:8080");
    if (method == http::Method::kPost) {
      req.headers.set("Content-Type", "application/json");
      req.headers.set("Accept", "application/json, text/event-stream");
      req.body = body.is_discarded() ? std::string() : body.dump();
    }
    for (auto& [k, v] : headers) {
      if (v.empty()) {
        req.headers.remove(k);
      } else {
        req.headers.set(k, v);
      }
    }
    http::Response res = (endpoint ? *endpoint : *endpoint_).handle(req);
    Reply r{.status = res.status, .headers = res.headers};
    if (!res.body.empty()) r.body = json::parse(res.body, nullptr, false);
    return r;
  }
  static json rpc(std::string_view method, json params = json::object(), int id = 1) {
    return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
  }
  std::string auth(std::string_view key) { return fmt::format("Bearer {}", key); }
  // Initializes as `key` and returns the session id.
  std::string initialize(std::string_view key, std::string_view version = "2025-11-25") {
    Reply r = send(http::Method::kPost,
                   rpc("initialize", {{"protocolVersion", version},
                                      {"capabilities", json::object()},
                                      {"clientInfo", {{"name", "test-client"}, {"version", "1"}}}}),
                   {{"Authorization", auth(key)}});
    EXPECT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["result"]["protocolVersion"], version);
    EXPECT_EQ(r.header("content-type"), "application/json");
    const std::string id = r.header("mcp-session-id");
    EXPECT_EQ(id.rfind("mcp_", 0), 0u);
    EXPECT_EQ(id.size(), 4u + 32u);
    return id;
  }

  ManualClock clock_;
  services::SeededRandom random_{7};
  FakeTools tools_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<services::Identity> identity_;
  std::unique_ptr<AppApi> api_;
  std::unique_ptr<agent::ActionStore> actions_;
  std::unique_ptr<McpEndpoint> endpoint_;
  services::User alice_;
  std::string alice_key_, bob_key_;
};

TEST(McpOriginTest, LocalhostOrigins) {
  for (const char* ok : {"http://localhost", "http://localhost:3000", "https://127.0.0.1:8443",
                         "http://[::1]:8080", "HTTP://LOCALHOST:1"}) {
    EXPECT_TRUE(is_localhost_origin(ok)) << ok;
  }
  for (const char* bad : {"http://localhost.evil.com", "http://127.0.0.1.nip.io", "null",
                          "http://evil.com", "file://localhost", "http://localhost:", "",
                          "http://localhost:80a", "http://localhost/path", "http://127.0.0.10"}) {
    EXPECT_FALSE(is_localhost_origin(bad)) << bad;
  }
}

TEST_P(McpEndpointTest, ForeignOriginsAreRefusedBeforeAnythingElse) {
  Reply r = send(http::Method::kPost, rpc("initialize", {{"protocolVersion", "2025-11-25"}}),
                 {{"Authorization", auth(alice_key_)}, {"Origin", "http://evil.example"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(r.body["id"].is_null());
  EXPECT_NE(r.body["error"]["message"].get<std::string>().find("Origin"), std::string::npos);
  EXPECT_TRUE(r.header("mcp-session-id").empty());
  // Localhost origins and configured ones pass, with CORS headers.
  r = send(http::Method::kPost, rpc("initialize", {{"protocolVersion", "2025-11-25"}}),
           {{"Authorization", auth(alice_key_)}, {"Origin", "http://localhost:6274"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("access-control-allow-origin"), "http://localhost:6274");
  EXPECT_EQ(r.header("access-control-expose-headers"), "Mcp-Session-Id");
  McpEndpoint other(*api_, *db_, clock_, tools_, *actions_,
                    McpEndpointOptions{.allowed_origins = {"https://assistant.example.com"}});
  r = send(http::Method::kPost, rpc("initialize", {{"protocolVersion", "2025-11-25"}}),
           {{"Authorization", auth(alice_key_)}, {"Origin", "https://assistant.example.com"}},
           &other);
  EXPECT_EQ(r.status, 200);
  // A preflight.
  r = send(http::Method::kOptions, json(), {{"Origin", "http://localhost:6274"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_NE(r.header("access-control-allow-headers").find("Mcp-Session-Id"), std::string::npos);
  r = send(http::Method::kOptions, json(), {{"Origin", "http://evil.example"}});
  EXPECT_EQ(r.status, 403);
}

TEST_P(McpEndpointTest, CredentialsAreRequired) {
  Reply r = send(http::Method::kPost, rpc("initialize", {{"protocolVersion", "2025-11-25"}}), {});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("www-authenticate"), "Bearer");
  r = send(http::Method::kPost, rpc("initialize", {{"protocolVersion", "2025-11-25"}}),
           {{"Authorization", "Bearer qwl-not-a-real-key-at-all"}});
  EXPECT_EQ(r.status, 401);
  // The web session cookie works too.
  auto session = identity_->sign_in("alice@example.com", "correct horse battery");
  ASSERT_TRUE(session.ok()) << session.status().to_string();
  r = send(http::Method::kPost, rpc("initialize", {{"protocolVersion", "2025-11-25"}}),
           {{"Cookie", fmt::format("{}={}", kSessionCookie, session->token)}});
  EXPECT_EQ(r.status, 200) << r.body.dump();
  // So does the operator key.
  EXPECT_EQ(send(http::Method::kPost, rpc("initialize", {{"protocolVersion", "2025-11-25"}}),
                 {{"Authorization", auth(kOperatorKey)}})
                .status,
            200);
}

TEST_P(McpEndpointTest, SessionsAreIssuedAndBoundToTheirUser) {
  const std::string sid = initialize(alice_key_);
  const std::pair<std::string, std::string> key{"Authorization", auth(alice_key_)};
  // notifications/initialized: accepted, no body.
  Reply r = send(http::Method::kPost, {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
                 {key, {"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}});
  EXPECT_EQ(r.status, 202);
  EXPECT_TRUE(r.body.is_null());
  r = send(http::Method::kPost, rpc("tools/list", json::object(), 2),
           {key, {"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}});
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(r.body["result"]["tools"].size(), 2u);
  EXPECT_EQ(r.body["result"]["tools"][1]["annotations"]["destructiveHint"], true);
  // Without the version header the session's version applies.
  r = send(http::Method::kPost, rpc("tools/call", {{"name", "get_wallet"}}, 3),
           {key, {"Mcp-Session-Id", sid}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["result"]["structuredContent"]["user"], alice_.id);
  // No session header, an unknown one, another user's: 400, 404, 404.
  EXPECT_EQ(send(http::Method::kPost, rpc("tools/list"), {key}).status, 400);
  EXPECT_EQ(
      send(http::Method::kPost, rpc("tools/list"), {key, {"Mcp-Session-Id", "mcp_nope"}}).status,
      404);
  EXPECT_EQ(send(http::Method::kPost, rpc("tools/list"),
                 {{"Authorization", auth(bob_key_)}, {"Mcp-Session-Id", sid}})
                .status,
            404);
  // Another node on the same database continues the session.
  McpEndpoint node2(*api_, *db_, clock_, tools_, *actions_);
  EXPECT_EQ(send(http::Method::kPost, rpc("ping"), {key, {"Mcp-Session-Id", sid}}, &node2).status,
            200);
}

TEST_P(McpEndpointTest, ProtocolVersionHeaderMustMatchTheSession) {
  const std::string sid = initialize(alice_key_, "2025-06-18");
  const std::pair<std::string, std::string> key{"Authorization", auth(alice_key_)};
  EXPECT_EQ(send(http::Method::kPost, rpc("ping"),
                 {key, {"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-06-18"}})
                .status,
            200);
  Reply r = send(http::Method::kPost, rpc("ping"),
                 {key, {"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}});
  EXPECT_EQ(r.status, 400);
  r = send(http::Method::kPost, rpc("ping"),
           {key, {"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "1900-01-01"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body["error"]["message"].get<std::string>().find("unsupported"), std::string::npos);
  // Under 2025-06-18 invalid arguments are a JSON-RPC error (in a 200 response).
  r = send(http::Method::kPost,
           rpc("tools/call", {{"name", "top_up_wallet"}, {"arguments", {{"amount", 5}}}}),
           {key, {"Mcp-Session-Id", sid}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["error"]["code"], agent::kJsonRpcInvalidParams);
}

TEST_P(McpEndpointTest, IrreversibleCallsLeaveOnlyAPendingAction) {
  const std::string sid = initialize(alice_key_);
  Reply r = send(http::Method::kPost,
                 rpc("tools/call", {{"name", "top_up_wallet"}, {"arguments", {{"amount", 5000}}}}),
                 {{"Authorization", auth(alice_key_)}, {"Mcp-Session-Id", sid}});
  ASSERT_EQ(r.status, 200);
  const json& s = r.body["result"]["structuredContent"];
  EXPECT_EQ(s["status"], "pending_confirmation");
  EXPECT_EQ(tools_.commits, 0);
  agent::UserContext alice;
  alice.actor = alice_.actor();
  auto pending = actions_->list(alice, "", true);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].id, s["action"]["id"]);
  EXPECT_EQ((*pending)[0].draft.content["amount"], 5000);
}

TEST_P(McpEndpointTest, DeleteEndsTheSession) {
  const std::string sid = initialize(alice_key_);
  const std::pair<std::string, std::string> key{"Authorization", auth(alice_key_)};
  EXPECT_EQ(send(http::Method::kDelete, json(),
                 {{"Authorization", auth(bob_key_)}, {"Mcp-Session-Id", sid}})
                .status,
            404);
  EXPECT_EQ(send(http::Method::kDelete, json(), {key}).status, 400);
  EXPECT_EQ(send(http::Method::kDelete, json(), {key, {"Mcp-Session-Id", sid}}).status, 204);
  EXPECT_EQ(send(http::Method::kPost, rpc("ping"), {key, {"Mcp-Session-Id", sid}}).status, 404);
  EXPECT_EQ(send(http::Method::kDelete, json(), {key, {"Mcp-Session-Id", sid}}).status, 404);
}

TEST_P(McpEndpointTest, TransportRefusals) {
  const std::pair<std::string, std::string> key{"Authorization", auth(alice_key_)};
  Reply r = send(http::Method::kGet, json(), {key});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "POST, DELETE, OPTIONS");
  EXPECT_EQ(send(http::Method::kPost, rpc("ping"), {key, {"Content-Type", "text/plain"}}).status,
            415);
  EXPECT_EQ(send(http::Method::kPost, rpc("ping"), {key, {"Accept", "text/html"}}).status, 406);
  EXPECT_EQ(send(http::Method::kPost, rpc("ping"), {key, {"Accept", "*/*"}}).status,
            400);  // no session
  r = send(http::Method::kPost, json::array({rpc("ping")}), {key});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["code"], agent::kJsonRpcInvalidRequest);
  r = send(http::Method::kPost, json::value_t::discarded, {key});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["code"], agent::kJsonRpcParseError);
}

TEST_P(McpEndpointTest, IdleSessionsArePurged) {
  const std::string old_sid = initialize(alice_key_);
  clock_.advance_us(8LL * 24 * 3600 * 1'000'000);
  initialize(alice_key_);  // purges sessions idle for more than a week
  EXPECT_EQ(send(http::Method::kPost, rpc("ping"),
                 {{"Authorization", auth(alice_key_)}, {"Mcp-Session-Id", old_sid}})
                .status,
            404);
}

INSTANTIATE_TEST_SUITE_P(Db, McpEndpointTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return services::testing::kind_name(info.param); });

}  // namespace
}  // namespace qwl::app
