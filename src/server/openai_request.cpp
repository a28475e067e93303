// Parsing and validation of OpenAI request bodies. Every top-level key is dispatched by name, so
// a key nobody handles is an error by construction (never silently ignored); cross-field rules
// (top_logprobs needs logprobs, tool_choice names a tool, ...) are checked after all keys are
// read, because JSON objects have no order a client must follow.
#include "server/openai_request.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace qwl::openai {
namespace {

using Json = ChatJson;

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string index_path(std::string_view parent, size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

std::string_view type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "a number";
    default:
      return "an unsupported value";
  }
}

// OpenAI's pattern for function and schema names.
bool valid_function_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// Reads typed values and makes the errors; remembers the param of the first error.
class Reader {
 public:
  explicit Reader(std::string* param) : param_(param) {
    if (param_ != nullptr) param_->clear();
  }

  template <typename... Args>
  Status invalid(std::string_view path, fmt::format_string<Args...> format, Args&&... args) {
    set_param(path);
    return InvalidArgumentError("{}: {}", path, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  Status unsupported(std::string_view path, fmt::format_string<Args...> format, Args&&... args) {
    set_param(path);
    return UnsupportedError("{}: {}", path, fmt::format(format, std::forward<Args>(args)...));
  }
  Status wrong_type(std::string_view path, const Json& v, std::string_view expected) {
    return invalid(path, "expected {}, got {}", expected, type_name(v));
  }
  Status unrecognized(std::string_view path) {
    return invalid(path, "unrecognized request argument");
  }

  Status read_string(const Json& v, std::string_view path, std::string* out) {
    if (!v.is_string()) return wrong_type(path, v, "a string");
    *out = v.get<std::string>();
    return Status::Ok();
  }
  Status read_bool(const Json& v, std::string_view path, bool* out) {
    if (!v.is_boolean()) return wrong_type(path, v, "a boolean");
    *out = v.get<bool>();
    return Status::Ok();
  }
  Status read_object(const Json& v, std::string_view path) {
    if (!v.is_object()) return wrong_type(path, v, "an object");
    return Status::Ok();
  }
  // A number in [lo, hi], or in (lo, hi] when lo_open.
  Status read_number(const Json& v, std::string_view path, double lo, double hi, bool lo_open,
                     double* out) {
    if (!v.is_number()) return wrong_type(path, v, "a number");
    const double x = v.get<double>();
    if (x < lo || x > hi || (lo_open && x == lo)) {
      return invalid(path, "must be {} {} and <= {}, got {}", lo_open ? ">" : ">=", lo, hi, x);
    }
    *out = x;
    return Status::Ok();
  }
  // An integer in [lo, hi]. A float with an integral value (5.0) is accepted, as Python
  // clients sometimes send one.
  Status read_integer(const Json& v, std::string_view path, int64_t lo, int64_t hi, int64_t* out) {
    int64_t x = 0;
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return invalid(path, "must be <= {}, got {}", hi, u);
      }
      x = static_cast<int64_t>(u);
    } else if (v.is_number_integer()) {
      x = v.get<int64_t>();
    } else if (v.is_number_float()) {
      const double d = v.get<double>();
      if (d != std::floor(d) || std::fabs(d) > 9.0e15) return wrong_type(path, v, "an integer");
      x = static_cast<int64_t>(d);
    } else {
      return wrong_type(path, v, "an integer");
    }
    if (x < lo || x > hi) return invalid(path, "must be >= {} and <= {}, got {}", lo, hi, x);
    *out = x;
    return Status::Ok();
  }

 private:
  void set_param(std::string_view path) {
    if (param_ != nullptr && param_->empty()) *param_ = std::string(path);
  }
  std::string* param_;
};

// The deepest nesting of arrays and objects in `text` (strings skipped), stopping once past
// `limit`. Copying or printing a JSON value recurses once per level, so a body of a million
// '[' would overflow the stack long after parsing succeeded: such bodies are refused first.
int json_depth(std::string_view text, int limit) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
      if (max_depth > limit) break;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

Result<Json> parse_body(std::string_view body, Reader& r) {
  if (json_depth(body, kMaxJsonDepth) > kMaxJsonDepth) {
    return InvalidArgumentError("request body: JSON nested deeper than {} levels", kMaxJsonDepth);
  }
  Json j;
  try {
    j = Json::parse(body.begin(), body.end());
  } catch (const Json::exception& e) {
    // The param stays empty: the body as a whole is wrong.
    return InvalidArgumentError("request body is not valid JSON: {}", e.what());
  }
  if (!j.is_object()) {
    return InvalidArgumentError("request body: expected a JSON object, got {}", type_name(j));
  }
  return j;
}

