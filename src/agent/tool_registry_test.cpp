// The tool registry: tools of several executors in order, calls dispatched to the owner of the
// name, duplicate names refused without a partial registration, and one tools array that
// compiles into the tool-call grammar.
#include "agent/tool_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/json_schema.h"

namespace qwl::agent {
namespace {

constexpr std::string_view kEmptySchema =
    R"({"type":"object","properties":{},"additionalProperties":false})";

// Answers every call with its own label and what it was asked, and counts the calls.
class FakeExecutor final : public ToolExecutor {
 public:
  FakeExecutor(std::string label, std::vector<ToolDef> defs)
      : label_(std::move(label)), defs_(std::move(defs)) {}

  std::vector<ToolDef> tools() const override { return defs_; }
  Result<ToolResult> run(const UserContext& user, std::string_view name,
                         const nlohmann::json& arguments) override {
    ++calls;
    return ToolResult{
        .result = {{"by", label_}, {"op", "run"}, {"name", name}, {"args", arguments}}};
  }
  Result<ActionDraft> prepare(const UserContext& user, std::string_view name,
                              const nlohmann::json& arguments) override {
    ++calls;
    return ActionDraft{.tool = std::string(name),
                       .arguments = arguments,
                       .content = {{"by", label_}},
                       .info = {},
                       .summary = label_};
  }
  Result<ToolResult> commit(const UserContext& user, const ActionDraft& draft,
                            std::string_view key) override {
    ++calls;
    return ToolResult{.result = {{"by", label_}, {"op", "commit"}, {"key", key}}};
  }

  std::atomic<int> calls{0};

