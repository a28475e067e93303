// JSON helpers private to the format layer's .cpp files (never include this from a public
// header: nlohmann's types stay inside the layer). Parsing is strict where the files we read
// are ambiguous otherwise: a key repeated in one object is an error rather than last-one-wins.
// No exception leaves these functions.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/status.h"

namespace qwl::json_util {

using Json = nlohmann::json;

// Parses `text`; Corrupt("<name>: <what>: ...") on a syntax error or a duplicate key.
inline Result<Json> parse_strict(std::string_view text, std::string_view name,
                                 std::string_view what) {
  std::vector<std::unordered_set<std::string>> open_objects;
  std::string duplicate;
  auto callback = [&](int, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open_objects.empty() &&
            !open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty())
          duplicate = parsed.get<std::string>();
        break;
      default:
        break;
    }
    return true;
  };
  try {
    Json j = Json::parse(text.begin(), text.end(), callback);
    if (!duplicate.empty())
      return CorruptError("{}: {}: duplicate key \"{}\"", name, what, duplicate);
    return j;
  } catch (const std::exception& e) {
    return CorruptError("{}: {} is not valid JSON: {}", name, what, e.what());
  }
}

// The name of a JSON value's type for messages ("a string", "an array", ...).
inline const char* type_phrase(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
      return "a negative integer";
    case Json::value_t::number_unsigned:
      return "an integer";
    case Json::value_t::number_float:
      return "a fractional number";
    default:
      return "a binary value";
  }
}

}  // namespace qwl::json_util
