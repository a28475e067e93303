// Tests of TokenConstraint over the real Qwen3 vocabulary: random generations under each kind
// of schema parse as JSON and validate (against a small validator written here), the cached
// masks equal a full walk of the vocabulary at every step, disallowed tokens are refused,
// completion leaves only end-of-generation tokens, tool calls have Qwen's shape (the chat
// layer's parser reads them in the API tests, tests/api), and the thinking wrapper.
#include "runtime/token_constraint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "runtime/sampler.h"
#include "tokenizer/test_qwen3.h"

namespace qwl {
namespace {

using Json = nlohmann::ordered_json;

std::shared_ptr<const ConstraintVocab> vocab() {
  static const std::shared_ptr<const ConstraintVocab> v = [] {
    const Tokenizer* tok = testing::qwen3_tokenizer();
    return tok ? ConstraintVocab::build(*tok) : nullptr;
  }();
  return v;
}

bool bit(const std::vector<uint64_t>& bits, int32_t id) {
  return (bits[id >> 6] >> (id & 63)) & 1;
}

// ---------------------------------------------------------------------------------------------
// A small JSON Schema validator for the keywords the tests use.

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

class Validator {
 public:
  explicit Validator(const Json& root) : root_(root) {}

  bool valid(const Json& v, const Json& s, std::string* why) const {
    if (s.is_boolean()) return s.get<bool>() || fail(why, "false schema");
    if (s.contains("$ref")) {
      const std::string ref = s["$ref"].get<std::string>();
      const Json* node = &root_;
      if (ref != "#") node = &root_.at(Json::json_pointer(ref.substr(1)));
      return valid(v, *node, why);
    }
    for (const char* key : {"anyOf", "oneOf"}) {
      if (s.contains(key)) {
        for (const Json& sub : s[key]) {
          if (valid(v, sub, nullptr)) return true;
        }
        return fail(why, std::string("no ") + key + " branch matches " + v.dump());
      }
    }
    if (s.contains("allOf")) {
      for (const Json& sub : s["allOf"]) {
        if (!valid(v, sub, why)) return false;
      }
    }
    if (s.contains("const") && v != s["const"]) return fail(why, "const");
    if (s.contains("enum")) {
      bool found = false;
      for (const Json& e : s["enum"]) found = found || e == v;
      if (!found) return fail(why, "enum: " + v.dump());
    }
    if (s.contains("type")) {
      bool ok = false;
      const Json& t = s["type"];
      if (t.is_string()) ok = has_type(v, t.get<std::string>());
      for (const Json& x : t.is_array() ? t : Json::array())
        ok = ok || has_type(v, x.get<std::string>());
      if (!ok) return fail(why, "type of " + v.dump());
    }
    if (v.is_object()) return valid_object(v, s, why);
    if (v.is_array()) {
      if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>())
        return fail(why, "minItems");
      if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>())
        return fail(why, "maxItems");
      if (s.contains("items")) {
        for (const Json& x : v) {
          if (!valid(x, s["items"], why)) return false;
        }
      }
    }
    if (v.is_string()) {
      const std::string str = v.get<std::string>();
      if (s.contains("minLength") && code_points(str) < s["minLength"].get<size_t>())
        return fail(why, "minLength");
      if (s.contains("maxLength") && code_points(str) > s["maxLength"].get<size_t>())
        return fail(why, "maxLength");
      if (s.contains("pattern") &&
          !std::regex_search(str, std::regex(s["pattern"].get<std::string>()))) {
        return fail(why, "pattern: " + str);
      }
      if (s.contains("format")) {
        static const std::map<std::string, std::regex> kFormats = {
            {"date", std::regex(R"(^\d{4}-\d{2}-\d{2}$)")},
            {"date-time",
             std::regex(
                 R"(^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$)")},
            {"email", std::regex(R"(^[^@\s]+@[^@\s]+\.[A-Za-z0-9-]+$)")},
            {"uuid", std::regex(R"(^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$)")},
            {"uri", std::regex(R"(^[A-Za-z][A-Za-z0-9+.-]*:\S+$)")},
        };
        const auto it = kFormats.find(s["format"].get<std::string>());
        if (it != kFormats.end() && !std::regex_search(str, it->second))
          return fail(why, "format: " + str);
      }
    }
    if (v.is_number()) {
      const double x = v.get<double>();
      if (s.contains("minimum") && x < s["minimum"].get<double>()) return fail(why, "minimum");
      if (s.contains("maximum") && x > s["maximum"].get<double>()) return fail(why, "maximum");
      if (s.contains("exclusiveMinimum") && x <= s["exclusiveMinimum"].get<double>())
        return fail(why, "exclusiveMinimum");
      if (s.contains("exclusiveMaximum") && x >= s["exclusiveMaximum"].get<double>())
        return fail(why, "exclusiveMaximum");
    }
    return true;
  }

