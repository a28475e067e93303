// Argument validation against JSON Schema: each keyword accepts what it should and refuses what
// it should with a message naming the JSON pointer; every tool of the catalog validates a
// well-formed call and refuses a bad one; malformed and unsupported schemas are errors.
#include "agent/schema_validate.h"

#include <gtest/gtest.h>

#include "agent/tools.h"

namespace qwl::agent {
namespace {

using nlohmann::json;

Status check(std::string_view schema, std::string_view value) {
  return validate_arguments(json::parse(schema), json::parse(value));
}

// The error's message, or "" when ok.
std::string message(std::string_view schema, std::string_view value) {
  Status s = check(schema, value);
  if (s.ok()) return "";
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  return s.message();
}

TEST(SchemaValidateTest, Types) {
  EXPECT_TRUE(check(R"({"type":"integer"})", "3").ok());
  EXPECT_TRUE(check(R"({"type":"integer"})", "3.0").ok());  // no fraction: an integer
  EXPECT_EQ(message(R"({"type":"integer"})", "3.5"), "(root): expected an integer, got number 3.5");
  EXPECT_EQ(message(R"({"type":"integer"})", R"("3")"),
            R"((root): expected an integer, got string "3")");
  EXPECT_TRUE(check(R"({"type":"number"})", "3.5").ok());
  EXPECT_TRUE(check(R"({"type":["string","null"]})", "null").ok());
  EXPECT_EQ(message(R"({"type":["string","null"]})", "1"),
            "(root): expected a string or null, got integer 1");
  EXPECT_FALSE(check(R"({"type":"boolean"})", "0").ok());
  EXPECT_FALSE(check(R"({"type":"object"})", "[]").ok());
  EXPECT_FALSE(check(R"({"type":"array"})", "{}").ok());
  EXPECT_TRUE(check("true", R"({"anything":1})").ok());
  EXPECT_EQ(message("false", "1"), "(root): no value is allowed here");
  EXPECT_TRUE(check("{}", "[1]").ok());
}

TEST(SchemaValidateTest, ObjectsNameThePointer) {
  const char* schema = R"({"type":"object","properties":{
    "merchant_id":{"type":"integer","minimum":1},
    "a/b":{"type":"string"},
    "items":{"type":"array","items":{"type":"object","properties":{"q":{"type":"integer"}},
             "required":["q"],"additionalProperties":false}}},
    "required":["merchant_id"],"additionalProperties":false})";
  EXPECT_TRUE(check(schema, R"({"merchant_id":7,"items":[{"q":1}]})").ok());
  EXPECT_EQ(message(schema, "{}"), "/merchant_id: required property is missing");
  EXPECT_EQ(message(schema, R"({"merchant_id":0})"), "/merchant_id: 0 is less than the minimum 1");
  EXPECT_EQ(message(schema, R"({"merchant_id":1,"a/b":2})"),
            "/a~1b: expected a string, got integer 2");
  EXPECT_EQ(message(schema, R"({"merchant_id":1,"items":[{"q":1},{"q":"x"}]})"),
            R"(/items/1/q: expected an integer, got string "x")");
  EXPECT_EQ(message(schema, R"({"merchant_id":1,"items":[{}]})"),
            "/items/0/q: required property is missing");
  EXPECT_EQ(message(schema, R"({"merchant_id":1,"extra":true})"),
            "/extra: unknown property (allowed: a/b, items, merchant_id)");
  // Several problems at once are all reported.
  EXPECT_EQ(message(schema, R"({"extra":true,"items":[{"q":1,"r":2}]})"),
            "/merchant_id: required property is missing; /extra: unknown property (allowed: a/b, "
            "items, merchant_id); /items/0/r: unknown property (allowed: q)");
  // additionalProperties absent: anything else is allowed; as a schema it checks them.
  EXPECT_TRUE(
      check(R"({"type":"object","properties":{"a":{"type":"integer"}}})", R"({"a":1,"b":"x"})")
          .ok());
  EXPECT_EQ(message(R"({"type":"object","additionalProperties":{"type":"integer"}})",
                    R"({"a":1,"b":"x"})"),
            R"(/b: expected an integer, got string "x")");
}

