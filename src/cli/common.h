// Shared pieces of the subcommands: the options every engine command takes, resource lookup,
// and the one place where a Status becomes an exit code and a message.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/thread_pool.h"
#include "model/model.h"

namespace qwl {
class Db;
}

namespace qwl::cli {

// Exit codes: 0 success, 1 the command failed (bad model file, I/O), 2 bad usage.
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Prints "qwenlayer: error: <message>" to stderr and returns kExitFailure (kExitUsage for
// InvalidArgument).
int report(const Status& status);

// The resource directory (DESIGN.md "Resources"): --resources, else ../share/qwenlayer beside
// the binary, else the source tree the binary was built from.
std::string resource_dir(const std::string& flag_value);
// -m's default: <resources>/models/default.gguf.
std::string default_model_path(const std::string& resources);

// Options of commands that run a model.
struct EngineOptions {
  std::string model;      // -m, QWL_MODEL
  std::string resources;  // --resources, QWL_RESOURCES
  int threads = 0;        // -t, QWL_THREADS; 0 = all hardware threads
  int ctx_size = 4096;    // -c
  std::string kv_type = "f16";
  bool no_repack = false;  // --no-repack: matmuls read the file's layout (for comparisons)
  bool json = false;

  void add_to(CLI::App& cmd, bool with_ctx);
  std::string model_path() const;
  // NotFound with a hint when no -m was given and the bundled model is missing.
  Status check_model() const;
  int thread_count() const;
  ModelLoadOptions load_options(ThreadPool* pool) const {
    return {.pack = !no_repack, .pool = pool};
  }
};

// Registration of each subcommand; each returns through `exit_code` when its callback ran.
void add_generate(CLI::App& app, int& exit_code);
void add_info(CLI::App& app, int& exit_code);
void add_tokenize(CLI::App& app, int& exit_code);
void add_logits(CLI::App& app, int& exit_code);
void add_convert(CLI::App& app, int& exit_code);
void add_bench(CLI::App& app, int& exit_code);
void add_serve(CLI::App& app, int& exit_code);
void add_keys(CLI::App& app, int& exit_code);
void add_seed(CLI::App& app, int& exit_code);
void add_users(CLI::App& app, int& exit_code);
void add_backup(CLI::App& app, int& exit_code);  // `backup` and `restore`
void add_audit(CLI::App& app, int& exit_code);
void add_tools(CLI::App& app, int& exit_code);

// Subcommands that register themselves (the agent's chat, mcp and eval): a cmd_*.cpp defines
//   static const CommandRegistrar kRegistrar("chat", add_chat);
// and main() adds every registered command after the fixed ones, in name order.
using AddCommand = void (*)(CLI::App& app, int& exit_code);
struct CommandRegistrar {
  CommandRegistrar(std::string_view name, AddCommand add);
};
void add_registered_commands(CLI::App& app, int& exit_code);

// The ecosystem database (DESIGN.md "State"): --db URL or QWL_DB, else data/qwenlayer.db.
inline constexpr const char* kDefaultDbUrl = "data/qwenlayer.db";
// Adds --db (with QWL_DB) to a command; `url` keeps kDefaultDbUrl when it is not given.
CLI::Option* add_db_option(CLI::App* cmd, std::string& url);
// Opens the database at `url` and applies the ecosystem's migrations (services/schema.h).
// Errors name the URL (without its password).
Result<std::unique_ptr<Db>> open_database(const std::string& url);

}  // namespace qwl::cli
