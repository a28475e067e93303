// ChatTemplate: the public edge of the Jinja interpreter. Turns the interpreter's
// TemplateError exceptions (and allocation failures) into Status, builds the template context
// from a ChatInput, and converts JSON into interpreter values.
#include "chat/chat_template.h"

#include <time.h>

#include <new>

#include "chat/jinja_interpreter.h"
#include "chat/jinja_parser.h"

namespace qwl {
namespace {

constexpr int kMaxJsonDepth = 256;

Status error_status(const jinja::TemplateError& e) {
  std::string message =
      fmt::format("chat template:{}:{}: {}", e.pos().line, e.pos().col, e.message());
  switch (e.kind()) {
    case jinja::TemplateError::Kind::kUnsupported:
      return Status(StatusCode::kUnsupported, std::move(message));
    case jinja::TemplateError::Kind::kLimit:
      return Status(StatusCode::kResourceExhausted, std::move(message));
    case jinja::TemplateError::Kind::kRaised:
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("chat template:{}:{}: raise_exception: {}", e.pos().line,
                                e.pos().col, e.message()));
    case jinja::TemplateError::Kind::kError:
      break;
  }
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

Result<jinja::Value> to_value(const ChatJson& j, int depth, const std::string& path) {
  if (depth > kMaxJsonDepth)
    return InvalidArgumentError("chat template input: {}: nested deeper than {} levels", path,
                                kMaxJsonDepth);
  switch (j.type()) {
    case ChatJson::value_t::null:
      return jinja::Value::none();
    case ChatJson::value_t::boolean:
      return jinja::Value(j.get<bool>());
    case ChatJson::value_t::number_integer:
      return jinja::Value(j.get<int64_t>());
    case ChatJson::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX))
        return UnsupportedError("chat template input: {}: integer {} is above 64-bit range", path,
                                u);
      return jinja::Value(static_cast<int64_t>(u));
    }
    case ChatJson::value_t::number_float:
      return jinja::Value(j.get<double>());
    case ChatJson::value_t::string:
      return jinja::Value(j.get_ref<const std::string&>());
    case ChatJson::value_t::array: {
      jinja::List items;
      items.reserve(j.size());
      for (size_t i = 0; i < j.size(); ++i) {
        QWL_ASSIGN_OR_RETURN(jinja::Value v,
                             to_value(j[i], depth + 1, fmt::format("{}[{}]", path, i)));
        items.push_back(std::move(v));
      }
      return jinja::Value(std::move(items));
    }
    case ChatJson::value_t::object: {
      jinja::Dict d;
      d.entries.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) {
        QWL_ASSIGN_OR_RETURN(jinja::Value v,
                             to_value(it.value(), depth + 1, fmt::format("{}.{}", path, it.key())));
        d.entries.emplace_back(jinja::Value(it.key()), std::move(v));
      }
      return jinja::Value(std::move(d));
    }
    default:
      return InvalidArgumentError("chat template input: {}: binary values are not supported", path);
  }
}

std::string strftime_local(const Clock& clock, const std::string& format) {
  time_t t = static_cast<time_t>(clock.wall_us() / 1000000);
  struct tm tm_local;
  localtime_r(&t, &tm_local);
  if (format.empty()) return std::string();
  std::string buf(256 + format.size() * 8, '\0');
  size_t n = strftime(buf.data(), buf.size(), format.c_str(), &tm_local);
  buf.resize(n);
  return buf;
}

void set_in_place(ChatJson* object, const std::string& key, ChatJson value) {
  (*object)[key] = std::move(value);  // ordered_json keeps an existing key's position
}

}  // namespace

Result<ChatTemplate> ChatTemplate::parse(std::string_view source) {
  try {
    ChatTemplate t;
    t.program_ = jinja::parse_template(source);
    t.source_ = std::make_shared<const std::string>(source);
    return t;
  } catch (const jinja::TemplateError& e) {
    return error_status(e);
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError("chat template: out of memory while parsing");
  }
}

Result<std::string> ChatTemplate::render(const ChatInput& input,
                                         const RenderOptions& options) const {
  return render_context(chat_input_to_context(input), options);
}

Result<std::string> ChatTemplate::render_context(const ChatJson& context,
                                                 const RenderOptions& options) const {
  if (!context.is_object()) return InvalidArgumentError("chat template input: not a JSON object");
  QWL_ASSIGN_OR_RETURN(jinja::Value root, to_value(context, 0, "context"));
  jinja::Environment env;
  env.limits.max_output_bytes = options.limits.max_output_bytes;
  env.limits.max_loop_iterations = options.limits.max_loop_iterations;
  env.limits.max_call_depth = options.limits.max_call_depth;
  const Clock* clock = options.clock ? options.clock : &Clock::real();
  env.strftime_now = [clock](const std::string& format) { return strftime_local(*clock, format); };
  try {
    jinja::Interpreter interpreter(env);
    return interpreter.render(*program_, root.dict());
  } catch (const jinja::TemplateError& e) {
    return error_status(e);
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError("chat template: out of memory while rendering");
  } catch (const std::length_error&) {
    return ResourceExhaustedError("chat template: a value grew too large while rendering");
  }
}