 private:
  static bool fail(std::string* why, const std::string& what) {
    if (why) *why = what;
    return false;
  }

  static bool has_type(const Json& v, const std::string& t) {
    if (t == "integer") return v.is_number_integer();
    if (t == "number") return v.is_number();
    if (t == "string") return v.is_string();
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    return false;
  }

  bool valid_object(const Json& v, const Json& s, std::string* why) const {
    const Json props = s.value("properties", Json::object());
    for (const Json& r : s.value("required", Json::array())) {
      if (!v.contains(r.get<std::string>())) return fail(why, "required " + r.dump());
    }
    // Declared properties appear in declared order.
    size_t last = 0;
    for (const auto& [key, value] : v.items()) {
      size_t index = 0;
      bool declared = false;
      for (const auto& [name, sub] : props.items()) {
        if (name == key) {
          declared = true;
          break;
        }
        ++index;
      }
      if (declared) {
        if (index < last) return fail(why, "order of " + key);
        last = index;
        if (!valid(value, props[key], why)) return false;
        continue;
      }
      Json extra = s.contains("additionalProperties") ? s["additionalProperties"]
                                                      : Json(!s.contains("properties"));
      if (!valid(value, extra, why)) return fail(why, "additional property " + key);
    }
    return true;
  }

  const Json& root_;
};

// ---------------------------------------------------------------------------------------------
// Random generation under a constraint.

struct Generation {
  std::vector<int32_t> ids;
  std::string text;    // bytes of the text tokens and the text of the special ones
  bool ended = false;  // an end-of-generation token was accepted
};

// Random logits, masked by the constraint, argmax. Past `soft_steps`, tokens that close
// something ('"', '}', ']') and end-of-generation tokens get a large bonus so generations end.
Generation generate(LogitsConstraint& c, const ConstraintVocab& v, const Tokenizer& tok, Rng& rng,
                    int soft_steps, int max_steps) {
  static const std::vector<bool> closing = [&v] {
    std::vector<bool> out(v.n_vocab(), false);
    for (int32_t id = 0; id < v.n_vocab(); ++id) {
      const std::string_view b = v.text_bytes(id);
      out[id] = b.find_first_of("\"}]") != std::string_view::npos;
    }
    return out;
  }();
  Generation g;
  std::vector<float> logits(v.n_vocab());
  for (int step = 0; step < max_steps; ++step) {
    for (float& x : logits) x = static_cast<float>(rng.uniform());
    if (step >= soft_steps) {
      for (int32_t id = 0; id < v.n_vocab(); ++id) {
        if (closing[id] || v.is_eog(id)) logits[id] += 10.0f;
      }
    }
    c.apply(logits);
    const auto best = std::max_element(logits.begin(), logits.end());
    EXPECT_GT(*best, -std::numeric_limits<float>::infinity())
        << "no token allowed after: " << g.text;
    const auto id = static_cast<int32_t>(best - logits.begin());
    const Status st = c.accept(id);
    EXPECT_TRUE(st.ok()) << st.to_string() << " after: " << g.text;
    if (!st.ok()) break;
    g.ids.push_back(id);
    if (v.is_eog(id)) {
      g.ended = true;
      break;
    }
    g.text += v.is_text(id) ? std::string(v.text_bytes(id)) : tok.token_text(id);
  }
  return g;
}

