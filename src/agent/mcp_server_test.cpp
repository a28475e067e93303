// The MCP server's protocol core without a transport: version negotiation, the tool list with
// its annotations, read and write calls run at once, irreversible calls stored as pending
// actions and never executed, argument validation per protocol version, JSON-RPC errors, and
// the stdio loop.
#include "agent/mcp_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <sstream>

#include "agent/tools.h"
#include "services/services_testing.h"

namespace qwl::agent {
namespace {

using nlohmann::json;

// Runs the whole catalog with canned results; counts what it was asked to do and remembers the
// acting user of the last call.
class FakeExecutor final : public ToolExecutor {
 public:
  std::atomic<int> runs{0};
  std::atomic<int> prepares{0};
  std::atomic<int> commits{0};
  int64_t last_user = -1;
  json last_arguments;

  std::vector<ToolDef> tools() const override {
    auto all = ecosystem_tools();
    return {all.begin(), all.end()};
  }
  Result<ToolResult> run(const UserContext& user, std::string_view name,
                         const json& arguments) override {
    ++runs;
    last_user = user.actor.user_id;
    last_arguments = arguments;
    if (name == "get_order")
      return NotFoundError("order {} not found", arguments.at("order_id").get<int64_t>());
    if (name == "list_orders") return InternalError("SELECT ... failed: secret detail");
    if (name == "view_cart") return ToolResult{.result = json::array({1, 2})};
    return ToolResult{.result = {{"tool", name}, {"balance", 12300}, {"text", "¥123.00"}},
                      .cards = {Card{.type = "wallet", .data = {{"balance", 12300}}}}};
  }
  Result<ActionDraft> prepare(const UserContext& user, std::string_view name,
                              const json& arguments) override {
    ++prepares;
    last_user = user.actor.user_id;
    if (name == "cancel_order") return FailedPreconditionError("order 5 was already accepted");
    ActionDraft d;
    d.tool = std::string(name);
    d.arguments = arguments;
    d.content = {{"merchant", "Luna Café"}, {"total", 4100}};
    d.summary = "2 x Oat Latte, Luna Café -> Office; ¥41";
    return d;
  }
  Result<ToolResult> commit(const UserContext&, const ActionDraft&, std::string_view) override {
    ++commits;
    return ToolResult{.result = {{"order_id", 1}}};
  }
};

class McpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = services::testing::fresh_db(DbKind::kSqlite);
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(*db);
    auto alice = services::testing::add_user(*db_, "alice@example.com");
    ASSERT_TRUE(alice.ok());
    actions_ = std::make_unique<ActionStore>(*db_, clock_, executor_);
    server_ = std::make_unique<McpServer>(executor_, *actions_);
    conn_.user.actor = *alice;
  }

  json request(std::string_view method, json params = json::object(), json id = 1) {
    json m = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
    auto answer = server_->handle(conn_, m);
    EXPECT_TRUE(answer.has_value()) << method;
    return answer ? *answer : json();
  }
  void initialize(std::string_view version = "2025-11-25") {
    json r = request("initialize", {{"protocolVersion", version},
                                    {"capabilities", json::object()},
                                    {"clientInfo", {{"name", "test"}, {"version", "1"}}}});
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_FALSE(
        server_->handle(conn_, {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}));
  }
  json call(std::string_view tool, json arguments, json id = 2) {
    return request("tools/call", {{"name", tool}, {"arguments", std::move(arguments)}}, id);
  }

  ManualClock clock_;
  FakeExecutor executor_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<ActionStore> actions_;
  std::unique_ptr<McpServer> server_;
  McpConnection conn_;
};