// Parameters OpenAI defines that do not change what is generated: accepted and ignored (after
// a type check where OpenAI gives one).
Status read_ignored(Reader& r, const std::string& key, const Json& v, bool* handled) {
  *handled = true;
  if (key == "user" || key == "service_tier" || key == "safety_identifier" ||
      key == "prompt_cache_key" || key == "prompt_cache_retention") {
    std::string ignored;
    return r.read_string(v, key, &ignored);
  }
  if (key == "metadata") return r.read_object(v, key);
  if (key == "store") {
    bool ignored = false;
    return r.read_bool(v, key, &ignored);
  }
  *handled = false;
  return Status::Ok();
}

Status read_stop(Reader& r, const Json& v, std::vector<std::string>* stop) {
  const std::string path = "stop";
  auto add = [&](const Json& s, std::string_view p) -> Status {
    std::string text;
    QWL_RETURN_IF_ERROR(r.read_string(s, p, &text));
    if (text.empty()) return r.invalid(p, "a stop string must not be empty");
    stop->push_back(std::move(text));
    return Status::Ok();
  };
  if (v.is_string()) return add(v, path);
  if (!v.is_array()) return r.wrong_type(path, v, "a string or an array of strings");
  if (v.size() > kMaxStopStrings) {
    return r.invalid(path, "at most {} stop sequences are allowed, got {}", kMaxStopStrings,
                     v.size());
  }
  for (size_t i = 0; i < v.size(); ++i) QWL_RETURN_IF_ERROR(add(v[i], index_path(path, i)));
  return Status::Ok();
}

Status read_logit_bias(Reader& r, const Json& v, std::unordered_map<int32_t, double>* out) {
  const std::string path = "logit_bias";
  QWL_RETURN_IF_ERROR(r.read_object(v, path));
  for (const auto& [key, value] : v.items()) {
    int64_t id = -1;
    const bool digits =
        !key.empty() && key.size() <= 10 &&
        std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) id = std::stoll(key);
    if (!digits || id > std::numeric_limits<int32_t>::max()) {
      return r.invalid(path, "keys must be token ids (non-negative integers), got \"{}\"", key);
    }
    double bias = 0;
    QWL_RETURN_IF_ERROR(r.read_number(value, path, -100, 100, false, &bias));
    (*out)[static_cast<int32_t>(id)] = bias;
  }
  return Status::Ok();
}

// The parameters shared by both endpoints; *handled is false for any other key.
Status read_sampling(Reader& r, const std::string& key, const Json& v, SamplingRequest* s,
                     bool* handled) {
  *handled = true;
  double x = 0;
  int64_t i = 0;
  if (key == "temperature") {
    QWL_RETURN_IF_ERROR(r.read_number(v, key, 0, 2, false, &x));
    s->temperature = x;
  } else if (key == "top_p") {
    QWL_RETURN_IF_ERROR(r.read_number(v, key, 0, 1, true, &x));
    s->top_p = x;
  } else if (key == "top_k") {
    QWL_RETURN_IF_ERROR(r.read_integer(v, key, -1, std::numeric_limits<int32_t>::max(), &i));
    s->top_k = static_cast<int>(i);
  } else if (key == "min_p") {
    QWL_RETURN_IF_ERROR(r.read_number(v, key, 0, 1, false, &x));
    s->min_p = x;
  } else if (key == "presence_penalty") {
    QWL_RETURN_IF_ERROR(r.read_number(v, key, -2, 2, false, &x));
    s->presence_penalty = x;
  } else if (key == "frequency_penalty") {
    QWL_RETURN_IF_ERROR(r.read_number(v, key, -2, 2, false, &x));
    s->frequency_penalty = x;
  } else if (key == "repetition_penalty") {
    QWL_RETURN_IF_ERROR(r.read_number(v, key, 0, 2, true, &x));
    s->repetition_penalty = x;
  } else if (key == "seed") {
    QWL_RETURN_IF_ERROR(r.read_integer(v, key, std::numeric_limits<int64_t>::min(),
                                       std::numeric_limits<int64_t>::max(), &i));
    s->seed = i;
  } else if (key == "stop") {
    QWL_RETURN_IF_ERROR(read_stop(r, v, &s->stop));
  } else if (key == "logit_bias") {
    QWL_RETURN_IF_ERROR(read_logit_bias(r, v, &s->logit_bias));
  } else {
    *handled = false;
  }
  return Status::Ok();
}

Status read_max_tokens(Reader& r, const std::string& key, const Json& v, int64_t* out) {
  return r.read_integer(v, key, 1, std::numeric_limits<int32_t>::max(), out);
}

// n and best_of: several choices per request are not implemented.
Status read_only_one(Reader& r, const std::string& key, const Json& v) {
  int64_t n = 0;
  QWL_RETURN_IF_ERROR(r.read_integer(v, key, 1, std::numeric_limits<int32_t>::max(), &n));
  if (n != 1) return r.unsupported(key, "only {}=1 is supported, got {}", key, n);
  return Status::Ok();
}

