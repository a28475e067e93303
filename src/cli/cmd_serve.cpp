// `qwenlayer serve`: the OpenAI-compatible API over one model, many clients at once, and the app
// API (/api/v1/...) over the ecosystem database.
//
// Order of start-up: the database is opened and migrated (--db; a clear error if it cannot be),
// then the HTTP server listens (so /health can answer 503 while the model
// loads), then the model is loaded and the scheduler started, then the API opens. SIGINT or
// SIGTERM stops accepting, lets requests in flight finish for --grace seconds, cancels the rest
// and exits 0.
#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/log.h"
#include "base/mmap_file.h"
#include "cli/agent_stack.h"
#include "cli/common.h"
#include "cli/local_engine.h"
#include "model/model.h"
#include "runtime/scheduler.h"
#include "server/api_agent.h"
#include "server/api_mcp.h"
#include "server/api_tools.h"
#include "server/app_api.h"
#include "server/app_api_keyring.h"
#include "server/app_ecosystem.h"
#include "server/http_server.h"
#include "server/openai_service.h"
#include "server/static_files.h"
#include "services/city_time.h"
#include "services/identity.h"
#include "services/seed.h"
#include "store/db.h"
#include "store/migrations.h"

namespace qwl::cli {
namespace {

struct ServeArgs {
  EngineOptions engine;
  AgentFlags agent;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string model_name;
  int parallel = 16;
  int queue = 64;
  int batch_tokens = 512;
  int64_t kv_positions = 0;
  bool no_prefix_cache = false;
  int thinking_budget = 2048;
  int http_threads = 4;
  double grace_s = 10;
  std::string api_key;
  std::string keys_file;
  int max_concurrent_per_key = 0;
  std::string web_root;  // --web-root; empty = <resources>/web/dist
  bool no_web = false;
  bool isolate_prefix_cache = false;
  std::string db = kDefaultDbUrl;
  bool secure_cookies = false;
  bool no_seed = false;
  std::string now;  // --now: the city time the server's clock starts at; empty = real time
};

// The id clients use as "model": --model-name, else the file or folder name without extension.
Status run(const ServeArgs& a) {
  if (a.port < 0 || a.port > 65535) return InvalidArgumentError("--port {} is not a port", a.port);
  QWL_RETURN_IF_ERROR(a.engine.check_model());
  // Signals are taken by sigwait() below: block them before any thread starts, so that every
  // thread inherits the mask and none is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // The clock of everything the server does: real time, or real time from --now on.
  int64_t shift_us = 0;
  if (!a.now.empty()) {
    Result<int64_t> start = services::parse_local_time(a.now);
    if (!start.ok()) return InvalidArgumentError("--now: {}", start.status().message());
    shift_us = *start - Clock::real().wall_us();
  }
  const ShiftedClock clock(Clock::real(), shift_us);

  // The ecosystem database: users, sessions, API keys and every service's tables.
  auto db = open_database(a.db);
  if (!db.ok()) return db.status();
  QWL_ASSIGN_OR_RETURN(int64_t schema, schema_version(**db));
  services::Identity identity(**db, clock);
  QWL_ASSIGN_OR_RETURN(int64_t expired, identity.purge_expired_sessions());
  QWL_ASSIGN_OR_RETURN(std::vector<services::ApiKeyInfo> db_keys,
                       identity.list_api_keys(services::Actor::system()));
  const int64_t active_db_keys =
      std::count_if(db_keys.begin(), db_keys.end(), [](const auto& k) { return !k.revoked_at_us; });
  QWL_LOG_INFO("database {}: schema version {}, {} active API keys ({} expired sessions removed)",
               (*db)->url(), schema, active_db_keys, expired);
  // A new database gets the demo city, so that the app works out of the box (`qwenlayer seed`
  // makes other cities; --no-seed leaves an empty database empty).
  QWL_ASSIGN_OR_RETURN(bool has_data, services::has_ecosystem_data(**db));
  if (!has_data && !a.no_seed) {
    Stopwatch seed_watch;
    QWL_ASSIGN_OR_RETURN(services::SeedReport seeded,
                         services::seed_ecosystem(**db, services::SeedOptions{}, clock));
    QWL_LOG_INFO(
        "database {} was empty: seeded the demo city in {:.1f} s (accounts: "
        "alice@example.com, wang@example.com, luna@example.com, ... password \"demo\")",
        (*db)->url(), seed_watch.elapsed_s());
    (void)seeded;
  }
  // The ecosystem's indexes, workers and routes (search, maps, commerce, bookings, events).
  QWL_ASSIGN_OR_RETURN(std::unique_ptr<app::EcosystemServer> ecosystem,
                       app::EcosystemServer::start(**db, clock));

  // API keys: the operator's --api-key (hashed at once; the text is not kept), the --keys-file
  // keys, then the users' keys in the database.
  app::DatabaseKeyRing keys(&identity);
  if (!a.api_key.empty()) {
    auto record = auth::operator_key_record(a.api_key);
    if (!record.ok()) return InvalidArgumentError("--api-key: {}", record.status().message());
    record->max_concurrent = a.max_concurrent_per_key;
    QWL_RETURN_IF_ERROR(keys.add(std::move(record).value()));
  }
  if (!a.keys_file.empty()) {
    QWL_ASSIGN_OR_RETURN(std::string text, read_file(a.keys_file));
    auto records = auth::parse_key_file(text);
    if (!records.ok()) return records.status().with_context(a.keys_file);
    for (auth::ApiKeyRecord& r : records.value())
      QWL_RETURN_IF_ERROR(keys.add(std::move(r)).with_context(a.keys_file));
    QWL_LOG_INFO("{}: {} API keys", a.keys_file, keys.memory_size());
  }
  // The OpenAI API needs a key once there is any key to give: an operator key, a key file, or
  // users' keys in the database (checked at start-up).
  const bool auth_on = !a.api_key.empty() || !a.keys_file.empty() || active_db_keys > 0;
  app::AppApi app_api(identity, app::AppApiOptions{.secure_cookie = a.secure_cookies});
  if (!a.api_key.empty()) QWL_RETURN_IF_ERROR(app_api.set_operator_key(a.api_key));
  if (!auth_on && a.host != "127.0.0.1" && a.host != "localhost" && a.host != "::1") {
    QWL_LOG_WARN("serving on {} without --api-key: anyone who can reach it can use it", a.host);
  }
  openai::Service service(openai::ServiceOptions{
      .thinking_budget = a.thinking_budget,
      .keys = auth_on ? &keys : nullptr,
      .isolate_prefix_cache = a.isolate_prefix_cache,
  });
  // The agent (sessions, messages, pending actions): its model is this server's own /v1,
  // reached over loopback with a key of its own when the API needs one, unless --backend
  // names another endpoint.
  std::string internal_key;
  if (auth_on && a.agent.backend_url.empty()) {
    QWL_ASSIGN_OR_RETURN(internal_key, auth::generate_api_key());
    auto record = auth::operator_key_record(internal_key);
    if (!record.ok()) return record.status();
    QWL_RETURN_IF_ERROR(keys.add(std::move(record).value()));
  }
  const std::string loopback = a.host == "0.0.0.0" || a.host == "::"   ? "127.0.0.1"
                               : a.host.find(':') != std::string::npos ? "[" + a.host + "]"
                                                                       : a.host;
  QWL_ASSIGN_OR_RETURN(std::unique_ptr<AgentStack> agent_stack,
                       make_agent_stack(**db, clock, *ecosystem, a.agent,
                                        fmt::format("http://{}:{}/v1", loopback, a.port),
                                        internal_key, a.engine.ctx_size));
  app::AgentRoutes agent_routes(app::AgentRoutesDeps{.agent = *agent_stack->agent,
                                                     .sessions = *agent_stack->sessions,
                                                     .actions = *agent_stack->actions,
                                                     .db = **db,
                                                     .clock = clock});
  // MCP over Streamable HTTP at /mcp: the same tools for other software; irreversible ones
  // become pending actions that still need the user (docs/MCP.md).
  app::McpEndpoint mcp_endpoint(app_api, **db, clock, *agent_stack->ecosystem_tools,
                                *agent_stack->actions);

  http::ServerOptions server_options{
      .host = a.host, .port = static_cast<uint16_t>(a.port), .handler_threads = a.http_threads};
  service.observe_requests(&server_options);
  http::Server server(server_options);
  service.observe_server(&server);
  QWL_RETURN_IF_ERROR(service.add_routes(server));
  QWL_RETURN_IF_ERROR(ecosystem->add_routes(app_api));
  QWL_RETURN_IF_ERROR(agent_routes.add_routes(app_api));
  QWL_RETURN_IF_ERROR(app::add_tool_routes(app_api, agent_stack->registry, *agent_stack->actions));
  QWL_RETURN_IF_ERROR(app_api.register_routes(server));
  QWL_RETURN_IF_ERROR(mcp_endpoint.add_routes(server));
  // The web app at '/' (web/, built by scripts/setup.sh): only GET and HEAD that no API route
  // takes reach it.
  if (!a.no_web) {
    const std::string web_root =
        !a.web_root.empty()
            ? a.web_root
            : (std::filesystem::path(resource_dir(a.engine.resources)) / "web" / "dist").string();
    QWL_RETURN_IF_ERROR(
        http::StaticFiles(http::StaticFilesOptions{.root = web_root}).add_routes(server));
  }
  QWL_RETURN_IF_ERROR(server.start());
  if (a.port == 0 && agent_stack->local_backend != nullptr) {
    agent_stack->local_backend->set_base_url(
        fmt::format("http://{}:{}/v1", loopback, server.port()));
  }
  QWL_LOG_INFO("listening on http://{}:{} (loading the model; /health answers 503 until ready)",
               a.host, server.port());

  auto loaded = load_local_engine(a.engine, LocalEngineOptions{.model_name = a.model_name,
                                                               .parallel = a.parallel,
                                                               .queue = a.queue,
                                                               .batch_tokens = a.batch_tokens,
                                                               .kv_positions = a.kv_positions,
                                                               .prefix_cache = !a.no_prefix_cache});
  if (!loaded.ok()) {
    service.set_failed(loaded.status());
    server.stop(std::chrono::milliseconds(0));
    return loaded.status();
  }
  LocalEngine& local = **loaded;
  Scheduler* scheduler = local.scheduler.get();
  service.set_engine(&*local.engine);
  QWL_LOG_INFO(
      "ready: model '{}' ({}, {} layers) loaded in {:.1f} s; {} threads, context {}, "
      "{} sequences at once, KV for {} positions",
      local.engine->model_id, local.model->config().arch_name, local.model->config().n_layer,
      local.load_seconds, a.engine.thread_count(), a.engine.ctx_size, a.parallel,
      scheduler->options().kv_blocks * scheduler->options().block_size);

  int sig = 0;
  sigwait(&signals, &sig);
  QWL_LOG_INFO("{}: stopping (in-flight requests get {:.0f} s to finish)",
               sig == SIGINT ? "SIGINT" : "SIGTERM", a.grace_s);
  // The server stops accepting and waits for requests in flight; shortly before its deadline the
  // scheduler ends the sequences still running, so that each stream gets a final error event and
  // a clean end instead of being cut off mid-body when the server closes its connection.
  const auto grace = std::chrono::milliseconds(static_cast<int64_t>(a.grace_s * 1000));
  std::thread stopper([&server, grace] { server.stop(grace); });
  agent_routes.stop();  // cancels running turns: they save what they finished
  ecosystem->stop();    // ends event streams at once and the workers (the server is stopping)
  const auto cancel_at = std::chrono::steady_clock::now() + grace * 4 / 5;
  while (std::chrono::steady_clock::now() < cancel_at) {
    const SchedulerStats s = scheduler->stats();
    if (s.running == 0 && s.queued == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  scheduler->shutdown();
  stopper.join();
  QWL_LOG_INFO("stopped");
  return Status::Ok();
}

}  // namespace

void add_serve(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Serve the OpenAI-compatible API (/v1/chat/completions, /v1/completions, /v1/models,\n"
      "/health) for one model, with continuous batching and a prefix cache, and the app API\n"
      "(/api/v1/...) over the ecosystem database (--db), with the assistant (sessions, messages\n"
      "as server-sent events, pending actions the user confirms; its model is this server's\n"
      "own /v1 unless --backend names another), and the web app at / (web/).\n"
      "Binds 127.0.0.1 unless --host says otherwise. Stop with Ctrl-C or SIGTERM.\n"
      "Example: qwenlayer serve -m qwen.gguf --port 8080\n"
      "         curl http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: "
      "application/json' \\\n"
      "           -d '{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'");
  args->engine.add_to(*cmd, true);
  args->agent.add_to(*cmd);
  cmd->add_option("--host", args->host, "Address to bind (0.0.0.0 exposes it to the network)")
      ->envname("QWL_HOST")
      ->capture_default_str();
  cmd->add_option("--port", args->port, "Port (0 = any free port)")
      ->envname("QWL_PORT")
      ->capture_default_str();
  cmd->add_option("--model-name", args->model_name,
                  "The id clients pass as \"model\" (default: the file name)");
  cmd->add_option("--parallel", args->parallel, "Sequences generated at once (batch size)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--queue", args->queue, "Requests waiting at most; more get 429")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--batch-tokens", args->batch_tokens,
                  "Tokens per forward step (decodes plus prompt chunks)")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  cmd->add_option("--kv-positions", args->kv_positions,
                  "KV cache size in positions, shared by all sequences and the prefix cache "
                  "(default: 4 x ctx-size, at most 1 GiB of KV, at least one context)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30));
  cmd->add_flag("--no-prefix-cache", args->no_prefix_cache,
                "Do not reuse the KV of earlier requests' common prompt prefixes");
  cmd->add_option("--thinking-budget", args->thinking_budget,
                  "Tokens a Qwen3 model may think before constrained output (<= 0: no limit)")
      ->capture_default_str();
  cmd->add_option("--api-key", args->api_key,
                  "Require 'Authorization: Bearer KEY' on every route but /health; KEY acts as "
                  "the operator (admin)")
      ->envname("QWL_API_KEY");
  cmd->add_option("--keys-file", args->keys_file,
                  "Users' API keys (hashes), as 'qwenlayer keys create' writes them; every route "
                  "but /health then needs a key")
      ->envname("QWL_KEYS_FILE");
  cmd->add_option("--max-concurrent-per-key", args->max_concurrent_per_key,
                  "Requests in flight at most with the --api-key key; more get 429 (0 = no limit; "
                  "keys from --keys-file carry their own limit)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  add_db_option(cmd, args->db);
  cmd->add_option("--now", args->now,
                  "Start the server's clock at this city time (UTC+8), e.g. 2026-01-06T11:30, "
                  "and run it from there: opening hours, delivery times and bookings then read "
                  "the same whenever it runs (demos, tests)");
  cmd->add_flag("--no-seed", args->no_seed,
                "Leave an empty database empty (by default a database without ecosystem data "
                "gets the demo city of `qwenlayer seed --scale demo`)");
  cmd->add_option("--web-root", args->web_root,
                  "Folder of the web app served at / (default: <resources>/web/dist, which "
                  "scripts/setup.sh builds)")
      ->envname("QWL_WEB_ROOT");
  cmd->add_flag("--no-web", args->no_web, "Serve the APIs only, no web app at /");
  cmd->add_flag("--secure-cookies", args->secure_cookies,
                "Mark the web session cookie Secure (clients reach the server over HTTPS)");
  cmd->add_flag("--isolate-prefix-cache", args->isolate_prefix_cache,
                "Share cached prompt blocks only between requests of the same API key");
  cmd->add_option("--http-threads", args->http_threads, "Threads that run request handlers")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--grace", args->grace_s, "Seconds in-flight requests get at shutdown")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  cmd->callback([args, &exit_code] { exit_code = report(run(*args)); });
}

}  // namespace qwl::cli