 private:
  std::string label_;
  std::vector<ToolDef> defs_;
};

ToolDef def(std::string_view name, SideEffect effect = SideEffect::kRead) {
  return {.name = name,
          .description = "a tool",
          .parameters = kEmptySchema,
          .result = "x",
          .effect = effect};
}

TEST(ToolRegistryTest, ConcatenatesAndDispatchesByName) {
  FakeExecutor local("local", {def("a"), def("b", SideEffect::kIrreversible)});
  auto external = std::make_unique<FakeExecutor>("external", std::vector{def("w__c")});
  FakeExecutor* external_ptr = external.get();
  ToolRegistry registry;
  ASSERT_TRUE(registry.add(&local).ok());
  ASSERT_TRUE(registry.add(std::move(external)).ok());

  std::vector<ToolDef> tools = registry.tools();
  ASSERT_EQ(tools.size(), 3u);
  EXPECT_EQ(tools[0].name, "a");
  EXPECT_EQ(tools[1].name, "b");
  EXPECT_EQ(tools[2].name, "w__c");
  ASSERT_TRUE(registry.find("b").has_value());
  EXPECT_EQ(registry.find("b")->effect, SideEffect::kIrreversible);
  EXPECT_FALSE(registry.find("nope").has_value());

  UserContext user;
  auto ran = registry.run(user, "w__c", {{"x", 1}});
  ASSERT_TRUE(ran.ok()) << ran.status().to_string();
  EXPECT_EQ(ran->result["by"], "external");
  EXPECT_EQ(ran->result["args"]["x"], 1);
  EXPECT_EQ(external_ptr->calls, 1);

  auto draft = registry.prepare(user, "b", {{"y", 2}});
  ASSERT_TRUE(draft.ok());
  EXPECT_EQ(draft->content["by"], "local");
  auto committed = registry.commit(user, *draft, "key-1");
  ASSERT_TRUE(committed.ok());
  EXPECT_EQ(committed->result["by"], "local");
  EXPECT_EQ(committed->result["key"], "key-1");
  EXPECT_EQ(local.calls, 2);
}

TEST(ToolRegistryTest, UnknownNamesAreInvalidArgument) {
  ToolRegistry registry;
  FakeExecutor local("local", {def("a")});
  ASSERT_TRUE(registry.add(&local).ok());
  UserContext user;
  EXPECT_EQ(registry.run(user, "zz", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.prepare(user, "zz", {}).status().code(), StatusCode::kInvalidArgument);
  ActionDraft draft{.tool = "zz"};
  EXPECT_EQ(registry.commit(user, draft, "k").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(local.calls, 0);
}

TEST(ToolRegistryTest, DuplicateNamesAreRefusedWithoutPartialRegistration) {
  ToolRegistry registry;
  FakeExecutor first("first", {def("a"), def("b")});
  FakeExecutor clash("clash", {def("c"), def("b")});
  FakeExecutor twice("twice", {def("d"), def("d")});
  ASSERT_TRUE(registry.add(&first).ok());

  Status status = registry.add(&clash);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("'b'"), std::string::npos) << status.message();
  EXPECT_FALSE(registry.find("c").has_value()) << "nothing of a refused executor is added";

  EXPECT_EQ(registry.add(&twice).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(registry.find("d").has_value());
  EXPECT_EQ(registry.tools().size(), 2u);

  UserContext user;
  auto ran = registry.run(user, "b", {});
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(ran->result["by"], "first") << "the first owner keeps the name";
}

// The ecosystem's catalog plus an external tool: one tools array, one grammar.
TEST(ToolRegistryTest, ToolsJsonOfEverySourceCompilesIntoOneGrammar) {
  std::vector<ToolDef> ecosystem(ecosystem_tools().begin(), ecosystem_tools().end());
  FakeExecutor local("local", ecosystem);
  constexpr std::string_view kOrdered =
      R"({"type":"object","properties":{"zeta":{"type":"string"},"alpha":{"type":"integer"}},"required":["zeta","alpha"]})";
  FakeExecutor external("external", {{.name = "weather__lookup",
                                      .description = "d",
                                      .parameters = kOrdered,
                                      .result = "r",
                                      .effect = SideEffect::kWrite}});
  ToolRegistry registry;
  ASSERT_TRUE(registry.add(&local).ok());
  ASSERT_TRUE(registry.add(&external).ok());

  std::string text = registry.tools_json(/*annotate=*/true);
  nlohmann::ordered_json tools = nlohmann::ordered_json::parse(text);
  ASSERT_EQ(tools.size(), ecosystem.size() + 1);
  const auto& last = tools.back()["function"];
  EXPECT_EQ(last["name"], "weather__lookup");
  EXPECT_EQ(last["x-side-effect"], "write");
  // Property order survives: the grammar writes keys in the schema's order.
  EXPECT_EQ(last["parameters"]["properties"].begin().key(), "zeta");
  // The ecosystem's part reads exactly as tools.h writes it.
  nlohmann::ordered_json plain = nlohmann::ordered_json::parse(registry.tools_json());
  nlohmann::ordered_json catalog = nlohmann::ordered_json::parse(tools_json());
  for (size_t i = 0; i < catalog.size(); ++i) EXPECT_EQ(plain[i], catalog[i]) << i;
  EXPECT_FALSE(plain.back()["function"].contains("x-side-effect"));

  auto grammar = tool_call_grammar(registry.tools_json(), std::nullopt, /*parallel=*/true);
  EXPECT_TRUE(grammar.ok()) << grammar.status().to_string();
}

TEST(ToolRegistryTest, ConcurrentAddsAndCalls) {
  ToolRegistry registry;
  FakeExecutor base("base", {def("a")});
  ASSERT_TRUE(registry.add(&base).ok());
  std::vector<std::string> names;
  for (int i = 0; i < 50; ++i) names.push_back("t" + std::to_string(i));
  std::vector<std::unique_ptr<FakeExecutor>> extra;
  for (const std::string& name : names) {
    extra.push_back(std::make_unique<FakeExecutor>(name, std::vector{def(name)}));
  }
  std::thread adder([&] {
    for (auto& executor : extra) ASSERT_TRUE(registry.add(executor.get()).ok());
  });
  std::thread caller([&] {
    UserContext user;
    for (int i = 0; i < 2000; ++i) ASSERT_TRUE(registry.run(user, "a", {}).ok());
  });
  adder.join();
  caller.join();
  EXPECT_EQ(registry.tools().size(), 51u);
  EXPECT_EQ(base.calls, 2000);
}

}  // namespace
}  // namespace qwl::agent
