// Tests of JSON Schema -> grammar, feature by feature: which texts the grammar accepts and
// rejects, the exact integer and decimal bounds, and the errors for malformed or unsupported
// schemas (each must name the keyword's path). Also the tool-call grammar.
#include "runtime/json_schema.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

namespace qwl {
namespace {

std::shared_ptr<const CompiledGrammar> schema(std::string_view json,
                                              const JsonGrammarOptions& o = {}) {
  Result<Grammar> g = json_schema_grammar(json, o);
  EXPECT_TRUE(g.ok()) << json << ": " << g.status().to_string();
  if (!g.ok()) return nullptr;
  auto c = CompiledGrammar::compile(*g);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return c.ok() ? *c : nullptr;
}

// Accepted and rejected texts for one schema.
void check(std::string_view json, std::initializer_list<std::string_view> good,
           std::initializer_list<std::string_view> bad) {
  auto g = schema(json);
  ASSERT_NE(g, nullptr);
  for (std::string_view t : good)
    EXPECT_TRUE(GrammarMatcher::matches(g, t)) << json << " should accept " << t;
  for (std::string_view t : bad)
    EXPECT_FALSE(GrammarMatcher::matches(g, t)) << json << " should reject " << t;
}

TEST(JsonSchemaTest, AnyValue) {
  for (const char* s : {"{}", "true"}) {
    check(s,
          {R"({"a": [1, 2.5e3, -0.25, "x", true, false, null, {}], "b": {"c": []}})", "\"s\"",
           "-12", "null", "[]", "{\n  \"a\": 1\n}", R"("\u00e9\ud83d\ude00\n")"},
          {"", "{", "[1,]", "{\"a\":}", "01", "1.", "+1", "\"\\x\"", "nul", " 1", "1 ",
           "\"\\ud83d\"", "\"a\nb\"", "{'a': 1}", "[1 2]"});
  }
}

TEST(JsonSchemaTest, WhitespaceIsBounded) {
  JsonGrammarOptions o;
  o.max_indent = 4;
  auto g = schema(R"({"type": "array", "items": {"type": "integer"}})", o);
  EXPECT_TRUE(GrammarMatcher::matches(g, "[1, 2]"));
  EXPECT_TRUE(GrammarMatcher::matches(g, "[\n    1,\n    2\n]"));
  EXPECT_TRUE(GrammarMatcher::matches(g, "[\n\t1\n]"));
  EXPECT_FALSE(GrammarMatcher::matches(g, "[1,  2]"));     // two spaces
  EXPECT_FALSE(GrammarMatcher::matches(g, "[\n     1]"));  // indent 5 > 4
  EXPECT_FALSE(GrammarMatcher::matches(g, "[\n\n1]"));     // two newlines
  EXPECT_FALSE(GrammarMatcher::matches(g, "[1]\n"));       // nothing after the value
}

TEST(JsonSchemaTest, ObjectPropertiesInOrder) {
  const char* s = R"({"type": "object", "properties": {
      "a": {"type": "integer"}, "b": {"type": "string"}, "c": {"type": "boolean"}},
      "required": ["a", "c"]})";
  check(s,
        {R"({"a": 1, "b": "x", "c": true})", R"({"a": 1, "c": false})", R"({"a":1,"c":true})",
         "{\n  \"a\": 1,\n  \"c\": true\n}"},
        {R"({"c": true, "a": 1})",                    // order
         R"({"a": 1})",                               // c required
         R"({"a": 1, "b": "x", "c": true, "d": 1})",  // no additional properties
         R"({"a": "1", "c": true})",                  // type of a
         R"({"a": 1, "a": 2, "c": true})", R"({})", R"({"a": 1,, "c": true})"});
}

TEST(JsonSchemaTest, AllOptionalProperties) {
  const char* s =
      R"({"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}}})";
  check(s, {"{}", "{ }", R"({"x": 1})", R"({"y": 2})", R"({"x": 1, "y": 2})"},
        {R"({"y": 2, "x": 1})", R"({, "y": 2})", R"({"x": 1,})", R"({"z": 1})"});
}

