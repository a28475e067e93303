// Shared option handling and error reporting of the subcommands.
#include "cli/common.h"

#include <unistd.h>

#include <filesystem>
#include <map>

#include "base/log.h"
#include "base/thread_pool.h"

#ifndef QWL_SOURCE_DIR
#define QWL_SOURCE_DIR ""
#endif

namespace qwl::cli {

int report(const Status& status) {
  if (status.ok()) return 0;
  log_line(LogLevel::kError, status.message());
  return status.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

std::string resource_dir(const std::string& flag_value) {
  namespace fs = std::filesystem;
  if (!flag_value.empty()) return flag_value;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "qwenlayer";
    if (fs::is_directory(installed, ec)) return installed.string();
  }
  return QWL_SOURCE_DIR;
}

std::string default_model_path(const std::string& resources) {
  return (std::filesystem::path(resources) / "models" / "default.gguf").string();
}

void EngineOptions::add_to(CLI::App& cmd, bool with_ctx) {
  cmd.add_option("-m,--model", model,
                 "Model: a GGUF file or a Hugging Face folder (default: the bundled model)")
      ->envname("QWL_MODEL");
  cmd.add_option("--resources", resources, "Resource directory (models/, web/)")
      ->envname("QWL_RESOURCES");
  cmd.add_option("-t,--threads", threads, "Compute threads (default: all cores)")
      ->envname("QWL_THREADS")
      ->check(CLI::Range(0, 1024));
  cmd.add_flag("--no-repack", no_repack,
               "Keep the weights in the file's layout instead of repacking them for the kernels "
               "(slower decode; for comparisons)")
      ->envname("QWL_NO_REPACK");
  if (with_ctx) {
    cmd.add_option("-c,--ctx-size", ctx_size, "Context size in tokens")
        ->check(CLI::Range(16, 1 << 20))
        ->capture_default_str();
    cmd.add_option("--kv-type", kv_type, "KV cache element type")
        ->check(CLI::IsMember({"f16", "f32"}))
        ->capture_default_str();
  }
}

std::string EngineOptions::model_path() const {
  return model.empty() ? default_model_path(resource_dir(resources)) : model;
}

Status EngineOptions::check_model() const {
  if (!model.empty()) return Status::Ok();
  const std::string path = model_path();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return NotFoundError(
        "no model given (-m) and the bundled default model {} is not there; pass -m MODEL "
        "(a GGUF file or a Hugging Face folder)",
        path);
  return Status::Ok();
}

int EngineOptions::thread_count() const {
  return threads > 0 ? threads : ThreadPool::hardware_threads();
}

namespace {
// Function-local so that registrars in other files may run before main() in any order.
std::map<std::string, AddCommand, std::less<>>& registered_commands() {
  static std::map<std::string, AddCommand, std::less<>> commands;
  return commands;
}
}  // namespace

CommandRegistrar::CommandRegistrar(std::string_view name, AddCommand add) {
  registered_commands().emplace(std::string(name), add);
}

void add_registered_commands(CLI::App& app, int& exit_code) {
  for (const auto& [name, add] : registered_commands()) add(app, exit_code);
}

}  // namespace qwl::cli
