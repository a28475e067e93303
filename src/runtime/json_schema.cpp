// JSON Schema -> grammar. One rule per schema location (its JSON pointer), so $ref cycles
// become recursive rules; the shared pieces of "any JSON" (value, object, array, string,
// number) are rules made once per grammar, so their positions are analysed once by the token
// mask. Object members, keys and whitespace are inlined into the object's rule: the mask can
// then decide tokens such as `", "` or `": ` from that rule alone.
#include "runtime/json_schema.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "runtime/constraint_regex.h"

namespace qwl {

namespace {

using Json = nlohmann::ordered_json;

// Keywords that never constrain: accepted anywhere and ignored.
const std::set<std::string, std::less<>> kAnnotations = {
    "title", "description", "default",    "examples",     "$schema",
    "$id",   "$comment",    "deprecated", "readOnly",     "writeOnly",
    "$defs", "definitions", "$anchor",    "nullable_hint"};

const std::set<std::string, std::less<>> kKnown = {"type",
                                                   "enum",
                                                   "const",
                                                   "anyOf",
                                                   "oneOf",
                                                   "allOf",
                                                   "$ref",
                                                   "properties",
                                                   "required",
                                                   "additionalProperties",
                                                   "items",
                                                   "minItems",
                                                   "maxItems",
                                                   "minLength",
                                                   "maxLength",
                                                   "pattern",
                                                   "format",
                                                   "minimum",
                                                   "maximum",
                                                   "exclusiveMinimum",
                                                   "exclusiveMaximum"};

// Regular expressions for the string formats (anchored; docs/CONSTRAINTS.md says how far each
// approximates its RFC).
const std::map<std::string, std::string, std::less<>> kFormats = {
    {"date", R"(^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$)"},
    {"time",
     R"(^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$)"},
    {"date-time",
     R"(^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$)"},
    {"email",
     R"(^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$)"},
    {"uuid", R"(^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$)"},
    {"uri", R"(^[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$)"},
    {"ipv4", R"(^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$)"},
    {"hostname",
     R"(^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$)"},
};

// OpenAPI's numeric formats: annotations on numbers.
const std::set<std::string, std::less<>> kNumericFormats = {"int32", "int64", "float", "double"};

std::string pointer_escape(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string child(const std::string& path, std::string_view key) {
  return path + "/" + pointer_escape(key);
}

// A non-negative decimal written as digit strings: int_part without leading zeros ("0" for
// zero), frac without trailing zeros.
struct Decimal {
  bool negative = false;
  std::string int_part = "0";
  std::string frac;
};

// The exact decimal value of a JSON number (the shortest text that reads back as the double).
Decimal to_decimal(const Json& v) {
  std::string text;
  if (v.is_number_unsigned()) {
    text = std::to_string(v.get<uint64_t>());
  } else if (v.is_number_integer()) {
    text = std::to_string(v.get<int64_t>());
  } else {
    text = fmt::format("{}", v.get<double>());
  }
  Decimal d;
  size_t i = 0;
  if (i < text.size() && text[i] == '-') {
    d.negative = true;
    ++i;
  }
  std::string digits;
  int point = -1;
  int exp = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c == '.') {
      point = static_cast<int>(digits.size());
    } else if (c == 'e' || c == 'E') {
      exp = std::stoi(text.substr(i + 1));
      break;
    }
  }
  if (point < 0) point = static_cast<int>(digits.size());
  point += exp;
  while (point < 0) {
    digits.insert(digits.begin(), '0');
    ++point;
  }
  while (static_cast<int>(digits.size()) < point) digits += '0';
  d.int_part = digits.substr(0, point);
  d.frac = digits.substr(point);
  d.int_part.erase(0, std::min(d.int_part.find_first_not_of('0'), d.int_part.size()));
  if (d.int_part.empty()) d.int_part = "0";
  while (!d.frac.empty() && d.frac.back() == '0') d.frac.pop_back();
  if (d.int_part == "0" && d.frac.empty()) d.negative = false;
  return d;
}

bool is_zero(const Decimal& d) {
  return d.int_part == "0" && d.frac.empty();
}

// Compares non-negative decimals: -1, 0, 1.
int compare_abs(const Decimal& a, const Decimal& b) {
  if (a.int_part.size() != b.int_part.size()) return a.int_part.size() < b.int_part.size() ? -1 : 1;
  if (a.int_part != b.int_part) return a.int_part < b.int_part ? -1 : 1;
  if (a.frac != b.frac) return a.frac < b.frac ? -1 : 1;  // no trailing zeros: lexicographic
  return 0;
}

int compare(const Decimal& a, const Decimal& b) {
  if (a.negative != b.negative) return a.negative ? -1 : 1;
  const int c = compare_abs(a, b);
  return a.negative ? -c : c;
}

struct Bound {
  Decimal value;
  bool exclusive = false;
};

// Bounded repetitions are expanded into the automaton (a string character is about 40 nodes):
// a maxLength or maxItems above this is enforced as this (stricter, so generated text still
// validates), a minLength or minItems above it is refused.
constexpr int64_t kMaxExpandedCount = 2048;

// Schemas nested deeper than this (through properties, items, anyOf, $ref chains) are refused:
// compilation recurses once per level.
constexpr int kMaxSchemaDepth = 128;

class SchemaCompiler {
 public:
  SchemaCompiler(Grammar* g, const JsonGrammarOptions& options, const Json& root,
                 std::string rule_prefix)
      : g_(g), options_(options), root_(root), rule_prefix_(std::move(rule_prefix)) {}

  // A call of the rule for the schema at `path` (made on first use).
  Result<GrammarExpr> schema(const Json& s, const std::string& path) {
    auto it = rules_.find(path);
    if (it != rules_.end()) return g_->call(it->second);
    if (depth_ >= kMaxSchemaDepth) {
      return OutOfRangeError("{}: schemas nested deeper than {}", path, kMaxSchemaDepth);
    }
    const GrammarRule r = g_->declare_rule(rule_prefix_ + path);
    rules_.emplace(path, r);
    ++depth_;
    Result<GrammarExpr> body = schema_body(s, path);
    --depth_;
    if (!body.ok()) return body.status();
    g_->define_rule(r, *body);
    return g_->call(r);
  }