TEST(JsonSchemaTest, ManyLeadingOptionalPropertiesStayLinear) {
  // 30 optional properties: first() copies the after() chains; past the budget they are rules.
  std::string s = R"({"type": "object", "properties": {)";
  for (int i = 0; i < 30; ++i)
    s += fmt::format("{}\"p{}\": {{\"type\": \"integer\"}}", i ? ", " : "", i);
  s += "}}";
  auto g = schema(s);
  ASSERT_NE(g, nullptr);
  EXPECT_LT(g->nodes().size(), 20000u);
  EXPECT_TRUE(GrammarMatcher::matches(g, R"({"p3": 1, "p17": 2, "p29": 3})"));
  EXPECT_TRUE(GrammarMatcher::matches(g, R"({"p29": 3})"));
  EXPECT_FALSE(GrammarMatcher::matches(g, R"({"p17": 2, "p3": 1})"));
}

TEST(JsonSchemaTest, AdditionalProperties) {
  check(R"({"type": "object"})", {"{}", R"({"anything": [1, {"x": null}]})"}, {"[]"});
  check(
      R"({"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": true})",
      {R"({"a": 1, "zz": "x"})", R"({"b": 1})", R"({"ab": 1, "a ": 2})", "{}"},
      {R"({"a": 1, "a": 2})",  // the declared name cannot come back as an additional key
       R"({"b": 1, "a": 1})"});
  check(R"({"type": "object", "additionalProperties": {"type": "integer"}})",
        {R"({"x": 1, "y": -2})", "{}"}, {R"({"x": "1"})"});
  check(
      R"({"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": false})",
      {R"({"a": 1})", "{}"}, {R"({"b": 1})"});
}

TEST(JsonSchemaTest, Arrays) {
  check(R"({"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 3})",
        {"[1, 2]", "[1,2,3]", "[ 1, 2 ]"}, {"[]", "[1]", "[1, 2, 3, 4]", "[1, \"2\"]", "[1, 2,]"});
  check(R"({"type": "array"})", {"[]", "[1, \"a\", [null]]"}, {"[", "{}"});
  check(R"({"type": "array", "maxItems": 0})", {"[]", "[ ]"}, {"[1]"});
}

TEST(JsonSchemaTest, StringLengthsCountCodePoints) {
  check(R"({"type": "string", "minLength": 2, "maxLength": 3})",
        {R"("ab")", R"("abc")", "\"\xE4\xB8\xAD\xE6\x96\x87\"", R"("\n\t")", R"("\u00e9x")",
         R"("\ud83d\ude00a")"},
        {R"("a")", R"("abcd")", "\"\xE4\xB8\xAD\"", R"("\n")"});
}