Status read_stream_options(Reader& r, const Json& v, bool* include_usage) {
  const std::string path = "stream_options";
  QWL_RETURN_IF_ERROR(r.read_object(v, path));
  for (const auto& [key, value] : v.items()) {
    const std::string p = join_path(path, key);
    if (value.is_null()) continue;
    bool flag = false;
    if (key == "include_usage") {
      QWL_RETURN_IF_ERROR(r.read_bool(value, p, include_usage));
    } else if (key == "include_obfuscation") {
      // Padding against length side channels on OpenAI's side; nothing to pad here.
      QWL_RETURN_IF_ERROR(r.read_bool(value, p, &flag));
    } else {
      return r.unrecognized(p);
    }
  }
  return Status::Ok();
}

// ---- messages ----

// Content as a string or an array of text parts; null gives nullopt (the caller decides
// whether null is allowed).
Status read_content(Reader& r, const Json& v, std::string_view path,
                    std::optional<std::string>* out) {
  if (v.is_null()) {
    out->reset();
    return Status::Ok();
  }
  if (v.is_string()) {
    *out = v.get<std::string>();
    return Status::Ok();
  }
  if (!v.is_array()) return r.wrong_type(path, v, "a string or an array of content parts");
  std::string text;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string p = index_path(path, i);
    const Json& part = v[i];
    QWL_RETURN_IF_ERROR(r.read_object(part, p));
    if (!part.contains("type")) return r.invalid(join_path(p, "type"), "required");
    std::string type;
    QWL_RETURN_IF_ERROR(r.read_string(part["type"], join_path(p, "type"), &type));
    if (type == "image_url" || type == "input_audio" || type == "file" || type == "image" ||
        type == "refusal" || type == "input_image") {
      return r.unsupported(join_path(p, "type"),
                           "content parts of type '{}' are not supported: this server takes text "
                           "parts only",
                           type);
    }
    if (type != "text") {
      return r.invalid(join_path(p, "type"), "unknown content part type '{}'", type);
    }
    if (!part.contains("text")) return r.invalid(join_path(p, "text"), "required");
    std::string piece;
    QWL_RETURN_IF_ERROR(r.read_string(part["text"], join_path(p, "text"), &piece));
    // Other keys of a text part (cache_control hints of some clients) do not change the text.
    if (i > 0) text += '\n';
    text += piece;
  }
  *out = std::move(text);
  return Status::Ok();
}

Status read_tool_calls(Reader& r, const Json& v, std::string_view path,
                       std::vector<ToolCall>* out) {
  if (!v.is_array()) return r.wrong_type(path, v, "an array");
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string p = index_path(path, i);
    const Json& call = v[i];
    QWL_RETURN_IF_ERROR(r.read_object(call, p));
    ToolCall tc;
    bool have_function = false;
    for (const auto& [key, value] : call.items()) {
      const std::string kp = join_path(p, key);
      if (value.is_null()) continue;
      if (key == "id") {
        QWL_RETURN_IF_ERROR(r.read_string(value, kp, &tc.id));
      } else if (key == "type") {
        std::string type;
        QWL_RETURN_IF_ERROR(r.read_string(value, kp, &type));
        if (type != "function") {
          return r.unsupported(kp, "only tool calls of type 'function' are supported, got '{}'",
                               type);
        }
      } else if (key == "index") {
        // Clients that rebuild a message from stream chunks sometimes keep the chunk index.
        int64_t ignored = 0;
        QWL_RETURN_IF_ERROR(
            r.read_integer(value, kp, 0, std::numeric_limits<int32_t>::max(), &ignored));
      } else if (key == "function") {
        QWL_RETURN_IF_ERROR(r.read_object(value, kp));
        have_function = true;
        bool have_name = false;
        bool have_arguments = false;
        for (const auto& [fkey, fvalue] : value.items()) {
          const std::string fp = join_path(kp, fkey);
          if (fvalue.is_null()) continue;
          if (fkey == "name") {
            QWL_RETURN_IF_ERROR(r.read_string(fvalue, fp, &tc.name));
            if (tc.name.empty()) return r.invalid(fp, "must not be empty");
            have_name = true;
          } else if (fkey == "arguments") {
            // OpenAI sends the arguments as JSON text; an object is accepted too.
            if (!fvalue.is_string() && !fvalue.is_object()) {
              return r.wrong_type(fp, fvalue, "a string (JSON text) or an object");
            }
            tc.arguments = fvalue;
            have_arguments = true;
          } else {
            return r.unrecognized(fp);
          }
        }
        if (!have_name) return r.invalid(join_path(kp, "name"), "required");
        if (!have_arguments) return r.invalid(join_path(kp, "arguments"), "required");
      } else {
        return r.unrecognized(kp);
      }
    }
    if (!have_function) return r.invalid(join_path(p, "function"), "required");
    out->push_back(std::move(tc));
  }
  return Status::Ok();
}