TEST_F(McpServerTest, InitializeNegotiatesTheVersion) {
  for (const char* version : {"2025-06-18", "2025-11-25"}) {
    conn_.protocol_version.clear();
    json r =
        request("initialize", {{"protocolVersion", version}, {"capabilities", json::object()}});
    EXPECT_EQ(r.at("jsonrpc"), "2.0");
    EXPECT_EQ(r.at("id"), 1);
    EXPECT_EQ(r.at("result").at("protocolVersion"), version);
    EXPECT_EQ(conn_.protocol_version, version);
  }
  conn_.protocol_version.clear();
  json r = request("initialize",
                   {{"protocolVersion", "2024-11-05"}, {"clientInfo", {{"name", "old client"}}}});
  EXPECT_EQ(r.at("result").at("protocolVersion"), "2025-11-25");  // our newest
  EXPECT_EQ(r.at("result").at("serverInfo").at("name"), "qwenlayer");
  EXPECT_TRUE(r.at("result").at("serverInfo").contains("version"));
  EXPECT_EQ(r.at("result").at("capabilities"), json::parse(R"({"tools":{"listChanged":false}})"));
  EXPECT_NE(r.at("result").at("instructions").get<std::string>().find("pending action"),
            std::string::npos);
  EXPECT_EQ(conn_.client_name, "old client");
  // A second initialize on the same connection is refused.
  EXPECT_EQ(request("initialize", {{"protocolVersion", "2025-11-25"}}).at("error").at("code"),
            kJsonRpcInvalidRequest);
  conn_.protocol_version.clear();
  EXPECT_EQ(request("initialize", json::object()).at("error").at("code"), kJsonRpcInvalidParams);
  EXPECT_EQ(request("initialize", {{"protocolVersion", 20250618}}).at("error").at("code"),
            kJsonRpcInvalidParams);
}

TEST_F(McpServerTest, RequestsBeforeInitializeAreRefusedButPingWorks) {
  EXPECT_EQ(request("ping").at("result"), json::object());
  EXPECT_EQ(request("tools/list").at("error").at("code"), kJsonRpcInvalidRequest);
  EXPECT_EQ(call("get_wallet", json::object()).at("error").at("code"), kJsonRpcInvalidRequest);
  EXPECT_EQ(executor_.runs, 0);
  initialize();
  EXPECT_TRUE(conn_.initialized);
  EXPECT_TRUE(request("tools/list").contains("result"));
}

TEST_F(McpServerTest, ToolsListCarriesSchemasAndAnnotations) {
  initialize();
  json r = request("tools/list");
  const json& tools = r.at("result").at("tools");
  ASSERT_EQ(tools.size(), ecosystem_tools().size());
  EXPECT_FALSE(r.at("result").contains("nextCursor"));
  int reads = 0, writes = 0, irreversible = 0;
  for (const json& t : tools) {
    const ToolDef* def = find_tool(t.at("name").get<std::string>());
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(t.at("inputSchema"), json::parse(def->parameters));
    EXPECT_EQ(t.at("inputSchema").at("type"), "object");
    EXPECT_FALSE(t.at("title").get<std::string>().empty());
    const json& a = t.at("annotations");
    EXPECT_EQ(a.at("title"), t.at("title"));
    switch (def->effect) {
      case SideEffect::kRead:
        ++reads;
        EXPECT_EQ(a.at("readOnlyHint"), true) << t.dump();
        break;
      case SideEffect::kWrite:
        ++writes;
        EXPECT_EQ(a.at("readOnlyHint"), false);
        EXPECT_EQ(a.at("destructiveHint"), false);
        break;
      case SideEffect::kIrreversible:
        ++irreversible;
        EXPECT_EQ(a.at("readOnlyHint"), false);
        EXPECT_EQ(a.at("destructiveHint"), true);
        EXPECT_NE(t.at("description").get<std::string>().find("pending action"), std::string::npos);
        break;
    }
  }
  EXPECT_GT(reads, 0);
  EXPECT_GT(writes, 0);
  EXPECT_GT(irreversible, 0);
  const json& first = tools[0];
  EXPECT_EQ(first.at("name"), "search_products");
  EXPECT_EQ(first.at("title"), "Search products");
  EXPECT_EQ(request("tools/list", {{"cursor", "x"}}).at("error").at("code"), kJsonRpcInvalidParams);
}

TEST_F(McpServerTest, ReadAndWriteToolsRunAtOnceAsTheConnectionsUser) {
  initialize();
  json r = call("get_wallet", json::object());
  const json& result = r.at("result");
  EXPECT_EQ(result.at("isError"), false);
  EXPECT_EQ(result.at("structuredContent").at("balance"), 12300);
  EXPECT_EQ(json::parse(result.at("content")[0].at("text").get<std::string>()),
            result.at("structuredContent"));
  EXPECT_EQ(result.at("content")[0].at("type"), "text");
  EXPECT_EQ(executor_.last_user, conn_.user.actor.user_id);
  // A write.
  r = call("add_to_cart", {{"menu_item_id", 3}, {"quantity", 2}, {"options", {"large"}}});
  EXPECT_EQ(r.at("result").at("isError"), false);
  EXPECT_EQ(executor_.last_arguments.at("quantity"), 2);
  EXPECT_EQ(executor_.runs, 2);
  // A result that is not an object is wrapped.
  r = call("view_cart", json::object());
  EXPECT_EQ(r.at("result").at("structuredContent"), json::parse(R"({"result":[1,2]})"));
  // No arguments at all mean {}.
  r = request("tools/call", {{"name", "get_wallet"}});
  EXPECT_EQ(r.at("result").at("isError"), false);
  EXPECT_EQ(executor_.prepares, 0);
  EXPECT_EQ(executor_.commits, 0);
}

