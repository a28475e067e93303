// Response and stream formatting. Objects are built as ordered JSON so that keys come in the
// order OpenAI writes them (clients do not depend on it, but diffs against OpenAI's output and
// golden tests stay readable).
#include "server/openai_response.h"

#include <charconv>
#include <cmath>
#include <random>

#include "server/http_error.h"

namespace qwl::openai {
namespace {

using Json = ChatJson;

// Model output can hold invalid UTF-8 (a token that is half a character); it becomes U+FFFD
// rather than an exception.
std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

class RandomIdGenerator : public IdGenerator {
 public:
  std::string next(std::string_view prefix) override {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    // One engine per thread: no lock on the hot path. Ids need to be unique, not secret.
    thread_local std::mt19937_64 engine = [] {
      std::random_device device;
      std::seed_seq seed{device(), device(), device(), device()};
      return std::mt19937_64(seed);
    }();
    std::string id(prefix);
    std::uniform_int_distribution<int> pick(0, static_cast<int>(sizeof(kAlphabet)) - 2);
    for (int i = 0; i < 24; ++i) id.push_back(kAlphabet[pick(engine)]);
    return id;
  }
};

Json usage_json(const Usage& u) {
  Json j = {
      {"prompt_tokens", u.prompt_tokens},
      {"completion_tokens", u.completion_tokens},
      {"total_tokens", u.prompt_tokens + u.completion_tokens},
      {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}},
  };
  if (u.reasoning_tokens) {
    j["completion_tokens_details"] = {{"reasoning_tokens", *u.reasoning_tokens}};
  }
  return j;
}

// A logprob as JSON: the float's shortest decimal form (-0.31, not -0.3100000023841858), and
// -9999 for -infinity (a banned token), as OpenAI writes it; JSON has no infinity.
double logprob_value(float logprob) {
  if (!std::isfinite(logprob)) return -9999.0;
  const std::string text = fmt::format("{}", logprob);
  double value = logprob;
  std::from_chars(text.data(), text.data() + text.size(), value);  // locale-independent
  return value;
}

Json bytes_json(std::string_view token) {
  Json bytes = Json::array();
  for (char c : token) bytes.push_back(static_cast<int>(static_cast<unsigned char>(c)));
  return bytes;
}

// {"content":[{"token","logprob","bytes","top_logprobs"}...],"refusal":null}
Json chat_logprobs_json(std::span<const TokenLogprob> tokens) {
  Json content = Json::array();
  for (const TokenLogprob& t : tokens) {
    Json top = Json::array();
    for (const TopLogprob& alt : t.top_logprobs) {
      top.push_back({{"token", alt.token},
                     {"logprob", logprob_value(alt.logprob)},
                     {"bytes", bytes_json(alt.token)}});
    }
    content.push_back({{"token", t.token},
                       {"logprob", logprob_value(t.logprob)},
                       {"bytes", bytes_json(t.token)},
                       {"top_logprobs", std::move(top)}});
  }
  return Json{{"content", std::move(content)}, {"refusal", nullptr}};
}

// The legacy completions form: parallel arrays, top_logprobs as {token: logprob} objects,
// text_offset in bytes from the start of the choice's text.
Json completion_logprobs_json(std::span<const TokenLogprob> tokens, int64_t text_offset) {
  Json j = {{"tokens", Json::array()},
            {"token_logprobs", Json::array()},
            {"top_logprobs", Json::array()},
            {"text_offset", Json::array()}};
  for (const TokenLogprob& t : tokens) {
    j["tokens"].push_back(t.token);
    j["token_logprobs"].push_back(logprob_value(t.logprob));
    Json top = Json::object();
    for (const TopLogprob& alt : t.top_logprobs) top[alt.token] = logprob_value(alt.logprob);
    j["top_logprobs"].push_back(std::move(top));
    j["text_offset"].push_back(text_offset);
    text_offset += static_cast<int64_t>(t.token.size());
  }
  return j;
}

// The text of an invalid call, given back as content (see the header): the tags the model wrote
// (no closing one when the output ended inside the call).
std::string invalid_call_text(std::string_view raw, bool closed) {
  return fmt::format("<tool_call>{}{}", raw, closed ? "</tool_call>" : "");
}

}  // namespace

IdGenerator& IdGenerator::random() {
  static RandomIdGenerator generator;
  return generator;
}

std::string SequentialIdGenerator::next(std::string_view prefix) {
  return fmt::format("{}{}", prefix, next_.fetch_add(1, std::memory_order_relaxed));
}

std::string_view finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kToolCalls:
      return "tool_calls";
    case FinishReason::kContentFilter:
      return "content_filter";
  }
  return "stop";
}

