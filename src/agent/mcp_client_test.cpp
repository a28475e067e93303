// The MCP client against real processes: a hand-written stdio server that misbehaves on purpose
// (tests/mcp/client_fake_server.mjs) and a server built on the official TypeScript SDK
// (tests/mcp/client_fixture_server.mjs) over stdio and over Streamable HTTP, in both answer
// styles (SSE streams and JSON bodies). Also the config file's parser and errors, and the
// annotations -> side effect rule. Tests that need node skip without it; the SDK comes from the
// repository's package.json (`npm ci` at the root).
#include "agent/mcp_client.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace qwl::agent {
namespace {

using std::chrono::milliseconds;
using json = nlohmann::json;

const std::string kNode = QWL_NODE_PATH;
const std::string kFixtures = QWL_MCP_FIXTURES;

#define REQUIRE_NODE()                                                     \
  do {                                                                     \
    if (kNode.empty()) GTEST_SKIP() << "node not found at configure time"; \
  } while (0)

// The SDK fixture needs the root package.json's dependencies installed.
#define REQUIRE_SDK()                                                                     \
  do {                                                                                    \
    REQUIRE_NODE();                                                                       \
    ASSERT_TRUE(std::filesystem::exists(std::string(QWL_SOURCE_DIR) +                     \
                                        "/node_modules/@modelcontextprotocol/sdk"))       \
        << "@modelcontextprotocol/sdk is not installed: run `npm ci` in " QWL_SOURCE_DIR; \
  } while (0)

McpServerConfig fake_server(std::vector<std::string> extra_args = {},
                            milliseconds timeout = milliseconds(10000)) {
  McpServerConfig config;
  config.name = "fake";
  config.command = kNode;
  config.args = {kFixtures + "/client_fake_server.mjs"};
  config.args.insert(config.args.end(), extra_args.begin(), extra_args.end());
  config.timeout = timeout;
  return config;
}

McpServerConfig sdk_stdio_server(milliseconds timeout = milliseconds(10000)) {
  McpServerConfig config;
  config.name = "sdk";
  config.command = kNode;
  config.args = {kFixtures + "/client_fixture_server.mjs"};
  config.timeout = timeout;
  return config;
}

std::vector<std::string> names(const std::vector<ToolDef>& tools) {
  std::vector<std::string> out;
  for (const ToolDef& tool : tools) out.emplace_back(tool.name);
  return out;
}

const ToolDef* find_def(const std::vector<ToolDef>& tools, std::string_view name) {
  for (const ToolDef& tool : tools) {
    if (tool.name == name) return &tool;
  }
  return nullptr;
}

std::unique_ptr<McpToolExecutor> connect_or_die(const McpServerConfig& config,
                                                const McpClientOptions& options = {}) {
  auto executor = McpToolExecutor::connect(config, options);
  EXPECT_TRUE(executor.ok()) << executor.status().to_string();
  return executor.ok() ? std::move(executor).value() : nullptr;
}

// ---- config -------------------------------------------------------------------------------

TEST(McpConfigTest, ParsesStdioAndHttpServers) {
  ASSERT_EQ(setenv("QWL_MCP_TEST_TOKEN", "s3cret", 1), 0);
  auto config = parse_mcp_config(R"({"servers": {
    "maps2": {"command": "node", "args": ["x.mjs", "--flag"], "env": {"A": "1", "B": "${QWL_MCP_TEST_TOKEN}"},
              "cwd": "/tmp"},
    "weather": {"url": "http://127.0.0.1:9000/mcp", "type": "http", "timeout_ms": 1500,
                "headers": {"Authorization": "Bearer ${QWL_MCP_TEST_TOKEN}", "X-Extra": "$x{y}"}}}})",
                                 "mcp.json");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  ASSERT_EQ(config->servers.size(), 2u);
  const McpServerConfig& maps = config->servers[0];
  EXPECT_EQ(maps.name, "maps2");
  EXPECT_TRUE(maps.is_stdio());
  EXPECT_EQ(maps.command, "node");
  EXPECT_EQ(maps.args, (std::vector<std::string>{"x.mjs", "--flag"}));
  ASSERT_EQ(maps.env.size(), 2u);
  EXPECT_EQ(maps.env[1], (std::pair<std::string, std::string>{"B", "s3cret"}));
  EXPECT_EQ(maps.cwd, "/tmp");
  EXPECT_EQ(maps.timeout, milliseconds(30000));
  const McpServerConfig& weather = config->servers[1];
  EXPECT_FALSE(weather.is_stdio());
  EXPECT_EQ(weather.url, "http://127.0.0.1:9000/mcp");
  EXPECT_EQ(weather.timeout, milliseconds(1500));
  ASSERT_EQ(weather.headers.size(), 2u);
  EXPECT_EQ(weather.headers[0].second, "Bearer s3cret");
  EXPECT_EQ(weather.headers[1].second, "$x{y}");

  auto alias = parse_mcp_config(R"({"mcpServers": {"a": {"command": "x"}}})", "claude.json");
  ASSERT_TRUE(alias.ok()) << alias.status().to_string();
  EXPECT_EQ(alias->servers.size(), 1u);
  auto empty = parse_mcp_config(R"({"servers": {}})", "mcp.json");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->servers.empty());
}