// Generates `samples` texts under `schema_json` (each starting with `prefix`, which must be
// allowed) and checks each parses and validates.
void sample_schema(const std::string& schema_json, int samples, uint64_t seed, int soft_steps = 60,
                   std::string_view prefix = "") {
  auto v = vocab();
  ASSERT_NE(v, nullptr);
  const Tokenizer& tok = *testing::qwen3_tokenizer();
  const Json schema = Json::parse(schema_json);
  Validator validator(schema);
  auto program = ConstraintProgram::compile(v, *json_schema_grammar(schema_json));
  ASSERT_TRUE(program.ok()) << program.status().to_string();
  Rng rng(seed);
  for (int k = 0; k < samples; ++k) {
    std::unique_ptr<TokenConstraint> c = TokenConstraint::create(*program);
    for (int32_t id : tok.encode(prefix)) ASSERT_TRUE(c->accept(id).ok()) << prefix;
    Generation g = generate(*c, *v, tok, rng, soft_steps, soft_steps + 400);
    g.text = std::string(prefix) + g.text;
    ASSERT_TRUE(g.ended) << "did not end: " << g.text;
    EXPECT_TRUE(c->complete());
    Json value;
    try {
      value = Json::parse(g.text);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not JSON (" << e.what() << "): " << g.text;
      continue;
    }
    std::string why;
    EXPECT_TRUE(validator.valid(value, schema, &why))
        << why << "\nschema: " << schema_json << "\ntext: " << g.text;
  }
}

const char kPersonSchema[] = R"({
  "type": "object",
  "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 20},
    "age": {"type": "integer", "minimum": 0, "maximum": 150},
    "score": {"type": "number", "minimum": -1, "maximum": 1},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 8}, "maxItems": 4},
    "status": {"enum": ["active", "inactive", "banned"]},
    "address": {"type": "object", "properties": {
        "city": {"type": "string"},
        "zip": {"type": "string", "pattern": "^[0-9]{5}$"}},
      "required": ["city"]},
    "email": {"type": ["string", "null"], "format": "email"},
    "verified": {"type": "boolean"}
  },
  "required": ["name", "age", "status", "address"]
})";

TEST(TokenConstraintTest, SamplesValidateNestedObject) {
  sample_schema(kPersonSchema, 6, 1);
}

TEST(TokenConstraintTest, SamplesValidateRecursiveRefs) {
  sample_schema(R"({
    "$defs": {"node": {"type": "object", "properties": {
      "label": {"type": "string", "maxLength": 5},
      "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}},
      "required": ["label"]}},
    "$ref": "#/$defs/node"})",
                4, 2);
}

TEST(TokenConstraintTest, SamplesValidateCombinationsAndFormats) {
  sample_schema(R"({"type": "object", "properties": {
      "id": {"type": "string", "format": "uuid"},
      "when": {"type": "string", "format": "date-time"},
      "day": {"type": "string", "format": "date"},
      "link": {"type": "string", "format": "uri"},
      "kind": {"const": "event"},
      "value": {"anyOf": [{"type": "integer", "exclusiveMinimum": 10}, {"type": "string", "maxLength": 3}, {"type": "null"}]},
      "flag": {"oneOf": [{"type": "boolean"}, {"enum": [1, 2]}]}},
    "required": ["id", "when", "day", "link", "kind", "value", "flag"]})",
                4, 3);
}

TEST(TokenConstraintTest, SamplesValidateMapsAndArrays) {
  sample_schema(R"({"type": "object", "additionalProperties": {"type": "array",
      "items": {"type": "integer", "minimum": -5, "maximum": 5}, "minItems": 1, "maxItems": 3}})",
                4, 4, 40, "{\"");
  sample_schema(R"({"type": "array", "items": {"type": "object", "properties": {
      "k": {"type": "string", "pattern": "^[a-z]{2,4}$"}, "v": {"type": "number"}},
      "required": ["k", "v"]}, "minItems": 2, "maxItems": 3})",
                4, 5);
}

TEST(TokenConstraintTest, SamplesOfJsonObjectModeAreObjects) {
  auto v = vocab();
  ASSERT_NE(v, nullptr);
  Rng rng(6);
  for (int k = 0; k < 4; ++k) {
    auto c = make_json_object_constraint(v);
    ASSERT_TRUE(c.ok());
    const Generation g = generate(**c, *v, *testing::qwen3_tokenizer(), rng, 40, 500);
    ASSERT_TRUE(g.ended) << g.text;
    Json value;
    ASSERT_NO_THROW(value = Json::parse(g.text)) << g.text;
    EXPECT_TRUE(value.is_object()) << g.text;
  }
}