Status read_message(Reader& r, const Json& v, std::string_view path, ChatMessage* m) {
  QWL_RETURN_IF_ERROR(r.read_object(v, path));
  const std::string role_path = join_path(path, "role");
  if (!v.contains("role") || v["role"].is_null()) return r.invalid(role_path, "required");
  QWL_RETURN_IF_ERROR(r.read_string(v["role"], role_path, &m->role));
  if (m->role == "developer") m->role = "system";  // OpenAI's newer name for system messages
  if (m->role == "function") {
    return r.unsupported(role_path, "the 'function' role is deprecated: use 'tool' messages");
  }
  if (m->role != "system" && m->role != "user" && m->role != "assistant" && m->role != "tool") {
    return r.invalid(role_path,
                     "'{}' is not one of 'system', 'developer', 'user', 'assistant', 'tool'",
                     m->role);
  }
  const bool assistant = m->role == "assistant";
  const bool tool = m->role == "tool";
  bool have_content = false;
  for (const auto& [key, value] : v.items()) {
    const std::string p = join_path(path, key);
    if (key == "role") continue;
    if (value.is_null()) continue;
    if (key == "content") {
      QWL_RETURN_IF_ERROR(read_content(r, value, p, &m->content));
      have_content = true;
    } else if (key == "name" && !tool) {
      std::string name;
      QWL_RETURN_IF_ERROR(r.read_string(value, p, &name));
      m->name = std::move(name);
    } else if (key == "tool_call_id" && tool) {
      std::string id;
      QWL_RETURN_IF_ERROR(r.read_string(value, p, &id));
      m->tool_call_id = std::move(id);
    } else if (key == "tool_calls" && assistant) {
      QWL_RETURN_IF_ERROR(read_tool_calls(r, value, p, &m->tool_calls));
    } else if (key == "reasoning_content" && assistant) {
      std::string reasoning;
      QWL_RETURN_IF_ERROR(r.read_string(value, p, &reasoning));
      m->reasoning_content = std::move(reasoning);
    } else if ((key == "refusal" || key == "annotations") && assistant) {
      // Fields of OpenAI's own responses that clients send back; the template has no use for
      // them.
      if (key == "refusal" && !value.is_string()) return r.wrong_type(p, value, "a string");
      if (key == "annotations" && !value.is_array()) return r.wrong_type(p, value, "an array");
    } else if (key == "audio" && assistant) {
      return r.unsupported(p, "audio is not supported");
    } else if (key == "function_call" && assistant) {
      return r.unsupported(p, "function_call is deprecated: use tool_calls");
    } else {
      return r.invalid(p, "unrecognized field for a '{}' message", m->role);
    }
  }
  if (tool && !m->tool_call_id) {
    return r.invalid(join_path(path, "tool_call_id"), "required for a 'tool' message");
  }
  if (assistant) {
    if (!m->content && m->tool_calls.empty()) {
      return r.invalid(join_path(path, "content"),
                       "an assistant message needs content or tool_calls");
    }
  } else if (!have_content || !m->content) {
    return r.invalid(join_path(path, "content"), "required for a '{}' message", m->role);
  }
  return Status::Ok();
}

Status read_messages(Reader& r, const Json& v, std::vector<ChatMessage>* out) {
  const std::string path = "messages";
  if (!v.is_array()) return r.wrong_type(path, v, "an array");
  if (v.empty()) return r.invalid(path, "at least one message is required");
  // The assistant message (an index: *out grows) whose calls tool messages may answer.
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t calls_from = kNone;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string p = index_path(path, i);
    ChatMessage m;
    QWL_RETURN_IF_ERROR(read_message(r, v[i], p, &m));
    out->push_back(std::move(m));
    const ChatMessage& added = out->back();
    if (added.role == "tool") {
      if (calls_from == kNone) {
        return r.invalid(join_path(p, "role"),
                         "a 'tool' message must answer a preceding assistant message with "
                         "tool_calls");
      }
      const std::string& id = *added.tool_call_id;
      const auto& calls = (*out)[calls_from].tool_calls;
      const bool ids_given =
          std::any_of(calls.begin(), calls.end(), [](const ToolCall& c) { return !c.id.empty(); });
      if (ids_given &&
          std::none_of(calls.begin(), calls.end(), [&](const ToolCall& c) { return c.id == id; })) {
        return r.invalid(join_path(p, "tool_call_id"),
                         "'{}' is not the id of a tool call of the preceding assistant message",
                         id);
      }
    } else if (added.role == "assistant" && !added.tool_calls.empty()) {
      calls_from = out->size() - 1;
    } else {
      calls_from = kNone;
    }
  }
  return Status::Ok();
}

// ---- tools, tool_choice, response_format ----

