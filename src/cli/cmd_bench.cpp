// `qwenlayer bench`: prompt-processing and generation speed in a table like llama-bench's,
// with the memory traffic each implies (GB/s) and, given the machine's measured read bandwidth,
// the share of it that generation uses. `--json` prints llama-bench's field names so scripts
// can put the two side by side.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

#include "base/log.h"
#include "base/thread_pool.h"
#include "cli/common.h"
#include "model/model.h"
#include "runtime/bench.h"

namespace qwl::cli {
namespace {

struct BenchArgs {
  std::vector<std::string> models;
  std::string resources;
  std::vector<int> n_prompt = {512};
  std::vector<int> n_gen = {128};
  std::vector<int> depths = {0};
  int threads = 0;
  bool no_repack = false;
  int repetitions = 5;
  int n_batch = 512;
  std::string kv_type = "f16";
  bool json = false;
  bool bandwidth = false;
  double bandwidth_gbps = 0;  // given instead of measured
};

std::string model_label(const Model& m) {
  const ModelConfig& c = m.config();
  std::string type = "?";
  if (auto ft = m.file().metadata().get_uint("general.file_type"); ft.ok()) {
    switch (ft.value()) {
      case 0:
        type = "F32";
        break;
      case 1:
        type = "F16";
        break;
      case 2:
        type = "Q4_0";
        break;
      case 7:
        type = "Q8_0";
        break;
      case 15:
        type = "Q4_K_M";
        break;
      case 32:
        type = "BF16";
        break;
      default:
        type = fmt::format("ftype {}", ft.value());
    }
  } else if (!m.file().is_gguf()) {
    type = "HF " + std::string(dtype_name(m.weights().layers[0].wq.view().type));
  }
  return fmt::format("{} {}L {}", c.arch_name, c.n_layer, type);
}

Status run(BenchArgs& a) {
  const int threads = a.threads > 0 ? a.threads : ThreadPool::hardware_threads();
  ThreadPool pool(threads);
  double bw = a.bandwidth_gbps;
  if (a.bandwidth) {
    QWL_LOG_INFO("measuring memory read bandwidth with {} threads (1 GiB buffer)...", threads);
    bw = measure_read_bandwidth_gbps(pool);
    if (!a.json)
      fmt::print("memory read bandwidth: {:.1f} GB/s ({} threads, median of 5)\n", bw, threads);
  }
  if (a.models.empty()) {
    if (a.bandwidth) return Status::Ok();
    a.models.push_back(default_model_path(resource_dir(a.resources)));
  }
  BenchOptions options{.repetitions = a.repetitions,
                       .n_batch = a.n_batch,
                       .kv_type = a.kv_type == "f32" ? DType::kF32 : DType::kF16};
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  if (!a.json) {
    fmt::print("| {:<22} | {:>9} | {:>8} | {:>7} | {:>14} | {:>16} | {:>7} |{}\n", "model", "size",
               "params", "threads", "test", "t/s", "GB/s", bw > 0 ? " bound % |" : "");
    fmt::print("| {:-<22} | {:->9} | {:->8} | {:->7} | {:->14} | {:->16} | {:->7} |{}\n", "", "",
               "", "", "", "", "", bw > 0 ? " ------: |" : "");
  }
  for (const std::string& path : a.models) {
    QWL_ASSIGN_OR_RETURN(std::unique_ptr<Model> model,
                         Model::load(path, {.pack = !a.no_repack, .pool = &pool}));
    int64_t n_params = 0, size = 0;
    for (const TensorEntry& t : model->file().tensors()) {
      n_params += t.view.n_elements();
      size += static_cast<int64_t>(t.view.n_bytes());
    }
    std::vector<BenchTest> tests;
    for (int d : a.depths) {
      for (int p : a.n_prompt)
        if (p > 0) tests.push_back({.n_prompt = p, .n_depth = d});
      for (int n : a.n_gen)
        if (n > 0) tests.push_back({.n_gen = n, .n_depth = d});
    }
    for (const BenchTest& t : tests) {
      QWL_ASSIGN_OR_RETURN(BenchResult r, run_bench(*model, pool, t, options));
      const std::string name =
          (t.n_prompt > 0 ? fmt::format("pp{}", t.n_prompt) : fmt::format("tg{}", t.n_gen)) +
          (t.n_depth > 0 ? fmt::format(" @ d{}", t.n_depth) : "");
      // Share of the bound: generation is bounded by bandwidth / bytes read per token.
      const double share = bw > 0 && t.n_gen > 0 ? r.gbps() / bw : 0.0;
      if (a.json) {
        nlohmann::ordered_json j;
        j["model_filename"] = path;
        j["model_type"] = model_label(*model);
        j["model_size"] = size;
        j["model_n_params"] = n_params;
        j["n_threads"] = threads;
        j["n_batch"] = a.n_batch;
        j["type_k"] = a.kv_type;
        j["n_prompt"] = t.n_prompt;
        j["n_gen"] = t.n_gen;
        j["n_depth"] = t.n_depth;
        j["avg_ts"] = r.avg_ts;
        j["stddev_ts"] = r.stddev_ts;
        j["samples_ts"] = r.samples_ts;
        j["bytes_per_token"] = r.bytes_per_token;
        j["gbps"] = r.gbps();
        if (bw > 0) j["bandwidth_gbps"] = bw;
        if (share > 0) j["bound_share"] = share;
        out.push_back(std::move(j));
      } else {
        fmt::print(
            "| {:<22} | {:>5.0f} MiB | {:>6.1f} M | {:>7} | {:>14} | {:>8.2f} ± {:>5.2f} | "
            "{:>7.1f} |{}\n",
            model_label(*model), static_cast<double>(size) / (1 << 20),
            static_cast<double>(n_params) * 1e-6, threads, name, r.avg_ts, r.stddev_ts, r.gbps(),
            bw > 0 ? (share > 0 ? fmt::format(" {:>6.0f}% |", share * 100) : "      - |") : "");
        std::fflush(stdout);
      }
    }
  }
  if (a.json) {
    const std::string s = out.dump(2);
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fputc('\n', stdout);
  } else {
    fmt::print("peak RSS: {:.0f} MiB{}\n", static_cast<double>(peak_rss_bytes()) / (1 << 20),
               a.bandwidth ? " (includes the bandwidth measurement's 1 GiB buffer)" : "");
  }
  return Status::Ok();
}

}  // namespace

void add_bench(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Measure prompt processing (ppN) and generation (tgN) speed, like llama-bench.\n"
      "Each test first fills the context to each depth (-d, untimed), then times the test;\n"
      "-r repetitions after one warm-up give mean ± standard deviation in tokens/s. GB/s is\n"
      "the weight + KV cache traffic that speed implies; with --bandwidth (measured) or\n"
      "--bandwidth-gbps the tg rows also show the share of the memory-bandwidth bound.\n"
      "Example: qwenlayer bench -m qwen.gguf -p 512 -n 128 -d 0,1024 -t 2 -r 5 --bandwidth");
  cmd->add_option("-m,--model", a->models, "Model file(s) (repeatable)")->envname("QWL_MODEL");
  cmd->add_option("--resources", a->resources, "Resource directory")->envname("QWL_RESOURCES");
  cmd->add_option("-p,--n-prompt", a->n_prompt, "Prompt lengths, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("-n,--n-gen", a->n_gen, "Generation lengths, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("-d,--n-depth", a->depths, "Context depths, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_flag(
      "--no-repack", a->no_repack,
      "Keep the weights in the file's layout instead of repacking them (for comparisons)");
  cmd->add_option("-t,--threads", a->threads, "Threads (default: all cores)")
      ->envname("QWL_THREADS");
  cmd->add_option("-r,--repetitions", a->repetitions, "Timed runs per test")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("-b,--n-batch", a->n_batch, "Prompt tokens per forward call")
      ->check(CLI::Range(1, 1 << 16))
      ->capture_default_str();
  cmd->add_option("--kv-type", a->kv_type, "KV cache type")
      ->check(CLI::IsMember({"f16", "f32"}))
      ->capture_default_str();
  cmd->add_flag("--json", a->json, "Print a JSON array (llama-bench field names) only");
  cmd->add_flag("--bandwidth", a->bandwidth, "Measure the memory read bandwidth first");
  cmd->add_option("--bandwidth-gbps", a->bandwidth_gbps, "Use this bandwidth instead of measuring");
  cmd->callback([a, &exit_code] { exit_code = report(run(*a)); });
}

}  // namespace qwl::cli