  GrammarExpr any_value() { return g_->call(value_rule()); }
  GrammarExpr any_object() { return g_->call(object_rule()); }

 private:
  // -------------------------------------------------------------------------------------------
  // Shared pieces

  // Optional bounded whitespace: nothing, one space, or a newline and up to max_indent
  // spaces or tabs.
  GrammarExpr ws() {
    if (ws_ < 0) {
      ws_ = g_->optional(
          g_->alt({g_->literal(" "),
                   g_->seq({g_->literal("\n"), g_->repeat(g_->byte_set({{' ', ' '}, {'\t', '\t'}}),
                                                          0, options_.max_indent)})}));
    }
    return ws_;
  }

  GrammarExpr comma() {
    if (comma_ < 0) comma_ = g_->seq({ws(), g_->literal(","), ws()});
    return comma_;
  }
  GrammarExpr colon() {
    if (colon_ < 0) colon_ = g_->seq({ws(), g_->literal(":"), ws()});
    return colon_;
  }

  GrammarRule string_rule() {
    if (string_rule_ < 0) {
      string_rule_ = g_->add_rule("string", g_->json_string(0, kUnbounded));
    }
    return string_rule_;
  }

  GrammarRule number_rule() {
    if (number_rule_ < 0) {
      const GrammarExpr digit = g_->byte_set({{'0', '9'}});
      const GrammarExpr int_part =
          g_->alt({g_->literal("0"), g_->seq({g_->byte_set({{'1', '9'}}),
                                              g_->repeat(digit, 0, options_.max_int_digits - 1)})});
      const GrammarExpr frac =
          g_->seq({g_->literal("."), g_->repeat(digit, 1, options_.max_frac_digits)});
      const GrammarExpr exp = g_->seq({g_->byte_set({{'e', 'e'}, {'E', 'E'}}),
                                       g_->optional(g_->byte_set({{'+', '+'}, {'-', '-'}})),
                                       g_->repeat(digit, 1, options_.max_exp_digits)});
      number_rule_ = g_->add_rule("number", g_->seq({g_->optional(g_->literal("-")), int_part,
                                                     g_->optional(frac), g_->optional(exp)}));
    }
    return number_rule_;
  }

  GrammarRule value_rule() {
    if (value_rule_ < 0) {
      value_rule_ = g_->declare_rule("value");
      const GrammarRule object = object_rule();
      const GrammarRule array = g_->declare_rule("array");
      const GrammarExpr value = g_->call(value_rule_);
      g_->define_rule(
          array, g_->seq({g_->literal("["), ws(),
                          g_->optional(g_->seq({value, g_->star(g_->seq({comma(), value})), ws()})),
                          g_->literal("]")}));
      g_->define_rule(value_rule_,
                      g_->alt({g_->call(object), g_->call(array), g_->call(string_rule()),
                               g_->call(number_rule()), g_->literal("true"), g_->literal("false"),
                               g_->literal("null")}));
    }
    return value_rule_;
  }

  GrammarRule object_rule() {
    if (object_rule_ < 0) {
      object_rule_ = g_->declare_rule("object");
      const GrammarExpr member =
          g_->seq({g_->call(string_rule()), colon(), g_->call(value_rule())});
      g_->define_rule(
          object_rule_,
          g_->seq({g_->literal("{"), ws(),
                   g_->optional(g_->seq({member, g_->star(g_->seq({comma(), member})), ws()})),
                   g_->literal("}")}));
    }
    return object_rule_;
  }

  // -------------------------------------------------------------------------------------------
  // Schemas

  Result<GrammarExpr> schema_body(const Json& s, const std::string& path) {
    if (s.is_boolean()) {
      if (s.get<bool>()) return any_value();
      return InvalidArgumentError("{}: the schema false allows no value", path);
    }
    if (!s.is_object())
      return InvalidArgumentError("{}: a schema must be an object or a boolean", path);
    for (const auto& [key, value] : s.items()) {
      if (kAnnotations.count(key) == 0 && kKnown.count(key) == 0) {
        return UnsupportedError("{}: keyword not supported", child(path, key));
      }
    }
    if (s.contains("$ref")) return ref(s, path);
    if (s.contains("anyOf") || s.contains("oneOf") || s.contains("allOf"))
      return combination(s, path);
    if (s.contains("const")) return literal_value(s["const"]);
    if (s.contains("enum")) return enumeration(s, path);

    std::vector<std::string> types;
    if (s.contains("type")) {
      const Json& t = s["type"];
      if (t.is_string()) {
        types.push_back(t.get<std::string>());
      } else if (t.is_array() && !t.empty()) {
        for (const Json& x : t) {
          if (!x.is_string())
            return InvalidArgumentError("{}: type names must be strings", child(path, "type"));
          types.push_back(x.get<std::string>());
        }
      } else {
        return InvalidArgumentError("{}: must be a type name or a non-empty array of them",
                                    child(path, "type"));
      }
    } else {
      types = infer_types(s);
      if (types.empty()) return any_value();
    }
    std::vector<GrammarExpr> alts;
    for (const std::string& t : types) {
      QWL_ASSIGN_OR_RETURN(GrammarExpr e, typed(s, path, t));
      alts.push_back(e);
    }
    return g_->alt(std::move(alts));
  }

  // Without "type", the keywords present say which types the schema is about.
  static std::vector<std::string> infer_types(const Json& s) {
    std::vector<std::string> types;
    auto any_of = [&](std::initializer_list<const char*> keys) {
      for (const char* k : keys) {
        if (s.contains(k)) return true;
      }
      return false;
    };
    if (any_of({"properties", "required", "additionalProperties"})) types.push_back("object");
    if (any_of({"items", "minItems", "maxItems"})) types.push_back("array");
    if (any_of({"minLength", "maxLength", "pattern", "format"})) types.push_back("string");
    if (any_of({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})) {
      types.push_back("number");
    }
    return types;
  }