FinishReason finish_reason_for(StopReason stop, bool has_tool_calls) {
  switch (stop) {
    case StopReason::kMaxTokens:
    case StopReason::kContextFull:
      return FinishReason::kLength;
    case StopReason::kEog:
    case StopReason::kStopString:
    case StopReason::kCancelled:
      break;
  }
  return has_tool_calls ? FinishReason::kToolCalls : FinishReason::kStop;
}

bool has_valid_tool_calls(const ParsedOutput& output) {
  for (const ParsedToolCall& call : output.tool_calls) {
    if (call.error.ok()) return true;
  }
  return false;
}

std::string chat_completion_json(const ChatCompletion& c, IdGenerator& ids) {
  std::string content = c.output.content;
  Json tool_calls = Json::array();
  for (const ParsedToolCall& call : c.output.tool_calls) {
    if (!call.error.ok()) {
      content += invalid_call_text(call.raw, call.closed);
      continue;
    }
    tool_calls.push_back({{"id", ids.next("call_")},
                          {"type", "function"},
                          {"function", {{"name", call.name}, {"arguments", call.arguments}}}});
  }
  Json message = {{"role", "assistant"}};
  // OpenAI: content is null when the message is only tool calls.
  message["content"] = content.empty() && !tool_calls.empty() ? Json(nullptr) : Json(content);
  if (!c.output.reasoning_content.empty()) {
    message["reasoning_content"] = c.output.reasoning_content;
  }
  if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);
  message["refusal"] = nullptr;

  Json choice = {{"index", 0}, {"message", std::move(message)}};
  choice["logprobs"] = c.logprobs ? chat_logprobs_json(c.token_logprobs) : Json(nullptr);
  choice["finish_reason"] = finish_reason_name(c.finish_reason);
  Json j = {{"id", c.id},
            {"object", "chat.completion"},
            {"created", c.created},
            {"model", c.model},
            {"choices", Json::array({std::move(choice)})},
            {"usage", usage_json(c.usage)}};
  return dump(j);
}

ChatStreamEncoder::ChatStreamEncoder(ChatStreamOptions options, IdGenerator& ids)
    : options_(std::move(options)), ids_(&ids) {}

std::string ChatStreamEncoder::chunk(Json delta, const char* finish_reason, bool with_logprobs) {
  Json choice = {{"index", 0}, {"delta", std::move(delta)}};
  if (with_logprobs && options_.logprobs && !pending_logprobs_.empty()) {
    choice["logprobs"] = chat_logprobs_json(pending_logprobs_);
    pending_logprobs_.clear();
  } else {
    choice["logprobs"] = nullptr;
  }
  choice["finish_reason"] = finish_reason == nullptr ? Json(nullptr) : Json(finish_reason);
  Json j = {{"id", options_.id},
            {"object", "chat.completion.chunk"},
            {"created", options_.created},
            {"model", options_.model},
            {"choices", Json::array({std::move(choice)})}};
  if (options_.include_usage) j["usage"] = nullptr;
  return dump(j);
}

void ChatStreamEncoder::ensure_started(std::vector<std::string>* out) {
  if (started_) return;
  started_ = true;
  // Never logprobs on the first chunk: OpenAI sends none there, and the openai npm client
  // (v4, v5) counts the logprobs of a choice's first chunk twice.
  out->push_back(chunk({{"role", "assistant"}, {"content", ""}}, nullptr, false));
}

void ChatStreamEncoder::add(std::span<const ChatDelta> deltas,
                            std::span<const TokenLogprob> logprobs, std::vector<std::string>* out) {
  QWL_CHECK(!finished_, "ChatStreamEncoder::add after finish");
  if (options_.logprobs)
    pending_logprobs_.insert(pending_logprobs_.end(), logprobs.begin(), logprobs.end());
  ensure_started(out);
  for (const ChatDelta& d : deltas) {
    switch (d.kind) {
      case ChatDeltaKind::kContent:
        if (d.text.empty()) break;
        out->push_back(chunk({{"content", d.text}}, nullptr));
        break;
      case ChatDeltaKind::kReasoning:
        if (d.text.empty()) break;
        out->push_back(chunk({{"reasoning_content", d.text}}, nullptr));
        break;
      case ChatDeltaKind::kToolCallBegin: {
        QWL_CHECK(d.index >= 0, "tool call delta without an index");
        if (call_index_.size() <= static_cast<size_t>(d.index)) call_index_.resize(d.index + 1, -1);
        const int index = n_calls_++;
        call_index_[d.index] = index;
        Json call = {{"index", index},
                     {"id", ids_->next("call_")},
                     {"type", "function"},
                     {"function", {{"name", d.text}, {"arguments", ""}}}};
        out->push_back(chunk({{"tool_calls", Json::array({std::move(call)})}}, nullptr));
        break;
      }
      case ChatDeltaKind::kToolCallArguments: {
        const bool begun = d.index >= 0 && static_cast<size_t>(d.index) < call_index_.size() &&
                           call_index_[d.index] >= 0;
        QWL_CHECK(begun, "tool call arguments before the call began");
        if (d.text.empty()) break;
        Json call = {{"index", call_index_[d.index]}, {"function", {{"arguments", d.text}}}};
        out->push_back(chunk({{"tool_calls", Json::array({std::move(call)})}}, nullptr));
        break;
      }
      case ChatDeltaKind::kToolCallEnd: {
        const bool begun = d.index >= 0 && static_cast<size_t>(d.index) < call_index_.size() &&
                           call_index_[d.index] >= 0;
        // A call that never began (its body never showed a name) and turned out invalid goes
        // back to the client as the text the model wrote; one that began cannot be taken back.
        if (!d.error.ok() && !begun) {
          out->push_back(chunk({{"content", invalid_call_text(d.raw, d.closed)}}, nullptr));
        }
        break;
      }
    }
  }
}