TEST(McpConfigTest, BadConfigsNameTheFileAndTheField) {
  unsetenv("QWL_MCP_TEST_UNSET");
  struct Case {
    const char* text;
    const char* message;  // expected after "mcp.json: "
  };
  const Case cases[] = {
      {"{", "not valid JSON"},
      {"[]", "expected a JSON object"},
      {"{}", "servers: missing"},
      {R"({"servers": {}, "extra": 1})", "extra: unknown field"},
      {R"({"servers": [], "mcpServers": {}})", "mcpServers: both"},
      {R"({"servers": []})", "servers: expected an object of servers"},
      {R"({"servers": {"a": 1}})", "servers.a: expected an object"},
      {R"({"servers": {"a.b": {"command": "x"}}})", "servers.a.b: a server name is 1 to 32"},
      {R"({"servers": {"a": {}}})", "servers.a: needs \"command\" (stdio) or \"url\" (HTTP)"},
      {R"({"servers": {"a": {"command": "x", "url": "http://h"}}})",
       "servers.a: has both \"command\" and \"url\""},
      {R"({"servers": {"a": {"command": ""}}})", "servers.a.command: must not be empty"},
      {R"({"servers": {"a": {"command": 3}}})", "servers.a.command: expected a string"},
      {R"({"servers": {"a": {"command": "x", "args": "y"}}})",
       "servers.a.args: expected an array of strings"},
      {R"({"servers": {"a": {"command": "x", "args": ["y", 2]}}})",
       "servers.a.args[1]: expected a string"},
      {R"({"servers": {"a": {"command": "x", "env": {"K": 1}}}})",
       "servers.a.env.K: expected a string"},
      {R"({"servers": {"a": {"command": "x", "env": {"K": "${QWL_MCP_TEST_UNSET}"}}}})",
       "servers.a.env.K: the environment variable QWL_MCP_TEST_UNSET is not set"},
      {R"({"servers": {"a": {"command": "x", "env": {"K": "${oops"}}}})",
       "servers.a.env.K: '${' without a closing '}'"},
      {R"({"servers": {"a": {"url": "ftp://h/mcp"}}})",
       "servers.a.url: expected an http:// or https:// URL"},
      {R"({"servers": {"a": {"url": "http://h", "headers": {"X": "a\nb"}}}})",
       "servers.a.headers.X: a header value must not contain a line break"},
      {R"({"servers": {"a": {"url": "http://h", "headers": {"Bad Name": "v"}}}})",
       "servers.a.headers.Bad Name: not an HTTP header name"},
      {R"({"servers": {"a": {"url": "http://h", "headers": {"Mcp-Session-Id": "v"}}}})",
       "servers.a.headers.Mcp-Session-Id: set by the client itself"},
      {R"({"servers": {"a": {"url": "http://h", "args": ["x"]}}})",
       "servers.a.args: only for a stdio server"},
      {R"({"servers": {"a": {"command": "x", "headers": {}}}})",
       "servers.a.headers: only for an HTTP server"},
      {R"({"servers": {"a": {"command": "x", "timeout_ms": 0}}})",
       "servers.a.timeout_ms: expected an integer from 1 to 3600000"},
      {R"({"servers": {"a": {"command": "x", "timeout_ms": "5"}}})",
       "servers.a.timeout_ms: expected an integer"},
      {R"({"servers": {"a": {"command": "x", "type": "http"}}})",
       "servers.a.type: \"http\" does not match command"},
      {R"({"servers": {"a": {"command": "x", "type": "sse"}}})",
       "servers.a.type: expected \"stdio\" or \"http\""},
      {R"({"servers": {"a": {"command": "x", "comand": "y"}}})", "servers.a.comand: unknown field"},
  };
  for (const Case& c : cases) {
    auto config = parse_mcp_config(c.text, "mcp.json");
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument) << c.text;
    const std::string expected = std::string("mcp.json: ") + c.message;
    EXPECT_EQ(config.status().message().substr(0, expected.size()), expected)
        << c.text << "\n  got: " << config.status().message();
  }
}