TEST(JsonSchemaTest, StringPatternAndFormats) {
  check(R"({"type": "string", "pattern": "^[a-z]+-\\d{2,3}$"})", {R"("ab-12")", R"("x-123")"},
        {R"("ab-1")", R"("Ab-12")", R"("ab-1234")", R"("ab12")"});
  check(R"({"type": "string", "pattern": "cat"})", {R"("cat")", R"("a cat!")"}, {R"("dog")"});
  check(R"({"type": "string", "format": "date"})", {R"("2024-02-29")", R"("1999-12-31")"},
        {R"("2024-13-01")", R"("2024-1-01")", R"("2024-01-32")", R"("x")"});
  check(R"({"type": "string", "format": "time"})", {R"("12:34:56Z")", R"("23:59:60.123+08:00")"},
        {R"("24:00:00Z")", R"("12:34:56")"});
  check(R"({"type": "string", "format": "date-time"})", {R"("2024-05-01T08:30:00Z")"},
        {R"("2024-05-01 08:30:00Z")"});
  check(R"({"type": "string", "format": "email"})", {R"("a.b+c@example.co.uk")"},
        {R"("a@b")", R"("@example.com")", R"("a b@example.com")"});
  check(R"({"type": "string", "format": "uuid"})", {R"("123e4567-e89b-12d3-a456-426614174000")"},
        {R"("123e4567e89b12d3a456426614174000")"});
  check(R"({"type": "string", "format": "uri"})",
        {R"("https://example.com/a?b=c#d")", R"("urn:isbn:123")"},
        {R"("example.com")", R"("http://a b")"});
  check(R"({"type": "string", "format": "ipv4"})", {R"("192.168.0.255")"}, {R"("256.1.1.1")"});
}

TEST(JsonSchemaTest, EnumAndConst) {
  check(R"({"enum": ["red", "green", 3, null, {"a": [1]}]})",
        {R"("red")", R"("green")", "3", "null", R"({"a":[1]})"}, {R"("blue")", R"("re")", "4"});
  check(R"({"type": "string", "enum": ["a", 1]})", {R"("a")"}, {"1"});
  check(R"({"const": "x\"y"})", {R"("x\"y")"}, {R"("xy")"});
  check(R"({"const": "\u00e9"})", {"\"\xC3\xA9\""}, {});
}

TEST(JsonSchemaTest, TypeArraysAndBooleansAndNull) {
  check(R"({"type": ["string", "null"], "maxLength": 1})", {R"("a")", "null"}, {R"("ab")", "1"});
  check(R"({"type": "boolean"})", {"true", "false"}, {"null", "1"});
  check(R"({"type": "null"})", {"null"}, {"false"});
}

TEST(JsonSchemaTest, AnyOfOneOfAllOf) {
  check(R"({"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 2}]})",
        {"12", R"("ab")"}, {R"("abc")", "1.5"});
  check(R"({"oneOf": [{"type": "boolean"}, {"type": "null"}]})", {"true", "null"}, {"0"});
  check(R"({"allOf": [{"type": "integer", "minimum": 3}]})", {"3", "7"}, {"2"});
}

TEST(JsonSchemaTest, RefsAndRecursion) {
  const char* tree = R"({
    "$defs": {"node": {"type": "object", "properties": {
      "value": {"type": "integer"},
      "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
      "required": ["value"]}},
    "$ref": "#/$defs/node"})";
  // A root with $ref and $defs only: $defs is an annotation beside $ref.
  check(tree,
        {R"({"value": 1})",
         R"({"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]})"},
        {R"({"children": []})", R"({"value": 1, "children": [{"children": []}]})"});
  check(R"({"definitions": {"x": {"type": "integer"}}, "type": "object",
            "properties": {"a": {"$ref": "#/definitions/x"}}, "required": ["a"]})",
        {R"({"a": 5})"}, {R"({"a": "5"})"});
  // "#" is the root itself.
  check(R"({"type": "object", "properties": {"next": {"$ref": "#"}}})",
        {"{}", R"({"next": {"next": {}}})"}, {R"({"next": 1})"});
  // Deep recursion works (bounded by the matcher's stack).
  auto g = schema(R"({"type": "array", "items": {"$ref": "#"}})");
  std::string deep = std::string(100, '[') + std::string(100, ']');
  EXPECT_TRUE(GrammarMatcher::matches(g, deep));
}

TEST(JsonSchemaTest, AnnotationsAreIgnored) {
  check(R"({"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "x", "title": "T",
            "description": "d", "$comment": "c", "examples": [1], "default": 1, "type": "integer"})",
        {"1"}, {"\"1\""});
}

// Integers: every value in a window matches exactly when inside the bounds.
void check_integer_range(const std::string& schema_json, long lo, long hi, long from, long to) {
  auto g = schema(schema_json);
  ASSERT_NE(g, nullptr);
  for (long v = from; v <= to; ++v) {
    EXPECT_EQ(GrammarMatcher::matches(g, std::to_string(v)), v >= lo && v <= hi)
        << schema_json << " " << v;
  }
}

