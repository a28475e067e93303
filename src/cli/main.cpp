// The qwenlayer binary: one executable, one subcommand per job. Each subcommand lives in its
// own cmd_*.cpp and registers itself here; errors come back as exit codes (common.h).
#include <CLI/CLI.hpp>

#include "base/log.h"
#include "cli/common.h"
#include "ops/isa.h"

int main(int argc, char** argv) {
  CLI::App app{
      "qwenlayer: an open assistant layer for Qwen models.\n"
      "Runs Qwen2/Qwen2.5/Qwen3 models from GGUF files or Hugging Face folders on the CPU.\n"
      "Examples:\n"
      "  qwenlayer serve -m model.gguf --port 8080      (OpenAI-compatible API)\n"
      "  qwenlayer generate -m model.gguf -p \"Once upon a time\" -n 64\n"
      "  qwenlayer tokenize -m tokenizer.json \"你好，世界\" --ids\n"
      "  qwenlayer convert ./Qwen2.5-0.5B-Instruct -o qwen.gguf --type q4_k_m\n"
      "Run 'qwenlayer COMMAND --help' for a command's options.",
      "qwenlayer"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "qwenlayer 0.1.0");
  std::string log_level;
  app.add_option("--log-level", log_level, "debug|info|warn|error|off (QWL_LOG_LEVEL)")
      ->envname("QWL_LOG_LEVEL");
  app.parse_complete_callback([&] {
    qwl::LogLevel level;
    if (!log_level.empty() && qwl::parse_log_level(log_level, &level)) qwl::set_log_level(level);
  });

  // Choose the kernels' instruction set once, so a bad QWL_ISA is a clear error, not an abort.
  if (const qwl::Status isa = qwl::ops::init_isa_from_env(); !isa.ok())
    return qwl::cli::report(isa);

  int exit_code = 0;
  qwl::cli::add_generate(app, exit_code);
  qwl::cli::add_info(app, exit_code);
  qwl::cli::add_tokenize(app, exit_code);
  qwl::cli::add_logits(app, exit_code);
  qwl::cli::add_convert(app, exit_code);
  qwl::cli::add_bench(app, exit_code);
  qwl::cli::add_serve(app, exit_code);
  qwl::cli::add_keys(app, exit_code);
  qwl::cli::add_seed(app, exit_code);
  qwl::cli::add_users(app, exit_code);
  qwl::cli::add_backup(app, exit_code);
  qwl::cli::add_audit(app, exit_code);
  qwl::cli::add_tools(app, exit_code);
  qwl::cli::add_registered_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : qwl::cli::kExitUsage;
  }
  return exit_code;
}