Status read_tools(Reader& r, const Json& v, Json* tools, std::vector<ToolFunction>* out) {
  const std::string path = "tools";
  if (!v.is_array()) return r.wrong_type(path, v, "an array");
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string p = index_path(path, i);
    const Json& tool = v[i];
    QWL_RETURN_IF_ERROR(r.read_object(tool, p));
    ToolFunction fn;
    bool have_type = false;
    bool have_function = false;
    for (const auto& [key, value] : tool.items()) {
      const std::string kp = join_path(p, key);
      if (value.is_null()) continue;
      if (key == "type") {
        std::string type;
        QWL_RETURN_IF_ERROR(r.read_string(value, kp, &type));
        if (type != "function") {
          return r.unsupported(kp, "only tools of type 'function' are supported, got '{}'", type);
        }
        have_type = true;
      } else if (key == "function") {
        QWL_RETURN_IF_ERROR(r.read_object(value, kp));
        have_function = true;
        bool have_name = false;
        for (const auto& [fkey, fvalue] : value.items()) {
          const std::string fp = join_path(kp, fkey);
          if (fvalue.is_null()) continue;
          if (fkey == "name") {
            QWL_RETURN_IF_ERROR(r.read_string(fvalue, fp, &fn.name));
            if (!valid_function_name(fn.name)) {
              return r.invalid(fp, "'{}' must be 1 to 64 characters of a-z, A-Z, 0-9, _ and -",
                               fn.name);
            }
            have_name = true;
          } else if (fkey == "description") {
            QWL_RETURN_IF_ERROR(r.read_string(fvalue, fp, &fn.description));
          } else if (fkey == "parameters") {
            QWL_RETURN_IF_ERROR(r.read_object(fvalue, fp));
            fn.parameters = fvalue;
          } else if (fkey == "strict") {
            QWL_RETURN_IF_ERROR(r.read_bool(fvalue, fp, &fn.strict));
          } else {
            return r.unrecognized(fp);
          }
        }
        if (!have_name) return r.invalid(join_path(kp, "name"), "required");
      } else {
        return r.unrecognized(kp);
      }
    }
    if (!have_type) return r.invalid(join_path(p, "type"), "required");
    if (!have_function) return r.invalid(join_path(p, "function"), "required");
    for (const ToolFunction& earlier : *out) {
      if (earlier.name == fn.name) {
        return r.invalid(join_path(p, "function.name"), "'{}' is defined twice", fn.name);
      }
    }
    out->push_back(std::move(fn));
  }
  if (!out->empty()) *tools = v;
  return Status::Ok();
}

Status read_tool_choice(Reader& r, const Json& v, ToolChoice* out) {
  const std::string path = "tool_choice";
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "auto") {
      out->mode = ToolChoiceMode::kAuto;
    } else if (s == "none") {
      out->mode = ToolChoiceMode::kNone;
    } else if (s == "required") {
      out->mode = ToolChoiceMode::kRequired;
    } else {
      return r.invalid(path, "'{}' is not one of 'auto', 'none', 'required'", s);
    }
    return Status::Ok();
  }
  if (!v.is_object()) return r.wrong_type(path, v, "a string or an object");
  const std::string type_path = join_path(path, "type");
  if (!v.contains("type")) return r.invalid(type_path, "required");
  std::string type;
  QWL_RETURN_IF_ERROR(r.read_string(v["type"], type_path, &type));
  if (type == "allowed_tools" || type == "custom") {
    return r.unsupported(type_path, "tool_choice of type '{}' is not supported", type);
  }
  if (type != "function") return r.invalid(type_path, "'{}' is not 'function'", type);
  for (const auto& [key, value] : v.items()) {
    if (key != "type" && key != "function") return r.unrecognized(join_path(path, key));
  }
  const std::string fn_path = join_path(path, "function");
  if (!v.contains("function")) return r.invalid(fn_path, "required");
  const Json& fn = v["function"];
  QWL_RETURN_IF_ERROR(r.read_object(fn, fn_path));
  for (const auto& [key, value] : fn.items()) {
    if (key != "name") return r.unrecognized(join_path(fn_path, key));
  }
  const std::string name_path = join_path(fn_path, "name");
  if (!fn.contains("name")) return r.invalid(name_path, "required");
  QWL_RETURN_IF_ERROR(r.read_string(fn["name"], name_path, &out->function_name));
  out->mode = ToolChoiceMode::kFunction;
  return Status::Ok();
}

