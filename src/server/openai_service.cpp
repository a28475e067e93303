// The OpenAI routes: request -> prompt -> scheduler -> response or stream.
#include "server/openai_service.h"

#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <list>
#include <optional>
#include <stop_token>
#include <utility>
#include <variant>
#include <vector>

#include "base/log.h"
#include "chat/tool_call_parser.h"
#include "runtime/lazy_tool_constraint.h"
#include "runtime/token_constraint.h"
#include "server/http_error.h"
#include "server/openai_request.h"
#include "server/openai_response.h"

namespace qwl::openai {
namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Scheduler logprobs (ids) -> response logprobs (token text).
std::vector<TokenLogprob> to_response_logprobs(const Tokenizer& tok,
                                               std::span<const qwl::TokenLogprob> in) {
  std::vector<TokenLogprob> out;
  out.reserve(in.size());
  for (const qwl::TokenLogprob& t : in) {
    TokenLogprob r{.token = std::string(tok.token_bytes(t.token)), .logprob = t.logprob};
    for (const auto& alt : t.top)
      r.top_logprobs.push_back({std::string(tok.token_bytes(alt.token)), alt.logprob});
    out.push_back(std::move(r));
  }
  return out;
}

Usage to_usage(const SequenceUsage& u) {
  return {
      .prompt_tokens = u.n_prompt, .completion_tokens = u.n_generated, .cached_tokens = u.n_cached};
}

// A sequence cancelled before its end (the client went away, it fell too far behind, or the
// server is shutting down): whoever still listens gets an error, not a truncated answer that
// looks complete.
Status cancelled_error() {
  return UnavailableError(
      "the generation was cancelled before it ended (the server is shutting "
      "down, or the client stopped reading)");
}

// Queues SSE events without blocking (the scheduler thread calls this). False when the client
// has gone or fallen so far behind that its queue is full: the caller cancels the sequence.
bool send_all(http::EventSink& sink, const std::vector<std::string>& chunks) {
  for (const std::string& c : chunks)
    if (!sink.try_send({.data = c}).ok()) return false;
  return true;
}

class CancelLink;
http::Response submit(Scheduler& scheduler, SequenceParams params, SequenceCallback on_event,
                      CancelLink& link, http::EventSink* sink, http::DeferredReply* reply,
                      const http::Request& req, std::string_view prompt_param,
                      http::Response response);

// Cancels the sequence when the client goes away. The id arrives after submit() returns, while
// the cancel may fire before: whichever comes second does the cancel.
class CancelLink {
 public:
  explicit CancelLink(Scheduler* scheduler) : scheduler_(scheduler) {}
  void set_id(uint64_t id) {
    std::lock_guard lock(mu_);
    id_ = id;
    if (cancelled_) scheduler_->cancel(id);
  }
  void cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    if (id_ != 0) scheduler_->cancel(id_);
  }
  void watch(std::stop_token token) {
    callback_.emplace(std::move(token), [this] { cancel(); });
  }

 private:
  Scheduler* scheduler_;
  std::mutex mu_;
  uint64_t id_ = 0;
  bool cancelled_ = false;
  std::optional<std::stop_callback<std::function<void()>>> callback_;
};

// The route a request went to, as a metrics label (a fixed set, whatever clients send).
std::string_view route_label(std::string_view target) {
  target = target.substr(0, target.find('?'));
  for (std::string_view route :
       {"/health", "/metrics", "/v1/models", "/v1/chat/completions", "/v1/completions"})
    if (target == route) return route;
  if (target.starts_with("/v1/models/")) return "/v1/models/{id}";
  return "other";
}

// The service's metrics, looked up once.
struct ServiceMetrics {
  explicit ServiceMetrics(metrics::Registry& r)
      : registry(r),
        requests(r.counter("qwl_http_requests_total", "HTTP requests answered, by route and status",
                           {"route", "status"})),
        request_seconds(r.histogram("qwl_http_request_duration_seconds",
                                    "Time from a request's first byte to the end of its response",
                                    metrics::latency_buckets_s(), {"route"})),
        prompt_tokens(
            r.counter("qwl_prompt_tokens_total", "Prompt tokens of finished requests").with({})),
        cached_tokens(r.counter("qwl_prompt_cached_tokens_total",
                                "Prompt tokens whose KV came from the prefix cache")
                          .with({})),
        generated_tokens(r.counter("qwl_generated_tokens_total", "Tokens generated").with({})),
        ttft(r.histogram("qwl_time_to_first_token_seconds",
                         "From a request's submission to its first generated token",
                         metrics::latency_buckets_s())
                 .with({})),
        itl(r.histogram("qwl_inter_token_latency_seconds",
                        "Time between successive generated tokens of a sequence",
                        metrics::token_latency_buckets_s())
                .with({})),
        queue(r.histogram("qwl_queue_time_seconds", "Time a request waited for admission",
                          metrics::latency_buckets_s())
                  .with({})),
        sequences(
            r.counter("qwl_sequences_total", "Finished sequences by how they ended", {"reason"})) {}

