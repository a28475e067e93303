// The tool catalog: unique names, strict schemas that compile into the tool-call grammar, and
// the side-effect classes that decide what needs the user's confirmation.
#include "agent/tools.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "runtime/json_schema.h"

namespace qwl::agent {
namespace {

TEST(ToolsTest, NamesAreUniqueAndSchemasAreStrictObjects) {
  std::set<std::string_view> names;
  for (const ToolDef& tool : ecosystem_tools()) {
    EXPECT_TRUE(names.insert(tool.name).second) << tool.name;
    EXPECT_FALSE(tool.description.empty()) << tool.name;
    EXPECT_FALSE(tool.result.empty()) << tool.name;
    nlohmann::json schema = nlohmann::json::parse(tool.parameters, nullptr, false);
    ASSERT_FALSE(schema.is_discarded()) << tool.name << ": parameters are not JSON";
    EXPECT_EQ(schema["type"], "object") << tool.name;
    EXPECT_EQ(schema["additionalProperties"], false) << tool.name;
    for (const auto& required : schema.value("required", nlohmann::json::array())) {
      EXPECT_TRUE(schema["properties"].contains(required)) << tool.name << ": " << required;
    }
    auto grammar = json_schema_grammar(tool.parameters);
    EXPECT_TRUE(grammar.ok()) << tool.name << ": " << grammar.status().to_string();
    EXPECT_EQ(find_tool(tool.name), &tool);
  }
  EXPECT_EQ(find_tool("no_such_tool"), nullptr);
}

TEST(ToolsTest, EveryToolCompilesIntoOneToolCallGrammar) {
  auto grammar = tool_call_grammar(tools_json(), std::nullopt, /*parallel=*/true);
  ASSERT_TRUE(grammar.ok()) << grammar.status().to_string();
  nlohmann::json annotated = nlohmann::json::parse(tools_json(true));
  ASSERT_EQ(annotated.size(), ecosystem_tools().size());
  EXPECT_EQ(annotated[0]["type"], "function");
  EXPECT_EQ(annotated[0]["function"]["x-side-effect"], "read");
  EXPECT_FALSE(nlohmann::json::parse(tools_json())[0]["function"].contains("x-side-effect"));
}

// DESIGN.md: money moves or a commitment is made -> the user confirms. Pin the class of each
// such operation so that a tool can never slip into "read" or "write" by an edit.
TEST(ToolsTest, MoneyAndCommitmentsAreIrreversible) {
  for (std::string_view name : {"checkout", "cancel_order", "request_refund", "top_up_wallet",
                                "book_table", "book_hotel", "request_ride", "cancel_booking"}) {
    const ToolDef* tool = find_tool(name);
    ASSERT_NE(tool, nullptr) << name;
    EXPECT_EQ(tool->effect, SideEffect::kIrreversible) << name;
  }
  for (const ToolDef& tool : ecosystem_tools()) {
    if (tool.effect != SideEffect::kIrreversible) {
      EXPECT_EQ(std::string(tool.description).find("Needs confirmation"), std::string::npos)
          << tool.name;
    } else {
      EXPECT_NE(std::string(tool.description).find("onfirmation"), std::string::npos)
          << tool.name << " must tell the model that the user confirms it";
    }
  }
}

}  // namespace
}  // namespace qwl::agent
