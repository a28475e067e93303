// The OpenAI-compatible API served by `qwenlayer serve`: GET /health, GET /metrics, GET /v1/models,
// GET /v1/models/{id}, POST /v1/chat/completions and POST /v1/completions, over the batch
// scheduler of one loaded model.
//
// A request is parsed and validated (openai_request.h), rendered with the model's own chat
// template, tokenized, given a constraint when the output must be JSON or a tool call, and
// submitted to the Scheduler. A streamed answer is an SSE stream fed from the scheduler's events
// (openai_response.h encodes the chunks); a plain one is a deferred response sent when the
// sequence ends. A client that goes away cancels its sequence, which frees its KV at the next
// step. The routes answer 503 until set_engine() (the model loads after the server starts, so
// /health can say so).
//
// Metrics (Prometheus text at GET /metrics): requests by route and status with their duration,
// prompt / cached / generated tokens, time to first token, inter-token latency, queue time, and
// at each scrape the scheduler's queue depth, running sequences, KV blocks and prefix-cache hits.
//
// Auth (DESIGN.md "Identity"): with a KeyRing, every route but /health needs
// "Authorization: Bearer KEY"; each key has a limit on concurrent requests (429 beyond), and
// with isolate_prefix_cache each key's requests share cached prompt blocks only with each other.
//
// Thread-safety: handlers run on the HTTP server's handler threads; scheduler events arrive on
// the scheduler's thread; all shared state is synchronised. The Service must outlive the Server
// it registered with (stop the server first).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "base/status.h"
#include "chat/chat_template.h"
#include "model/model.h"
#include "runtime/constraint_vocab.h"
#include "runtime/sampler.h"
#include "runtime/scheduler.h"
#include "server/api_keys.h"
#include "server/http_server.h"
#include "server/metrics.h"

namespace qwl::openai {

// The loaded model and what serves it.
struct Engine {
  const Model* model = nullptr;
  Scheduler* scheduler = nullptr;
  ChatTemplate chat_template;
  std::string model_id;  // the name clients pass as "model"
  int64_t created = 0;   // Unix seconds, shown by /v1/models
  // The vocabulary as constraints walk it (built once per model: tens of milliseconds).
  std::shared_ptr<const ConstraintVocab> vocab;
};

struct ServiceOptions {
  // Sampling when a request gives no value (OpenAI's defaults: temperature 1, top_p 1, no top-k
  // or min-p).
  SamplingParams default_sampling{.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f};
  // Tokens a Qwen3 model may spend thinking before a constrained answer (JSON, tool call); then
  // "</think>" is forced. <= 0: no limit.
  int thinking_budget = 2048;
  // Where the metrics live (GET /metrics exposes this registry); null = the service's own.
  metrics::Registry* metrics = nullptr;
  // API keys: with a key ring, every route but /health needs "Authorization: Bearer KEY" and
  // each key's concurrent requests are limited (its record's max_concurrent; 429 beyond).
  // Null: no auth. The ring must outlive the service.
  const auth::KeyRing* keys = nullptr;
  // Cached prompt blocks are shared only between requests made with the same API key.
  bool isolate_prefix_cache = false;
};

class Service {
 public:
  explicit Service(ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Registers the routes (before server.start()).
  Status add_routes(http::Server& server);
  // Counts every request by route and status (and its duration) through
  // options->on_request_done: call it on the options the Server is then made with.
  void observe_requests(http::ServerOptions* options);
  // Adds the HTTP server's connection counters to /metrics (after the Server exists).
  void observe_server(const http::Server* server);

  // Makes the API available; the engine must outlive the Service.
  void set_engine(const Engine* engine);
  // The model could not be loaded: the API answers 503 with this error.
  void set_failed(Status status);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qwl::openai