  metrics::Registry& registry;
  metrics::Family<metrics::Counter>& requests;
  metrics::Family<metrics::Histogram>& request_seconds;
  metrics::Counter& prompt_tokens;
  metrics::Counter& cached_tokens;
  metrics::Counter& generated_tokens;
  metrics::Histogram& ttft;
  metrics::Histogram& itl;
  metrics::Histogram& queue;
  metrics::Family<metrics::Counter>& sequences;
};

// Per-sequence timing for the token-latency metrics (scheduler thread only).
class TokenTimer {
 public:
  // Records the event's tokens; call for every event of one sequence.
  void observe(const SequenceEvent& ev, ServiceMetrics& m) {
    const auto now = std::chrono::steady_clock::now();
    if (!ev.tokens.empty()) {
      m.generated_tokens.inc(static_cast<double>(ev.tokens.size()));
      if (started_) {
        m.itl.observe(std::chrono::duration<double>(now - last_).count());
      } else if (ev.usage.ttft_us > 0) {
        m.ttft.observe(static_cast<double>(ev.usage.ttft_us) * 1e-6);
        m.queue.observe(static_cast<double>(ev.usage.queue_us) * 1e-6);
      }
      started_ = true;
      last_ = now;
    }
    if (ev.done) {
      m.prompt_tokens.inc(static_cast<double>(ev.usage.n_prompt));
      m.cached_tokens.inc(static_cast<double>(ev.usage.n_cached));
      m.sequences.with({ev.error.ok() ? stop_reason_name(ev.stop) : std::string_view("error")})
          .inc();
    }
  }

 private:
  bool started_ = false;
  std::chrono::steady_clock::time_point last_;
};

// Who is calling, and the concurrency slot its request holds until it ends.
struct Access {
  std::shared_ptr<auth::ConcurrencyLimiter::Guard> slot;  // null without auth
  std::string cache_namespace;
};

// Sends a stream event's chunks; on the sequence's last event, first the end: the finish chunk
// (and usage and [DONE]), or an error event when it failed or was cancelled before its end.
template <typename Encoder>
void end_stream(SequenceEvent& ev, Encoder& encoder, bool has_tool_calls, http::EventSink& sink,
                CancelLink& link, std::vector<std::string>* chunks) {
  if (ev.done) {
    if (ev.error.ok() && ev.stop == StopReason::kCancelled) ev.error = cancelled_error();
    if (ev.error.ok()) {
      encoder.finish(finish_reason_for(ev.stop, has_tool_calls), to_usage(ev.usage), chunks);
    } else {
      chunks->push_back(stream_error_json(ev.error));
    }
  }
  if (!send_all(sink, *chunks)) link.cancel();
  if (ev.done) sink.close();
}

// Submits the sequence of a request whose response (a stream, or a deferred body) is ready, and
// ties the request's cancel token to it. When the scheduler refuses it, the callback will never
// run: the answer is the refusal (400 naming `prompt_param`, 429 for a full queue, 503).
http::Response submit(Scheduler& scheduler, SequenceParams params, SequenceCallback on_event,
                      CancelLink& link, http::EventSink* sink, http::DeferredReply* reply,
                      const http::Request& req, std::string_view prompt_param,
                      http::Response response) {
  link.watch(req.cancel);
  auto submitted = scheduler.submit(std::move(params), std::move(on_event));
  if (!submitted.ok()) {
    const bool bad_request = submitted.status().code() == StatusCode::kInvalidArgument;
    http::Response refusal =
        http::error_response(submitted.status(), bad_request ? prompt_param : "");
    if (sink != nullptr) sink->close();
    // A deferred response answers through its reply (left unsent, it would be logged as a 500).
    if (reply != nullptr && reply->valid()) {
      reply->send(std::move(refusal));
      return response;
    }
    return refusal;
  }
  link.set_id(submitted.value());
  return response;
}