// At every step of random generations, the cached mask equals the uncached full walk, no
// special token is allowed except where the grammar names it and end of generation when the
// text can end, and complete() leaves only end of generation.
TEST(TokenConstraintTest, MaskEqualsFullWalkAtEveryStep) {
  auto v = vocab();
  ASSERT_NE(v, nullptr);
  Rng rng(7);
  for (const char* schema :
       {kPersonSchema, R"({"type": "array", "items": {"type": "string", "pattern": "^a+\\d?$"}})",
        R"({"type": "array", "items": {"type": "string", "minLength": 2, "maxLength": 3}})"}) {
    auto program = ConstraintProgram::compile(v, *json_schema_grammar(schema));
    ASSERT_TRUE(program.ok());
    std::unique_ptr<TokenConstraint> c = TokenConstraint::create(*program);
    std::vector<float> logits(v->n_vocab());
    for (int step = 0; step < 80; ++step) {
      const std::vector<uint64_t> fast = c->allowed();
      ASSERT_EQ(fast, c->allowed_by_full_walk()) << "step " << step;
      for (int32_t id = 0; id < v->n_vocab(); ++id) {
        if (!v->is_text(id) && bit(fast, id)) {
          ASSERT_TRUE(v->is_eog(id)) << "special token " << id << " allowed";
        }
      }
      for (float& x : logits) x = static_cast<float>(rng.uniform());
      c->apply(logits);
      const auto id =
          static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
      ASSERT_TRUE(bit(fast, id));
      ASSERT_TRUE(c->accept(id).ok());
      if (v->is_eog(id)) break;
    }
  }
}

TEST(TokenConstraintTest, DisallowedTokensAreRefusedAndChangeNothing) {
  auto v = vocab();
  ASSERT_NE(v, nullptr);
  const Tokenizer& tok = *testing::qwen3_tokenizer();
  auto c = TokenConstraint::create(v, *json_schema_grammar(R"({"type": "object", "properties":
      {"n": {"type": "integer"}}, "required": ["n"]})"));
  ASSERT_TRUE(c.ok());
  TokenConstraint& tc = **c;
  const std::vector<uint64_t> before = tc.allowed();
  for (const char* text : {"[", "\"", " {", "<|im_start|>", "<tool_call>", "<think>"}) {
    const std::vector<int32_t> ids = tok.encode(text);
    ASSERT_EQ(ids.size(), 1u) << text;
    EXPECT_FALSE(bit(before, ids[0])) << text;
    const Status st = tc.accept(ids[0]);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << text;
  }
  EXPECT_EQ(tc.accept(-1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(tc.accept(v->n_vocab()).code(), StatusCode::kInvalidArgument);
  const int32_t im_end = *v->special_token("<|im_end|>");
  EXPECT_EQ(tc.accept(im_end).code(), StatusCode::kInvalidArgument);  // not complete yet
  EXPECT_EQ(tc.allowed(), before);
  // The text goes on as if nothing happened.
  for (int32_t id : tok.encode("{\"n\": 42}")) ASSERT_TRUE(tc.accept(id).ok()) << id;
  EXPECT_TRUE(tc.complete());
}

TEST(TokenConstraintTest, CompletionAllowsOnlyEndOfGeneration) {
  auto v = vocab();
  ASSERT_NE(v, nullptr);
  const Tokenizer& tok = *testing::qwen3_tokenizer();
  auto c = TokenConstraint::create(v, *json_schema_grammar(R"({"type": "array", "maxItems": 1})"));
  ASSERT_TRUE(c.ok());
  TokenConstraint& tc = **c;
  EXPECT_FALSE(tc.complete());
  for (int32_t id : tok.encode("[true]")) ASSERT_TRUE(tc.accept(id).ok());
  EXPECT_TRUE(tc.complete());
  std::vector<float> logits(151936, 1.0f);  // the model's padded vocabulary
  tc.apply(logits);
  std::set<int32_t> finite;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (std::isfinite(logits[i])) finite.insert(static_cast<int32_t>(i));
  }
  const std::set<int32_t> eog(v->eog_tokens().begin(), v->eog_tokens().end());
  EXPECT_EQ(finite, eog);
  EXPECT_TRUE(eog.count(*v->special_token("<|im_end|>")));
  EXPECT_TRUE(eog.count(*v->special_token("<|endoftext|>")));
  EXPECT_EQ(tc.accept(tok.encode(" ")[0]).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(tc.accept(*v->special_token("<|im_end|>")).ok());
  EXPECT_TRUE(tc.complete());
  // A number at the top level may end or go on: both the digits and end of generation.
  auto n = TokenConstraint::create(v, *json_schema_grammar(R"({"type": "integer"})"));
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE((*n)->accept(tok.encode("7")[0]).ok());
  EXPECT_FALSE((*n)->complete());
  EXPECT_TRUE(bit((*n)->allowed(), tok.encode("8")[0]));
  EXPECT_TRUE(bit((*n)->allowed(), *v->special_token("<|im_end|>")));
}

// The calls of a constrained output: the bodies between <tool_call> and </tool_call>, each
// "\n{json}\n" (Qwen's format), as {name, arguments}; the text outside them must be newlines.
struct Call {
  std::string name;
  Json arguments;
};
std::vector<Call> split_calls(const std::string& text, std::string* error) {
  std::vector<Call> calls;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("<tool_call>", pos);
    const std::string between =
        text.substr(pos, open == std::string::npos ? std::string::npos : open - pos);
    if (between.find_first_not_of('\n') != std::string::npos) *error = "text outside calls";
    if (open == std::string::npos) break;
    const size_t close = text.find("</tool_call>", open);
    if (close == std::string::npos) {
      *error = "unclosed call";
      break;
    }
    const std::string body = text.substr(open + 11, close - open - 11);
    if (body.size() < 2 || body.front() != '\n' || body.back() != '\n') *error = "body framing";
    const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("name") || !j.contains("arguments")) {
      *error = "not a call object: " + body;
      break;
    }
    calls.push_back({j["name"].get<std::string>(), j["arguments"]});
    pos = close + 12;
  }
  return calls;
}

