// `qwenlayer logits`: the top-K logits at every prompt position, as JSON, for checking the
// engine against other engines and reference implementations. Special-token text in the
// prompt is read as special tokens (as llama.cpp does with parse_special).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <numeric>

#include "base/thread_pool.h"
#include "cli/common.h"
#include "model/model.h"
#include "runtime/generator.h"

namespace qwl::cli {
namespace {

struct LogitsArgs {
  EngineOptions engine;
  std::string prompt;
  bool stdin_prompt = false;
  std::string token_list;  // "1,2,3": ids instead of text
  int top = 10;
};

Result<std::vector<int32_t>> parse_ids(const std::string& list) {
  std::vector<int32_t> ids;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string::npos) comma = list.size();
    const std::string item = list.substr(pos, comma - pos);
    try {
      size_t used = 0;
      ids.push_back(std::stoi(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      return InvalidArgumentError("--tokens expects comma-separated ids, got '{}'", item);
    }
    pos = comma + 1;
  }
  return ids;
}

Status run(LogitsArgs& a) {
  if (a.stdin_prompt) a.prompt.assign(std::istreambuf_iterator<char>(std::cin), {});
  if (a.top <= 0) return InvalidArgumentError("--top must be positive");
  QWL_RETURN_IF_ERROR(a.engine.check_model());
  ThreadPool pool(a.engine.thread_count());
  QWL_ASSIGN_OR_RETURN(std::unique_ptr<Model> model,
                       Model::load(a.engine.model_path(), a.engine.load_options(&pool)));
  std::vector<int32_t> tokens;
  if (!a.token_list.empty()) {
    QWL_ASSIGN_OR_RETURN(tokens, parse_ids(a.token_list));
  } else {
    tokens = model->tokenizer().encode(a.prompt, true);
  }
  if (tokens.empty()) return InvalidArgumentError("no tokens: pass -p TEXT, --stdin or --tokens");
  KvCacheOptions kv{
      .type = a.engine.kv_type == "f32" ? DType::kF32 : DType::kF16,
      .max_positions = std::max<int64_t>(a.engine.ctx_size, static_cast<int64_t>(tokens.size()))};
  QWL_ASSIGN_OR_RETURN(Generator gen, Generator::create(*model, pool, kv));
  QWL_RETURN_IF_ERROR(gen.eval(tokens, /*all_logits=*/true));

  const int n_vocab = model->config().n_vocab;
  const int k = std::min(a.top, n_vocab);
  std::span<const float> logits = gen.last_logits();
  nlohmann::ordered_json out;
  out["tokens"] = tokens;
  auto& positions = out["positions"] = nlohmann::ordered_json::array();
  std::vector<int32_t> order(static_cast<size_t>(n_vocab));
  for (size_t t = 0; t < tokens.size(); ++t) {
    const float* row = logits.data() + t * static_cast<size_t>(n_vocab);
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [row](int32_t x, int32_t y) {
      return row[x] > row[y] || (row[x] == row[y] && x < y);
    });
    nlohmann::ordered_json p;
    p["ids"] = std::vector<int32_t>(order.begin(), order.begin() + k);
    std::vector<float> values;
    for (int i = 0; i < k; ++i) values.push_back(row[order[static_cast<size_t>(i)]]);
    p["logits"] = values;
    positions.push_back(std::move(p));
  }
  const std::string text = out.dump();
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  return Status::Ok();
}

}  // namespace

void add_logits(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<LogitsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "logits",
      "Print the top-K logits at every prompt position as JSON:\n"
      "  {\"tokens\":[...],\"positions\":[{\"ids\":[...],\"logits\":[...]},...]}\n"
      "Example: qwenlayer logits -m qwen.gguf -p \"<|im_start|>user\\nhi\" --top 5");
  args->engine.add_to(*cmd, true);
  cmd->add_option("-p,--prompt", args->prompt, "Prompt text (special tokens are parsed)");
  cmd->add_flag("--stdin", args->stdin_prompt, "Read the prompt from standard input");
  cmd->add_option("--tokens", args->token_list, "Comma-separated token ids instead of text");
  cmd->add_option("--top", args->top, "How many logits per position")->capture_default_str();
  cmd->callback([args, &exit_code] { exit_code = report(run(*args)); });
}

}  // namespace qwl::cli
