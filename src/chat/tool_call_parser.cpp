// Qwen output parsing: a one-shot splitter and a streaming state machine that must agree.
//
// They share only parse_call_body, the definition of a valid call (checked once a call's text
// is complete). Everything incremental is the streaming parser's own: where reasoning and
// content end, which whitespace is dropped, when a tool's name is known (an incremental scan
// of the call's JSON object), and which bytes of the arguments can be sent. The tests feed
// outputs cut at every byte and require the folded deltas to equal the one-shot result, which
// checks the incremental logic against the simple one.
#include "chat/tool_call_parser.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <utility>

namespace qwl {
namespace {

constexpr std::string_view kThinkOpen = "<think>";
constexpr std::string_view kThinkClose = "</think>";
constexpr std::string_view kCallOpen = "<tool_call>";
constexpr std::string_view kCallClose = "</tool_call>";

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view lstrip_ws(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view rstrip_ws(std::string_view s) {
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view strip_newlines(std::string_view s) {
  while (!s.empty() && s.front() == '\n') s.remove_prefix(1);
  while (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return s;
}

// Length of the longest proper prefix of `tag` that `s` ends with (text to hold back).
size_t partial_tag_suffix(std::string_view s, std::string_view tag) {
  for (size_t n = std::min(s.size(), tag.size() - 1); n > 0; --n)
    if (s.substr(s.size() - n) == tag.substr(0, n)) return n;
  return 0;
}

// Length of the longest prefix of `s` that ends on a UTF-8 character boundary: a trailing
// lead byte whose continuation bytes have not all arrived is excluded.
size_t complete_utf8_prefix(std::string_view s) {
  size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    unsigned char c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: look further back
    size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

// The end (exclusive) of the JSON value starting at s[pos] in valid JSON text.
size_t skip_json_value(std::string_view s, size_t pos) {
  char c = s[pos];
  if (c == '"') {
    for (size_t i = pos + 1; i < s.size(); ++i) {
      if (s[i] == '\\') {
        ++i;
      } else if (s[i] == '"') {
        return i + 1;
      }
    }
    return s.size();
  }
  if (c == '{' || c == '[') {
    int depth = 0;
    bool in_string = false;
    for (size_t i = pos; i < s.size(); ++i) {
      char x = s[i];
      if (in_string) {
        if (x == '\\') {
          ++i;
        } else if (x == '"') {
          in_string = false;
        }
      } else if (x == '"') {
        in_string = true;
      } else if (x == '{' || x == '[') {
        ++depth;
      } else if (x == '}' || x == ']') {
        if (--depth == 0) return i + 1;
      }
    }
    return s.size();
  }
  size_t i = pos;
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_ws(s[i])) ++i;
  return i;
}

// The call's body -> name and arguments text, or why it is not a call.
ParsedToolCall parse_call_body(std::string_view body) {
  ParsedToolCall call;
  call.raw = std::string(body);
  std::string_view text = rstrip_ws(lstrip_ws(body));
  auto j = nlohmann::ordered_json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) {
    call.error = InvalidArgumentError("tool call: the text between the tags is not valid JSON");
    return call;
  }
  if (!j.is_object()) {
    call.error = InvalidArgumentError("tool call: expected a JSON object");
    return call;
  }
  // Top-level keys with the spans of their values (the JSON is valid, so the scan is simple).
  std::vector<std::pair<std::string, std::pair<size_t, size_t>>> keys;
  size_t pos = 1;
  while (true) {
    while (pos < text.size() && is_ws(text[pos])) ++pos;
    if (pos >= text.size() || text[pos] == '}') break;
    if (text[pos] == ',') {
      ++pos;
      continue;
    }
    size_t key_end = skip_json_value(text, pos);
    auto key_json = nlohmann::json::parse(text.substr(pos, key_end - pos), nullptr, false);
    if (!key_json.is_string()) {
      call.error = InvalidArgumentError("tool call: bad key in the JSON object");
      return call;
    }
    std::string key = key_json.get<std::string>();
    pos = key_end;
    while (pos < text.size() && (is_ws(text[pos]) || text[pos] == ':')) ++pos;
    size_t value_end = skip_json_value(text, pos);
    for (const auto& k : keys) {
      if (k.first == key) {
        call.error = InvalidArgumentError("tool call: key \"{}\" appears twice", key);
        return call;
      }
    }
    keys.emplace_back(std::move(key), std::make_pair(pos, value_end));
    pos = value_end;
  }
  auto name = j.find("name");
  if (name == j.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
    call.error = InvalidArgumentError("tool call: \"name\" must be a non-empty string");
    return call;
  }
  auto args = j.find("arguments");
  if (args == j.end() || !args->is_object()) {
    call.error = InvalidArgumentError("tool call: \"arguments\" must be a JSON object");
    return call;
  }
  call.name = name->get<std::string>();
  for (const auto& [key, span] : keys)
    if (key == "arguments")
      call.arguments = std::string(text.substr(span.first, span.second - span.first));
  return call;
}

}  // namespace

bool prompt_opens_thinking(std::string_view prompt) {
  std::string_view tail = rstrip_ws(prompt);
  return tail.size() >= kThinkOpen.size() &&
         tail.substr(tail.size() - kThinkOpen.size()) == kThinkOpen;
}

ParsedOutput parse_model_output(std::string_view text, const ToolCallParserOptions& options) {
  ParsedOutput out;
  size_t pos = 0;
  bool in_think = options.thinking_open;
  if (!in_think) {
    size_t p = 0;
    while (p < text.size() && is_ws(text[p])) ++p;
    if (text.substr(p, kThinkOpen.size()) == kThinkOpen) {
      in_think = true;
      pos = p + kThinkOpen.size();
    }
  }
  if (in_think) {
    size_t close = text.find(kThinkClose, pos);
    std::string_view region =
        text.substr(pos, close == std::string_view::npos ? std::string_view::npos : close - pos);
    out.reasoning_content = std::string(strip_newlines(region));
    if (close == std::string_view::npos) return out;
    pos = close + kThinkClose.size();
    while (pos < text.size() && text[pos] == '\n') ++pos;
  }
  std::string_view rest = text.substr(pos);
  size_t p = 0;
  bool after_call = false;
  while (true) {
    size_t open = rest.find(kCallOpen, p);
    std::string_view seg =
        rest.substr(p, open == std::string_view::npos ? std::string_view::npos : open - p);
    if (after_call) seg = lstrip_ws(seg);
    if (open != std::string_view::npos) seg = rstrip_ws(seg);
    out.content += seg;
    if (open == std::string_view::npos) break;
    size_t body_start = open + kCallOpen.size();
    size_t close = rest.find(kCallClose, body_start);
    out.tool_calls.push_back(parse_call_body(rest.substr(body_start, close == std::string_view::npos
                                                                         ? std::string_view::npos
                                                                         : close - body_start)));
    out.tool_calls.back().closed = close != std::string_view::npos;
    if (close == std::string_view::npos) break;
    p = close + kCallClose.size();
    after_call = true;
  }
  return out;
}

// ---- streaming ----------------------------------------------------------------------------

namespace {

// Incremental scan of a call body {"name": "...", "arguments": {...}, ...}: reports the name
// when its string closes and the arguments' text as it arrives. Anything unexpected stops the
// scan (the final check of the complete body decides then).
class CallScanner {
 public:
  // Consumes `text`; sets *name once when the "name" string value is complete; appends the
  // bytes of the "arguments" value to *args_fragment.
  void feed(std::string_view text, std::optional<std::string>* name, std::string* args_fragment) {
    for (char c : text) step(c, name, args_fragment);
  }

 private:
  enum class Phase {
    kBeforeObject,
    kBeforeKey,
    kInKey,
    kAfterKey,
    kBeforeValue,
    kInValue,
    kAfterValue,
    kAfterObject,
    kBroken,
  };
  enum class ValueKind { kString, kContainer, kPrimitive };

  void end_value(std::optional<std::string>* name) {
    if (key_ == "name" && value_kind_ == ValueKind::kString && !name_reported_) {
      auto decoded = nlohmann::json::parse(value_raw_, nullptr, false);
      if (decoded.is_string()) {
        *name = decoded.get<std::string>();
        name_reported_ = true;
      }
    }
    if (key_ == "arguments") args_done_ = true;
    phase_ = Phase::kAfterValue;
  }

  void step(char c, std::optional<std::string>* name, std::string* args) {
    switch (phase_) {
      case Phase::kBeforeObject:
        if (is_ws(c)) return;
        phase_ = c == '{' ? Phase::kBeforeKey : Phase::kBroken;
        return;
      case Phase::kBeforeKey:
        if (is_ws(c)) return;
        if (c == '"') {
          key_raw_.assign(1, '"');
          escape_ = false;
          phase_ = Phase::kInKey;
        } else {
          phase_ = c == '}' ? Phase::kAfterObject : Phase::kBroken;
        }
        return;
      case Phase::kInKey: {
        key_raw_.push_back(c);
        if (escape_) {
          escape_ = false;
        } else if (c == '\\') {
          escape_ = true;
        } else if (c == '"') {
          auto decoded = nlohmann::json::parse(key_raw_, nullptr, false);
          if (!decoded.is_string()) {
            phase_ = Phase::kBroken;
            return;
          }
          key_ = decoded.get<std::string>();
          phase_ = Phase::kAfterKey;
        }
        return;
      }
      case Phase::kAfterKey:
        if (is_ws(c)) return;
        phase_ = c == ':' ? Phase::kBeforeValue : Phase::kBroken;
        return;
      case Phase::kBeforeValue:
        if (is_ws(c)) return;
        // A second "arguments" would make the call invalid; do not stream it.
        streaming_args_ = key_ == "arguments" && !args_done_;
        value_raw_.clear();
        depth_ = 0;
        in_string_ = false;
        escape_ = false;
        if (c == '"') {
          value_kind_ = ValueKind::kString;
          in_string_ = true;
        } else if (c == '{' || c == '[') {
          value_kind_ = ValueKind::kContainer;
          depth_ = 1;
        } else {
          value_kind_ = ValueKind::kPrimitive;
        }
        phase_ = Phase::kInValue;
        take(c, args);
        return;
      case Phase::kInValue:
        if (value_kind_ == ValueKind::kPrimitive) {
          if (c == ',' || c == '}' || c == ']' || is_ws(c)) {
            end_value(name);
            step(c, name, args);  // the terminator belongs to what follows the value
            return;
          }
          take(c, args);
          return;
        }
        take(c, args);
        if (in_string_) {
          if (escape_) {
            escape_ = false;
          } else if (c == '\\') {
            escape_ = true;
          } else if (c == '"') {
            in_string_ = false;
            if (value_kind_ == ValueKind::kString) end_value(name);
          }
          return;
        }
        if (c == '"') {
          in_string_ = true;
        } else if (c == '{' || c == '[') {
          ++depth_;
        } else if ((c == '}' || c == ']') && --depth_ == 0) {
          end_value(name);
        }
        return;
      case Phase::kAfterValue:
        if (is_ws(c)) return;
        if (c == ',') {
          phase_ = Phase::kBeforeKey;
        } else {
          phase_ = c == '}' ? Phase::kAfterObject : Phase::kBroken;
        }
        return;
      case Phase::kAfterObject:
        if (!is_ws(c)) phase_ = Phase::kBroken;
        return;
      case Phase::kBroken:
        return;
    }
  }

  void take(char c, std::string* args) {
    if (key_ == "name") value_raw_.push_back(c);
    if (streaming_args_) args->push_back(c);
  }

  Phase phase_ = Phase::kBeforeObject;
  std::string key_raw_;
  std::string key_;
  std::string value_raw_;
  ValueKind value_kind_ = ValueKind::kPrimitive;
  int depth_ = 0;
  bool in_string_ = false;
  bool escape_ = false;
  bool streaming_args_ = false;
  bool args_done_ = false;
  bool name_reported_ = false;
};

}  // namespace

struct StreamingToolCallParser::State {
  enum class Mode { kStart, kReasoning, kContent, kCall };

  explicit State(const ToolCallParserOptions& options)
      : mode(options.thinking_open ? Mode::kReasoning : Mode::kStart) {}

  Mode mode;
  std::string pending;  // input not yet classified
  std::vector<ChatDelta>* out = nullptr;
  size_t merge_from = 0;  // deltas before this index belong to earlier calls: never merged

  // Reasoning.
  bool reasoning_started = false;  // leading '\n' are dropped until then
  size_t held_newlines = 0;        // trailing '\n' not yet known to be inside the reasoning
  // Content.
  bool after_think = false;  // drop '\n' right after </think>
  bool after_call = false;   // drop whitespace right after </tool_call>
  std::string held_ws;       // trailing whitespace: dropped if a call follows
  // The current tool call.
  int call_index = -1;
  std::string body;
  CallScanner scanner;
  bool begun = false;
  std::string early_args;     // arguments text seen before the name
  std::string streamed_args;  // arguments text emitted
  // Bytes of an unfinished UTF-8 character, per text channel.
  std::string carry_content;
  std::string carry_reasoning;
  std::string carry_args;

  void push(ChatDelta d) {
    bool text_kind = d.kind == ChatDeltaKind::kContent || d.kind == ChatDeltaKind::kReasoning ||
                     d.kind == ChatDeltaKind::kToolCallArguments;
    if (text_kind && d.text.empty()) return;
    if (text_kind && out->size() > merge_from) {
      ChatDelta& last = out->back();
      if (last.kind == d.kind && last.index == d.index) {
        last.text += d.text;
        return;
      }
    }
    out->push_back(std::move(d));
  }

  // Emits `text` on a channel, keeping back a trailing partial UTF-8 character unless `flush`.
  void emit(ChatDeltaKind kind, std::string_view text, std::string* carry, bool flush) {
    carry->append(text);
    size_t n = flush ? carry->size() : complete_utf8_prefix(*carry);
    if (n == 0) return;
    ChatDelta d{kind, kind == ChatDeltaKind::kToolCallArguments ? call_index : -1,
                carry->substr(0, n), "", Status::Ok()};
    carry->erase(0, n);
    if (kind == ChatDeltaKind::kToolCallArguments) streamed_args += d.text;
    push(std::move(d));
  }

  void reasoning_text(std::string_view text) {
    std::string emit_now;
    for (char c : text) {
      if (!reasoning_started) {
        if (c == '\n') continue;
        reasoning_started = true;
      }
      if (c == '\n') {
        ++held_newlines;
      } else {
        emit_now.append(held_newlines, '\n');
        held_newlines = 0;
        emit_now.push_back(c);
      }
    }
    emit(ChatDeltaKind::kReasoning, emit_now, &carry_reasoning, false);
  }

  void content_text(std::string_view text) {
    std::string emit_now;
    for (char c : text) {
      if (after_think) {
        if (c == '\n') continue;
        after_think = false;
      }
      if (after_call) {
        if (is_ws(c)) continue;
        after_call = false;
      }
      if (is_ws(c)) {
        held_ws.push_back(c);
      } else {
        emit_now += held_ws;
        held_ws.clear();
        emit_now.push_back(c);
      }
    }
    emit(ChatDeltaKind::kContent, emit_now, &carry_content, false);
  }

  void start_call() {
    held_ws.clear();  // whitespace before a call is dropped
    after_think = false;
    emit(ChatDeltaKind::kContent, "", &carry_content, true);
    ++call_index;
    body.clear();
    scanner = CallScanner();
    begun = false;
    early_args.clear();
    streamed_args.clear();
    carry_args.clear();
  }

  void call_text(std::string_view text) {
    body.append(text);
    std::optional<std::string> name;
    std::string fragment;
    scanner.feed(text, &name, &fragment);
    if (name && !begun) {
      begun = true;
      push(ChatDelta{ChatDeltaKind::kToolCallBegin, call_index, *name, "", Status::Ok()});
      fragment = early_args + fragment;
      early_args.clear();
    }
    if (begun) {
      emit(ChatDeltaKind::kToolCallArguments, fragment, &carry_args, false);
    } else {
      early_args += fragment;
    }
  }

  void end_call(bool closed) {
    ParsedToolCall final_call = parse_call_body(body);
    Status status = final_call.error;
    if (status.ok()) {
      if (!begun) {
        begun = true;
        push(ChatDelta{ChatDeltaKind::kToolCallBegin, call_index, final_call.name, "",
                       Status::Ok()});
      }
      const std::string& args = final_call.arguments;
      if (args.compare(0, streamed_args.size(), streamed_args) == 0) {
        carry_args.clear();
        emit(ChatDeltaKind::kToolCallArguments, std::string_view(args).substr(streamed_args.size()),
             &carry_args, true);
      } else {
        status = InternalError("tool call: streamed arguments differ from the final text");
      }
    }
    push(ChatDelta{ChatDeltaKind::kToolCallEnd, call_index, "", body, status, closed});
    after_call = true;
  }

  void process(bool final) {
    while (true) {
      switch (mode) {
        case Mode::kStart: {
          size_t p = 0;
          while (p < pending.size() && is_ws(pending[p])) ++p;
          std::string_view tail = std::string_view(pending).substr(p);
          if (tail.substr(0, kThinkOpen.size()) == kThinkOpen) {
            pending.erase(0, p + kThinkOpen.size());
            mode = Mode::kReasoning;
            continue;
          }
          if (!final && kThinkOpen.substr(0, tail.size()) == tail) return;  // undecided
          mode = Mode::kContent;
          continue;
        }
        case Mode::kReasoning: {
          size_t hit = pending.find(kThinkClose);
          if (hit != std::string::npos) {
            reasoning_text(std::string_view(pending).substr(0, hit));
            held_newlines = 0;
            emit(ChatDeltaKind::kReasoning, "", &carry_reasoning, true);
            pending.erase(0, hit + kThinkClose.size());
            mode = Mode::kContent;
            after_think = true;
            continue;
          }
          size_t keep = final ? 0 : partial_tag_suffix(pending, kThinkClose);
          reasoning_text(std::string_view(pending).substr(0, pending.size() - keep));
          pending.erase(0, pending.size() - keep);
          if (final) emit(ChatDeltaKind::kReasoning, "", &carry_reasoning, true);
          return;
        }
        case Mode::kContent: {
          size_t hit = pending.find(kCallOpen);
          if (hit != std::string::npos) {
            content_text(std::string_view(pending).substr(0, hit));
            pending.erase(0, hit + kCallOpen.size());
            start_call();
            mode = Mode::kCall;
            continue;
          }
          size_t keep = final ? 0 : partial_tag_suffix(pending, kCallOpen);
          content_text(std::string_view(pending).substr(0, pending.size() - keep));
          pending.erase(0, pending.size() - keep);
          if (final) {
            emit(ChatDeltaKind::kContent, held_ws, &carry_content, true);
            held_ws.clear();
          }
          return;
        }
        case Mode::kCall: {
          size_t hit = pending.find(kCallClose);
          if (hit != std::string::npos) {
            call_text(std::string_view(pending).substr(0, hit));
            pending.erase(0, hit + kCallClose.size());
            end_call(/*closed=*/true);
            mode = Mode::kContent;
            continue;
          }
          size_t keep = final ? 0 : partial_tag_suffix(pending, kCallClose);
          call_text(std::string_view(pending).substr(0, pending.size() - keep));
          pending.erase(0, pending.size() - keep);
          if (final) {
            end_call(/*closed=*/false);
            mode = Mode::kContent;
          }
          return;
        }
      }
    }
  }
};

StreamingToolCallParser::StreamingToolCallParser(const ToolCallParserOptions& options)
    : s_(std::make_unique<State>(options)) {}
StreamingToolCallParser::~StreamingToolCallParser() = default;
StreamingToolCallParser::StreamingToolCallParser(StreamingToolCallParser&&) noexcept = default;
StreamingToolCallParser& StreamingToolCallParser::operator=(StreamingToolCallParser&&) noexcept =
    default;

void StreamingToolCallParser::feed(std::string_view piece, std::vector<ChatDelta>* out) {
  s_->out = out;
  s_->merge_from = out->size();
  s_->pending.append(piece);
  s_->process(false);
}

void StreamingToolCallParser::finish(std::vector<ChatDelta>* out) {
  s_->out = out;
  s_->merge_from = out->size();
  s_->process(true);
}

void apply_delta(const ChatDelta& d, ParsedOutput* out) {
  auto call = [&]() -> ParsedToolCall& {
    if (out->tool_calls.size() <= static_cast<size_t>(d.index))
      out->tool_calls.resize(static_cast<size_t>(d.index) + 1);
    return out->tool_calls[static_cast<size_t>(d.index)];
  };
  switch (d.kind) {
    case ChatDeltaKind::kContent:
      out->content += d.text;
      return;
    case ChatDeltaKind::kReasoning:
      out->reasoning_content += d.text;
      return;
    case ChatDeltaKind::kToolCallBegin:
      call().name = d.text;
      return;
    case ChatDeltaKind::kToolCallArguments:
      call().arguments += d.text;
      return;
    case ChatDeltaKind::kToolCallEnd: {
      ParsedToolCall& c = call();
      c.raw = d.raw;
      c.error = d.error;
      c.closed = d.closed;
      if (!d.error.ok()) {
        c.name.clear();
        c.arguments.clear();
      }
      return;
    }
  }
}

}  // namespace qwl