  Result<GrammarExpr> typed(const Json& s, const std::string& path, const std::string& type) {
    if (type == "object") return object(s, path);
    if (type == "array") return array(s, path);
    if (type == "string") return string(s, path);
    if (type == "integer") return integer(s, path);
    if (type == "number") return number(s, path);
    if (type == "boolean") return g_->alt({g_->literal("true"), g_->literal("false")});
    if (type == "null") return g_->literal("null");
    return InvalidArgumentError("{}: unknown type '{}'", child(path, "type"), type);
  }

  // Keywords other than annotations, besides `allowed`.
  static std::optional<std::string> other_keyword(const Json& s,
                                                  std::initializer_list<const char*> allowed) {
    for (const auto& [key, value] : s.items()) {
      if (kAnnotations.count(key)) continue;
      bool ok = false;
      for (const char* a : allowed) ok = ok || key == a;
      if (!ok) return key;
    }
    return std::nullopt;
  }

  Result<GrammarExpr> ref(const Json& s, const std::string& path) {
    if (auto other = other_keyword(s, {"$ref"})) {
      return UnsupportedError("{}: keywords beside $ref are not supported", child(path, *other));
    }
    const Json& r = s["$ref"];
    if (!r.is_string()) return InvalidArgumentError("{}: must be a string", child(path, "$ref"));
    const std::string target = r.get<std::string>();
    if (target.empty() || target[0] != '#') {
      return UnsupportedError("{}: only local references (\"#...\") are supported, not '{}'",
                              child(path, "$ref"), target);
    }
    // Walk the JSON pointer from the root document.
    const Json* node = &root_;
    std::string resolved = "#";
    size_t i = 1;
    if (target.size() > 1 && target[1] != '/') {
      return UnsupportedError("{}: anchors ('{}') are not supported, only JSON pointers",
                              child(path, "$ref"), target);
    }
    while (i < target.size()) {
      const size_t next = target.find('/', i + 1);
      std::string token =
          target.substr(i + 1, (next == std::string::npos ? target.size() : next) - i - 1);
      std::string key;
      for (size_t k = 0; k < token.size(); ++k) {
        if (token[k] == '~' && k + 1 < token.size() &&
            (token[k + 1] == '0' || token[k + 1] == '1')) {
          key += token[k + 1] == '0' ? '~' : '/';
          ++k;
        } else {
          key += token[k];
        }
      }
      if (node->is_object() && node->contains(key)) {
        node = &(*node)[key];
      } else if (node->is_array() && !key.empty() &&
                 key.find_first_not_of("0123456789") == std::string::npos &&
                 std::stoul(key) < node->size()) {
        node = &(*node)[std::stoul(key)];
      } else {
        return InvalidArgumentError("{}: reference '{}' does not resolve", child(path, "$ref"),
                                    target);
      }
      resolved += "/" + pointer_escape(key);
      i = next == std::string::npos ? target.size() : next;
    }
    return schema(*node, resolved);
  }

  Result<GrammarExpr> combination(const Json& s, const std::string& path) {
    const char* key = s.contains("anyOf") ? "anyOf" : s.contains("oneOf") ? "oneOf" : "allOf";
    if (auto other = other_keyword(s, {key})) {
      return UnsupportedError("{}: keywords beside {} are not supported", child(path, *other), key);
    }
    const Json& list = s[key];
    const std::string list_path = child(path, key);
    if (!list.is_array() || list.empty()) {
      return InvalidArgumentError("{}: must be a non-empty array of schemas", list_path);
    }
    if (std::string_view(key) == "allOf" && list.size() != 1) {
      return UnsupportedError("{}: allOf with more than one schema is not supported", list_path);
    }
    std::vector<GrammarExpr> alts;
    for (size_t i = 0; i < list.size(); ++i) {
      QWL_ASSIGN_OR_RETURN(GrammarExpr e, schema(list[i], child(list_path, std::to_string(i))));
      alts.push_back(e);
    }
    return g_->alt(std::move(alts));
  }

  GrammarExpr literal_value(const Json& v) { return g_->literal(v.dump()); }