TEST(TokenConstraintTest, ToolCallsHaveQwensShape) {
  auto v = vocab();
  ASSERT_NE(v, nullptr);
  const Tokenizer& tok = *testing::qwen3_tokenizer();
  const std::string tools = R"([
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
      "properties": {"city": {"type": "string", "maxLength": 12}, "days": {"type": "integer", "minimum": 1, "maximum": 7}},
      "required": ["city"]}}},
    {"type": "function", "function": {"name": "order_coffee", "parameters": {"type": "object",
      "properties": {"size": {"enum": ["small", "large"]}, "count": {"type": "integer", "minimum": 1, "maximum": 3}},
      "required": ["size", "count"]}}}])";
  const Json tools_json = Json::parse(tools);
  const int32_t open = *v->special_token("<tool_call>");
  const int32_t close = *v->special_token("</tool_call>");
  Rng rng(8);
  for (int k = 0; k < 6; ++k) {
    const bool parallel = k % 2 == 1;
    const std::optional<std::string> only =
        k == 4 ? std::optional<std::string>("order_coffee") : std::nullopt;
    auto c = make_tool_call_constraint(v, tools, only, parallel);
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    const Generation g = generate(**c, *v, tok, rng, 40, 400);
    ASSERT_TRUE(g.ended) << g.text;
    EXPECT_EQ(g.ids.front(), open);  // the special token, never its text spelled out
    EXPECT_EQ(std::count(g.ids.begin(), g.ids.end(), open),
              std::count(g.ids.begin(), g.ids.end(), close));
    std::string error;
    const std::vector<Call> calls = split_calls(g.text, &error);
    ASSERT_EQ(error, "") << g.text;
    ASSERT_FALSE(calls.empty()) << g.text;
    if (!parallel) {
      EXPECT_EQ(calls.size(), 1u) << g.text;
    }
    for (const Call& call : calls) {
      if (only) {
        EXPECT_EQ(call.name, *only);
      }
      const Json* params = nullptr;
      for (const Json& t : tools_json) {
        if (t["function"]["name"] == call.name) params = &t["function"]["parameters"];
      }
      ASSERT_NE(params, nullptr) << call.name;
      std::string why;
      EXPECT_TRUE(Validator(*params).valid(call.arguments, *params, &why)) << why << "\n" << g.text;
    }
  }
}

