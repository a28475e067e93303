// `qwenlayer eval SUITE.jsonl`: runs an agent task suite (eval/README.md) on copies of one
// freshly seeded demo city and reports tool-choice accuracy, exact argument match, task success
// and latency (agent/eval.h, docs/agent/eval.md).
//
// With the scripted backend (the default) every turn is answered from the task's script, so
// the run is exact: any failed task is a regression and the exit code is 1. With --backend URL
// (an OpenAI-compatible /v1 endpoint: `qwenlayer serve`, vLLM, ...) the model's own calls are
// scored: a measurement, exit code 0 whatever the score. Per-task lines and the summary go to
// stdout (--json: only the summary as JSON); progress goes to stderr.
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "agent/backend.h"
#include "agent/eval.h"
#include "base/clock.h"
#include "cli/common.h"

namespace qwl::cli {
namespace {

struct EvalArgs {
  std::string suite;
  std::string backend = "scripted";
  std::string model;
  std::string backend_key;
  std::string filter;
  std::string work_dir;
  int jobs = 1;
  int max_steps = 8;
  int turn_timeout_s = 120;
  bool json = false;
  bool results = false;
  bool quiet = false;
};

std::string percent(double x) {
  return fmt::format("{:.1f}%", 100.0 * x);
}

void print_text(const agent::EvalReport& report, const nlohmann::ordered_json& s) {
  for (const agent::EvalTaskResult& t : report.tasks) {
    // Per task: expected calls with the right tool / also the right arguments, model calls, time.
    fmt::print("{:<5} {:<36} tools {:>2}/{:<2} args {:>2}/{:<2} {:>2} steps {:>7.1f} ms\n",
               t.passed ? "ok" : "FAIL", t.id, t.calls_name_matched, t.calls_expected,
               t.calls_args_matched, t.calls_expected, t.steps.size(),
               static_cast<double>(t.task_us) / 1000.0);
    for (const std::string& why : t.failures) fmt::print("      - {}\n", why);
  }
  const auto& calls = s["calls"];
  fmt::print("\nSuite {} on {} ({} job{}): {} tasks, {} passed, {} failed\n",
             s["suite"].get<std::string>(), s["backend"].get<std::string>(), report.jobs,
             report.jobs == 1 ? "" : "s", s["tasks"].get<int64_t>(), s["passed"].get<int64_t>(),
             s["failed"].get<int64_t>());
  fmt::print("  task success          {:>7}\n", percent(s["task_success"].get<double>()));
  fmt::print("  tool choice accuracy  {:>7}  ({} of {} expected calls)\n",
             percent(s["tool_choice_accuracy"].get<double>()), calls["tool_matched"].get<int64_t>(),
             calls["expected"].get<int64_t>());
  fmt::print("  exact arguments       {:>7}  ({} of {}; {} calls made)\n",
             percent(s["argument_match"].get<double>()), calls["arguments_matched"].get<int64_t>(),
             calls["expected"].get<int64_t>(), calls["made"].get<int64_t>());
  fmt::print("  latency (ms)              p50       p99       max     count\n");
  for (const auto& [key, label] :
       {std::pair{"task", "task"}, std::pair{"step", "step"}, std::pair{"model", "model call"},
        std::pair{"step_without_model", "step without model"}}) {
    const auto& p = s["latency"][key];
    fmt::print("    {:<18} {:>9.2f} {:>9.2f} {:>9.2f} {:>9}\n", label, p["p50_ms"].get<double>(),
               p["p99_ms"].get<double>(), p["max_ms"].get<double>(), p["count"].get<int64_t>());
  }
  std::string langs;
  for (const auto& [lang, t] : s["by_lang"].items()) {
    langs += fmt::format("  {} {}/{}", lang, t["passed"].get<int64_t>(), t["tasks"].get<int64_t>());
  }
  fmt::print("  by language:{}\n", langs);
  if (const int64_t errors = s["model_errors"].get<int64_t>(); errors > 0) {
    fmt::print("  model call failures in {} task(s)\n", errors);
  }
  fmt::print("  seeding {:.2f} s, whole run {:.2f} s\n", report.seed_s, report.wall_s);
}

Status run_eval_command(const EvalArgs& a, bool* regression) {
  QWL_ASSIGN_OR_RETURN(std::vector<agent::EvalTask> tasks, agent::load_eval_suite(a.suite));
  if (a.jobs < 1) return InvalidArgumentError("--jobs must be at least 1");
  if (std::none_of(tasks.begin(), tasks.end(),
                   [&](const agent::EvalTask& t) { return t.id.starts_with(a.filter); })) {
    return InvalidArgumentError("--filter '{}': no task of {} starts with it", a.filter, a.suite);
  }

  std::unique_ptr<agent::ModelBackend> backend;
  const bool scripted = a.backend == "scripted";
  if (!scripted) {
    backend = std::make_unique<agent::OpenAiBackend>(agent::OpenAiBackendOptions{
        .base_url = a.backend, .model = a.model, .api_key = a.backend_key});
  }

  // A private work folder for the seeded file and the tasks' copies, removed at the end.
  std::string work = a.work_dir;
  bool remove_work = false;
  if (work.empty()) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "qwenlayer-eval-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return IoErrorError("cannot create a work folder {}", pattern);
    }
    work = pattern;
    remove_work = true;
  } else {
    std::error_code ec;
    std::filesystem::create_directories(work, ec);
    if (ec) return IoErrorError("--work-dir {}: {}", work, ec.message());
  }