// The compiled tool-call programs of tool_choice "auto", keyed by the request's tools as JSON
// text, most recently used first. Clients such as the agent send the same tools on every
// request, and compiling them is the expensive part (the agent's 27 tools against Qwen3's
// vocabulary: about 100 ms); a kept program also keeps the vocabulary analyses its calls have
// made, so later calls are cheaper too. A failure is kept as well: the same tools fail the
// same way. Thread-safe; compiling happens outside the lock (two requests that miss at once
// may both compile, and one result is kept).
class ToolCallPrograms {
 public:
  using Program = Result<std::shared_ptr<const LazyToolCallProgram>>;

  Program get(const std::shared_ptr<const ConstraintVocab>& vocab, const std::string& tools) {
    if (std::optional<Program> kept = find(vocab, tools)) return *kept;
    Program compiled = LazyToolCallProgram::compile(vocab, tools);
    if (!compiled.ok() && compiled.status().code() != StatusCode::kNotFound) {
      QWL_LOG_WARN("tool_choice auto: tool calls are left unconstrained for these tools: {}",
                   compiled.status().message());
    }
    std::lock_guard lock(mu_);
    for (const Entry& e : entries_)
      if (e.vocab == vocab && e.tools == tools) return e.program;
    entries_.push_front({vocab, tools, compiled});
    if (entries_.size() > kCapacity) entries_.pop_back();
    return compiled;
  }

 private:
  // Each program holds its grammar (about 150k nodes for the agent's tools) and the analyses.
  static constexpr size_t kCapacity = 4;
  struct Entry {
    std::shared_ptr<const ConstraintVocab> vocab;
    std::string tools;
    Program program;
  };

  std::optional<Program> find(const std::shared_ptr<const ConstraintVocab>& vocab,
                              const std::string& tools) {
    std::lock_guard lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->vocab != vocab || it->tools != tools) continue;
      entries_.splice(entries_.begin(), entries_, it);
      return entries_.front().program;
    }
    return std::nullopt;
  }

  std::mutex mu_;
  std::list<Entry> entries_;
};

// What a request has become by the time it is submitted.
struct Prepared {
  SequenceParams params;
  bool thinking_open = false;  // the prompt ends inside <think>
};

}  // namespace

struct Service::Impl {
  explicit Impl(ServiceOptions o)
      : options(std::move(o)),
        own_registry(options.metrics == nullptr ? std::make_unique<metrics::Registry>() : nullptr),
        metrics(options.metrics != nullptr ? *options.metrics : *own_registry) {
    collect_scheduler_stats();
  }

  void collect_scheduler_stats();

  // The caller's access, or the 401 / 429 to answer.
  std::variant<Access, http::Response> admit(const http::Request& req) {
    if (options.keys == nullptr) return Access{};
    auto principal = auth::authenticate_request(*options.keys, req);
    if (!principal.ok()) return auth::auth_error_response(principal.status());
    auto slot = limiter.acquire(principal.value());
    if (!slot.ok()) {
      return http::error_response(
          ResourceExhaustedError("too many requests in flight with this API key (at most {}); "
                                 "retry when one has finished",
                                 principal->max_concurrent));
    }
    Access access{.slot =
                      std::make_shared<auth::ConcurrencyLimiter::Guard>(std::move(slot).value())};
    if (options.isolate_prefix_cache) access.cache_namespace = principal->key_id;
    return access;
  }

  // admit(), then the engine (or the 503 while there is none).
  struct Admitted {
    Access access;
    const Engine* engine;
  };
  std::variant<Admitted, http::Response> admit_with_engine(const http::Request& req) {
    auto admitted = admit(req);
    if (auto* refused = std::get_if<http::Response>(&admitted)) return std::move(*refused);
    auto engine_or = ready();
    if (!engine_or.ok()) return http::error_response(engine_or.status());
    return Admitted{std::move(std::get<Access>(admitted)), engine_or.value()};
  }

  ServiceOptions options;
  auth::ConcurrencyLimiter limiter;
  std::unique_ptr<metrics::Registry> own_registry;
  ServiceMetrics metrics;
  std::atomic<const Engine*> engine{nullptr};
  std::mutex failed_mu;
  Status failed;  // guarded by failed_mu
  ToolCallPrograms tool_call_programs;

  // The engine, or the 503 to answer while there is none.
  Result<const Engine*> ready() {
    if (const Engine* e = engine.load(std::memory_order_acquire)) return e;
    std::lock_guard lock(failed_mu);
    if (!failed.ok())
      return UnavailableError("the model could not be loaded: {}", failed.message());
    return UnavailableError("the model is still loading; try again shortly (GET /health)");
  }