TEST(SchemaValidateTest, ErrorsAreCapped) {
  const char* schema = R"({"type":"object","additionalProperties":false})";
  const std::string m = message(schema, R"({"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1})");
  EXPECT_NE(m.find("/e: no properties are allowed; and 2 more"), std::string::npos) << m;
}

TEST(SchemaValidateTest, StringsCountCodePoints) {
  const char* schema = R"({"type":"string","minLength":2,"maxLength":3})";
  EXPECT_TRUE(check(schema, R"("少冰")").ok());  // 2 code points, 6 bytes
  EXPECT_TRUE(check(schema, R"("大杯冰")").ok());
  EXPECT_EQ(message(schema, R"("大杯少冰")"), "(root): 4 characters, at most 3 allowed");
  EXPECT_EQ(message(schema, R"("a")"), "(root): 1 characters, at least 2 required");
}

TEST(SchemaValidateTest, PatternsAreSearchedUnlessAnchored) {
  const char* date = R"({"type":"string","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})";
  EXPECT_TRUE(check(date, R"("2025-06-18")").ok());
  EXPECT_EQ(
      message(date, R"("18/06/2025")"),
      R"((root): string "18/06/2025" does not match the pattern ^[0-9]{4}-[0-9]{2}-[0-9]{2}$)");
  EXPECT_FALSE(check(date, R"("2025-06-18x")").ok());
  EXPECT_TRUE(check(R"({"pattern":"b+"})", R"("abbbc")").ok());
  EXPECT_TRUE(check(R"({"pattern":"b+"})", "12").ok());  // applies to strings only
}

TEST(SchemaValidateTest, EnumConstAndNumbers) {
  EXPECT_TRUE(check(R"({"enum":["walking","cycling"]})", R"("cycling")").ok());
  EXPECT_EQ(message(R"({"enum":["walking","cycling"]})", R"("flying")"),
            R"((root): string "flying" is not one of ["walking","cycling"])");
  EXPECT_TRUE(check(R"({"const":3})", "3").ok());
  EXPECT_FALSE(check(R"({"const":3})", "4").ok());
  EXPECT_TRUE(check(R"({"maximum":9223372036854775807})", "9223372036854775807").ok());
  EXPECT_FALSE(check(R"({"maximum":9223372036854775806})", "9223372036854775807").ok());
  EXPECT_FALSE(check(R"({"maximum":10})", "18446744073709551615").ok());
  EXPECT_TRUE(check(R"({"minimum":-5})", "-5").ok());
  EXPECT_EQ(message(R"({"exclusiveMinimum":0})", "0"),
            "(root): 0 is not greater than the exclusive minimum 0");
  EXPECT_EQ(message(R"({"exclusiveMaximum":1.5})", "1.5"),
            "(root): 1.5 is not less than the exclusive maximum 1.5");
  EXPECT_TRUE(check(R"({"maximum":1.5})", "1").ok());
}

TEST(SchemaValidateTest, Arrays) {
  const char* schema = R"({"type":"array","items":{"type":"string","minLength":1},"maxItems":2,
                           "minItems":1})";
  EXPECT_TRUE(check(schema, R"(["large"])").ok());
  EXPECT_EQ(message(schema, "[]"), "(root): 0 items, at least 1 required");
  EXPECT_EQ(message(schema, R"(["a","b","c"])"), "(root): 3 items, at most 2 allowed");
  EXPECT_EQ(message(schema, R"(["a",""])"), "/1: 0 characters, at least 1 required");
}