TEST_F(McpServerTest, IrreversibleToolsBecomePendingActionsAndNeverRun) {
  initialize();
  json r = call("checkout", {{"merchant_id", 7}, {"deliver_to", "office"}});
  const json& result = r.at("result");
  EXPECT_EQ(result.at("isError"), false);
  const json& s = result.at("structuredContent");
  EXPECT_EQ(s.at("status"), "pending_confirmation");
  const json& action = s.at("action");
  EXPECT_EQ(action.at("status"), "pending");
  EXPECT_EQ(action.at("tool"), "checkout");
  EXPECT_EQ(action.at("summary"), "2 x Oat Latte, Luna Café -> Office; ¥41");
  EXPECT_EQ(action.at("hash"), content_hash(action.at("content")));
  const std::string text = result.at("content")[0].at("text").get<std::string>();
  EXPECT_EQ(text.rfind("NOT EXECUTED", 0), 0u) << text;
  EXPECT_NE(text.find(action.at("id").get<std::string>()), std::string::npos);
  EXPECT_EQ(executor_.prepares, 1);
  EXPECT_EQ(executor_.commits, 0);
  EXPECT_EQ(executor_.runs, 0);
  // Stored for the user, with no session; they can confirm it (not the MCP client).
  auto stored = actions_->get(conn_.user, action.at("id").get<std::string>());
  ASSERT_TRUE(stored.ok()) << stored.status().to_string();
  EXPECT_EQ(stored->status, ActionStatus::kPending);
  EXPECT_EQ(stored->session_id, "");
  EXPECT_EQ(stored->draft.arguments.at("deliver_to"), "office");
  // No MCP method confirms it.
  for (const char* method : {"actions/confirm", "tools/confirm", "confirm"}) {
    EXPECT_EQ(request(method, {{"id", action.at("id")}, {"hash", action.at("hash")}})
                  .at("error")
                  .at("code"),
              kJsonRpcMethodNotFound);
  }
  EXPECT_EQ(executor_.commits, 0);
  EXPECT_EQ(actions_->get(conn_.user, action.at("id").get<std::string>())->status,
            ActionStatus::kPending);
  // A prepare that fails is a tool error, and nothing is stored.
  r = call("cancel_order", {{"order_id", 5}});
  EXPECT_EQ(r.at("result").at("isError"), true);
  EXPECT_EQ(r.at("result").at("content")[0].at("text"),
            "Error (failed_precondition): order 5 was already accepted");
}

TEST_F(McpServerTest, InvalidArgumentsAreAProtocolErrorIn20250618) {
  initialize("2025-06-18");
  json r = call("add_to_cart", {{"quantity", 0}, {"user_id", 2}});
  ASSERT_TRUE(r.contains("error")) << r.dump();
  EXPECT_EQ(r.at("error").at("code"), kJsonRpcInvalidParams);
  EXPECT_EQ(r.at("error").at("message"),
            "Invalid arguments for tool add_to_cart: /quantity: 0 is less than the minimum 1; "
            "/user_id: unknown property (allowed: menu_item_id, options, quantity, variant_id)");
  EXPECT_EQ(executor_.runs, 0);
}

TEST_F(McpServerTest, InvalidArgumentsAreAToolErrorIn20251125) {
  initialize("2025-11-25");
  json r = call("checkout", {{"merchant_id", "seven"}});
  ASSERT_TRUE(r.contains("result")) << r.dump();
  EXPECT_EQ(r.at("result").at("isError"), true);
  EXPECT_EQ(r.at("result").at("content")[0].at("text"),
            "Error (invalid_argument): Invalid arguments for tool checkout: /merchant_id: "
            "expected an integer, got string \"seven\"");
  EXPECT_EQ(executor_.prepares, 0);
}