  // The model the request names must be ours (empty = ours).
  static std::optional<http::Response> check_model(const Engine& e, const std::string& model) {
    if (model.empty() || model == e.model_id) return std::nullopt;
    return http::error_response(
        404,
        fmt::format("The model '{}' does not exist; this server serves '{}' "
                    "(GET /v1/models)",
                    model, e.model_id),
        "model", "model_not_found");
  }

  // max_tokens: the request's, capped by what the context has left; the whole rest by default.
  static Result<int> generation_budget(const Engine& e, size_t n_prompt,
                                       const std::optional<int64_t>& requested) {
    const int64_t ctx = e.scheduler->options().ctx_size;
    const auto prompt = static_cast<int64_t>(n_prompt);
    if (prompt >= ctx)
      return InvalidArgumentError(
          "This model's maximum context length is {} tokens; the prompt has {} tokens. Shorten "
          "the messages (or start the server with a larger --ctx-size).",
          ctx, prompt);
    const int64_t left = ctx - prompt;
    return static_cast<int>(requested ? std::min<int64_t>(*requested, left) : left);
  }

  http::Response chat(http::Request& req);
  http::Response completion(http::Request& req);
  http::Response models(http::Request& req);
  http::Response model(http::Request& req);
  http::Response health(http::Request& req);

  Result<Prepared> prepare_chat(const Engine& e, const ChatCompletionRequest& r,
                                std::string* error_param);
  Result<std::unique_ptr<LogitsConstraint>> make_constraint(const Engine& e,
                                                            const ChatCompletionRequest& r,
                                                            bool thinking_open,
                                                            std::string* error_param);
  http::Response run_chat(const Engine& e, const ChatCompletionRequest& r, Prepared prepared,
                          Access access, http::Request& req);
  http::Response run_completion(const Engine& e, const CompletionRequest& r, SequenceParams params,
                                std::string prompt_text, Access access, http::Request& req);
};

Result<Prepared> Service::Impl::prepare_chat(const Engine& e, const ChatCompletionRequest& r,
                                             std::string* error_param) {
  const Model& m = *e.model;
  auto rendered = e.chat_template.render(to_chat_input(r));
  if (!rendered.ok()) {
    *error_param = "messages";
    return rendered.status();
  }
  Prepared p;
  p.thinking_open = prompt_opens_thinking(rendered.value());
  // The template's special tokens are tokens; text inside messages is not trusted to be.
  p.params.prompt = m.tokenizer().encode(rendered.value(), /*parse_special=*/true);
  auto budget = generation_budget(e, p.params.prompt.size(), r.sampling.max_tokens);
  if (!budget.ok()) {
    *error_param = "messages";
    return budget.status();
  }
  p.params.max_tokens = budget.value();
  p.params.sampling = to_sampling_params(r.sampling, options.default_sampling);
  if (Status s = p.params.sampling.validate(m.config().n_vocab); !s.ok()) {
    *error_param = "logit_bias";
    return s;
  }
  p.params.stop = r.sampling.stop;
  p.params.top_logprobs = r.logprobs ? r.top_logprobs : -1;
  auto constraint = make_constraint(e, r, p.thinking_open, error_param);
  if (!constraint.ok()) return constraint.status();
  p.params.constraint = std::move(constraint).value();
  return p;
}

