// Model backends (see backend.h). The OpenAI-compatible one streams over libcurl: the SSE
// stream is cut into events as bytes arrive, so text reaches the sink while the model writes,
// and a stop token or a deadline aborts the transfer from curl's progress callback.
#include "agent/backend.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include "chat/tool_call_parser.h"

namespace qwl::agent {

int64_t ModelBackend::estimate_tokens(const ModelRequest& request) const {
  // Qwen's tokenizer averages about 3.5 bytes per token on English JSON and about 1.5 on
  // Chinese (3 bytes per character); 3 bytes per token errs toward fitting.
  const size_t bytes = request.messages.dump().size() + request.tools.dump().size();
  return static_cast<int64_t>(bytes / 3) + 64;
}

ModelReply parse_reply(std::string_view raw) {
  ParsedOutput parsed = parse_model_output(raw);
  ModelReply reply;
  reply.content = std::move(parsed.content);
  reply.reasoning = std::move(parsed.reasoning_content);
  int index = 0;
  for (ParsedToolCall& call : parsed.tool_calls) {
    ModelToolCall out;
    out.id = fmt::format("call_{}", index++);
    if (call.error.ok()) {
      out.name = std::move(call.name);
      out.arguments = std::move(call.arguments);
    } else {
      out.error = call.error.message();
      out.arguments = std::move(call.raw);
    }
    reply.tool_calls.push_back(std::move(out));
  }
  reply.finish_reason = reply.tool_calls.empty() ? "stop" : "tool_calls";
  return reply;
}

namespace {

Status check_live(const ModelRequest& request) {
  if (request.stop.stop_requested()) return CancelledError("model request cancelled");
  if (std::chrono::steady_clock::now() >= request.deadline) {
    return OutOfRangeError("model request: the turn's time limit was reached");
  }
  return Status::Ok();
}

// Streams `text` in small pieces, never splitting a UTF-8 character, as a server would.
void stream_pieces(std::string_view text, const TextSink& on_text) {
  if (!on_text) return;
  constexpr size_t kPiece = 12;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = std::min(text.size(), i + kPiece);
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
    on_text(text.substr(i, end - i));
    i = end;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ScriptedBackend

ScriptedBackend::ScriptedBackend(std::vector<std::string> outputs, int64_t context_tokens)
    : outputs_(std::move(outputs)), context_tokens_(context_tokens) {}

ScriptedBackend::ScriptedBackend(Responder responder, int64_t context_tokens)
    : responder_(std::move(responder)), context_tokens_(context_tokens) {}

Result<ModelReply> ScriptedBackend::complete(const ModelRequest& request, const TextSink& on_text) {
  QWL_RETURN_IF_ERROR(check_live(request));
  std::string raw;
  if (responder_) {
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
    }
    QWL_ASSIGN_OR_RETURN(raw, responder_(request));
  } else {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (next_ >= outputs_.size()) {
      return FailedPreconditionError("scripted backend: no output left for model call {}",
                                     next_ + 1);
    }
    raw = outputs_[next_++];
  }
  ModelReply reply = parse_reply(raw);
  stream_pieces(reply.content, on_text);
  reply.prompt_tokens = estimate_tokens(request);
  reply.completion_tokens = static_cast<int64_t>(raw.size() / 3) + 1;
  return reply;
}

std::vector<ModelRequest> ScriptedBackend::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

// ---------------------------------------------------------------------------------------------
// OpenAiBackend

namespace {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlHandle {
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  ~CurlHandle() {
    if (headers != nullptr) curl_slist_free_all(headers);
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

// The state of one streamed chat completion.
struct StreamState {
  const ModelRequest* request = nullptr;
  const TextSink* on_text = nullptr;
  long http_status = 0;
  bool event_stream = false;
  std::string pending;  // bytes not yet cut into lines
  std::string body;     // a non-SSE body (errors)
  std::string data;     // the current event's data lines
  ModelReply reply;
  std::map<int, ModelToolCall> calls;  // by index
  bool saw_done = false;
  Status error;  // a malformed chunk
};

Status apply_chunk(StreamState& s, std::string_view data) {
  if (data == "[DONE]") {
    s.saw_done = true;
    return Status::Ok();
  }
  nlohmann::json chunk = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (!chunk.is_object()) return InternalError("model server: a stream chunk is not JSON");
  if (chunk.contains("error")) {
    const nlohmann::json& e = chunk["error"];
    return UnavailableError("model server: {}",
                            e.is_object() ? e.value("message", e.dump()) : e.dump());
  }
  if (const auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
    s.reply.prompt_tokens = usage->value("prompt_tokens", int64_t{0});
    s.reply.completion_tokens = usage->value("completion_tokens", int64_t{0});
  }
  const auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty()) return Status::Ok();
  const nlohmann::json& choice = (*choices)[0];
  if (const auto fr = choice.find("finish_reason"); fr != choice.end() && fr->is_string()) {
    s.reply.finish_reason = fr->get<std::string>();
  }
  const auto delta = choice.find("delta");
  if (delta == choice.end() || !delta->is_object()) return Status::Ok();
  if (const auto c = delta->find("content"); c != delta->end() && c->is_string()) {
    const std::string& piece = c->get_ref<const std::string&>();
    s.reply.content += piece;
    if (*s.on_text && !piece.empty()) (*s.on_text)(piece);
  }
  if (const auto r = delta->find("reasoning_content"); r != delta->end() && r->is_string()) {
    s.reply.reasoning += r->get<std::string>();
  }
  if (const auto tc = delta->find("tool_calls"); tc != delta->end() && tc->is_array()) {
    for (const nlohmann::json& call : *tc) {
      if (!call.is_object()) continue;
      const int index = call.value("index", 0);
      ModelToolCall& out = s.calls[index];
      if (const auto id = call.find("id"); id != call.end() && id->is_string()) out.id = *id;
      if (const auto fn = call.find("function"); fn != call.end() && fn->is_object()) {
        if (const auto n = fn->find("name"); n != fn->end() && n->is_string()) out.name += *n;
        if (const auto a = fn->find("arguments"); a != fn->end() && a->is_string()) {
          out.arguments += a->get<std::string>();
        }
      }
    }
  }
  return Status::Ok();
}

// Cuts arriving bytes into SSE lines; a blank line ends an event.
void feed_sse(StreamState& s, std::string_view bytes) {
  s.pending.append(bytes);
  size_t start = 0;
  for (;;) {
    const size_t nl = s.pending.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(s.pending.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    start = nl + 1;
    if (line.empty()) {
      if (!s.data.empty() && s.error.ok()) s.error = apply_chunk(s, s.data);
      s.data.clear();
    } else if (line.starts_with("data:")) {
      std::string_view d = line.substr(5);
      if (!d.empty() && d.front() == ' ') d.remove_prefix(1);
      if (!s.data.empty()) s.data += '\n';
      s.data.append(d);
    }
  }
  s.pending.erase(0, start);
}

size_t on_header(char* buffer, size_t size, size_t n, void* user) {
  auto* s = static_cast<StreamState*>(user);
  std::string_view line(buffer, size * n);
  std::string lower(line);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.starts_with("content-type:") && lower.find("text/event-stream") != std::string::npos) {
    s->event_stream = true;
  }
  return size * n;
}

size_t on_body(char* buffer, size_t size, size_t n, void* user) {
  auto* s = static_cast<StreamState*>(user);
  std::string_view bytes(buffer, size * n);
  if (s->event_stream) {
    feed_sse(*s, bytes);
  } else if (s->body.size() < (size_t{1} << 20)) {
    s->body.append(bytes);
  }
  return size * n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* s = static_cast<StreamState*>(user);
  return check_live(*s->request).ok() ? 0 : 1;
}

std::string error_message_of(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error")) {
    const nlohmann::json& e = j["error"];
    if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"];
    if (e.is_string()) return e;
  }
  return std::string(body.substr(0, 300));
}

}  // namespace

OpenAiBackend::OpenAiBackend(OpenAiBackendOptions options) : options_(std::move(options)) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/')
    options_.base_url.pop_back();
  init_curl_once();
}

std::string OpenAiBackend::describe() const {
  std::lock_guard lock(mu_);
  return options_.model.empty() ? options_.base_url
                                : fmt::format("{} ({})", options_.base_url, options_.model);
}

void OpenAiBackend::set_base_url(std::string base_url) {
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  std::lock_guard lock(mu_);
  options_.base_url = std::move(base_url);
}

std::string OpenAiBackend::base_url() const {
  std::lock_guard lock(mu_);
  return options_.base_url;
}

Result<std::string> OpenAiBackend::model_name() {
  std::lock_guard lock(mu_);
  if (!options_.model.empty()) return options_.model;
  if (!resolved_model_.empty()) return resolved_model_;
  CurlHandle h;
  if (h.curl == nullptr) return InternalError("model server: curl_easy_init failed");
  std::string url = options_.base_url + "/models";  // mu_ is held
  std::string body;
  curl_easy_setopt(h.curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h.curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h.curl, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(h.curl, CURLOPT_TIMEOUT, 30L);
  if (!options_.api_key.empty()) {
    h.headers = curl_slist_append(h.headers, ("Authorization: Bearer " + options_.api_key).c_str());
    curl_easy_setopt(h.curl, CURLOPT_HTTPHEADER, h.headers);
  }
  curl_easy_setopt(
      h.curl, CURLOPT_WRITEFUNCTION, +[](char* b, size_t size, size_t n, void* user) {
        static_cast<std::string*>(user)->append(b, size * n);
        return size * n;
      });
  curl_easy_setopt(h.curl, CURLOPT_WRITEDATA, &body);
  const CURLcode rc = curl_easy_perform(h.curl);
  if (rc != CURLE_OK) {
    return UnavailableError("model server {}: {}", url, curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(h.curl, CURLINFO_RESPONSE_CODE, &status);
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (status != 200 || !j.is_object() || !j.contains("data") || !j["data"].is_array() ||
      j["data"].empty() || !j["data"][0].contains("id") || !j["data"][0]["id"].is_string()) {
    return UnavailableError("model server {}: HTTP {}, no model listed ({}); pass --model", url,
                            status, error_message_of(body));
  }
  resolved_model_ = j["data"][0]["id"].get<std::string>();
  return resolved_model_;
}

Result<ModelReply> OpenAiBackend::complete(const ModelRequest& request, const TextSink& on_text) {
  QWL_RETURN_IF_ERROR(check_live(request));
  QWL_ASSIGN_OR_RETURN(std::string model, model_name());
  ChatJson body = {{"model", model},
                   {"messages", request.messages},
                   {"stream", true},
                   {"stream_options", {{"include_usage", true}}},
                   {"temperature", request.temperature},
                   {"max_tokens", request.max_tokens}};
  if (request.tools.is_array() && !request.tools.empty()) {
    body["tools"] = request.tools;
    body["tool_choice"] = "auto";
  }
  if (request.enable_thinking.has_value()) {
    body["chat_template_kwargs"] = {{"enable_thinking", *request.enable_thinking}};
  }
  const std::string payload = body.dump();
  const std::string url = base_url() + "/chat/completions";

  CurlHandle h;
  if (h.curl == nullptr) return InternalError("model server: curl_easy_init failed");
  StreamState s;
  s.request = &request;
  s.on_text = &on_text;
  h.headers = curl_slist_append(h.headers, "Content-Type: application/json");
  h.headers = curl_slist_append(h.headers, "Accept: text/event-stream");
  if (!options_.api_key.empty()) {
    h.headers = curl_slist_append(h.headers, ("Authorization: Bearer " + options_.api_key).c_str());
  }
  curl_easy_setopt(h.curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h.curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h.curl, CURLOPT_HTTPHEADER, h.headers);
  curl_easy_setopt(h.curl, CURLOPT_POSTFIELDS, payload.c_str());
  curl_easy_setopt(h.curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  curl_easy_setopt(h.curl, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(h.curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h.curl, CURLOPT_HEADERDATA, &s);
  curl_easy_setopt(h.curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h.curl, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(h.curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h.curl, CURLOPT_XFERINFODATA, &s);
  const CURLcode rc = curl_easy_perform(h.curl);
  if (rc == CURLE_ABORTED_BY_CALLBACK) return check_live(request);
  if (rc != CURLE_OK) {
    return UnavailableError("model server {}: {}", url, curl_easy_strerror(rc));
  }
  curl_easy_getinfo(h.curl, CURLINFO_RESPONSE_CODE, &s.http_status);
  if (s.http_status >= 400) {
    const std::string message = error_message_of(s.body);
    if (s.http_status >= 500 || s.http_status == 429) {
      return UnavailableError("model server {}: HTTP {}: {}", url, s.http_status, message);
    }
    return InvalidArgumentError("model server {}: HTTP {}: {}", url, s.http_status, message);
  }
  if (!s.event_stream) {
    return InternalError("model server {}: HTTP {} without an event stream", url, s.http_status);
  }
  if (!s.data.empty() && s.error.ok()) s.error = apply_chunk(s, s.data);
  QWL_RETURN_IF_ERROR(s.error);
  if (!s.saw_done) return UnavailableError("model server {}: the stream ended early", url);
  for (auto& [index, call] : s.calls) {
    if (call.id.empty()) call.id = fmt::format("call_{}", index);
    nlohmann::json args = nlohmann::json::parse(call.arguments, nullptr, false);
    if (call.name.empty()) {
      call.error = "the tool call has no name";
    } else if (!args.is_object()) {
      call.error = "the tool call's arguments are not a JSON object";
    }
    s.reply.tool_calls.push_back(std::move(call));
  }
  if (s.reply.finish_reason.empty()) s.reply.finish_reason = "stop";
  return std::move(s.reply);
}

}  // namespace qwl::agent