TEST(McpConfigTest, LoadsAFileAndNamesAMissingOne) {
  auto missing = load_mcp_config("/nonexistent/mcp.json");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/mcp.json"), std::string::npos);

  std::string path = ::testing::TempDir() + "/qwl_mcp_config_test.json";
  {
    std::ofstream file(path);
    file << R"({"servers": {"w": {"url": "https://example.org/mcp", "extra": true}}})";
  }
  auto bad = load_mcp_config(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().substr(0, path.size() + 20), path + ": servers.w.extra: u");
  {
    std::ofstream file(path);
    file << R"({"servers": {"w": {"url": "https://example.org/mcp"}}})";
  }
  auto good = load_mcp_config(path);
  ASSERT_TRUE(good.ok()) << good.status().to_string();
  EXPECT_EQ(good->servers[0].url, "https://example.org/mcp");
  std::filesystem::remove(path);
}

TEST(McpSideEffectTest, AnnotationsDecideWhatNeedsConfirmation) {
  EXPECT_EQ(mcp_side_effect(json()), SideEffect::kIrreversible) << "MCP's defaults: destructive";
  EXPECT_EQ(mcp_side_effect(json::object()), SideEffect::kIrreversible);
  EXPECT_EQ(mcp_side_effect({{"readOnlyHint", true}}), SideEffect::kRead);
  EXPECT_EQ(mcp_side_effect({{"readOnlyHint", true}, {"destructiveHint", true}}),
            SideEffect::kRead);
  EXPECT_EQ(mcp_side_effect({{"readOnlyHint", false}, {"destructiveHint", false}}),
            SideEffect::kWrite);
  EXPECT_EQ(mcp_side_effect({{"destructiveHint", false}}), SideEffect::kWrite);
  EXPECT_EQ(mcp_side_effect({{"readOnlyHint", false}}), SideEffect::kIrreversible);
  EXPECT_EQ(mcp_side_effect({{"readOnlyHint", false}, {"destructiveHint", true}}),
            SideEffect::kIrreversible);
  EXPECT_EQ(mcp_side_effect({{"idempotentHint", true}}), SideEffect::kIrreversible);
  // Hints that are not booleans count as absent: "true" as a string is no promise.
  EXPECT_EQ(mcp_side_effect({{"readOnlyHint", "true"}}), SideEffect::kIrreversible);
  EXPECT_EQ(mcp_side_effect({{"destructiveHint", 0}}), SideEffect::kIrreversible);
}

// ---- the hand-written stdio server --------------------------------------------------------