// The constraint the output must satisfy: a tool call when tool_choice requires one, JSON for
// response_format json_object / json_schema; null when the output is free. When a Qwen3 model
// may think first (the prompt opens a <think> block, or the template lets the model open one),
// the constraint starts after "</think>", with the thinking budget. With tools and tool_choice
// "auto" (and no response_format) the text stays free but every call the model starts with
// <tool_call> is held to the tools' grammar (runtime/lazy_tool_constraint.h, which follows the
// <think> block itself, with no budget, as free text had none); a vocabulary without the
// <tool_call> token, or tools whose schemas do not compile, leave the output free as before.
Result<std::unique_ptr<LogitsConstraint>> Service::Impl::make_constraint(
    const Engine& e, const ChatCompletionRequest& r, bool thinking_open, std::string* error_param) {
  Result<std::unique_ptr<LogitsConstraint>> inner = std::unique_ptr<LogitsConstraint>();
  if (r.tool_choice.mode == ToolChoiceMode::kRequired ||
      r.tool_choice.mode == ToolChoiceMode::kFunction) {
    *error_param = "tools";
    std::optional<std::string> only;
    if (r.tool_choice.mode == ToolChoiceMode::kFunction) only = r.tool_choice.function_name;
    inner = make_tool_call_constraint(e.vocab, r.tools.dump(), only, r.parallel_tool_calls);
  } else if (r.response_format.type == ResponseFormatType::kJsonObject) {
    *error_param = "response_format";
    inner = make_json_object_constraint(e.vocab);
  } else if (r.response_format.type == ResponseFormatType::kJsonSchema) {
    *error_param = "response_format.json_schema.schema";
    inner = make_json_schema_constraint(e.vocab, r.response_format.schema.dump());
  } else if (r.tool_choice.mode == ToolChoiceMode::kAuto && r.tools.is_array() &&
             !r.tools.empty() && e.vocab != nullptr) {
    auto program = tool_call_programs.get(e.vocab, r.tools.dump());
    if (!program.ok()) return std::unique_ptr<LogitsConstraint>();
    return make_lazy_tool_call_constraint(
        program.value(), {.thinking_open = thinking_open, .parallel = r.parallel_tool_calls});
  }
  if (!inner.ok() || inner.value() == nullptr) return inner;
  // Whether the model will think first: the prompt is inside <think> already, or the template
  // knows enable_thinking and the request did not turn it off (Qwen3 then opens <think> itself).
  const bool may_think =
      thinking_open ||
      (e.chat_template.source().find("enable_thinking") != std::string::npos &&
       r.enable_thinking.value_or(true) && e.model->tokenizer().token_id("</think>").has_value());
  if (!may_think) return inner;
  return make_thinking_constraint(e.vocab, std::move(inner).value(),
                                  options.thinking_budget > 0 ? options.thinking_budget : -1,
                                  /*opened=*/thinking_open);
}

// One chat request in flight: turns scheduler events into chunks or a final body.
struct ChatRun {
  ChatRun(const Engine& e, Scheduler* s, ToolCallParserOptions parser_options,
          ChatStreamOptions stream_options)
      : engine(&e),
        link(s),
        parser(parser_options),
        parser_options(parser_options),
        encoder(std::move(stream_options), IdGenerator::random()) {}

  const Engine* engine;
  CancelLink link;
  StreamingToolCallParser parser;
  ToolCallParserOptions parser_options;
  ChatStreamEncoder encoder;
  // Stream mode.
  http::EventSink sink;
  // Plain mode.
  http::DeferredReply reply;
  ChatCompletion completion;
  std::string text;
  TokenTimer timer;
  Access access;  // the concurrency slot is held until the run ends
};

http::Response Service::Impl::run_chat(const Engine& e, const ChatCompletionRequest& r,
                                       Prepared prepared, Access access, http::Request& req) {
  const std::string id = IdGenerator::random().next("chatcmpl-");
  const int64_t created = unix_now();
  ToolCallParserOptions parser_options{.thinking_open = prepared.thinking_open};
  auto run = std::make_shared<ChatRun>(e, e.scheduler, parser_options,
                                       ChatStreamOptions{.id = id,
                                                         .created = created,
                                                         .model = e.model_id,
                                                         .include_usage = r.include_usage,
                                                         .logprobs = r.logprobs});
  run->access = std::move(access);
  const Tokenizer& tok = e.model->tokenizer();
  http::Response response;
  SequenceCallback on_event;
  if (r.stream) {
    // Room for a whole answer's chunks: the callback runs on the scheduler thread and must not
    // block, so it uses try_send; a client that falls that far behind is cut off.
    run->sink = http::EventSink::create({.max_queued_events = 8192});
    response = http::Response::event_stream(run->sink);
    on_event = [run, &tok, m = &metrics](SequenceEvent&& ev) {
      run->timer.observe(ev, *m);
      std::vector<ChatDelta> deltas;
      run->parser.feed(ev.text, &deltas);
      std::vector<std::string> chunks;
      if (ev.done && ev.error.ok()) run->parser.finish(&deltas);
      const std::vector<TokenLogprob> lp = to_response_logprobs(tok, ev.logprobs);
      run->encoder.add(deltas, lp, &chunks);
      end_stream(ev, run->encoder, run->encoder.has_tool_calls(), run->sink, run->link, &chunks);
    };
  } else {
    auto [deferred, reply] = http::Response::deferred();
    response = std::move(deferred);
    run->reply = std::move(reply);
    run->completion =
        ChatCompletion{.id = id, .created = created, .model = e.model_id, .logprobs = r.logprobs};
    on_event = [run, &tok, m = &metrics](SequenceEvent&& ev) {
      run->timer.observe(ev, *m);
      run->text += ev.text;
      if (run->completion.logprobs) {
        std::vector<TokenLogprob> lp = to_response_logprobs(tok, ev.logprobs);
        for (TokenLogprob& t : lp) run->completion.token_logprobs.push_back(std::move(t));
      }
      if (!ev.done) return;
      if (ev.error.ok() && ev.stop == StopReason::kCancelled) ev.error = cancelled_error();
      if (!ev.error.ok()) {
        run->reply.send(http::error_response(ev.error));
        return;
      }
      run->completion.output = parse_model_output(run->text, run->parser_options);
      run->completion.finish_reason =
          finish_reason_for(ev.stop, has_valid_tool_calls(run->completion.output));
      run->completion.usage = to_usage(ev.usage);
      run->reply.send(
          http::Response::json(chat_completion_json(run->completion, IdGenerator::random())));
    };
  }
  return submit(*e.scheduler, std::move(prepared.params), std::move(on_event), run->link,
                r.stream ? &run->sink : nullptr, r.stream ? nullptr : &run->reply, req, "messages",
                std::move(response));
}

