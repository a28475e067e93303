// Validation of tool arguments against their JSON Schema (see schema_validate.h).
//
// One recursive walk over schema and value together. Errors of the value are collected (up to
// kMaxSchemaErrors) so that one reply tells a model everything to fix; an error of the schema
// itself stops the walk, since nothing after it can be trusted. anyOf / oneOf try each branch
// with a fresh collector and report only whether it matched, the way a person would read them.
#include "agent/schema_validate.h"

#include <cmath>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

namespace qwl::agent {
namespace {

using nlohmann::json;

constexpr std::string_view kAnnotations[] = {
    "title",    "description", "default",  "examples",  "format", "$schema",     "$id",
    "$comment", "deprecated",  "readOnly", "writeOnly", "$defs",  "definitions",
};
constexpr std::string_view kAssertions[] = {
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "anyOf",
    "oneOf",
    "allOf",
};

template <size_t N>
bool one_of(std::string_view key, const std::string_view (&set)[N]) {
  for (std::string_view s : set) {
    if (s == key) return true;
  }
  return false;
}

// RFC 6901 escaping of one reference token.
std::string escape_token(std::string_view token) {
  std::string out;
  for (char c : token) {
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

std::string shown(std::string_view pointer) {
  return pointer.empty() ? std::string("(root)") : std::string(pointer);
}

// The value briefly, for messages: `number 12`, `string "abc"`.
std::string describe(const json& v) {
  std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  const char* kind = v.is_number_integer() ? "integer" : v.type_name();
  if (v.is_null()) return "null";
  return fmt::format("{} {}", kind, text);
}

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool is_integral(const json& v) {
  if (v.is_number_integer()) return true;
  if (!v.is_number_float()) return false;
  const double d = v.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

// Compares two JSON numbers exactly when both are integers (int64 or uint64), else as doubles.
int compare_numbers(const json& a, const json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    auto wide = [](const json& v) -> __int128 {
      return v.is_number_unsigned() ? static_cast<__int128>(v.get<uint64_t>())
                                    : static_cast<__int128>(v.get<int64_t>());
    };
    const __int128 x = wide(a), y = wide(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  const double x = a.get<double>(), y = b.get<double>();
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool has_type(const json& v, std::string_view type) {
  if (type == "null") return v.is_null();
  if (type == "boolean") return v.is_boolean();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "number") return v.is_number();
  if (type == "integer") return is_integral(v);
  return false;
}

bool known_type(std::string_view type) {
  return type == "null" || type == "boolean" || type == "object" || type == "array" ||
         type == "string" || type == "number" || type == "integer";
}

// std::regex construction is slow compared with matching; schemas repeat the same few patterns.
Result<const std::regex*> compiled(const std::string& pattern) {
  thread_local std::unordered_map<std::string, std::regex> cache;
  auto it = cache.find(pattern);
  if (it != cache.end()) return &it->second;
  if (cache.size() > 256) cache.clear();
  try {
    auto [pos, inserted] = cache.emplace(pattern, std::regex(pattern, std::regex::ECMAScript));
    return &pos->second;
  } catch (const std::regex_error& e) {
    return InvalidArgumentError("'{}' is not a valid pattern: {}", pattern, e.what());
  }
}

class Validator {
 public:
  // Checks `value` (at JSON pointer `at`) against `schema` (at schema pointer `spath`).
  void check(const json& schema, const json& value, const std::string& at,
             const std::string& spath) {
    if (!schema_error_.ok()) return;
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) add(at, "no value is allowed here");
      return;
    }
    if (!schema.is_object()) {
      schema_fail(spath, "a schema must be an object or a boolean");
      return;
    }
    for (const auto& [key, kv] : schema.items()) {
      if (!one_of(key, kAnnotations) && !one_of(key, kAssertions)) {
        schema_error_ =
            UnsupportedError("schema {}: keyword '{}' is not supported", shown(spath), key);
        return;
      }
    }
    if (!check_type(schema, value, at, spath)) return;
    check_enum_const(schema, value, at, spath);
    if (value.is_object()) check_object(schema, value, at, spath);
    if (value.is_array()) check_array(schema, value, at, spath);
    if (value.is_string()) check_string(schema, value, at, spath);
    if (value.is_number()) check_number(schema, value, at, spath);
    check_combinations(schema, value, at, spath);
  }

  Status result() const {
    if (!schema_error_.ok()) return schema_error_;
    if (errors_.empty()) return Status::Ok();
    std::string msg = fmt::format("{}", fmt::join(errors_, "; "));
    if (dropped_ > 0) msg += fmt::format("; and {} more", dropped_);
    return InvalidArgumentError("{}", msg);
  }
  bool ok() const { return schema_error_.ok() && errors_.empty(); }
  const Status& schema_error() const { return schema_error_; }

 private:
  void add(const std::string& at, std::string message) {
    if (static_cast<int>(errors_.size()) >= kMaxSchemaErrors) {
      ++dropped_;
      return;
    }
    errors_.push_back(fmt::format("{}: {}", shown(at), message));
  }
  void schema_fail(const std::string& spath, std::string message) {
    if (schema_error_.ok()) {
      schema_error_ = InvalidArgumentError("schema {}: {}", shown(spath), message);
    }
  }

  // False when the type is wrong (the other keywords would only repeat it).
  bool check_type(const json& schema, const json& value, const std::string& at,
                  const std::string& spath) {
    if (!schema.contains("type")) return true;
    const json& t = schema["type"];
    std::vector<std::string> names;
    if (t.is_string()) {
      names.push_back(t.get<std::string>());
    } else if (t.is_array() && !t.empty()) {
      for (const json& n : t) {
        if (!n.is_string()) {
          schema_fail(spath + "/type", "type names must be strings");
          return false;
        }
        names.push_back(n.get<std::string>());
      }
    } else {
      schema_fail(spath + "/type", "must be a type name or a non-empty array of them");
      return false;
    }
    for (const std::string& n : names) {
      if (!known_type(n)) {
        schema_fail(spath + "/type", fmt::format("unknown type '{}'", n));
        return false;
      }
      if (has_type(value, n)) return true;
    }
    std::string expected;
    for (size_t i = 0; i < names.size(); ++i) {
      if (i > 0) expected += i + 1 == names.size() ? " or " : ", ";
      expected += (names[i] == "integer" || names[i] == "object" || names[i] == "array")
                      ? "an " + names[i]
                      : (names[i] == "null" ? names[i] : "a " + names[i]);
    }
    add(at, fmt::format("expected {}, got {}", expected, describe(value)));
    return false;
  }

  void check_enum_const(const json& schema, const json& value, const std::string& at,
                        const std::string& spath) {
    if (schema.contains("enum")) {
      const json& e = schema["enum"];
      if (!e.is_array() || e.empty()) {
        schema_fail(spath + "/enum", "must be a non-empty array");
        return;
      }
      bool found = false;
      for (const json& option : e) found = found || option == value;
      if (!found) {
        std::string options = e.dump(-1, ' ', false, json::error_handler_t::replace);
        if (options.size() > 200) options = options.substr(0, 197) + "...";
        add(at, fmt::format("{} is not one of {}", describe(value), options));
      }
    }
    if (schema.contains("const") && schema["const"] != value) {
      add(at, fmt::format("{} is not the allowed value {}", describe(value),
                          schema["const"].dump(-1, ' ', false, json::error_handler_t::replace)));
    }
  }

  void check_object(const json& schema, const json& value, const std::string& at,
                    const std::string& spath) {
    const json empty = json::object();
    const json& props = schema.contains("properties") ? schema["properties"] : empty;
    if (!props.is_object()) {
      schema_fail(spath + "/properties", "must be an object");
      return;
    }
    if (schema.contains("required")) {
      const json& req = schema["required"];
      if (!req.is_array()) {
        schema_fail(spath + "/required", "must be an array of names");
        return;
      }
      for (const json& name : req) {
        if (!name.is_string()) {
          schema_fail(spath + "/required", "must be an array of names");
          return;
        }
        if (!value.contains(name.get<std::string>())) {
          add(at + "/" + escape_token(name.get<std::string>()), "required property is missing");
        }
      }
    }
    const json* additional =
        schema.contains("additionalProperties") ? &schema["additionalProperties"] : nullptr;
    if (additional && !additional->is_boolean() && !additional->is_object()) {
      schema_fail(spath + "/additionalProperties", "must be a boolean or a schema");
      return;
    }
    for (const auto& [key, member] : value.items()) {
      const std::string member_at = at + "/" + escape_token(key);
      if (props.contains(key)) {
        check(props[key], member, member_at, spath + "/properties/" + escape_token(key));
      } else if (additional) {
        if (additional->is_boolean() && !additional->get<bool>()) {
          std::string allowed;
          for (const auto& [name, s] : props.items()) {
            allowed += allowed.empty() ? name : ", " + name;
          }
          add(member_at, allowed.empty() ? std::string("no properties are allowed")
                                         : fmt::format("unknown property (allowed: {})", allowed));
        } else if (additional->is_object()) {
          check(*additional, member, member_at, spath + "/additionalProperties");
        }
      }
    }
  }

  // A non-negative integer keyword's value, or nullopt after a schema error.
  std::optional<uint64_t> count(const json& schema, const char* key, const std::string& spath) {
    const json& v = schema[key];
    if (!v.is_number_integer() ||
        (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0)) {
      schema_fail(spath + "/" + key, "must be a non-negative integer");
      return std::nullopt;
    }
    return v.get<uint64_t>();
  }

  void check_array(const json& schema, const json& value, const std::string& at,
                   const std::string& spath) {
    if (schema.contains("minItems")) {
      auto n = count(schema, "minItems", spath);
      if (!n) return;
      if (value.size() < *n)
        add(at, fmt::format("{} items, at least {} required", value.size(), *n));
    }
    if (schema.contains("maxItems")) {
      auto n = count(schema, "maxItems", spath);
      if (!n) return;
      if (value.size() > *n) add(at, fmt::format("{} items, at most {} allowed", value.size(), *n));
    }
    if (schema.contains("items")) {
      const json& items = schema["items"];
      if (!items.is_object() && !items.is_boolean()) {
        schema_fail(spath + "/items", "must be a schema (tuple forms are not supported)");
        return;
      }
      for (size_t i = 0; i < value.size(); ++i) {
        check(items, value[i], fmt::format("{}/{}", at, i), spath + "/items");
      }
    }
  }

  void check_string(const json& schema, const json& value, const std::string& at,
                    const std::string& spath) {
    const std::string& s = value.get_ref<const std::string&>();
    const size_t n =
        (schema.contains("minLength") || schema.contains("maxLength")) ? code_points(s) : 0;
    if (schema.contains("minLength")) {
      auto min = count(schema, "minLength", spath);
      if (!min) return;
      if (n < *min) add(at, fmt::format("{} characters, at least {} required", n, *min));
    }
    if (schema.contains("maxLength")) {
      auto max = count(schema, "maxLength", spath);
      if (!max) return;
      if (n > *max) add(at, fmt::format("{} characters, at most {} allowed", n, *max));
    }
    if (schema.contains("pattern")) {
      const json& p = schema["pattern"];
      if (!p.is_string()) {
        schema_fail(spath + "/pattern", "must be a string");
        return;
      }
      auto re = compiled(p.get<std::string>());
      if (!re.ok()) {
        schema_fail(spath + "/pattern", re.status().message());
        return;
      }
      if (!std::regex_search(s, **re)) {
        add(at,
            fmt::format("{} does not match the pattern {}", describe(value), p.get<std::string>()));
      }
    }
  }

  void check_number(const json& schema, const json& value, const std::string& at,
                    const std::string& spath) {
    struct Bound {
      const char* key;
      bool fails_when_less;  // minimum-like
      bool inclusive;
      const char* words;
    };
    static constexpr Bound kBounds[] = {
        {"minimum", true, true, "less than the minimum"},
        {"maximum", false, true, "greater than the maximum"},
        {"exclusiveMinimum", true, false, "not greater than the exclusive minimum"},
        {"exclusiveMaximum", false, false, "not less than the exclusive maximum"},
    };
    for (const Bound& b : kBounds) {
      if (!schema.contains(b.key)) continue;
      const json& limit = schema[b.key];
      if (!limit.is_number()) {
        schema_fail(spath + "/" + b.key, "must be a number");
        return;
      }
      const int c = compare_numbers(value, limit);
      const bool bad =
          b.fails_when_less ? (b.inclusive ? c < 0 : c <= 0) : (b.inclusive ? c > 0 : c >= 0);
      if (bad) add(at, fmt::format("{} is {} {}", value.dump(), b.words, limit.dump()));
    }
  }

  void check_combinations(const json& schema, const json& value, const std::string& at,
                          const std::string& spath) {
    for (const char* key : {"anyOf", "oneOf", "allOf"}) {
      if (!schema.contains(key)) continue;
      const json& branches = schema[key];
      if (!branches.is_array() || branches.empty()) {
        schema_fail(spath + "/" + key, "must be a non-empty array of schemas");
        return;
      }
      if (std::string_view(key) == "allOf") {
        for (size_t i = 0; i < branches.size(); ++i) {
          check(branches[i], value, at, fmt::format("{}/allOf/{}", spath, i));
        }
        continue;
      }
      int matched = 0;
      std::string first_error;
      for (size_t i = 0; i < branches.size(); ++i) {
        Validator branch;
        branch.check(branches[i], value, at, fmt::format("{}/{}/{}", spath, key, i));
        if (!branch.schema_error().ok()) {
          schema_error_ = branch.schema_error();
          return;
        }
        if (branch.ok()) {
          ++matched;
        } else if (first_error.empty()) {
          first_error = branch.result().message();
        }
      }
      if (matched == 0) {
        add(at, fmt::format("matches none of the {} alternatives (the first says: {})", key,
                            first_error));
      } else if (matched > 1 && std::string_view(key) == "oneOf") {
        add(at, fmt::format("matches {} of the oneOf alternatives, exactly one allowed", matched));
      }
    }
  }

  std::vector<std::string> errors_;
  int dropped_ = 0;
  Status schema_error_;
};

}  // namespace

Status validate_arguments(const nlohmann::json& schema, const nlohmann::json& value) {
  Validator v;
  v.check(schema, value, "", "");
  return v.result();
}

}  // namespace qwl::agent