TEST(TokenConstraintTest, ThinkingWrapper) {
  auto v = vocab();
  ASSERT_NE(v, nullptr);
  const Tokenizer& tok = *testing::qwen3_tokenizer();
  const int32_t think_end = *v->special_token("</think>");
  const int32_t im_end = *v->special_token("<|im_end|>");
  auto inner = make_json_schema_constraint(v, R"({"type": "boolean"})");
  ASSERT_TRUE(inner.ok());
  auto c = make_thinking_constraint(v, std::move(inner).value(), 3);
  ASSERT_TRUE(c.ok());
  LogitsConstraint& tc = **c;
  std::vector<float> logits(v->n_vocab(), 0.0f);
  // Inside the block: everything but end of generation.
  tc.apply(logits);
  EXPECT_TRUE(std::isfinite(logits[tok.encode("Hmm")[0]]));
  EXPECT_TRUE(std::isfinite(logits[think_end]));
  EXPECT_FALSE(std::isfinite(logits[im_end]));
  EXPECT_EQ(tc.accept(im_end).code(), StatusCode::kInvalidArgument);
  for (int32_t id : tok.encode("<think>\nok")) ASSERT_TRUE(tc.accept(id).ok());
  // The budget (3 tokens) is spent: only </think>.
  std::fill(logits.begin(), logits.end(), 0.0f);
  tc.apply(logits);
  EXPECT_EQ(std::count_if(logits.begin(), logits.end(), [](float x) { return std::isfinite(x); }),
            1);
  EXPECT_TRUE(std::isfinite(logits[think_end]));
  EXPECT_EQ(tc.accept(tok.encode("more")[0]).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(tc.accept(think_end).ok());
  EXPECT_FALSE(tc.complete());
  // "\n\n" may follow, then the inner constraint.
  std::fill(logits.begin(), logits.end(), 0.0f);
  tc.apply(logits);
  const int32_t nl2 = tok.encode("\n\n")[0];
  EXPECT_TRUE(std::isfinite(logits[nl2]));
  EXPECT_TRUE(std::isfinite(logits[tok.encode("true")[0]]));
  EXPECT_FALSE(std::isfinite(logits[tok.encode("x")[0]]));
  ASSERT_TRUE(tc.accept(nl2).ok());
  std::fill(logits.begin(), logits.end(), 0.0f);
  tc.apply(logits);
  EXPECT_FALSE(std::isfinite(logits[nl2]));  // two newlines were the most
  ASSERT_TRUE(tc.accept(tok.encode("true")[0]).ok());
  EXPECT_TRUE(tc.complete());
  ASSERT_TRUE(tc.accept(im_end).ok());

  // No budget: thinking may go on; the vocabulary must have </think>.
  auto unlimited = make_thinking_constraint(v, make_json_object_constraint(v).value(), -1);
  ASSERT_TRUE(unlimited.ok());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE((*unlimited)->accept(tok.encode("word")[0]).ok());
  EXPECT_EQ(make_thinking_constraint(v, make_json_object_constraint(v).value(), -2).status().code(),
            StatusCode::kInvalidArgument);
}

// When the prompt has not opened <think>, the model either opens it (and thinks freely) or
// answers under the constraint from its first token: never unconstrained text.
TEST(TokenConstraintTest, ThinkingWrapperWhenThePromptDidNotOpenTheBlock) {
  auto v = vocab();
  ASSERT_NE(v, nullptr);
  const Tokenizer& tok = *testing::qwen3_tokenizer();
  const int32_t think_open = *v->special_token("<think>");
  auto make = [&] {
    return make_thinking_constraint(
        v, make_json_schema_constraint(v, R"({"type": "boolean"})").value(), 8, /*opened=*/false);
  };
  auto direct = make();
  ASSERT_TRUE(direct.ok());
  std::vector<float> logits(v->n_vocab(), 0.0f);
  (*direct)->apply(logits);
  EXPECT_TRUE(std::isfinite(logits[think_open]));
  EXPECT_TRUE(std::isfinite(logits[tok.encode("true")[0]]));
  EXPECT_FALSE(std::isfinite(logits[tok.encode("Hmm")[0]]));
  EXPECT_EQ((*direct)->accept(tok.encode("Hmm")[0]).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE((*direct)->accept(tok.encode("true")[0]).ok());
  EXPECT_TRUE((*direct)->complete());

  auto thinking = make();
  ASSERT_TRUE((*thinking)->accept(think_open).ok());
  ASSERT_TRUE((*thinking)->accept(tok.encode("Hmm")[0]).ok());  // free inside the block
  EXPECT_FALSE((*thinking)->complete());
}

// Inside a bounded string the mask counts characters: with two left, two-character tokens
// fit and three-character ones do not; all positions with the same room share one analysis.
TEST(TokenConstraintTest, BoundedStringsCountCharactersPerToken) {
  auto v = vocab();
  ASSERT_NE(v, nullptr);
  const Tokenizer& tok = *testing::qwen3_tokenizer();
  auto program = ConstraintProgram::compile(
      v, *json_schema_grammar(R"({"type": "string", "maxLength": 400})"));
  ASSERT_TRUE(program.ok());
  auto c = TokenConstraint::create(*program);
  const int32_t a = tok.encode("a")[0];
  ASSERT_EQ(v->text_bytes(a), "a");
  ASSERT_TRUE(c->accept(tok.encode("\"")[0]).ok());
  for (int i = 0; i < 398; ++i) {
    c->allowed();
    ASSERT_TRUE(c->accept(a).ok()) << i;
  }
  // One analysis per room below the longest token, not one per character.
  EXPECT_LE((*program)->n_positions(), static_cast<size_t>(v->max_string_chars()) + 4);
  const std::vector<uint64_t> bits = c->allowed();
  EXPECT_EQ(bits, c->allowed_by_full_walk());
  for (const char* fits : {"ab", "\\n", "é", "\""}) {
    const std::vector<int32_t> ids = tok.encode(fits);
    ASSERT_EQ(ids.size(), 1u) << fits;
    EXPECT_TRUE(bit(bits, ids[0])) << fits;
  }
  for (const char* too_long : {"abc", "the", "..."}) {
    const std::vector<int32_t> ids = tok.encode(too_long);
    ASSERT_EQ(ids.size(), 1u) << too_long;
    EXPECT_FALSE(bit(bits, ids[0])) << too_long;
  }
  EXPECT_EQ(v->string_chars(tok.encode("\\n")[0]), 1);  // an escape is one character
  EXPECT_EQ(v->string_chars(tok.encode("\"")[0]), -1);
}

// Constraints of one program on several threads share its analyses: each sees the masks a
// constraint alone sees.
TEST(TokenConstraintTest, ProgramIsSharedAcrossThreads) {
  auto v = vocab();
  ASSERT_NE(v, nullptr);
  const Tokenizer& tok = *testing::qwen3_tokenizer();
  const std::vector<int32_t> doc = tok.encode(
      R"({"name": "Ada", "age": 36, "tags": ["x"], "status": "active", "address": {"city": "London"}})");
  auto masks_of = [&](std::shared_ptr<ConstraintProgram> program) {
    std::vector<std::vector<uint64_t>> out;
    auto c = TokenConstraint::create(std::move(program));
    for (int32_t id : doc) {
      out.push_back(c->allowed());
      if (!c->accept(id).ok()) break;
    }
    return out;
  };
  const Grammar g = *json_schema_grammar(kPersonSchema);
  const auto alone = masks_of(*ConstraintProgram::compile(v, g));
  ASSERT_EQ(alone.size(), doc.size());
  auto shared = *ConstraintProgram::compile(v, g);
  std::vector<std::vector<std::vector<uint64_t>>> results(3);
  std::vector<std::thread> threads;
  for (auto& r : results) threads.emplace_back([&r, &shared, &masks_of] { r = masks_of(shared); });
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_TRUE(r == alone);
}

// A grammar with a dead end (nothing can follow "a", so no text is a sentence): the mask
// offers end of generation and accept() takes it.
TEST(TokenConstraintTest, DeadEndAllowsEndOfGeneration) {
  auto v = vocab();
  ASSERT_NE(v, nullptr);
  Grammar g;
  g.add_rule("root", g.seq({g.literal("a"), g.alt({})}));
  auto c = TokenConstraint::create(v, g);
  ASSERT_TRUE(c.ok());
  // "a" leads nowhere, so nothing fits at the start.
  EXPECT_FALSE((*c)->accept(testing::qwen3_tokenizer()->encode("a")[0]).ok());
  const int32_t im_end = *v->special_token("<|im_end|>");
  EXPECT_TRUE(bit((*c)->allowed(), im_end));
  EXPECT_TRUE((*c)->accept(im_end).ok());
  EXPECT_TRUE((*c)->complete());
}

TEST(TokenConstraintTest, FactoriesReportSchemaErrors) {
  const Tokenizer* tok = testing::qwen3_tokenizer();
  ASSERT_NE(tok, nullptr);
  auto bad = make_json_schema_constraint(
      *tok, R"({"type": "object", "properties": {"a": {"minimum": []}}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("#/properties/a/minimum"), std::string::npos)
      << bad.status().message();
  auto tools = make_tool_call_constraint(*tok, "[]", std::nullopt, false);
  EXPECT_FALSE(tools.ok());
  EXPECT_TRUE(make_json_object_constraint(*tok).ok());
}

}  // namespace
}  // namespace qwl