http::Response Service::Impl::chat(http::Request& req) {
  auto admitted = admit_with_engine(req);
  if (auto* refused = std::get_if<http::Response>(&admitted)) return std::move(*refused);
  auto& [access, engine] = std::get<Admitted>(admitted);
  const Engine& e = *engine;
  std::string param;
  auto parsed = parse_chat_completion_request(req.body, &param);
  if (!parsed.ok()) return http::error_response(parsed.status(), param);
  if (auto bad = check_model(e, parsed->model)) return std::move(*bad);
  auto prepared = prepare_chat(e, parsed.value(), &param);
  if (!prepared.ok()) return http::error_response(prepared.status(), param);
  prepared->params.cache_namespace = access.cache_namespace;
  return run_chat(e, parsed.value(), std::move(prepared).value(), std::move(access), req);
}

// One text completion in flight.
struct CompletionRun {
  explicit CompletionRun(Scheduler* s, TextStreamOptions o) : link(s), encoder(std::move(o)) {}
  CancelLink link;
  TextStreamEncoder encoder;
  http::EventSink sink;
  http::DeferredReply reply;
  TextCompletion completion;
  TokenTimer timer;
  Access access;
};

http::Response Service::Impl::run_completion(const Engine& e, const CompletionRequest& r,
                                             SequenceParams params, std::string prompt_text,
                                             Access access, http::Request& req) {
  const std::string id = IdGenerator::random().next("cmpl-");
  const int64_t created = unix_now();
  auto run = std::make_shared<CompletionRun>(e.scheduler,
                                             TextStreamOptions{.id = id,
                                                               .created = created,
                                                               .model = e.model_id,
                                                               .include_usage = r.include_usage,
                                                               .logprobs = r.logprobs >= 0});
  run->access = std::move(access);
  const Tokenizer& tok = e.model->tokenizer();
  http::Response response;
  SequenceCallback on_event;
  if (r.stream) {
    run->sink = http::EventSink::create({.max_queued_events = 8192});
    response = http::Response::event_stream(run->sink);
    if (r.echo) {
      std::vector<std::string> chunks;
      run->encoder.add(prompt_text, {}, &chunks);
      send_all(run->sink, chunks);
    }
    on_event = [run, &tok, m = &metrics](SequenceEvent&& ev) {
      run->timer.observe(ev, *m);
      std::vector<std::string> chunks;
      run->encoder.add(ev.text, to_response_logprobs(tok, ev.logprobs), &chunks);
      end_stream(ev, run->encoder, false, run->sink, run->link, &chunks);
    };
  } else {
    auto [deferred, reply] = http::Response::deferred();
    response = std::move(deferred);
    run->reply = std::move(reply);
    run->completion = TextCompletion{.id = id,
                                     .created = created,
                                     .model = e.model_id,
                                     .text = r.echo ? std::move(prompt_text) : std::string(),
                                     .logprobs = r.logprobs >= 0};
    run->completion.text_offset = static_cast<int64_t>(run->completion.text.size());
    on_event = [run, &tok, m = &metrics](SequenceEvent&& ev) {
      run->timer.observe(ev, *m);
      run->completion.text += ev.text;
      if (run->completion.logprobs) {
        for (TokenLogprob& t : to_response_logprobs(tok, ev.logprobs))
          run->completion.token_logprobs.push_back(std::move(t));
      }
      if (!ev.done) return;
      if (ev.error.ok() && ev.stop == StopReason::kCancelled) ev.error = cancelled_error();
      if (!ev.error.ok()) {
        run->reply.send(http::error_response(ev.error));
        return;
      }
      run->completion.finish_reason = finish_reason_for(ev.stop, false);
      run->completion.usage = to_usage(ev.usage);
      run->reply.send(http::Response::json(text_completion_json(run->completion)));
    };
  }
  return submit(*e.scheduler, std::move(params), std::move(on_event), run->link,
                r.stream ? &run->sink : nullptr, r.stream ? nullptr : &run->reply, req, "prompt",
                std::move(response));
}