  agent::EvalOptions options;
  options.backend = backend.get();
  options.work_dir = work;
  options.filter = a.filter;
  options.jobs = a.jobs;
  options.agent.max_steps = a.max_steps;
  options.agent.turn_timeout = std::chrono::seconds(a.turn_timeout_s);
  int64_t last_us = 0;
  size_t failed = 0;
  if (!a.quiet) {
    options.on_task = [&](const agent::EvalTaskResult& t, size_t done, size_t total) {
      failed += t.passed ? 0 : 1;
      const int64_t now = Clock::real().monotonic_us();
      if (done < total && now - last_us < 1'000'000) return;
      last_us = now;
      fmt::print(stderr, "eval: {}/{} tasks, {} failed\n", done, total, failed);
    };
    fmt::print(stderr, "eval: seeding the demo city in {}\n", work);
  }
  Result<agent::EvalReport> report = agent::run_eval(tasks, a.suite, options);
  if (remove_work) {
    std::error_code ec;
    std::filesystem::remove_all(work, ec);
  }
  if (!report.ok()) return report.status();

  const nlohmann::ordered_json summary = report->summary(a.results);
  if (a.json) {
    fmt::print("{}\n", summary.dump(2));
  } else {
    print_text(*report, summary);
  }
  *regression = scripted && report->passed() != static_cast<int>(report->tasks.size());
  // A measurement of a model that never answered measures nothing: say so in the exit code.
  if (!scripted && summary["model_errors"].get<size_t>() == report->tasks.size()) {
    return UnavailableError("every task's model call failed on {} (is the server up?)",
                            report->backend);
  }
  return Status::Ok();
}

void add_eval(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "Run an agent task suite (JSONL, eval/README.md) end to end: every task on a copy of one\n"
      "freshly seeded demo city, its turns through the agent loop, its pending action confirmed\n"
      "or cancelled as the task says, then its calls, action, database and answer checked.\n"
      "Reports tool-choice accuracy, exact argument match, task success and latency.\n"
      "With the scripted backend (default) the model's outputs come from each task's script:\n"
      "exact, exit code 1 on any failure. With --backend URL a real model is measured (exit 0).\n"
      "Examples:\n"
      "  qwenlayer eval eval/suite.jsonl\n"
      "  qwenlayer eval eval/suite.jsonl --filter order. --json\n"
      "  qwenlayer eval eval/suite.jsonl --backend http://127.0.0.1:8080/v1 --jobs 4");
  cmd->add_option("suite", args->suite, "The task suite (JSONL)")->required();
  cmd->add_option("--backend", args->backend,
                  "scripted, or an OpenAI-compatible /v1 base URL (e.g. http://127.0.0.1:8080/v1)")
      ->capture_default_str();
  cmd->add_option("--model", args->model, "The model name sent to --backend (default: its first)");
  cmd->add_option("--backend-key", args->backend_key, "Bearer key for --backend")
      ->envname("QWL_BACKEND_KEY");
  cmd->add_option("--filter", args->filter, "Run only the tasks whose id starts with this");
  cmd->add_option("-j,--jobs", args->jobs, "Tasks run at once")->capture_default_str();
  cmd->add_option("--work-dir", args->work_dir,
                  "Folder for the seeded database and the tasks' copies (default: a temporary "
                  "one, removed afterwards)");
  cmd->add_option("--max-steps", args->max_steps, "Model calls per turn")->capture_default_str();
  cmd->add_option("--turn-timeout", args->turn_timeout_s, "Seconds per turn")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print only the summary, as JSON");
  cmd->add_flag("--results", args->results,
                "With --json: every task's result, its calls and what the tools answered");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress lines on stderr");
  cmd->callback([args, &exit_code] {
    bool regression = false;
    exit_code = report(run_eval_command(*args, &regression));
    if (exit_code == 0 && regression) exit_code = kExitFailure;
  });
}

static const CommandRegistrar kRegistrar("eval", add_eval);

}  // namespace
}  // namespace qwl::cli
