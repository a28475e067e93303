// `qwenlayer convert`: a Hugging Face folder (or a GGUF file) to a GGUF file of a chosen type,
// with per-tensor progress on stderr.
#include <fmt/format.h>

#include <filesystem>

#include "base/clock.h"
#include "base/log.h"
#include "base/thread_pool.h"
#include "cli/common.h"
#include "format/model_file.h"
#include "model/convert.h"

namespace qwl::cli {
namespace {

struct ConvertArgs {
  std::string input;
  std::string output;
  std::string type = "f16";
  int threads = 0;
  bool force = false;
};

Status run(const ConvertArgs& a) {
  QWL_ASSIGN_OR_RETURN(FileType type, parse_file_type(a.type));
  std::error_code ec;
  if (!a.force && std::filesystem::exists(a.output, ec))
    return InvalidArgumentError("{} exists; pass --force to overwrite it", a.output);
  QWL_ASSIGN_OR_RETURN(ModelFile source, ModelFile::open(a.input));
  ThreadPool pool(a.threads > 0 ? a.threads : ThreadPool::hardware_threads());
  Stopwatch watch;
  QWL_RETURN_IF_ERROR(convert_model(source, a.output, type, pool, [](const ConvertProgress& p) {
    std::string shape;
    for (int i = 0; i < p.source->n_dims; ++i)
      shape += fmt::format("{}{}", i ? "x" : "", p.source->ne[i]);
    fmt::print(stderr, "[{:>4}/{}] {:<32} {:>6} -> {:<6} {}\n", p.index, p.count, *p.name,
               dtype_name(p.source->type), dtype_name(p.type), shape);
  }));
  const auto size = std::filesystem::file_size(a.output, ec);
  QWL_LOG_INFO("wrote {} ({}, {:.1f} MiB) in {:.1f} s", a.output, file_type_name(type),
               static_cast<double>(size) / (1 << 20), watch.elapsed_s());
  return Status::Ok();
}

}  // namespace

void add_convert(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand(
      "convert",
      "Convert a Hugging Face model folder (config.json, *.safetensors, tokenizer.json) or a\n"
      "GGUF file into a GGUF file that this engine and llama.cpp load.\n"
      "Types: f32, f16, bf16, q8_0, q4_0, q4_k_m (llama.cpp's mixes and fallbacks).\n"
      "Example: qwenlayer convert ./Qwen2.5-0.5B-Instruct -o qwen2.5-0.5b-q4_k_m.gguf --type "
      "q4_k_m");
  cmd->add_option("input", args->input, "Hugging Face folder or GGUF file")->required();
  cmd->add_option("-o,--output", args->output, "Output GGUF file")->required();
  cmd->add_option("--type", args->type, "Output type")->capture_default_str();
  cmd->add_option("-t,--threads", args->threads, "Threads (default: all cores)")
      ->envname("QWL_THREADS");
  cmd->add_flag("-f,--force", args->force, "Overwrite an existing output file");
  cmd->callback([args, &exit_code] { exit_code = report(run(*args)); });
}

}  // namespace qwl::cli
