// `qwenlayer info`: what a model file holds — metadata, tensors with types, shapes and sizes,
// and the model config the engine reads from it.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>

#include "cli/common.h"
#include "format/model_file.h"
#include "model/config.h"

namespace qwl::cli {
namespace {

struct InfoArgs {
  std::string model;
  bool json = false;
  bool all_tensors = false;
};

std::string shape_of(const TensorView& v) {
  std::string s;
  for (int i = 0; i < v.n_dims; ++i) s += fmt::format("{}{}", i ? " x " : "", v.ne[i]);
  return s;
}

Status run(const InfoArgs& a) {
  QWL_ASSIGN_OR_RETURN(ModelFile file, ModelFile::open(a.model));
  const TensorEntry* embd = file.find_tensor("token_embd.weight");
  auto config = ModelConfig::from_metadata(file.metadata(), embd ? embd->view.ne[1] : 0);
  std::map<std::string, std::pair<int, uint64_t>> by_type;  // type -> (count, bytes)
  uint64_t total_bytes = 0, total_params = 0;
  for (const TensorEntry& t : file.tensors()) {
    auto& e = by_type[std::string(dtype_name(t.view.type))];
    ++e.first;
    e.second += t.view.n_bytes();
    total_bytes += t.view.n_bytes();
    total_params += static_cast<uint64_t>(t.view.n_elements());
  }
  if (a.json) {
    nlohmann::ordered_json j;
    j["path"] = file.path();
    j["format"] = file.is_gguf() ? fmt::format("gguf v{}", file.gguf_version()) : "huggingface";
    auto& meta = j["metadata"] = nlohmann::ordered_json::object();
    for (const auto& [k, v] : file.metadata().entries()) meta[k] = v.summary(4);
    auto& tensors = j["tensors"] = nlohmann::ordered_json::array();
    for (const TensorEntry& t : file.tensors()) {
      std::vector<int64_t> ne(t.view.ne, t.view.ne + t.view.n_dims);
      tensors.push_back({{"name", t.name},
                         {"type", dtype_name(t.view.type)},
                         {"shape", ne},
                         {"bytes", t.view.n_bytes()}});
    }
    j["parameters"] = total_params;
    j["bytes"] = total_bytes;
    if (!config.ok()) j["config_error"] = config.status().message();
    const std::string s = j.dump(2);
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fputc('\n', stdout);
    return Status::Ok();
  }
  fmt::print("{}: {}\n", file.path(),
             file.is_gguf() ? fmt::format("GGUF v{}", file.gguf_version()) : "Hugging Face folder");
  fmt::print("\nmetadata ({} keys):\n", file.metadata().size());
  for (const auto& [k, v] : file.metadata().entries()) fmt::print("  {:<44} {}\n", k, v.summary(6));
  fmt::print("\ntensors: {} ({:.1f}M parameters, {:.1f} MiB)\n", file.tensors().size(),
             static_cast<double>(total_params) * 1e-6,
             static_cast<double>(total_bytes) / (1 << 20));
  for (const auto& [type, e] : by_type)
    fmt::print("  {:<8} {:>5} tensors {:>10.1f} MiB\n", type, e.first,
               static_cast<double>(e.second) / (1 << 20));
  size_t shown = 0;
  for (const TensorEntry& t : file.tensors()) {
    if (!a.all_tensors && shown++ >= 24) {
      fmt::print("  ... {} more (--all-tensors lists them)\n", file.tensors().size() - 24);
      break;
    }
    fmt::print("  {:<32} {:<6} {:<18} {:>10} bytes\n", t.name, dtype_name(t.view.type),
               shape_of(t.view), t.view.n_bytes());
  }
  if (config.ok()) {
    const ModelConfig& c = config.value();
    fmt::print(
        "\nconfig: {} layers, hidden {}, ffn {}, heads {} (kv {}) x {}, vocab {}, ctx {}, "
        "rope base {}, rms eps {}\n",
        c.n_layer, c.n_embd, c.n_ff, c.n_head, c.n_head_kv, c.head_dim, c.n_vocab, c.n_ctx_train,
        c.rope_freq_base, c.rms_eps);
  } else {
    fmt::print("\nconfig: not runnable: {}\n", config.status().message());
  }
  return Status::Ok();
}

}  // namespace

void add_info(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd = app.add_subcommand("info",
                                     "Show a model's metadata, tensors, types and sizes.\n"
                                     "Example: qwenlayer info qwen.gguf --json");
  cmd->add_option("model", args->model, "GGUF file or Hugging Face folder")->required();
  cmd->add_flag("--json", args->json, "Print JSON only");
  cmd->add_flag("--all-tensors", args->all_tensors, "List every tensor");
  cmd->callback([args, &exit_code] { exit_code = report(run(*args)); });
}

}  // namespace qwl::cli