ChatJson chat_input_to_context(const ChatInput& input) {
  ChatJson messages = ChatJson::array();
  for (const ChatMessage& m : input.messages) {
    ChatJson msg = ChatJson::object();
    msg["role"] = m.role;
    msg["content"] = m.content ? ChatJson(*m.content) : ChatJson(nullptr);
    if (m.reasoning_content) msg["reasoning_content"] = *m.reasoning_content;
    if (!m.tool_calls.empty()) {
      ChatJson calls = ChatJson::array();
      for (const ToolCall& c : m.tool_calls) {
        ChatJson call = ChatJson::object();
        if (!c.id.empty()) call["id"] = c.id;
        call["type"] = "function";
        call["function"] = ChatJson{{"name", c.name}, {"arguments", c.arguments}};
        calls.push_back(std::move(call));
      }
      msg["tool_calls"] = std::move(calls);
    }
    if (m.tool_call_id) msg["tool_call_id"] = *m.tool_call_id;
    if (m.name) msg["name"] = *m.name;
    if (m.extra.is_object()) {
      for (auto it = m.extra.begin(); it != m.extra.end(); ++it)
        set_in_place(&msg, it.key(), it.value());
    }
    messages.push_back(std::move(msg));
  }
  ChatJson context = ChatJson::object();
  context["messages"] = std::move(messages);
  context["tools"] = input.tools;
  context["add_generation_prompt"] = input.add_generation_prompt;
  if (input.enable_thinking) context["enable_thinking"] = *input.enable_thinking;
  if (input.bos_token) context["bos_token"] = *input.bos_token;
  if (input.eos_token) context["eos_token"] = *input.eos_token;
  if (input.kwargs.is_object()) {
    for (auto it = input.kwargs.begin(); it != input.kwargs.end(); ++it)
      set_in_place(&context, it.key(), it.value());
  }
  return context;
}

namespace {

// A tool call in the canonical shape {"id"?, "type": "function", "function": {"name",
// "arguments"}}; nullopt for any other shape.
std::optional<ToolCall> typed_tool_call(const ChatJson& j) {
  if (!j.is_object()) return std::nullopt;
  size_t expected = 2;
  ToolCall call;
  if (j.contains("id")) {
    if (!j["id"].is_string() || j["id"].get_ref<const std::string&>().empty()) return std::nullopt;
    call.id = j["id"].get<std::string>();
    ++expected;
    if (j.begin().key() != "id") return std::nullopt;
  }
  if (j.size() != expected || !j.contains("type") || j["type"] != "function" ||
      !j.contains("function"))
    return std::nullopt;
  const ChatJson& f = j["function"];
  if (!f.is_object() || f.size() != 2 || f.begin().key() != "name" || !f["name"].is_string() ||
      !f.contains("arguments"))
    return std::nullopt;
  call.name = f["name"].get<std::string>();
  call.arguments = f["arguments"];
  return call;
}

}  // namespace

Result<ChatInput> chat_input_from_json(const ChatJson& context) {
  if (!context.is_object()) return InvalidArgumentError("chat input: expected a JSON object");
  ChatInput input;
  input.tools = nullptr;
  if (!context.contains("messages") || !context["messages"].is_array())
    return InvalidArgumentError("chat input: messages: expected an array");
  const ChatJson& messages = context["messages"];
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatJson& m = messages[i];
    if (!m.is_object())
      return InvalidArgumentError("chat input: messages[{}]: expected an object", i);
    if (!m.contains("role") || !m["role"].is_string())
      return InvalidArgumentError("chat input: messages[{}].role: expected a string", i);
    ChatMessage msg;
    for (auto it = m.begin(); it != m.end(); ++it) {
      const std::string& key = it.key();
      const ChatJson& v = it.value();
      if (key == "role") {
        msg.role = v.get<std::string>();
      } else if (key == "content" && (v.is_string() || v.is_null())) {
        if (v.is_string()) msg.content = v.get<std::string>();
      } else if (key == "reasoning_content" && v.is_string()) {
        msg.reasoning_content = v.get<std::string>();
      } else if ((key == "tool_call_id" || key == "name") && v.is_string()) {
        (key == "name" ? msg.name : msg.tool_call_id) = v.get<std::string>();
      } else if (key == "tool_calls" && v.is_array() && !v.empty()) {
        std::vector<ToolCall> calls;
        for (const auto& c : v) {
          auto call = typed_tool_call(c);
          if (!call) break;
          calls.push_back(std::move(*call));
        }
        if (calls.size() == v.size()) {
          msg.tool_calls = std::move(calls);
        } else {
          msg.extra[key] = v;
        }
      } else {
        msg.extra[key] = v;
      }
    }
    if (!m.contains("content")) {
      // chat_input_to_context always writes content; keep an absent one absent is not possible,
      // so it becomes null (what OpenAI-style requests mean by it).
      msg.content = std::nullopt;
    }
    input.messages.push_back(std::move(msg));
  }
  for (auto it = context.begin(); it != context.end(); ++it) {
    const std::string& key = it.key();
    const ChatJson& v = it.value();
    if (key == "messages") continue;
    if (key == "tools") {
      input.tools = v;
    } else if (key == "add_generation_prompt" && v.is_boolean()) {
      input.add_generation_prompt = v.get<bool>();
    } else if (key == "enable_thinking" && v.is_boolean()) {
      input.enable_thinking = v.get<bool>();
    } else if (key == "bos_token" && v.is_string()) {
      input.bos_token = v.get<std::string>();
    } else if (key == "eos_token" && v.is_string()) {
      input.eos_token = v.get<std::string>();
    } else {
      input.kwargs[key] = v;
    }
  }
  if (!context.contains("add_generation_prompt")) input.add_generation_prompt = false;
  return input;
}

void normalize_openai_input(ChatInput* input) {
  for (ChatMessage& m : input->messages) {
    for (ToolCall& call : m.tool_calls) {
      if (!call.arguments.is_string()) continue;
      const std::string& text = call.arguments.get_ref<const std::string&>();
      ChatJson parsed = ChatJson::parse(text, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_object()) call.arguments = std::move(parsed);
    }
    if (m.role == "assistant" && !m.content && !m.extra.contains("content")) m.content = "";
  }
}

}  // namespace qwl