TEST(JsonSchemaTest, IntegerBoundsAreExact) {
  check_integer_range(R"({"type": "integer", "minimum": -123, "maximum": 4567})", -123, 4567, -1500,
                      6000);
  check_integer_range(R"({"type": "integer", "minimum": 0})", 0, 1L << 40, -50, 1200);
  check_integer_range(R"({"type": "integer", "maximum": -7})", -(1L << 40), -7, -1200, 50);
  check_integer_range(R"({"type": "integer", "exclusiveMinimum": 9, "exclusiveMaximum": 100})", 10,
                      99, -5, 205);
  check_integer_range(R"({"type": "integer", "minimum": 1.5, "maximum": 20.5})", 2, 20, -5, 30);
  check_integer_range(R"({"type": "integer", "minimum": -20.5, "maximum": -1.5})", -20, -2, -30, 5);
  check_integer_range(
      R"({"type": "integer", "minimum": 5, "exclusiveMinimum": true, "maximum": 5000})", 6, 5000, 0,
      5200);
  check_integer_range(R"({"type": "integer", "minimum": 19, "maximum": 21})", 19, 21, 0, 300);
  check_integer_range(R"({"type": "integer", "minimum": 0, "maximum": 0})", 0, 0, -20, 20);
  check_integer_range(R"({"type": "integer", "exclusiveMaximum": 0})", -(1L << 40), -1, -20, 20);
  auto g = schema(R"({"type": "integer", "minimum": 0, "maximum": 100})");
  for (const char* bad : {"-0", "007", "1.0", "1e2", "+5", ""})
    EXPECT_FALSE(GrammarMatcher::matches(g, bad)) << bad;
  auto any = schema(R"({"type": "integer"})");
  // Unbounded sides end at int64's limits (the chat template's input holds no more).
  EXPECT_TRUE(GrammarMatcher::matches(any, "-9223372036854775808"));
  EXPECT_TRUE(GrammarMatcher::matches(any, "9223372036854775807"));
  EXPECT_FALSE(GrammarMatcher::matches(any, "-9223372036854775809"));
  EXPECT_FALSE(GrammarMatcher::matches(any, "9223372036854775808"));
  EXPECT_FALSE(GrammarMatcher::matches(any, "11026020268683099000"));
  EXPECT_FALSE(GrammarMatcher::matches(any, "18446744073709551615"));
  auto non_negative = schema(R"({"type": "integer", "minimum": 0})");
  EXPECT_TRUE(GrammarMatcher::matches(non_negative, "9223372036854775807"));
  EXPECT_FALSE(GrammarMatcher::matches(non_negative, "9223372036854775808"));
  EXPECT_FALSE(GrammarMatcher::matches(any, "-0"));
}