TEST_F(McpServerTest, ToolFailuresAreResultsWithIsError) {
  initialize();
  json r = call("get_order", {{"order_id", 9}});
  EXPECT_EQ(r.at("result").at("isError"), true);
  EXPECT_EQ(r.at("result").at("structuredContent").at("error").at("code"), "not_found");
  // Internal details are not shown.
  r = call("list_orders", json::object());
  EXPECT_EQ(r.at("result").at("isError"), true);
  EXPECT_EQ(r.at("result").at("content")[0].at("text").get<std::string>().find("secret"),
            std::string::npos);
}

TEST_F(McpServerTest, JsonRpcErrors) {
  initialize();
  EXPECT_EQ(request("resources/list").at("error").at("code"), kJsonRpcMethodNotFound);
  EXPECT_EQ(call("no_such_tool", json::object()).at("error").at("code"), kJsonRpcInvalidParams);
  EXPECT_EQ(request("tools/call", {{"arguments", json::object()}}).at("error").at("code"),
            kJsonRpcInvalidParams);
  EXPECT_EQ(call("get_wallet", json::array()).at("error").at("code"), kJsonRpcInvalidParams);
  auto text = [&](std::string_view t) {
    auto a = server_->handle_text(conn_, t);
    return a ? json::parse(*a) : json();
  };
  json r = text("{not json");
  EXPECT_EQ(r.at("error").at("code"), kJsonRpcParseError);
  EXPECT_TRUE(r.at("id").is_null());
  EXPECT_EQ(text(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])").at("error").at("code"),
            kJsonRpcInvalidRequest);
  EXPECT_EQ(text(R"("ping")").at("error").at("code"), kJsonRpcInvalidRequest);
  r = text(R"({"jsonrpc":"1.0","id":7,"method":"ping"})");
  EXPECT_EQ(r.at("error").at("code"), kJsonRpcInvalidRequest);
  EXPECT_EQ(r.at("id"), 7);
  EXPECT_EQ(text(R"({"jsonrpc":"2.0","id":null,"method":"ping"})").at("error").at("code"),
            kJsonRpcInvalidRequest);
  EXPECT_EQ(text(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})").at("error").at("code"),
            kJsonRpcInvalidRequest);
  EXPECT_EQ(text(R"({"jsonrpc":"2.0","id":1,"method":5})").at("error").at("code"),
            kJsonRpcInvalidRequest);
  EXPECT_EQ(
      text(R"({"jsonrpc":"2.0","id":"a","method":"ping","params":[1]})").at("error").at("code"),
      kJsonRpcInvalidParams);
  EXPECT_EQ(text(R"({"jsonrpc":"2.0","id":"a","method":"ping"})").at("id"), "a");
  // Notifications and responses get no answer.
  EXPECT_FALSE(server_->handle_text(
      conn_, R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}})"));
  EXPECT_FALSE(server_->handle_text(conn_, R"({"jsonrpc":"2.0","method":"tools/call"})"));
  EXPECT_FALSE(server_->handle_text(conn_, R"({"jsonrpc":"2.0","id":3,"result":{}})"));
  EXPECT_EQ(executor_.runs, 0);
}

TEST_F(McpServerTest, StdioLoopAnswersOneLinePerRequest) {
  std::istringstream in(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
      "\"2025-06-18\"}}\n"
      "\n"
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\r\n"
      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":"
      "\"get_wallet\"}}\n"
      "oops\n"
      "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}");
  std::ostringstream out;
  ASSERT_TRUE(serve_mcp_stdio(*server_, conn_, in, out).ok());
  std::istringstream lines(out.str());
  std::vector<json> answers;
  for (std::string line; std::getline(lines, line);) answers.push_back(json::parse(line));
  ASSERT_EQ(answers.size(), 4u) << out.str();
  EXPECT_EQ(answers[0].at("result").at("protocolVersion"), "2025-06-18");
  EXPECT_EQ(answers[1].at("id"), 2);
  EXPECT_EQ(answers[1].at("result").at("structuredContent").at("balance"), 12300);
  EXPECT_EQ(answers[2].at("error").at("code"), kJsonRpcParseError);
  EXPECT_EQ(answers[3].at("id"), 3);
  EXPECT_TRUE(conn_.initialized);
}

}  // namespace
}  // namespace qwl::agent