http::Response Service::Impl::completion(http::Request& req) {
  auto admitted = admit_with_engine(req);
  if (auto* refused = std::get_if<http::Response>(&admitted)) return std::move(*refused);
  auto& [access, engine] = std::get<Admitted>(admitted);
  const Engine& e = *engine;
  std::string param;
  auto parsed = parse_completion_request(req.body, &param);
  if (!parsed.ok()) return http::error_response(parsed.status(), param);
  const CompletionRequest& r = parsed.value();
  if (auto bad = check_model(e, r.model)) return std::move(*bad);
  const Tokenizer& tok = e.model->tokenizer();
  SequenceParams params;
  std::string prompt_text;
  if (const auto* text = std::get_if<std::string>(&r.prompt)) {
    prompt_text = *text;
    // A raw completion prompt is the client's text: special-token spellings in it stay text.
    params.prompt = tok.encode(prompt_text, /*parse_special=*/false);
  } else {
    params.prompt = std::get<std::vector<int32_t>>(r.prompt);
    for (int32_t id : params.prompt)
      if (id >= tok.n_vocab())
        return http::error_response(
            InvalidArgumentError("token id {} is outside the vocabulary of {} tokens", id,
                                 tok.n_vocab()),
            "prompt");
    prompt_text = tok.decode(params.prompt);
  }
  if (params.prompt.empty())
    return http::error_response(InvalidArgumentError("the prompt is empty"), "prompt");
  auto budget = generation_budget(e, params.prompt.size(), r.sampling.max_tokens);
  if (!budget.ok()) return http::error_response(budget.status(), "prompt");
  // OpenAI's legacy default is 16 tokens.
  params.max_tokens = r.sampling.max_tokens ? budget.value() : std::min(budget.value(), 16);
  params.sampling = to_sampling_params(r.sampling, options.default_sampling);
  if (Status s = params.sampling.validate(e.model->config().n_vocab); !s.ok())
    return http::error_response(s, "logit_bias");
  params.stop = r.sampling.stop;
  params.top_logprobs = r.logprobs;
  params.cache_namespace = access.cache_namespace;
  return run_completion(e, r, std::move(params), std::move(prompt_text), std::move(access), req);
}

http::Response Service::Impl::models(http::Request& req) {
  auto admitted = admit(req);
  if (auto* refused = std::get_if<http::Response>(&admitted)) return std::move(*refused);
  auto engine_or = ready();
  if (!engine_or.ok()) return http::error_response(engine_or.status());
  const Engine& e = *engine_or.value();
  const ModelCard card{.id = e.model_id, .created = e.created};
  return http::Response::json(model_list_json({&card, 1}));
}

http::Response Service::Impl::model(http::Request& req) {
  auto admitted = admit(req);
  if (auto* refused = std::get_if<http::Response>(&admitted)) return std::move(*refused);
  auto engine_or = ready();
  if (!engine_or.ok()) return http::error_response(engine_or.status());
  const Engine& e = *engine_or.value();
  if (req.param("id") != e.model_id)
    return http::error_response(404, fmt::format("The model '{}' does not exist", req.param("id")),
                                "model", "model_not_found");
  return http::Response::json(model_json({.id = e.model_id, .created = e.created}));
}