  static bool has_type(const Json& v, const std::string& type) {
    if (type == "string") return v.is_string();
    if (type == "integer") {
      return v.is_number_integer() ||
             (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
    }
    if (type == "number") return v.is_number();
    if (type == "boolean") return v.is_boolean();
    if (type == "null") return v.is_null();
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    return false;
  }

  Result<GrammarExpr> enumeration(const Json& s, const std::string& path) {
    const Json& values = s["enum"];
    const std::string epath = child(path, "enum");
    if (!values.is_array() || values.empty()) {
      return InvalidArgumentError("{}: must be a non-empty array", epath);
    }
    // "type" beside "enum" filters the values; other keywords beside it are redundant for the
    // values that validate, and checking them is left to the schema author.
    std::vector<std::string> types;
    if (s.contains("type")) {
      const Json& t = s["type"];
      if (t.is_string()) types.push_back(t.get<std::string>());
      if (t.is_array()) {
        for (const Json& x : t) {
          if (x.is_string()) types.push_back(x.get<std::string>());
        }
      }
    }
    std::vector<GrammarExpr> alts;
    for (const Json& v : values) {
      bool ok = types.empty();
      for (const std::string& t : types) ok = ok || has_type(v, t);
      if (ok) alts.push_back(literal_value(v));
    }
    if (alts.empty()) return InvalidArgumentError("{}: no value has the schema's type", epath);
    return g_->alt(std::move(alts));
  }

  // -------------------------------------------------------------------------------------------
  // Objects

  // The key of an additional property: any string except the declared names (as written by
  // json_string_char: a name spelled with other escapes is not excluded).
  GrammarExpr key_excluding(const std::vector<std::string>& names) {
    struct TrieNode {
      std::map<char32_t, int> children;
      bool terminal = false;
    };
    std::vector<TrieNode> trie(1);
    for (const std::string& name : names) {
      int t = 0;
      for (char32_t cp : decode(name)) {
        auto it = trie[t].children.find(cp);
        if (it == trie[t].children.end()) {
          trie.emplace_back();
          it = trie[t].children.emplace(cp, static_cast<int>(trie.size() - 1)).first;
        }
        t = it->second;
      }
      trie[t].terminal = true;
    }
    const GrammarExpr free = g_->star(json_string_any_char(g_));
    std::function<GrammarExpr(int)> build = [&](int t) -> GrammarExpr {
      std::vector<GrammarExpr> alts;
      if (!trie[t].terminal) alts.push_back(g_->empty());
      std::vector<CodepointRange> others;
      char32_t next = 0;
      for (const auto& [cp, c] : trie[t].children) {
        alts.push_back(g_->seq({json_string_char(g_, {{cp, cp}}), build(c)}));
        if (cp > next) others.push_back({next, cp - 1});
        next = cp + 1;
      }
      others.push_back({next, 0x10FFFF});
      alts.push_back(g_->seq({json_string_char(g_, others), free}));
      return g_->alt(std::move(alts));
    };
    return g_->seq({g_->literal("\""), build(0), g_->literal("\"")});
  }

  static std::u32string decode(const std::string& s) {
    std::u32string out;
    for (size_t i = 0; i < s.size();) {
      const auto b = static_cast<uint8_t>(s[i]);
      const int n = b < 0x80 ? 0 : b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
      char32_t cp = n == 0 ? b : b & (0x3F >> n);
      for (int k = 1; k <= n && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
      out.push_back(cp);
      i += n + 1;
    }
    return out;
  }

  Result<GrammarExpr> object(const Json& s, const std::string& path) {
    struct Property {
      std::string name;
      bool required = false;
      GrammarExpr kv = -1;
    };
    std::vector<Property> props;
    const bool has_properties = s.contains("properties");
    if (has_properties) {
      const Json& p = s["properties"];
      const std::string ppath = child(path, "properties");
      if (!p.is_object()) return InvalidArgumentError("{}: must be an object", ppath);
      for (const auto& [name, sub] : p.items()) {
        QWL_ASSIGN_OR_RETURN(GrammarExpr value, schema(sub, child(ppath, name)));
        props.push_back({name, false, g_->seq({g_->literal(Json(name).dump()), colon(), value})});
      }
    }
    if (s.contains("required")) {
      const Json& r = s["required"];
      const std::string rpath = child(path, "required");
      if (!r.is_array()) return InvalidArgumentError("{}: must be an array of names", rpath);
      for (const Json& name : r) {
        if (!name.is_string()) return InvalidArgumentError("{}: must be an array of names", rpath);
        bool found = false;
        for (Property& p : props) {
          if (p.name == name.get<std::string>()) p.required = found = true;
        }
        if (!found) {
          return InvalidArgumentError("{}: '{}' is not declared in properties", rpath,
                                      name.get<std::string>());
        }
      }
    }
    // Additional properties: absent means false when properties are declared (see header).
    std::optional<GrammarExpr> extra;
    if (s.contains("additionalProperties")) {
      const Json& a = s["additionalProperties"];
      const std::string apath = child(path, "additionalProperties");
      if (a.is_boolean()) {
        if (a.get<bool>()) extra = any_value();
      } else if (a.is_object()) {
        QWL_ASSIGN_OR_RETURN(GrammarExpr v, schema(a, apath));
        extra = v;
      } else {
        return InvalidArgumentError("{}: must be a boolean or a schema", apath);
      }
    } else if (!has_properties) {
      extra = any_value();
    }
    std::optional<GrammarExpr> extra_kv;
    if (extra.has_value()) {
      std::vector<std::string> names;
      for (const Property& p : props) names.push_back(p.name);
      const GrammarExpr key = names.empty() ? g_->call(string_rule()) : key_excluding(names);
      extra_kv = g_->seq({key, colon(), *extra});
    }

    // Members in declared order. after(i): the members from i on once one was written (each
    // preceded by a comma); first(i): the members from i on before any was written (non-empty).
    const int k = static_cast<int>(props.size());
    int leading_optional = 0;
    while (leading_optional < k && !props[leading_optional].required) ++leading_optional;
    // first(i) holds a copy of after(i + 1) for each leading optional member: past a budget,
    // the after() chains become rules (called, not copied) to keep the grammar linear.
    const bool after_as_rules = static_cast<long>(leading_optional) * k > 64;
    std::vector<GrammarExpr> after(k + 1);
    after[k] = extra_kv ? g_->star(g_->seq({comma(), *extra_kv})) : g_->empty();
    for (int i = k - 1; i >= 0; --i) {
      const GrammarExpr member = g_->seq({comma(), props[i].kv});
      after[i] = g_->seq({props[i].required ? member : g_->optional(member), after[i + 1]});
      if (after_as_rules) {
        after[i] =
            g_->call(g_->add_rule(fmt::format("{}{}/after-{}", rule_prefix_, path, i), after[i]));
      }
    }
    std::vector<GrammarExpr> first(k + 1);
    first[k] = extra_kv ? g_->seq({*extra_kv, after[k]}) : g_->alt({});
    for (int i = k - 1; i >= 0; --i) {
      const GrammarExpr here = g_->seq({props[i].kv, after[i + 1]});
      first[i] = props[i].required ? here : g_->alt({here, first[i + 1]});
    }
    const GrammarExpr close = g_->seq({ws(), g_->literal("}")});
    const bool can_be_empty = leading_optional == k;
    return g_->seq({g_->literal("{"), ws(),
                    can_be_empty ? g_->alt({g_->seq({first[0], close}), g_->literal("}")})
                                 : g_->seq({first[0], close})});
  }

  // -------------------------------------------------------------------------------------------
  // Arrays

  // A non-negative integer keyword, or `fallback` when absent.
  static Result<int64_t> count_keyword(const Json& s, const std::string& path, const char* key,
                                       int64_t fallback) {
    if (!s.contains(key)) return fallback;
    const Json& v = s[key];
    if (v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0)) {
      return static_cast<int64_t>(std::min<uint64_t>(v.get<uint64_t>(), 1u << 30));
    }
    if (v.is_number_float() && v.get<double>() >= 0 &&
        std::floor(v.get<double>()) == v.get<double>()) {
      return static_cast<int64_t>(std::min(v.get<double>(), 1e9));
    }
    return InvalidArgumentError("{}: must be a non-negative integer", child(path, key));
  }

  static Status check_expandable(const std::string& path, const char* key, int64_t value) {
    if (value > kMaxExpandedCount) {
      return UnsupportedError("{}: values above {} are not supported", child(path, key),
                              kMaxExpandedCount);
    }
    return Status::Ok();
  }

  Result<GrammarExpr> array(const Json& s, const std::string& path) {
    GrammarExpr item = -1;
    if (s.contains("items")) {
      const Json& it = s["items"];
      if (it.is_array()) {
        return UnsupportedError("{}: an array of item schemas (tuple) is not supported",
                                child(path, "items"));
      }
      QWL_ASSIGN_OR_RETURN(item, schema(it, child(path, "items")));
    } else {
      item = any_value();
    }
    QWL_ASSIGN_OR_RETURN(const int64_t min, count_keyword(s, path, "minItems", 0));
    QWL_ASSIGN_OR_RETURN(int64_t max, count_keyword(s, path, "maxItems", -1));
    QWL_RETURN_IF_ERROR(check_expandable(path, "minItems", min));
    if (max >= 0 && max < min) {
      return InvalidArgumentError("{}: maxItems {} is below minItems {}", path, max, min);
    }
    max = std::min(max, kMaxExpandedCount);
    if (max == 0) return g_->seq({g_->literal("["), ws(), g_->literal("]")});
    const GrammarExpr rest =
        g_->repeat(g_->seq({comma(), item}), static_cast<int>(std::max<int64_t>(min - 1, 0)),
                   max < 0 ? kUnbounded : static_cast<int>(max - 1));
    const GrammarExpr items = g_->seq({item, rest, ws()});
    return g_->seq(
        {g_->literal("["), ws(), min == 0 ? g_->optional(items) : items, g_->literal("]")});
  }

  // -------------------------------------------------------------------------------------------
  // Strings

  Result<GrammarExpr> string(const Json& s, const std::string& path) {
    QWL_ASSIGN_OR_RETURN(const int64_t min, count_keyword(s, path, "minLength", 0));
    QWL_ASSIGN_OR_RETURN(int64_t max, count_keyword(s, path, "maxLength", -1));
    QWL_RETURN_IF_ERROR(check_expandable(path, "minLength", min));
    if (max >= 0 && max < min) {
      return InvalidArgumentError("{}: maxLength {} is below minLength {}", path, max, min);
    }
    max = std::min(max, kMaxExpandedCount);
    const bool has_length = s.contains("minLength") || s.contains("maxLength");
    std::optional<std::string> pattern;
    std::string pattern_path;
    if (s.contains("pattern")) {
      pattern_path = child(path, "pattern");
      if (!s["pattern"].is_string())
        return InvalidArgumentError("{}: must be a string", pattern_path);
      pattern = s["pattern"].get<std::string>();
    }
    if (s.contains("format")) {
      const std::string fpath = child(path, "format");
      if (!s["format"].is_string()) return InvalidArgumentError("{}: must be a string", fpath);
      const std::string format = s["format"].get<std::string>();
      auto it = kFormats.find(format);
      if (it == kFormats.end())
        return UnsupportedError("{}: format '{}' is not supported", fpath, format);
      if (pattern.has_value()) {
        return UnsupportedError("{}: format and pattern together are not supported", fpath);
      }
      pattern = it->second;
      pattern_path = fpath;
    }
    if (pattern.has_value()) {
      if (has_length) {
        return UnsupportedError(
            "{}: minLength/maxLength together with a pattern or format are "
            "not supported",
            pattern_path);
      }
      Result<GrammarExpr> content = json_string_pattern(g_, *pattern);
      if (!content.ok()) {
        return Status(content.status().code(),
                      fmt::format("{}: {}", pattern_path, content.status().message()));
      }
      return g_->seq({g_->literal("\""), *content, g_->literal("\"")});
    }
    if (!has_length) return g_->call(string_rule());
    return g_->json_string(static_cast<int>(min), max < 0 ? kUnbounded : static_cast<int>(max));
  }

  // -------------------------------------------------------------------------------------------
  // Numbers

  // Reads minimum / maximum / exclusiveMinimum / exclusiveMaximum (numbers, or the draft-4
  // booleans that make minimum / maximum exclusive).
  Status bounds(const Json& s, const std::string& path, std::optional<Bound>* lo,
                std::optional<Bound>* hi) {
    auto number_at = [&](const char* key) -> Result<std::optional<Decimal>> {
      if (!s.contains(key)) return std::optional<Decimal>();
      const Json& v = s[key];
      if (v.is_boolean()) return std::optional<Decimal>();
      if (!v.is_number()) return InvalidArgumentError("{}: must be a number", child(path, key));
      if (v.is_number_float() && !std::isfinite(v.get<double>())) {
        return InvalidArgumentError("{}: must be finite", child(path, key));
      }
      return std::optional<Decimal>(to_decimal(v));
    };
    QWL_ASSIGN_OR_RETURN(std::optional<Decimal> minimum, number_at("minimum"));
    QWL_ASSIGN_OR_RETURN(std::optional<Decimal> maximum, number_at("maximum"));
    QWL_ASSIGN_OR_RETURN(std::optional<Decimal> xmin, number_at("exclusiveMinimum"));
    QWL_ASSIGN_OR_RETURN(std::optional<Decimal> xmax, number_at("exclusiveMaximum"));
    auto draft4 = [&](const char* key) {
      return s.contains(key) && s[key].is_boolean() && s[key].get<bool>();
    };
    if (minimum) *lo = Bound{*minimum, draft4("exclusiveMinimum")};
    if (xmin && (!*lo || compare(*xmin, (*lo)->value) >= 0)) *lo = Bound{*xmin, true};
    if (maximum) *hi = Bound{*maximum, draft4("exclusiveMaximum")};
    if (xmax && (!*hi || compare(*xmax, (*hi)->value) <= 0)) *hi = Bound{*xmax, true};
    return Status::Ok();
  }

  // Non-negative integers from lo to hi (digit strings without leading zeros, same length),
  // as digit classes: the classic split of a range into a prefix and full-range suffixes.
  GrammarExpr same_length_range(const std::string& a, const std::string& b) {
    if (a == b) return g_->literal(a);
    const auto d = [&](char c) {
      return g_->byte_set({{static_cast<uint8_t>(c), static_cast<uint8_t>(c)}});
    };
    if (a.size() == 1)
      return g_->byte_set({{static_cast<uint8_t>(a[0]), static_cast<uint8_t>(b[0])}});
    const std::string ar = a.substr(1), br = b.substr(1);
    if (a[0] == b[0]) return g_->seq({d(a[0]), same_length_range(ar, br)});
    const size_t n = ar.size();
    std::vector<GrammarExpr> alts;
    char from = a[0], to = b[0];
    if (ar != std::string(n, '0')) {
      alts.push_back(g_->seq({d(a[0]), same_length_range(ar, std::string(n, '9'))}));
      ++from;
    }
    GrammarExpr tail = -1;
    if (br != std::string(n, '9')) {
      tail = g_->seq({d(b[0]), same_length_range(std::string(n, '0'), br)});
      --to;
    }
    if (from <= to) {
      alts.push_back(g_->seq(
          {g_->byte_set({{static_cast<uint8_t>(from), static_cast<uint8_t>(to)}}),
           g_->repeat(g_->byte_set({{'0', '9'}}), static_cast<int>(n), static_cast<int>(n))}));
    }
    if (tail >= 0) alts.push_back(tail);
    return g_->alt(std::move(alts));
  }

  // Integers in [a, b] written without sign or leading zeros; b == nullopt: no upper bound
  // (up to max_int_digits digits). Lengths strictly between a's and b's are one alternative.
  GrammarExpr uint_range(const std::string& a, const std::optional<std::string>& b) {
    const size_t la = a.size();
    const size_t lb = b ? b->size() : std::max<size_t>(la, options_.max_int_digits);
    const auto digits = [&](size_t from, size_t to) {  // [1-9][0-9]{from-1, to-1}
      return g_->seq({g_->byte_set({{'1', '9'}}),
                      g_->repeat(g_->byte_set({{'0', '9'}}), static_cast<int>(from - 1),
                                 static_cast<int>(to - 1))});
    };
    if (la == lb) return same_length_range(a, b ? *b : std::string(la, '9'));
    std::vector<GrammarExpr> alts = {same_length_range(a, std::string(la, '9'))};
    if (!b) {
      alts.push_back(digits(la + 1, lb));
      return g_->alt(std::move(alts));
    }
    if (lb > la + 1) alts.push_back(digits(la + 1, lb - 1));
    std::string lo(lb, '0');
    lo[0] = '1';
    alts.push_back(same_length_range(lo, *b));
    return g_->alt(std::move(alts));
  }

  static std::string add_one(std::string digits) {
    int i = static_cast<int>(digits.size()) - 1;
    while (i >= 0 && digits[i] == '9') digits[i--] = '0';
    if (i < 0) {
      digits.insert(digits.begin(), '1');
      return digits;
    }
    ++digits[i];
    return digits;
  }
  static std::string sub_one(std::string digits) {  // digits > 0
    int i = static_cast<int>(digits.size()) - 1;
    while (digits[i] == '0') digits[i--] = '9';
    --digits[i];
    if (digits.size() > 1 && digits[0] == '0') digits.erase(0, 1);
    return digits;
  }
  // Signed integer arithmetic on whole decimals.
  static Decimal normalized(Decimal d) {
    if (d.int_part == "0" && d.frac.empty()) d.negative = false;
    return d;
  }
  static Decimal increment(Decimal d) {
    if (!d.negative) {
      d.int_part = add_one(d.int_part);
    } else {
      d.int_part = sub_one(d.int_part);
    }
    return normalized(d);
  }
  static Decimal decrement(Decimal d) {
    if (d.negative) {
      d.int_part = add_one(d.int_part);
    } else if (d.int_part == "0") {
      d.negative = true;
      d.int_part = "1";
    } else {
      d.int_part = sub_one(d.int_part);
    }
    return normalized(d);
  }
  static Decimal ceil_of(Decimal d) {
    if (d.frac.empty()) return d;
    d.frac.clear();
    if (!d.negative) d.int_part = add_one(d.int_part);  // a negative value truncates up
    return normalized(d);
  }
  static Decimal floor_of(Decimal d) {
    if (d.frac.empty()) return d;
    d.frac.clear();
    if (d.negative) d.int_part = add_one(d.int_part);
    return normalized(d);
  }
  static int compare_digits(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }

  Result<GrammarExpr> integer(const Json& s, const std::string& path) {
    std::optional<Bound> lo, hi;
    QWL_RETURN_IF_ERROR(bounds(s, path, &lo, &hi));
    // Integer bounds: the smallest and largest integers inside, as signed digit strings.
    std::optional<Decimal> ilo, ihi;
    if (lo) {
      const bool whole = lo->value.frac.empty();
      ilo = lo->exclusive && whole ? increment(lo->value) : ceil_of(lo->value);
    }
    if (hi) {
      const bool whole = hi->value.frac.empty();
      ihi = hi->exclusive && whole ? decrement(hi->value) : floor_of(hi->value);
    }
    // JSON Schema's integers are unbounded, but what reads a tool call's arguments (the chat
    // template's input when the call is sent back as history, the services' ids) holds 64 bits:
    // a side with no bound ends at int64's limit, so that a model cannot write an integer that
    // the next request would refuse.
    if (!ilo) ilo = Decimal{.negative = true, .int_part = "9223372036854775808", .frac = ""};
    if (!ihi) ihi = Decimal{.negative = false, .int_part = "9223372036854775807", .frac = ""};
    if (compare(*ilo, *ihi) > 0) {
      return InvalidArgumentError("{}: no integer lies between the minimum and the maximum", path);
    }
    std::vector<GrammarExpr> alts;
    // Non-negative side: [max(lo, 0), hi].
    if (!ihi || !ihi->negative) {
      const std::string a = (ilo && !ilo->negative) ? ilo->int_part : "0";
      std::optional<std::string> b;
      if (ihi) b = ihi->int_part;
      alts.push_back(uint_range(a, b));
    }
    // Negative side: -[max(-hi, 1), -lo].
    if (!ilo || ilo->negative) {
      const std::string a = (ihi && ihi->negative) ? ihi->int_part : "1";
      std::optional<std::string> b;
      if (ilo) b = ilo->int_part;
      if (!b || compare_digits(a, *b) <= 0)
        alts.push_back(g_->seq({g_->literal("-"), uint_range(a, b)}));
    }
    return g_->alt(std::move(alts));
  }

  // The fraction digits after the point, between optional bounds on them (digit strings
  // without trailing zeros, compared as 0.digits): a small automaton over (position, equal to
  // the lower bound so far, equal to the upper bound so far). at_start: no digit yet (the
  // fraction must have at least one).
  GrammarExpr fraction(int i, bool tight_lo, bool tight_hi, const std::string& lo, bool lo_excl,
                       const std::string& hi, bool hi_excl, int cap) {
    std::vector<GrammarExpr> alts;
    const int nlo = static_cast<int>(lo.size()), nhi = static_cast<int>(hi.size());
    if (i > 0) {
      const bool lo_ok = !tight_lo || (i >= nlo && !lo_excl);
      const bool hi_ok = !tight_hi || i < nhi || !hi_excl;
      if (lo_ok && hi_ok) alts.push_back(g_->empty());
    }
    if (i >= cap) return g_->alt(std::move(alts));
    if (!tight_lo && !tight_hi) {
      return g_->repeat(g_->byte_set({{'0', '9'}}), i == 0 ? 1 : 0, cap - i);
    }
    const int l = tight_lo ? (i < nlo ? lo[i] - '0' : 0) : 0;
    const int u = tight_hi ? (i < nhi ? hi[i] - '0' : 0) : 9;
    for (int c = l; c <= u; ++c) {
      const bool tl = tight_lo && c == l, th = tight_hi && c == u;
      if (!tl && !th) {
        // Every digit strictly between the tight ones leads to the same free tail.
        int c2 = c;
        while (c2 + 1 <= u && !(tight_hi && c2 + 1 == u)) ++c2;
        alts.push_back(g_->seq(
            {g_->byte_set({{static_cast<uint8_t>('0' + c), static_cast<uint8_t>('0' + c2)}}),
             fraction(i + 1, false, false, lo, lo_excl, hi, hi_excl, cap)}));
        c = c2;
        continue;
      }
      alts.push_back(g_->seq({g_->literal(std::string(1, static_cast<char>('0' + c))),
                              fraction(i + 1, tl, th, lo, lo_excl, hi, hi_excl, cap)}));
    }
    return g_->alt(std::move(alts));
  }

  // Unsigned decimals "I" or "I.F" with lo <= value <= hi (each bound optional and possibly
  // exclusive; lo >= 0).
  GrammarExpr udecimal_range(const Bound& lo, const std::optional<Bound>& hi) {
    const int cap =
        std::max<int>({options_.max_frac_digits, static_cast<int>(lo.value.frac.size()) + 1,
                       hi ? static_cast<int>(hi->value.frac.size()) + 1 : 0});
    // The fraction (optional: absent means .0) under the given tightness.
    auto frac = [&](bool tl, bool th) {
      const std::string hf = hi ? hi->value.frac : "";
      const bool hx = hi && hi->exclusive;
      std::vector<GrammarExpr> alts;
      const bool lo_ok = !tl || (lo.value.frac.empty() && !lo.exclusive);
      const bool hi_ok = !th || !hf.empty() || !hx;
      if (lo_ok && hi_ok) alts.push_back(g_->empty());
      alts.push_back(g_->seq(
          {g_->literal("."), fraction(0, tl, th, lo.value.frac, lo.exclusive, hf, hx, cap)}));
      return g_->alt(std::move(alts));
    };
    const std::string& li = lo.value.int_part;
    if (hi && hi->value.int_part == li) return g_->seq({g_->literal(li), frac(true, true)});
    std::vector<GrammarExpr> alts;
    alts.push_back(g_->seq({g_->literal(li), frac(true, false)}));
    const std::string mid_lo = add_one(li);
    if (!hi) {
      alts.push_back(g_->seq({uint_range(mid_lo, std::nullopt), frac(false, false)}));
    } else {
      if (compare_digits(mid_lo, hi->value.int_part) < 0) {
        alts.push_back(
            g_->seq({uint_range(mid_lo, sub_one(hi->value.int_part)), frac(false, false)}));
      }
      alts.push_back(g_->seq({g_->literal(hi->value.int_part), frac(false, true)}));
    }
    return g_->alt(std::move(alts));
  }

  Result<GrammarExpr> number(const Json& s, const std::string& path) {
    std::optional<Bound> lo, hi;
    QWL_RETURN_IF_ERROR(bounds(s, path, &lo, &hi));
    if (!lo && !hi) return g_->call(number_rule());
    if (lo && hi) {
      const int c = compare(lo->value, hi->value);
      if (c > 0 || (c == 0 && (lo->exclusive || hi->exclusive))) {
        return InvalidArgumentError("{}: no number lies between the minimum and the maximum", path);
      }
    }
    std::vector<GrammarExpr> alts;
    const Decimal zero;
    // Non-negative values, written without '-'.
    const bool lo_neg = lo && lo->value.negative;
    if (!hi || !hi->value.negative) {
      const bool hi_is_zero_excl = hi && is_zero(hi->value) && hi->exclusive;
      if (!hi_is_zero_excl) {
        const Bound from = (lo && !lo_neg) ? *lo : Bound{zero, false};
        alts.push_back(udecimal_range(from, hi));
      }
    }
    // Negative values: '-' and y = -x with y > 0 in [max(-hi, 0), -lo].
    if (!lo || lo_neg) {
      Bound from{zero, true};
      if (hi && hi->value.negative) {
        from = *hi;
        from.value.negative = false;
      }
      std::optional<Bound> to;
      if (lo) {
        to = *lo;
        to->value.negative = false;
      }
      alts.push_back(g_->seq({g_->literal("-"), udecimal_range(from, to)}));
    }
    return g_->alt(std::move(alts));
  }

  Grammar* g_;
  const JsonGrammarOptions& options_;
  const Json& root_;
  std::string rule_prefix_;
  std::unordered_map<std::string, GrammarRule> rules_;
  int depth_ = 0;  // nesting of schema() calls being compiled
  GrammarExpr ws_ = -1, comma_ = -1, colon_ = -1;
  GrammarRule string_rule_ = -1, number_rule_ = -1, value_rule_ = -1, object_rule_ = -1;
};

Result<Json> parse_json(std::string_view text, std::string_view what) {
  try {
    return Json::parse(text);
  } catch (const std::exception& e) {
    return InvalidArgumentError("{}: not valid JSON: {}", what, e.what());
  }
}

}  // namespace

Result<Grammar> json_schema_grammar(std::string_view schema_json,
                                    const JsonGrammarOptions& options) {
  QWL_ASSIGN_OR_RETURN(Json root, parse_json(schema_json, "schema"));
  try {
    Grammar g;
    const GrammarRule top = g.declare_rule("root");
    SchemaCompiler compiler(&g, options, root, "");
    Result<GrammarExpr> body = compiler.schema(root, "#");
    if (!body.ok()) return body.status().with_context("schema");
    g.define_rule(top, *body);
    g.set_root(top);
    return g;
  } catch (const std::exception& e) {
    return InternalError("schema: {}", e.what());
  }
}

Grammar json_object_grammar(const JsonGrammarOptions& options) {
  Grammar g;
  const GrammarRule top = g.declare_rule("root");
  const Json root = Json::object();
  SchemaCompiler compiler(&g, options, root, "");
  g.define_rule(top, compiler.any_object());
  g.set_root(top);
  return g;
}

Result<Grammar> tool_call_grammar(std::string_view tools_json,
                                  const std::optional<std::string>& only_name, bool parallel,
                                  const JsonGrammarOptions& options) {
  QWL_ASSIGN_OR_RETURN(Json tools, parse_json(tools_json, "tools"));
  if (!tools.is_array()) return InvalidArgumentError("tools: must be an array");
  try {
    Grammar g;
    const GrammarRule top = g.declare_rule("root");
    std::vector<GrammarExpr> bodies;
    std::set<std::string> names;
    // Each tool's parameters is its own document ($ref "#" points at it), compiled with its
    // own rule names; the shared "any value" rules come from the first compiler.
    std::vector<std::unique_ptr<SchemaCompiler>> compilers;
    for (size_t i = 0; i < tools.size(); ++i) {
      const Json& tool = tools[i];
      const std::string where = fmt::format("tools[{}]", i);
      if (!tool.is_object()) return InvalidArgumentError("{}: must be an object", where);
      const Json* fn = &tool;
      if (tool.contains("function")) {
        fn = &tool["function"];
        if (tool.contains("type") && tool["type"] != "function") {
          return UnsupportedError("{}: type '{}' is not supported (only \"function\")", where,
                                  tool["type"].dump());
        }
      }
      if (!fn->is_object() || !fn->contains("name") || !(*fn)["name"].is_string() ||
          (*fn)["name"].get<std::string>().empty()) {
        return InvalidArgumentError("{}: a tool needs a non-empty string \"name\"", where);
      }
      const std::string name = (*fn)["name"].get<std::string>();
      if (!names.insert(name).second)
        return InvalidArgumentError("{}: duplicate tool name '{}'", where, name);
      if (only_name.has_value() && name != *only_name) continue;
      static const Json kAnyObject = Json::object({{"type", "object"}});
      const Json& params = fn->contains("parameters") ? (*fn)["parameters"] : kAnyObject;
      compilers.push_back(
          std::make_unique<SchemaCompiler>(&g, options, params, fmt::format("tool{}:", i)));
      Result<GrammarExpr> args = compilers.back()->schema(params, "#");
      if (!args.ok()) {
        return args.status().with_context(fmt::format("{} ({}): parameters", where, name));
      }
      bodies.push_back(g.seq({g.literal("{\"name\": " + Json(name).dump() + ", \"arguments\": "),
                              *args, g.literal("}")}));
    }
    if (only_name.has_value() && bodies.empty()) {
      return NotFoundError("tools: no tool is named '{}'", *only_name);
    }
    if (bodies.empty()) return InvalidArgumentError("tools: no tools");
    const GrammarRule call = g.add_rule(
        "tool_call", g.seq({g.special_token("<tool_call>"), g.literal("\n"), g.alt(bodies),
                            g.literal("\n"), g.special_token("</tool_call>")}));
    g.define_rule(top, parallel
                           ? g.seq({g.call(call), g.star(g.seq({g.literal("\n"), g.call(call)}))})
                           : g.call(call));
    g.set_root(top);
    return g;
  } catch (const std::exception& e) {
    return InternalError("tools: {}", e.what());
  }
}

}  // namespace qwl