// Numbers: random short decimals against the bounds, compared exactly as scaled integers.
TEST(JsonSchemaTest, NumberBoundsAreExactOnDecimals) {
  struct Case {
    const char* schema;
    double lo, hi;  // in thousandths; NAN for none
    bool lo_excl, hi_excl;
  };
  const Case cases[] = {
      {R"({"type": "number", "minimum": 0})", 0, NAN, false, false},
      {R"({"type": "number", "minimum": -2.5, "maximum": 3.75})", -2500, 3750, false, false},
      {R"({"type": "number", "exclusiveMinimum": 0.125, "exclusiveMaximum": 2})", 125, 2000, true,
       true},
      {R"({"type": "number", "minimum": 1.5, "maximum": 1.75})", 1500, 1750, false, false},
      {R"({"type": "number", "exclusiveMaximum": -0.5})", NAN, -500, false, true},
      {R"({"type": "number", "minimum": -3, "exclusiveMaximum": 0})", -3000, 0, false, true},
      {R"({"type": "number", "maximum": 10})", NAN, 10000, false, false},
  };
  std::mt19937 rng(7);
  for (const Case& c : cases) {
    auto g = schema(c.schema);
    ASSERT_NE(g, nullptr);
    for (int k = 0; k < 1500; ++k) {
      const long milli = static_cast<long>(rng() % 30000) - 15000;
      const int places = static_cast<int>(rng() % 4);  // 0..3 decimals
      const long scale = places == 0 ? 1000 : places == 1 ? 100 : places == 2 ? 10 : 1;
      const long v = milli / scale * scale;
      std::string text = fmt::format("{}{}", v < 0 ? "-" : "", std::labs(v) / 1000);
      if (places > 0)
        text += fmt::format(".{:03d}", static_cast<int>(std::labs(v) % 1000)).substr(0, places + 1);
      if (v < 0 && std::labs(v) < 1000 && text == "-0") text = "0";
      bool in = true;
      if (!std::isnan(c.lo)) in = in && (c.lo_excl ? v > c.lo : v >= c.lo);
      if (!std::isnan(c.hi)) in = in && (c.hi_excl ? v < c.hi : v <= c.hi);
      if (v == 0 && text[0] == '-') continue;  // "-0.00": a negative zero, never generated
      EXPECT_EQ(GrammarMatcher::matches(g, text), in) << c.schema << " " << text;
    }
  }
  // The bounds themselves, and just inside and outside them.
  check(R"({"type": "number", "exclusiveMinimum": 0.125, "exclusiveMaximum": 2})",
        {"0.1251", "0.126", "1.999", "1.9999999", "1"},
        {"0.125", "0.1250", "0.12", "2", "2.0", "2.0001"});
  check(R"({"type": "number", "minimum": 1.5, "maximum": 1.75})",
        {"1.5", "1.50", "1.75", "1.7500", "1.6"}, {"1.4999", "1.7501", "1.8", "2", "1"});
  check(R"({"type": "number", "exclusiveMaximum": -0.5})", {"-0.5001", "-1", "-12.5"},
        {"-0.5", "-0.50", "-0.4999", "0", "-0"});
  check(R"({"type": "number", "minimum": -0.5, "maximum": 0})", {"-0.5", "-0.25", "0", "0.0"},
        {"-0.5001", "0.001", "-0"});
  auto g = schema(R"({"type": "number", "minimum": 0, "maximum": 1})");
  for (const char* bad : {"-0.5", "1.0001", "2", "1e0", "01"})
    EXPECT_FALSE(GrammarMatcher::matches(g, bad)) << bad;
  for (const char* good : {"0", "0.5", "1", "1.000", "0.999999"})
    EXPECT_TRUE(GrammarMatcher::matches(g, good)) << good;
  check(R"({"type": "number"})", {"0", "-1.5e+10", "3.25", "1E-7"}, {"1.", ".5", "-", "1e"});
}

struct BadSchema {
  const char* schema;
  StatusCode code;
  const char* needle;  // must appear in the message (the path of the keyword)
};