void Service::Impl::collect_scheduler_stats() {
  metrics::Registry& r = metrics.registry;
  auto& queued = r.gauge("qwl_queue_depth", "Requests waiting for admission").with({});
  auto& running = r.gauge("qwl_running_sequences", "Sequences in the running batch").with({});
  auto& kv_used =
      r.gauge("qwl_kv_blocks_used", "KV blocks held by sequences or the prefix cache").with({});
  auto& kv_total = r.gauge("qwl_kv_blocks_total", "KV blocks in the cache").with({});
  auto& kv_cached =
      r.gauge("qwl_kv_blocks_cached", "KV blocks indexed by the prefix cache").with({});
  auto& hit_rate = r.gauge("qwl_prefix_cache_hit_ratio",
                           "Share of admitted prompt tokens served from the prefix cache")
                       .with({});
  auto& steps = r.gauge("qwl_forward_steps", "Forward passes of the batch scheduler").with({});
  auto& preempted = r.gauge("qwl_preemptions", "Sequences preempted for KV space").with({});
  r.on_collect(
      [this, &queued, &running, &kv_used, &kv_total, &kv_cached, &hit_rate, &steps, &preempted] {
        const Engine* e = engine.load(std::memory_order_acquire);
        if (e == nullptr) return;
        const SchedulerStats s = e->scheduler->stats();
        queued.set(static_cast<double>(s.queued));
        running.set(static_cast<double>(s.running));
        kv_used.set(static_cast<double>(s.kv_blocks_used));
        kv_total.set(static_cast<double>(s.kv_blocks_total));
        kv_cached.set(static_cast<double>(s.kv_blocks_cached));
        hit_rate.set(s.prompt_tokens > 0 ? static_cast<double>(s.prefix_hit_tokens) /
                                               static_cast<double>(s.prompt_tokens)
                                         : 0.0);
        steps.set(static_cast<double>(s.steps));
        preempted.set(static_cast<double>(s.preemptions));
      });
}

http::Response Service::Impl::health(http::Request&) {
  auto engine_or = ready();
  if (!engine_or.ok()) {
    http::Response r = http::error_response(engine_or.status());
    r.headers.set("Retry-After", "1");
    return r;
  }
  return http::Response::json(R"({"status":"ok"})");
}

void Service::observe_requests(http::ServerOptions* server_options) {
  ServiceMetrics* m = &impl_->metrics;
  server_options->on_request_done = [m](const http::RequestLog& log) {
    const std::string_view route = route_label(log.target);
    const std::string status = log.status == 0 ? "none" : std::to_string(log.status);
    m->requests.with({route, status}).inc();
    m->request_seconds.with({route}).observe(static_cast<double>(log.duration_us) * 1e-6);
  };
}

void Service::observe_server(const http::Server* server) {
  metrics::Registry& r = impl_->metrics.registry;
  auto& open = r.gauge("qwl_http_connections_open", "Open HTTP connections").with({});
  auto& rejected =
      r.gauge("qwl_http_connections_rejected", "Connections refused over the limit").with({});
  auto& timeouts =
      r.gauge("qwl_http_timeouts", "Connections closed by a read, write or idle timeout").with({});
  r.on_collect([server, &open, &rejected, &timeouts] {
    const http::ServerStats s = server->stats();
    open.set(static_cast<double>(s.connections_open));
    rejected.set(static_cast<double>(s.connections_rejected));
    timeouts.set(static_cast<double>(s.timeouts));
  });
}

Service::Service(ServiceOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Service::~Service() = default;

void Service::set_engine(const Engine* engine) {
  impl_->engine.store(engine, std::memory_order_release);
}

void Service::set_failed(Status status) {
  std::lock_guard lock(impl_->failed_mu);
  impl_->failed = std::move(status);
}

Status Service::add_routes(http::Server& server) {
  Impl* impl = impl_.get();
  QWL_RETURN_IF_ERROR(server.add_route(http::Method::kGet, "/health",
                                       [impl](http::Request& r) { return impl->health(r); }));
  QWL_RETURN_IF_ERROR(server.add_route(http::Method::kGet, "/metrics", [impl](http::Request& req) {
    auto admitted = impl->admit(req);
    if (auto* refused = std::get_if<http::Response>(&admitted)) return std::move(*refused);
    http::Response r(200);
    r.headers.set("Content-Type", metrics::kContentType);
    r.body = impl->metrics.registry.expose();
    return r;
  }));
  QWL_RETURN_IF_ERROR(server.add_route(http::Method::kGet, "/v1/models",
                                       [impl](http::Request& r) { return impl->models(r); }));
  QWL_RETURN_IF_ERROR(server.add_route(http::Method::kGet, "/v1/models/{id}",
                                       [impl](http::Request& r) { return impl->model(r); }));
  QWL_RETURN_IF_ERROR(server.add_route(http::Method::kPost, "/v1/chat/completions",
                                       [impl](http::Request& r) { return impl->chat(r); }));
  QWL_RETURN_IF_ERROR(server.add_route(http::Method::kPost, "/v1/completions",
                                       [impl](http::Request& r) { return impl->completion(r); }));
  return Status::Ok();
}

}  // namespace qwl::openai