TEST(SchemaValidateTest, Combinations) {
  const char* any = R"({"anyOf":[{"type":"integer"},{"type":"string","maxLength":2}]})";
  EXPECT_TRUE(check(any, "1").ok());
  EXPECT_TRUE(check(any, R"("ab")").ok());
  EXPECT_NE(message(any, R"("abc")").find("matches none of the anyOf alternatives"),
            std::string::npos);
  const char* one = R"({"oneOf":[{"type":"integer"},{"type":"number"}]})";
  EXPECT_TRUE(check(one, "1.5").ok());
  EXPECT_EQ(message(one, "1"), "(root): matches 2 of the oneOf alternatives, exactly one allowed");
  const char* all = R"({"allOf":[{"minimum":1},{"maximum":3}]})";
  EXPECT_TRUE(check(all, "2").ok());
  EXPECT_FALSE(check(all, "4").ok());
}

TEST(SchemaValidateTest, MalformedAndUnsupportedSchemas) {
  Status s = check(R"({"type":"object","properties":{"a":{"$ref":"#/x"}}})", R"({"a":1})");
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_EQ(s.message(), "schema /properties/a: keyword '$ref' is not supported");
  s = check(R"({"type":"strng"})", "1");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "schema /type: unknown type 'strng'");
  s = check(R"({"type":"string","maxLength":-1})", R"("a")");
  EXPECT_EQ(s.message(), "schema /maxLength: must be a non-negative integer");
  s = check(R"({"type":"string","pattern":"(["})", R"("a")");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("schema /pattern: '([' is not a valid pattern"), std::string::npos);
  s = check(R"({"required":"a"})", "{}");
  EXPECT_EQ(s.message(), "schema /required: must be an array of names");
  // Annotations are ignored.
  EXPECT_TRUE(check(R"({"title":"t","description":"d","format":"date","default":1,
                       "examples":[1],"$schema":"https://json-schema.org/draft/2020-12/schema"})",
                    R"("not a date")")
                  .ok());
}

// Every tool of the catalog: a well-formed call passes, one with an unknown property fails.
TEST(SchemaValidateTest, CatalogSchemas) {
  const json good = {
      {"search_products", {{"query", "jasmine rice"}, {"limit", 5}}},
      {"get_route", {{"to", "airport"}, {"mode", "cycling"}}},
      {"add_to_cart", {{"menu_item_id", 3}, {"quantity", 2}, {"options", {"large", "少冰"}}}},
      {"table_availability",
       {{"place_id", 4}, {"date", "2025-06-18"}, {"time", "19:00"}, {"party_size", 4}}},
      {"checkout", {{"merchant_id", 7}, {"deliver_to", "office"}}},
      {"request_ride", {{"to", "airport"}, {"vehicle", "comfort"}}},
      {"get_wallet", json::object()},
  };
  for (const auto& [name, args] : good.items()) {
    const ToolDef* tool = find_tool(name);
    ASSERT_NE(tool, nullptr) << name;
    const json schema = json::parse(tool->parameters);
    Status s = validate_arguments(schema, args);
    EXPECT_TRUE(s.ok()) << name << ": " << s.to_string();
    json bad = args;
    bad["user_id"] = 2;  // the acting user never comes from arguments
    EXPECT_FALSE(validate_arguments(schema, bad).ok()) << name;
  }
  for (const ToolDef& tool : ecosystem_tools()) {
    // Every catalog schema is within the supported subset (an empty object may fail on
    // `required`, never on the schema itself).
    Status s = validate_arguments(json::parse(tool.parameters), json::object());
    EXPECT_TRUE(s.ok() || s.code() == StatusCode::kInvalidArgument) << tool.name;
    EXPECT_EQ(s.message().find("schema "), std::string::npos) << tool.name << ": " << s.message();
  }
  const json schema = json::parse(find_tool("add_to_cart")->parameters);
  EXPECT_EQ(validate_arguments(schema, {{"quantity", 100}}).message(),
            "/quantity: 100 is greater than the maximum 99");
  EXPECT_EQ(validate_arguments(schema, {{"quantity", 1}, {"options", {"extra hot", 3}}}).message(),
            "/options/1: expected a string, got integer 3");
}

}  // namespace
}  // namespace qwl::agent