TEST(JsonSchemaTest, ErrorsNameTheKeyword) {
  const BadSchema cases[] = {
      {"{", StatusCode::kInvalidArgument, "not valid JSON"},
      {"3", StatusCode::kInvalidArgument, "#: a schema must be"},
      {"false", StatusCode::kInvalidArgument, "#: the schema false"},
      {R"({"type": "strng"})", StatusCode::kInvalidArgument, "#/type: unknown type 'strng'"},
      {R"({"type": 3})", StatusCode::kInvalidArgument, "#/type"},
      {R"({"properties": {"a": {"minLength": "x"}}})", StatusCode::kInvalidArgument,
       "#/properties/a/minLength"},
      {R"({"type": "object", "properties": {"a": {"type": "integer", "minimum": "0"}}})",
       StatusCode::kInvalidArgument, "#/properties/a/minimum"},
      {R"({"type": "object", "required": ["b"], "properties": {"a": {}}})",
       StatusCode::kInvalidArgument, "#/required"},
      {R"({"type": "integer", "minimum": 5, "maximum": 4})", StatusCode::kInvalidArgument,
       "no integer"},
      {R"({"type": "integer", "minimum": 4.2, "maximum": 4.8})", StatusCode::kInvalidArgument,
       "no integer"},
      {R"({"type": "number", "exclusiveMinimum": 1, "maximum": 1})", StatusCode::kInvalidArgument,
       "no number"},
      {R"({"type": "array", "minItems": 3, "maxItems": 2})", StatusCode::kInvalidArgument,
       "maxItems"},
      {R"({"type": "array", "minItems": -1})", StatusCode::kInvalidArgument, "#/minItems"},
      {R"({"type": "string", "minLength": 3, "maxLength": 2})", StatusCode::kInvalidArgument,
       "maxLength"},
      {R"({"enum": []})", StatusCode::kInvalidArgument, "#/enum"},
      {R"({"$ref": "#/$defs/missing"})", StatusCode::kInvalidArgument, "#/$ref"},
      {R"({"$ref": "other.json#/a"})", StatusCode::kUnsupported, "#/$ref"},
      {R"({"anyOf": []})", StatusCode::kInvalidArgument, "#/anyOf"},
      {R"({"additionalProperties": 3})", StatusCode::kInvalidArgument, "#/additionalProperties"},
      {R"({"type": "object", "patternProperties": {}})", StatusCode::kUnsupported,
       "#/patternProperties"},
      {R"({"type": "number", "multipleOf": 2})", StatusCode::kUnsupported, "#/multipleOf"},
      {R"({"items": {"uniqueItems": true}})", StatusCode::kUnsupported, "#/items/uniqueItems"},
      {R"({"properties": {"a/b": {"not": {}}}})", StatusCode::kUnsupported,
       "#/properties/a~1b/not"},
      {R"({"allOf": [{}, {}]})", StatusCode::kUnsupported, "#/allOf"},
      {R"({"type": "string", "format": "color"})", StatusCode::kUnsupported,
       "#/format: format 'color'"},
      {R"({"type": "string", "pattern": "(?=a)b"})", StatusCode::kUnsupported,
       "#/pattern: lookahead"},
      {R"({"type": "string", "pattern": "(?<!a)b"})", StatusCode::kUnsupported,
       "#/pattern: lookbehind"},
      {R"({"type": "string", "pattern": "(a)\\1"})", StatusCode::kUnsupported,
       "#/pattern: backreference"},
      {R"({"type": "string", "pattern": "a\\b"})", StatusCode::kUnsupported,
       "#/pattern: word boundary"},
      {R"({"type": "string", "pattern": "a(b"})", StatusCode::kInvalidArgument,
       "#/pattern: unterminated group"},
      {R"({"type": "string", "pattern": "a^b"})", StatusCode::kUnsupported, "#/pattern: anchor"},
      {R"({"type": "string", "pattern": "*a"})", StatusCode::kInvalidArgument,
       "#/pattern: nothing to repeat"},
      {R"({"type": "string", "pattern": "a", "maxLength": 3})", StatusCode::kUnsupported,
       "#/pattern"},
      {R"({"$ref": "#/$defs/a", "type": "string", "$defs": {"a": {}}})", StatusCode::kUnsupported,
       "#/type"},
      {R"({"type": "array", "items": [{}]})", StatusCode::kUnsupported, "#/items"},
  };
  for (const BadSchema& c : cases) {
    Result<Grammar> g = json_schema_grammar(c.schema);
    ASSERT_FALSE(g.ok()) << c.schema;
    EXPECT_EQ(g.status().code(), c.code) << c.schema << ": " << g.status().to_string();
    EXPECT_NE(g.status().message().find(c.needle), std::string::npos)
        << c.schema << ": " << g.status().message() << " (wanted '" << c.needle << "')";
  }
}

TEST(JsonSchemaTest, HugeMaximaAreClampedAndHugeMinimaRefused) {
  auto g = schema(R"({"type": "string", "maxLength": 1000000})");
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(GrammarMatcher::matches(g, "\"" + std::string(2048, 'a') + "\""));
  EXPECT_FALSE(GrammarMatcher::matches(g, "\"" + std::string(2049, 'a') + "\""));
  Result<Grammar> min = json_schema_grammar(R"({"type": "array", "minItems": 100000})");
  EXPECT_EQ(min.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(min.status().message().find("#/minItems"), std::string::npos);
}

TEST(JsonSchemaTest, DeepNestingIsRefused) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += R"({"type": "array", "items": )";
  deep += "{}";
  for (int i = 0; i < 200; ++i) deep += "}";
  Result<Grammar> g = json_schema_grammar(deep);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(g.status().message().find("nested deeper than"), std::string::npos);
}

TEST(JsonSchemaTest, JsonObjectMode) {
  auto c = CompiledGrammar::compile(json_object_grammar());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(GrammarMatcher::matches(*c, R"({"a": [1, {"b": null}]})"));
  EXPECT_TRUE(GrammarMatcher::matches(*c, "{}"));
  EXPECT_FALSE(GrammarMatcher::matches(*c, "[1]"));
  EXPECT_FALSE(GrammarMatcher::matches(*c, "\"x\""));
}

const char* kTools = R"([
  {"type": "function", "function": {"name": "get_weather", "description": "d",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
      "unit": {"enum": ["c", "f"]}}, "required": ["city"]}}},
  {"type": "function", "function": {"name": "now", "parameters": {"type": "object", "properties": {}}}}
])";