TEST(McpStdioTest, ListsEveryPageNamespacedAndSkipsToolsItCannotOffer) {
  REQUIRE_NODE();
  auto mcp = connect_or_die(fake_server());
  ASSERT_NE(mcp, nullptr);
  EXPECT_EQ(mcp->server_name(), "fake");
  EXPECT_EQ(mcp->protocol_version(), "2025-11-25");
  std::vector<ToolDef> tools = mcp->tools();
  // Skipped: bad_schema (patternProperties), bad.name, the 60-x name (64 chars are the
  // limit with "fake__"), the second echo.
  EXPECT_EQ(names(tools),
            (std::vector<std::string>{"fake__echo", "fake__big", "fake__note", "fake__parts",
                                      "fake__ping_me", "fake__notify", "fake__silent", "fake__die",
                                      "fake__counter", "fake__pid"}));
  const ToolDef* echo = find_def(tools, "fake__echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(echo->description, "Echoes its arguments.") << "the first of two is kept";
  EXPECT_EQ(echo->effect, SideEffect::kRead);
  // The schema is passed on with its keys in the server's order.
  EXPECT_EQ(echo->parameters,
            R"({"type":"object","properties":{"text":{"type":"string"},"n":{"type":"integer"}},)"
            R"("required":["text"],"additionalProperties":false})");
  EXPECT_EQ(find_def(tools, "fake__note")->effect, SideEffect::kWrite);
  EXPECT_EQ(find_def(tools, "fake__counter")->effect, SideEffect::kIrreversible);
}

TEST(McpStdioTest, RunReturnsTextAndStructuredContent) {
  REQUIRE_NODE();
  auto mcp = connect_or_die(fake_server());
  ASSERT_NE(mcp, nullptr);
  UserContext user;
  auto echo = mcp->run(user, "fake__echo", {{"text", "hi \"there\""}, {"n", 2}});
  ASSERT_TRUE(echo.ok()) << echo.status().to_string();
  EXPECT_EQ(echo->result["server"], "fake");
  EXPECT_EQ(echo->result["tool"], "echo");
  EXPECT_EQ(echo->result["text"], "echo: hi \"there\"");
  EXPECT_EQ(echo->result["structured"], (json{{"text", "hi \"there\""}, {"n", 2}}));
  EXPECT_FALSE(echo->result.contains("truncated"));

  auto parts = mcp->run(user, "fake__parts", json::object());
  ASSERT_TRUE(parts.ok()) << parts.status().to_string();
  EXPECT_EQ(parts->result["text"], "first\n[image image/png omitted]\nfrom a resource\nlast");

  auto note = mcp->run(user, "fake__note", {{"text", "buy milk"}});
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(note->result["text"], "noted: buy milk");

  EXPECT_EQ(mcp->run(user, "fake__nope", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(mcp->run(user, "echo", {}).status().code(), StatusCode::kInvalidArgument)
      << "only the namespaced name is ours";
}

TEST(McpStdioTest, ResultsAreCutTo16KiB) {
  REQUIRE_NODE();
  auto mcp = connect_or_die(fake_server());
  ASSERT_NE(mcp, nullptr);
  UserContext user;
  auto big = mcp->run(user, "fake__big", json::object());
  ASSERT_TRUE(big.ok()) << big.status().to_string();
  EXPECT_LE(big->result.dump().size(), 16u * 1024);
  EXPECT_GT(big->result.dump().size(), 15u * 1024);
  EXPECT_EQ(big->result["truncated"], true);
  EXPECT_EQ(big->result["text"].get<std::string>().substr(0, 20), "0123456789abcdef0123");

  // Structured content goes first; the text is cut on a character boundary.
  std::string long_text;
  for (int i = 0; i < 12000; ++i) long_text += "é";
  auto echo = mcp->run(user, "fake__echo", {{"text", long_text}});
  ASSERT_TRUE(echo.ok()) << echo.status().to_string();
  EXPECT_FALSE(echo->result.contains("structured"));
  EXPECT_EQ(echo->result["truncated"], true);
  std::string dumped;
  EXPECT_NO_THROW(dumped = echo->result.dump()) << "the cut kept UTF-8 whole";
  EXPECT_LE(dumped.size(), 16u * 1024);
}

TEST(McpStdioTest, AnswersTheServersPingAndLetsNotificationsPass) {
  REQUIRE_NODE();
  auto mcp = connect_or_die(fake_server());
  ASSERT_NE(mcp, nullptr);
  UserContext user;
  auto ping = mcp->run(user, "fake__ping_me", json::object());
  ASSERT_TRUE(ping.ok()) << ping.status().to_string();
  EXPECT_EQ(ping->result["text"], "pong received");
  auto notify = mcp->run(user, "fake__notify", json::object());
  ASSERT_TRUE(notify.ok()) << notify.status().to_string();
  EXPECT_EQ(notify->result["text"], "notified");
}

TEST(McpStdioTest, ARequestTimesOutAndTheConnectionStaysUsable) {
  REQUIRE_NODE();
  auto mcp = connect_or_die(fake_server({}, milliseconds(1000)));
  ASSERT_NE(mcp, nullptr);
  UserContext user;
  auto start = std::chrono::steady_clock::now();
  auto silent = mcp->run(user, "fake__silent", json::object());
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(silent.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(silent.status().message().find("no answer within 1000 ms"), std::string::npos)
      << silent.status().message();
  EXPECT_LT(elapsed, std::chrono::seconds(4));
  auto echo = mcp->run(user, "fake__echo", {{"text", "still here"}});
  ASSERT_TRUE(echo.ok()) << echo.status().to_string();
  EXPECT_EQ(echo->result["text"], "echo: still here");
}

TEST(McpStdioTest, AServerThatExitsMidCallIsUnavailableNotAHang) {
  REQUIRE_NODE();
  auto mcp = connect_or_die(fake_server());  // 10 s timeout: the exit must end the wait
  ASSERT_NE(mcp, nullptr);
  UserContext user;
  auto start = std::chrono::steady_clock::now();
  auto died = mcp->run(user, "fake__die", json::object());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(died.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(died.status().message().find("mcp server 'fake'"), std::string::npos);
  EXPECT_NE(died.status().message().find("exited with status 7"), std::string::npos)
      << died.status().message();
  auto after = mcp->run(user, "fake__echo", {{"text", "x"}});
  EXPECT_EQ(after.status().code(), StatusCode::kUnavailable);
}

TEST(McpStdioTest, ConcurrentCallsGetTheirOwnAnswers) {
  REQUIRE_NODE();
  auto mcp = connect_or_die(fake_server());
  ASSERT_NE(mcp, nullptr);
  std::atomic<int> right{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      UserContext user;
      for (int i = 0; i < 20; ++i) {
        std::string text = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto echo = mcp->run(user, "fake__echo", {{"text", text}});
        if (echo.ok() && echo->result["text"] == "echo: " + text) ++right;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(right, 160);
}

TEST(McpStdioTest, ProtocolVersions) {
  REQUIRE_NODE();
  auto old = connect_or_die(fake_server({"--version", "2025-06-18"}));
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->protocol_version(), "2025-06-18");

  auto ancient = McpToolExecutor::connect(fake_server({"--version", "2024-11-05"}));
  ASSERT_FALSE(ancient.ok());
  EXPECT_EQ(ancient.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(ancient.status().message().find("2024-11-05"), std::string::npos)
      << ancient.status().message();
}

TEST(McpStdioTest, AServerThatCannotStartIsAnError) {
  REQUIRE_NODE();
  auto exits = McpToolExecutor::connect(fake_server({"--exit-at-start"}));
  ASSERT_FALSE(exits.ok());
  EXPECT_EQ(exits.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(exits.status().message().find("exited with status 5"), std::string::npos)
      << exits.status().message();

  McpServerConfig missing = fake_server();
  missing.command = "/nonexistent/qwl-mcp-server";
  auto not_found = McpToolExecutor::connect(missing);
  ASSERT_FALSE(not_found.ok());
  EXPECT_EQ(not_found.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(not_found.status().message().find("cannot start '/nonexistent/qwl-mcp-server'"),
            std::string::npos)
      << not_found.status().message();
}

TEST(McpStdioTest, ShutdownKillsAServerThatIgnoresEofAndSigterm) {
  REQUIRE_NODE();
  McpClientOptions options;
  options.shutdown_grace = milliseconds(150);
  auto mcp = connect_or_die(fake_server({"--stubborn"}), options);
  ASSERT_NE(mcp, nullptr);
  UserContext user;
  auto pid_result = mcp->run(user, "fake__pid", json::object());
  ASSERT_TRUE(pid_result.ok()) << pid_result.status().to_string();
  pid_t pid = std::stoi(pid_result->result["text"].get<std::string>());
  ASSERT_EQ(::kill(pid, 0), 0);
  auto start = std::chrono::steady_clock::now();
  mcp.reset();
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, milliseconds(300)) << "EOF and SIGTERM each had their grace period";
  EXPECT_LT(elapsed, std::chrono::seconds(6));
  EXPECT_EQ(::kill(pid, 0), -1) << "killed and reaped: no zombie left";
  EXPECT_EQ(errno, ESRCH);
}

TEST(McpStdioTest, IrreversibleToolsArePreparedAndCommittedOncePerKey) {
  REQUIRE_NODE();
  auto mcp = connect_or_die(fake_server());
  ASSERT_NE(mcp, nullptr);
  UserContext user;
  user.actor.user_id = 7;
  EXPECT_EQ(mcp->run(user, "fake__counter", {{"amount", 5}}).status().code(),
            StatusCode::kInvalidArgument)
      << "the model cannot run an irreversible tool";
  EXPECT_EQ(mcp->prepare(user, "fake__echo", {{"text", "x"}}).status().code(),
            StatusCode::kInvalidArgument);

  auto draft = mcp->prepare(user, "fake__counter", {{"amount", 5}});
  ASSERT_TRUE(draft.ok()) << draft.status().to_string();
  EXPECT_EQ(draft->tool, "fake__counter");
  EXPECT_EQ(draft->content,
            (json{{"server", "fake"}, {"tool", "counter"}, {"arguments", {{"amount", 5}}}}));
  EXPECT_EQ(draft->summary, R"(counter on the external MCP server 'fake' with {"amount":5})");
  UserContext zh = user;
  zh.language = "zh";
  EXPECT_NE(mcp->prepare(zh, "fake__counter", {{"amount", 5}})->summary.find("外部 MCP 服务器"),
            std::string::npos);

  auto first = mcp->commit(user, *draft, "agent-action-1");
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  json first_text = json::parse(first->result["text"].get<std::string>());
  EXPECT_EQ(first_text["calls"], 1);
  EXPECT_EQ(first_text["amount"], 5);
  EXPECT_EQ(first_text["meta"]["qwenlayer/idempotency-key"], "agent-action-1");

  auto again = mcp->commit(user, *draft, "agent-action-1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->result, first->result) << "the same key returns the first result";

  // Concurrent confirms of one action: one call.
  std::vector<std::thread> threads;
  std::vector<json> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = mcp->commit(user, *draft, "agent-action-2");
      if (r.ok()) results[i] = r->result;
    });
  }
  for (auto& thread : threads) thread.join();
  for (const json& r : results) EXPECT_EQ(r, results[0]);
  EXPECT_EQ(json::parse(results[0]["text"].get<std::string>())["calls"], 2);

  // The key belongs to its user.
  UserContext other = user;
  other.actor.user_id = 8;
  auto others = mcp->commit(other, *draft, "agent-action-1");
  ASSERT_TRUE(others.ok());
  EXPECT_EQ(json::parse(others->result["text"].get<std::string>())["calls"], 3);

  // A draft whose bound content does not match what would be sent is refused.
  ActionDraft tampered = *draft;
  tampered.arguments = {{"amount", 500}};
  EXPECT_EQ(mcp->commit(user, tampered, "agent-action-3").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(mcp->commit(user, *draft, "").status().code(), StatusCode::kInvalidArgument);
}

TEST(McpStdioTest, ConnectServersLeavesOutTheOnesThatFail) {
  REQUIRE_NODE();
  McpConfig config;
  config.servers.push_back(fake_server());
  McpServerConfig broken = fake_server({"--exit-at-start"});
  broken.name = "broken";
  config.servers.push_back(broken);
  std::vector<Status> failures;
  auto executors = connect_mcp_servers(config, {}, &failures);
  ASSERT_EQ(executors.size(), 1u);
  EXPECT_EQ(executors[0]->server_name(), "fake");
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].message().find("mcp server 'broken'"), std::string::npos);
}

// ---- the official SDK over stdio -----------------------------------------------------------

TEST(McpSdkStdioTest, ToolsSideEffectsAndResults) {
  REQUIRE_SDK();
  auto mcp = connect_or_die(sdk_stdio_server(milliseconds(1000)));
  ASSERT_NE(mcp, nullptr);
  EXPECT_EQ(mcp->protocol_version(), "2025-11-25");
  std::vector<ToolDef> tools = mcp->tools();
  EXPECT_EQ(names(tools), (std::vector<std::string>{
                              "sdk__lookup", "sdk__save_note", "sdk__send_money",
                              "sdk__delete_everything", "sdk__transfers", "sdk__fail", "sdk__sleep",
                              "sdk__crash", "sdk__headers", "sdk__forget_session"}));
  EXPECT_EQ(find_def(tools, "sdk__lookup")->effect, SideEffect::kRead);
  EXPECT_EQ(find_def(tools, "sdk__save_note")->effect, SideEffect::kWrite);
  EXPECT_EQ(find_def(tools, "sdk__send_money")->effect, SideEffect::kIrreversible)
      << "no annotations: MCP's defaults say destructive";
  EXPECT_EQ(find_def(tools, "sdk__delete_everything")->effect, SideEffect::kIrreversible);
  EXPECT_EQ(find_def(tools, "sdk__lookup")->description, "The weather in a city.");

  UserContext user;
  auto lookup = mcp->run(user, "sdk__lookup", {{"city", "Paris"}});
  ASSERT_TRUE(lookup.ok()) << lookup.status().to_string();
  EXPECT_EQ(lookup->result["text"], "Paris: sunny, 21°C");
  EXPECT_EQ(lookup->result["structured"], (json{{"city", "Paris"}, {"temp_c", 21}}));

  auto fail = mcp->run(user, "sdk__fail", json::object());
  EXPECT_EQ(fail.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(fail.status().message().find("the fixture failed on purpose"), std::string::npos)
      << fail.status().message();

  EXPECT_FALSE(mcp->run(user, "sdk__lookup", {{"city", 3}}).ok()) << "the server validates";

  auto slow = mcp->run(user, "sdk__sleep", {{"ms", 8000}});
  EXPECT_EQ(slow.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(slow.status().message().find("no answer within 1000 ms"), std::string::npos);

  auto crash = mcp->run(user, "sdk__crash", json::object());
  EXPECT_EQ(crash.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(crash.status().message().find("exited with status 3"), std::string::npos)
      << crash.status().message();
}

// ---- Streamable HTTP -----------------------------------------------------------------------

// A fixture started with --http 0 (the SDK's by default); it prints the URL it listens on.
class HttpFixture {
 public:
  explicit HttpFixture(std::vector<std::string> extra_args = {},
                       const std::string& script = "client_fixture_server.mjs") {
    int out[2];
    if (pipe(out) != 0) return;
    std::vector<std::string> args = {kNode, kFixtures + "/" + script, "--http", "0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    int rc = posix_spawn(&pid_, kNode.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (rc != 0) {
      pid_ = -1;
      ::close(out[0]);
      return;
    }
    std::string line;
    char c;
    pollfd pfd{.fd = out[0], .events = POLLIN, .revents = 0};
    while (::poll(&pfd, 1, 15000) > 0 && ::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    json hello = json::parse(line, nullptr, false);
    if (hello.is_object() && hello.contains("url")) url_ = hello["url"];
  }
  ~HttpFixture() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  std::string url_;
};

McpServerConfig http_server(const std::string& url, milliseconds timeout = milliseconds(10000)) {
  McpServerConfig config;
  config.name = "web";
  config.url = url;
  config.timeout = timeout;
  config.headers = {{"Authorization", "Bearer secret"}, {"X-Extra", "yes"}};
  return config;
}

class McpSdkHttpTest : public ::testing::TestWithParam<std::string> {};

TEST_P(McpSdkHttpTest, SessionHeadersToolsAndConfirmation) {
  REQUIRE_SDK();
  HttpFixture fixture({"--token", "secret"});
  ASSERT_FALSE(fixture.url().empty()) << "the fixture did not start";
  auto mcp = connect_or_die(http_server(fixture.url() + GetParam()));
  ASSERT_NE(mcp, nullptr);
  EXPECT_EQ(mcp->protocol_version(), "2025-11-25");
  EXPECT_EQ(mcp->tools().size(), 10u);
  EXPECT_EQ(find_def(mcp->tools(), "web__send_money")->effect, SideEffect::kIrreversible);

  UserContext user;
  auto headers = mcp->run(user, "web__headers", json::object());
  ASSERT_TRUE(headers.ok()) << headers.status().to_string();
  json seen = json::parse(headers->result["text"].get<std::string>());
  EXPECT_EQ(seen["mcp-protocol-version"], "2025-11-25");
  EXPECT_TRUE(seen["mcp-session-id"].is_string()) << seen.dump();
  EXPECT_EQ(seen["authorization"], "Bearer secret");
  EXPECT_EQ(seen["x-extra"], "yes");

  auto lookup = mcp->run(user, "web__lookup", {{"city", "Chengdu"}});
  ASSERT_TRUE(lookup.ok()) << lookup.status().to_string();
  EXPECT_EQ(lookup->result["text"], "Chengdu: sunny, 21°C");
  EXPECT_EQ(lookup->result["structured"]["temp_c"], 21);

  auto draft = mcp->prepare(user, "web__send_money", {{"to", "bob"}, {"amount_fen", 4100}});
  ASSERT_TRUE(draft.ok()) << draft.status().to_string();
  auto sent = mcp->commit(user, *draft, "agent-action-9");
  ASSERT_TRUE(sent.ok()) << sent.status().to_string();
  EXPECT_EQ(sent->result["text"], "sent 4100 fen to bob (transfer #1)");
  auto again = mcp->commit(user, *draft, "agent-action-9");
  ASSERT_TRUE(again.ok());
  auto count = mcp->run(user, "web__transfers", json::object());
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->result["text"], "1") << "the server saw one transfer";

  // The server forgets the session (a restart): the next request starts a new one.
  ASSERT_TRUE(mcp->run(user, "web__forget_session", json::object()).ok());
  auto after = mcp->run(user, "web__headers", json::object());
  ASSERT_TRUE(after.ok()) << after.status().to_string();
  json seen_after = json::parse(after->result["text"].get<std::string>());
  EXPECT_TRUE(seen_after["mcp-session-id"].is_string());
  EXPECT_NE(seen_after["mcp-session-id"], seen["mcp-session-id"]);
}

TEST_P(McpSdkHttpTest, ARequestTimesOut) {
  REQUIRE_SDK();
  HttpFixture fixture;
  ASSERT_FALSE(fixture.url().empty());
  auto mcp = connect_or_die(http_server(fixture.url() + GetParam(), milliseconds(1000)));
  ASSERT_NE(mcp, nullptr);
  UserContext user;
  auto start = std::chrono::steady_clock::now();
  auto slow = mcp->run(user, "web__sleep", {{"ms", 8000}});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(slow.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(slow.status().message().find("no answer within 1000 ms"), std::string::npos)
      << slow.status().message();
  auto quick = mcp->run(user, "web__sleep", {{"ms", 1}});
  ASSERT_TRUE(quick.ok()) << quick.status().to_string();
  EXPECT_EQ(quick->result["text"], "slept 1 ms");
}

// "/mcp" answers with SSE streams, "/mcp-json" with JSON bodies.
INSTANTIATE_TEST_SUITE_P(AnswerStyles, McpSdkHttpTest, ::testing::Values("/mcp", "/mcp-json"),
                         [](const auto& info) {
                           return std::string(info.param == "/mcp" ? "Sse" : "Json");
                         });

TEST(McpHttpTest, WrongCredentialsAndNoServer) {
  REQUIRE_SDK();
  HttpFixture fixture({"--token", "right"});
  ASSERT_FALSE(fixture.url().empty());
  auto wrong = McpToolExecutor::connect(http_server(fixture.url() + "/mcp"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(wrong.status().message().find("mcp server 'web': initialize: HTTP 401"),
            std::string::npos)
      << wrong.status().message();

  // A port nobody listens on (the fixture's, once it is gone).
  std::string url;
  {
    HttpFixture gone;
    url = gone.url();
  }
  ASSERT_FALSE(url.empty());
  auto refused = McpToolExecutor::connect(http_server(url + "/mcp", milliseconds(2000)));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
}

// The hand-written server over HTTP: no sessions, SSE written with CRLF, comments, a priming
// event and a response over two data lines, and a stream that stays open after the response.
TEST(McpHttpTest, AnSseStreamLeftOpenAfterTheResponse) {
  REQUIRE_NODE();
  HttpFixture fixture({}, "client_fake_server.mjs");
  ASSERT_FALSE(fixture.url().empty()) << "the fixture did not start";
  McpServerConfig config = http_server(fixture.url(), milliseconds(10000));
  config.name = "fake";
  auto mcp = connect_or_die(config);
  ASSERT_NE(mcp, nullptr);
  EXPECT_EQ(mcp->tools().size(), 10u) << "three pages over HTTP";

  UserContext user;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    auto echo = mcp->run(user, "fake__echo", {{"text", "open " + std::to_string(i)}});
    ASSERT_TRUE(echo.ok()) << echo.status().to_string();
    EXPECT_EQ(echo->result["text"], "echo: open " + std::to_string(i));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5))
      << "an open stream must not hold a call until the timeout";

  auto died = mcp->run(user, "fake__die", json::object());
  EXPECT_EQ(died.status().code(), StatusCode::kUnavailable) << died.status().to_string();
}

}  // namespace
}  // namespace qwl::agent