void ChatStreamEncoder::finish(FinishReason reason, const Usage& usage,
                               std::vector<std::string>* out) {
  QWL_CHECK(!finished_, "ChatStreamEncoder::finish called twice");
  ensure_started(out);
  finished_ = true;
  out->push_back(chunk(Json::object(), finish_reason_name(reason).data()));
  if (options_.include_usage) {
    Json j = {{"id", options_.id},           {"object", "chat.completion.chunk"},
              {"created", options_.created}, {"model", options_.model},
              {"choices", Json::array()},    {"usage", usage_json(usage)}};
    out->push_back(dump(j));
  }
  out->push_back("[DONE]");
}

std::string text_completion_json(const TextCompletion& c) {
  Json choice = {{"text", c.text}, {"index", 0}};
  choice["logprobs"] =
      c.logprobs ? completion_logprobs_json(c.token_logprobs, c.text_offset) : Json(nullptr);
  choice["finish_reason"] = finish_reason_name(c.finish_reason);
  Json j = {{"id", c.id},
            {"object", "text_completion"},
            {"created", c.created},
            {"model", c.model},
            {"choices", Json::array({std::move(choice)})},
            {"usage", usage_json(c.usage)}};
  return dump(j);
}

TextStreamEncoder::TextStreamEncoder(TextStreamOptions options) : options_(std::move(options)) {}

std::string TextStreamEncoder::chunk(std::string_view text, Json logprobs,
                                     const char* finish_reason) {
  Json choice = {{"text", text}, {"index", 0}, {"logprobs", std::move(logprobs)}};
  choice["finish_reason"] = finish_reason == nullptr ? Json(nullptr) : Json(finish_reason);
  Json j = {{"id", options_.id},
            {"object", "text_completion"},
            {"created", options_.created},
            {"model", options_.model},
            {"choices", Json::array({std::move(choice)})}};
  if (options_.include_usage) j["usage"] = nullptr;
  return dump(j);
}

void TextStreamEncoder::add(std::string_view text, std::span<const TokenLogprob> logprobs,
                            std::vector<std::string>* out) {
  QWL_CHECK(!finished_, "TextStreamEncoder::add after finish");
  const bool with_logprobs = options_.logprobs && !logprobs.empty();
  if (text.empty() && !with_logprobs) return;
  Json lp = with_logprobs ? completion_logprobs_json(logprobs, text_offset_) : Json(nullptr);
  out->push_back(chunk(text, std::move(lp), nullptr));
  text_offset_ += static_cast<int64_t>(text.size());
}

void TextStreamEncoder::finish(FinishReason reason, const Usage& usage,
                               std::vector<std::string>* out) {
  QWL_CHECK(!finished_, "TextStreamEncoder::finish called twice");
  finished_ = true;
  out->push_back(chunk("", nullptr, finish_reason_name(reason).data()));
  if (options_.include_usage) {
    Json j = {{"id", options_.id},           {"object", "text_completion"},
              {"created", options_.created}, {"model", options_.model},
              {"choices", Json::array()},    {"usage", usage_json(usage)}};
    out->push_back(dump(j));
  }
  out->push_back("[DONE]");
}

std::string stream_error_json(const Status& status) {
  return http::error_response(status).body;
}

std::string model_json(const ModelCard& m) {
  return dump(
      Json{{"id", m.id}, {"object", "model"}, {"created", m.created}, {"owned_by", m.owned_by}});
}

std::string model_list_json(std::span<const ModelCard> models) {
  Json data = Json::array();
  for (const ModelCard& m : models) {
    data.push_back(
        {{"id", m.id}, {"object", "model"}, {"created", m.created}, {"owned_by", m.owned_by}});
  }
  return dump(Json{{"object", "list"}, {"data", std::move(data)}});
}

}  // namespace qwl::openai