Status read_response_format(Reader& r, const Json& v, ResponseFormat* out) {
  const std::string path = "response_format";
  QWL_RETURN_IF_ERROR(r.read_object(v, path));
  const std::string type_path = join_path(path, "type");
  if (!v.contains("type")) return r.invalid(type_path, "required");
  std::string type;
  QWL_RETURN_IF_ERROR(r.read_string(v["type"], type_path, &type));
  if (type == "text") {
    out->type = ResponseFormatType::kText;
  } else if (type == "json_object") {
    out->type = ResponseFormatType::kJsonObject;
  } else if (type == "json_schema") {
    out->type = ResponseFormatType::kJsonSchema;
  } else {
    return r.invalid(type_path, "'{}' is not one of 'text', 'json_object', 'json_schema'", type);
  }
  for (const auto& [key, value] : v.items()) {
    if (key == "type" || (key == "json_schema" && out->type == ResponseFormatType::kJsonSchema)) {
      continue;
    }
    return r.unrecognized(join_path(path, key));
  }
  if (out->type != ResponseFormatType::kJsonSchema) return Status::Ok();

  const std::string js_path = join_path(path, "json_schema");
  if (!v.contains("json_schema") || v["json_schema"].is_null()) {
    return r.invalid(js_path, "required when type is 'json_schema'");
  }
  const Json& js = v["json_schema"];
  QWL_RETURN_IF_ERROR(r.read_object(js, js_path));
  bool have_name = false;
  bool have_schema = false;
  for (const auto& [key, value] : js.items()) {
    const std::string p = join_path(js_path, key);
    if (value.is_null()) continue;
    if (key == "name") {
      QWL_RETURN_IF_ERROR(r.read_string(value, p, &out->name));
      if (!valid_function_name(out->name)) {
        return r.invalid(p, "'{}' must be 1 to 64 characters of a-z, A-Z, 0-9, _ and -", out->name);
      }
      have_name = true;
    } else if (key == "description") {
      QWL_RETURN_IF_ERROR(r.read_string(value, p, &out->description));
    } else if (key == "schema") {
      QWL_RETURN_IF_ERROR(r.read_object(value, p));
      out->schema = value;
      have_schema = true;
    } else if (key == "strict") {
      QWL_RETURN_IF_ERROR(r.read_bool(value, p, &out->strict));
    } else {
      return r.unrecognized(p);
    }
  }
  if (!have_name) return r.invalid(join_path(js_path, "name"), "required");
  if (!have_schema) return r.invalid(join_path(js_path, "schema"), "required");
  return Status::Ok();
}