TEST(JsonSchemaTest, ToolCallGrammar) {
  auto one = [](std::optional<std::string> only, bool parallel) {
    Result<Grammar> g = tool_call_grammar(kTools, only, parallel);
    EXPECT_TRUE(g.ok()) << g.status().to_string();
    return *CompiledGrammar::compile(*g);  // special tokens as text here
  };
  const std::string weather =
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": "
      "\"Paris\"}}\n</tool_call>";
  const std::string now = "<tool_call>\n{\"name\": \"now\", \"arguments\": {}}\n</tool_call>";
  auto any = one(std::nullopt, false);
  EXPECT_TRUE(GrammarMatcher::matches(any, weather));
  EXPECT_TRUE(GrammarMatcher::matches(any, now));
  EXPECT_FALSE(GrammarMatcher::matches(any, weather + "\n" + now));
  EXPECT_FALSE(GrammarMatcher::matches(
      any, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call>"));  // city
  EXPECT_FALSE(GrammarMatcher::matches(
      any, "<tool_call>\n{\"name\": \"other\", \"arguments\": {}}\n</tool_call>"));
  EXPECT_FALSE(GrammarMatcher::matches(
      any, "<tool_call>\n{\"name\": \"now\", \"arguments\": {\"x\": 1}}\n</tool_call>"));
  auto parallel = one(std::nullopt, true);
  EXPECT_TRUE(GrammarMatcher::matches(parallel, weather + "\n" + now + "\n" + weather));
  EXPECT_FALSE(GrammarMatcher::matches(parallel, weather + now));
  auto only = one("now", true);
  EXPECT_TRUE(GrammarMatcher::matches(only, now + "\n" + now));
  EXPECT_FALSE(GrammarMatcher::matches(only, weather));

  Result<Grammar> missing = tool_call_grammar(kTools, "nope", false);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  Result<Grammar> bad = tool_call_grammar(
      R"([{"type": "function", "function": {"name": "f", "parameters": {"type": "object",
          "properties": {"x": {"type": "integer", "maximum": "9"}}}}}])",
      std::nullopt, false);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("tools[0] (f): parameters"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("#/properties/x/maximum"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(tool_call_grammar(R"([{"function": {}}])", std::nullopt, false).ok());
  EXPECT_FALSE(tool_call_grammar(R"({"a": 1})", std::nullopt, false).ok());
  EXPECT_FALSE(tool_call_grammar(R"([{"name": "a"}, {"name": "a"}])", std::nullopt, false).ok());
}

}  // namespace
}  // namespace qwl