Status read_template_kwargs(Reader& r, const Json& v, ChatCompletionRequest* req) {
  const std::string path = "chat_template_kwargs";
  QWL_RETURN_IF_ERROR(r.read_object(v, path));
  for (const auto& [key, value] : v.items()) {
    const std::string p = join_path(path, key);
    if (key == "enable_thinking") {
      if (value.is_null()) continue;
      bool flag = false;
      QWL_RETURN_IF_ERROR(r.read_bool(value, p, &flag));
      req->enable_thinking = flag;
    } else if (key == "messages" || key == "tools" || key == "add_generation_prompt" ||
               key == "bos_token" || key == "eos_token") {
      // These are set from the request itself; a second source would be ambiguous.
      return r.invalid(p, "'{}' is set by the request, not by chat_template_kwargs", key);
    } else {
      req->template_kwargs[key] = value;
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ChatCompletionRequest> parse_chat_completion_request(std::string_view body,
                                                            std::string* error_param) {
  Reader r(error_param);
  QWL_ASSIGN_OR_RETURN(const Json j, parse_body(body, r));
  ChatCompletionRequest req;
  bool have_messages = false;
  bool have_stream_options = false;
  bool have_top_logprobs = false;
  bool have_tool_choice = false;
  std::optional<int64_t> max_tokens;
  std::optional<int64_t> max_completion_tokens;
  const Json* tool_choice = nullptr;

  for (const auto& [key, v] : j.items()) {
    if (v.is_null()) continue;
    bool handled = false;
    QWL_RETURN_IF_ERROR(read_sampling(r, key, v, &req.sampling, &handled));
    if (handled) continue;
    QWL_RETURN_IF_ERROR(read_ignored(r, key, v, &handled));
    if (handled) continue;
    int64_t i = 0;
    if (key == "model") {
      QWL_RETURN_IF_ERROR(r.read_string(v, key, &req.model));
    } else if (key == "messages") {
      QWL_RETURN_IF_ERROR(read_messages(r, v, &req.messages));
      have_messages = true;
    } else if (key == "tools") {
      QWL_RETURN_IF_ERROR(read_tools(r, v, &req.tools, &req.functions));
    } else if (key == "tool_choice") {
      tool_choice = &v;  // checked against the tools after the loop
    } else if (key == "parallel_tool_calls") {
      QWL_RETURN_IF_ERROR(r.read_bool(v, key, &req.parallel_tool_calls));
    } else if (key == "stream") {
      QWL_RETURN_IF_ERROR(r.read_bool(v, key, &req.stream));
    } else if (key == "stream_options") {
      QWL_RETURN_IF_ERROR(read_stream_options(r, v, &req.include_usage));
      have_stream_options = true;
    } else if (key == "response_format") {
      QWL_RETURN_IF_ERROR(read_response_format(r, v, &req.response_format));
    } else if (key == "max_tokens") {
      QWL_RETURN_IF_ERROR(read_max_tokens(r, key, v, &i));
      max_tokens = i;
    } else if (key == "max_completion_tokens") {
      QWL_RETURN_IF_ERROR(read_max_tokens(r, key, v, &i));
      max_completion_tokens = i;
    } else if (key == "logprobs") {
      QWL_RETURN_IF_ERROR(r.read_bool(v, key, &req.logprobs));
    } else if (key == "top_logprobs") {
      QWL_RETURN_IF_ERROR(r.read_integer(v, key, 0, kMaxTopLogprobs, &i));
      req.top_logprobs = static_cast<int>(i);
      have_top_logprobs = true;
    } else if (key == "n") {
      QWL_RETURN_IF_ERROR(read_only_one(r, key, v));
    } else if (key == "chat_template_kwargs") {
      QWL_RETURN_IF_ERROR(read_template_kwargs(r, v, &req));
    } else if (key == "modalities") {
      if (!v.is_array()) return r.wrong_type(key, v, "an array");
      for (size_t k = 0; k < v.size(); ++k) {
        std::string modality;
        QWL_RETURN_IF_ERROR(r.read_string(v[k], index_path(key, k), &modality));
        if (modality != "text") {
          return r.unsupported(key, "only the 'text' modality is supported, got '{}'", modality);
        }
      }
    } else if (key == "prediction") {
      // Predicted outputs only make generation faster on OpenAI's side; the text is the same.
      QWL_RETURN_IF_ERROR(r.read_object(v, key));
    } else if (key == "audio") {
      return r.unsupported(key, "audio output is not supported");
    } else if (key == "functions" || key == "function_call") {
      return r.unsupported(key, "'{}' is deprecated: use tools and tool_choice", key);
    } else if (key == "web_search_options") {
      return r.unsupported(key, "web search is not supported");
    } else if (key == "reasoning_effort" || key == "verbosity") {
      return r.unsupported(
          key,
          "not supported; to turn Qwen3's thinking on or off use chat_template_kwargs: "
          "{{\"enable_thinking\": false}}");
    } else {
      return r.unrecognized(key);
    }
  }

  if (!have_messages) return r.invalid("messages", "required");
  if (max_tokens && max_completion_tokens && *max_tokens != *max_completion_tokens) {
    return r.invalid("max_tokens", "max_tokens ({}) and max_completion_tokens ({}) disagree",
                     *max_tokens, *max_completion_tokens);
  }
  req.sampling.max_tokens = max_completion_tokens ? max_completion_tokens : max_tokens;
  if (have_stream_options && !req.stream) {
    return r.invalid("stream_options", "only allowed when stream is true");
  }
  if (have_top_logprobs && !req.logprobs) {
    return r.invalid("top_logprobs", "requires logprobs to be true");
  }
  if (req.functions.empty()) req.tool_choice.mode = ToolChoiceMode::kNone;
  if (tool_choice != nullptr) {
    have_tool_choice = true;
    QWL_RETURN_IF_ERROR(read_tool_choice(r, *tool_choice, &req.tool_choice));
  }
  if (have_tool_choice && req.functions.empty() &&
      (req.tool_choice.mode == ToolChoiceMode::kRequired ||
       req.tool_choice.mode == ToolChoiceMode::kFunction)) {
    return r.invalid("tool_choice", "requires tools");
  }
  if (req.tool_choice.mode == ToolChoiceMode::kFunction) {
    const auto& fns = req.functions;
    if (std::none_of(fns.begin(), fns.end(), [&](const ToolFunction& f) {
          return f.name == req.tool_choice.function_name;
        })) {
      return r.invalid("tool_choice.function.name", "'{}' is not the name of a tool in tools",
                       req.tool_choice.function_name);
    }
  }
  if (have_tool_choice && req.functions.empty() && req.tool_choice.mode == ToolChoiceMode::kAuto) {
    req.tool_choice.mode = ToolChoiceMode::kNone;  // nothing to call
  }
  return req;
}

ChatInput to_chat_input(const ChatCompletionRequest& request) {
  ChatInput input;
  input.messages = request.messages;
  if (!request.tools.is_null() && request.tool_choice.mode != ToolChoiceMode::kNone) {
    input.tools = request.tools;
  }
  input.add_generation_prompt = true;
  input.enable_thinking = request.enable_thinking;
  input.kwargs = request.template_kwargs;
  normalize_openai_input(&input);
  return input;
}

namespace {

Status read_prompt(Reader& r, const Json& v, CompletionRequest* req) {
  const std::string path = "prompt";
  auto read_ids = [&](const Json& a, std::string_view p) -> Status {
    if (a.empty()) return r.invalid(p, "a prompt of token ids must not be empty");
    std::vector<int32_t> ids;
    ids.reserve(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
      int64_t id = 0;
      QWL_RETURN_IF_ERROR(
          r.read_integer(a[i], index_path(p, i), 0, std::numeric_limits<int32_t>::max(), &id));
      ids.push_back(static_cast<int32_t>(id));
    }
    req->prompt = std::move(ids);
    return Status::Ok();
  };
  if (v.is_string()) {
    req->prompt = v.get<std::string>();
    return Status::Ok();
  }
  if (!v.is_array()) {
    return r.wrong_type(path, v, "a string, an array of token ids or an array of one of those");
  }
  if (v.empty()) return r.invalid(path, "must not be empty");
  if (v[0].is_number()) return read_ids(v, path);
  if (v[0].is_string() || v[0].is_array()) {
    if (v.size() > 1) {
      return r.unsupported(path, "one prompt per request is supported, got {}", v.size());
    }
    const std::string p = index_path(path, 0);
    if (v[0].is_string()) {
      req->prompt = v[0].get<std::string>();
      return Status::Ok();
    }
    return read_ids(v[0], p);
  }
  return r.wrong_type(index_path(path, 0), v[0], "a string, a token id or an array of token ids");
}

}  // namespace

Result<CompletionRequest> parse_completion_request(std::string_view body,
                                                   std::string* error_param) {
  Reader r(error_param);
  QWL_ASSIGN_OR_RETURN(const Json j, parse_body(body, r));
  CompletionRequest req;
  bool have_prompt = false;
  bool have_stream_options = false;
  for (const auto& [key, v] : j.items()) {
    if (v.is_null()) continue;
    bool handled = false;
    QWL_RETURN_IF_ERROR(read_sampling(r, key, v, &req.sampling, &handled));
    if (handled) continue;
    QWL_RETURN_IF_ERROR(read_ignored(r, key, v, &handled));
    if (handled) continue;
    int64_t i = 0;
    if (key == "model") {
      QWL_RETURN_IF_ERROR(r.read_string(v, key, &req.model));
    } else if (key == "prompt") {
      QWL_RETURN_IF_ERROR(read_prompt(r, v, &req));
      have_prompt = true;
    } else if (key == "max_tokens") {
      QWL_RETURN_IF_ERROR(read_max_tokens(r, key, v, &i));
      req.sampling.max_tokens = i;
    } else if (key == "stream") {
      QWL_RETURN_IF_ERROR(r.read_bool(v, key, &req.stream));
    } else if (key == "stream_options") {
      QWL_RETURN_IF_ERROR(read_stream_options(r, v, &req.include_usage));
      have_stream_options = true;
    } else if (key == "echo") {
      QWL_RETURN_IF_ERROR(r.read_bool(v, key, &req.echo));
    } else if (key == "logprobs") {
      QWL_RETURN_IF_ERROR(r.read_integer(v, key, 0, kMaxCompletionLogprobs, &i));
      req.logprobs = static_cast<int>(i);
    } else if (key == "n" || key == "best_of") {
      QWL_RETURN_IF_ERROR(read_only_one(r, key, v));
    } else if (key == "suffix") {
      std::string suffix;
      QWL_RETURN_IF_ERROR(r.read_string(v, key, &suffix));
      if (!suffix.empty()) return r.unsupported(key, "insertion (suffix) is not supported");
    } else {
      return r.unrecognized(key);
    }
  }
  if (!have_prompt) return r.invalid("prompt", "required");
  if (have_stream_options && !req.stream) {
    return r.invalid("stream_options", "only allowed when stream is true");
  }
  if (req.echo && req.logprobs >= 0) {
    return r.unsupported("echo", "echo together with logprobs (prompt logprobs) is not supported");
  }
  return req;
}

SamplingParams to_sampling_params(const SamplingRequest& request, const SamplingParams& defaults) {
  SamplingParams p = defaults;
  if (request.temperature) p.temperature = static_cast<float>(*request.temperature);
  if (request.top_p) p.top_p = static_cast<float>(*request.top_p);
  if (request.top_k) p.top_k = std::max(0, *request.top_k);
  if (request.min_p) p.min_p = static_cast<float>(*request.min_p);
  if (request.presence_penalty) p.presence_penalty = static_cast<float>(*request.presence_penalty);
  if (request.frequency_penalty) {
    p.frequency_penalty = static_cast<float>(*request.frequency_penalty);
  }
  if (request.repetition_penalty) {
    p.repeat_penalty = static_cast<float>(*request.repetition_penalty);
  }
  if (request.seed) p.seed = static_cast<uint64_t>(*request.seed);
  for (const auto& [id, bias] : request.logit_bias) {
    p.logit_bias[id] =
        bias <= -100.0 ? -std::numeric_limits<float>::infinity() : static_cast<float>(bias);
  }
  return p;
}

}  // namespace qwl::openai
