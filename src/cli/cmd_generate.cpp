// `qwenlayer generate`: raw text generation from a prompt, streamed to stdout, with speed
// figures on stderr (prompt and generation tokens/s, and the weight bandwidth it implies).
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>

#include "base/clock.h"
#include "base/log.h"
#include "base/thread_pool.h"
#include "cli/common.h"
#include "model/model.h"
#include "runtime/generator.h"

namespace qwl::cli {
namespace {

struct GenerateArgs {
  EngineOptions engine;
  std::string prompt;
  bool stdin_prompt = false;
  int n_predict = 128;
  SamplingParams sampling;
  std::vector<std::string> stop;
  std::vector<std::string> logit_bias;  // "ID=BIAS"
  bool ignore_eos = false;
};

Status parse_logit_bias(const std::vector<std::string>& items, SamplingParams* p) {
  for (const std::string& item : items) {
    const size_t eq = item.find('=');
    try {
      if (eq == std::string::npos) throw std::invalid_argument("no '='");
      const int id = std::stoi(item.substr(0, eq));
      const std::string v = item.substr(eq + 1);
      const float bias = (v == "-inf") ? -INFINITY : std::stof(v);
      p->logit_bias[id] = bias;
    } catch (const std::exception&) {
      return InvalidArgumentError("--logit-bias expects TOKEN_ID=BIAS (e.g. 151645=-inf), got '{}'",
                                  item);
    }
  }
  return Status::Ok();
}

Result<DType> kv_dtype(const std::string& name) {
  if (name == "f16") return DType::kF16;
  if (name == "f32") return DType::kF32;
  return InvalidArgumentError("unknown KV type '{}'", name);
}

Status run(GenerateArgs& a) {
  if (a.stdin_prompt) a.prompt.assign(std::istreambuf_iterator<char>(std::cin), {});
  if (a.prompt.empty()) return InvalidArgumentError("no prompt: pass -p TEXT or --stdin");
  QWL_RETURN_IF_ERROR(parse_logit_bias(a.logit_bias, &a.sampling));
  Stopwatch load_watch;
  QWL_RETURN_IF_ERROR(a.engine.check_model());
  ThreadPool pool(a.engine.thread_count());
  QWL_ASSIGN_OR_RETURN(std::unique_ptr<Model> model,
                       Model::load(a.engine.model_path(), a.engine.load_options(&pool)));
  QWL_LOG_INFO("loaded {} ({}, {} layers) in {:.2f} s", a.engine.model_path(),
               model->config().arch_name, model->config().n_layer, load_watch.elapsed_s());
  QWL_ASSIGN_OR_RETURN(DType kv_type, kv_dtype(a.engine.kv_type));
  QWL_ASSIGN_OR_RETURN(
      Generator gen,
      Generator::create(*model, pool,
                        KvCacheOptions{.type = kv_type, .max_positions = a.engine.ctx_size}));
  const std::vector<int32_t> prompt = model->tokenizer().encode(a.prompt, true);
  if (prompt.empty()) return InvalidArgumentError("the prompt encodes to no tokens");
  GenerateOptions options{.max_tokens = a.n_predict,
                          .sampling = a.sampling,
                          .stop = a.stop,
                          .stop_at_eog = !a.ignore_eos};
  QWL_RETURN_IF_ERROR(options.sampling.validate(model->config().n_vocab));
  std::fwrite(a.prompt.data(), 1, a.prompt.size(), stdout);
  std::fflush(stdout);
  QWL_ASSIGN_OR_RETURN(GenerateResult r, gen.generate(prompt, options, [](std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    return true;
  }));
  std::fputc('\n', stdout);
  std::fflush(stdout);

  const double prompt_s = static_cast<double>(r.t_prompt_us) * 1e-6;
  const double gen_s = static_cast<double>(r.t_generate_us) * 1e-6;
  const double gen_tps = gen_s > 0 ? static_cast<double>(r.n_generated) / gen_s : 0.0;
  const double gbps = gen_tps * static_cast<double>(model->weight_bytes_per_token()) * 1e-9;
  QWL_LOG_INFO("prompt: {} tokens in {:.3f} s ({:.1f} tokens/s)", r.n_prompt, prompt_s,
               prompt_s > 0 ? static_cast<double>(r.n_prompt) / prompt_s : 0.0);
  QWL_LOG_INFO(
      "generation: {} tokens in {:.3f} s ({:.1f} tokens/s, {:.1f} GB/s of weights), "
      "stopped by {}",
      r.n_generated, gen_s, gen_tps, gbps, stop_reason_name(r.stop));
  return Status::Ok();
}

}  // namespace

void add_generate(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "generate",
      "Generate text from a prompt (raw completion, no chat template).\n"
      "Streams the prompt and the continuation to stdout; speed goes to stderr.\n"
      "Example: qwenlayer generate -m qwen.gguf -p \"The capital of France is\" -n 32 --temp 0");
  args->engine.add_to(*cmd, true);
  cmd->add_option("-p,--prompt", args->prompt, "Prompt text");
  cmd->add_flag("--stdin", args->stdin_prompt, "Read the prompt from standard input");
  cmd->add_option("-n,--n-predict", args->n_predict, "Tokens to generate (<= 0: until the end)")
      ->capture_default_str();
  SamplingParams& s = args->sampling;
  cmd->add_option("--temp", s.temperature, "Temperature (0 = greedy)")->capture_default_str();
  cmd->add_option("--top-k", s.top_k, "Top-k (0 = off)")->capture_default_str();
  cmd->add_option("--top-p", s.top_p, "Top-p (1 = off)")->capture_default_str();
  cmd->add_option("--min-p", s.min_p, "Min-p (0 = off)")->capture_default_str();
  cmd->add_option("--repeat-penalty", s.repeat_penalty, "Repetition penalty (1 = off)")
      ->capture_default_str();
  cmd->add_option("--presence-penalty", s.presence_penalty, "Presence penalty")
      ->capture_default_str();
  cmd->add_option("--frequency-penalty", s.frequency_penalty, "Frequency penalty")
      ->capture_default_str();
  cmd->add_option("--repeat-last-n", s.penalty_last_n, "Window of the penalties")
      ->capture_default_str();
  cmd->add_option("-s,--seed", s.seed, "Random seed (same seed, same output)")
      ->capture_default_str();
  cmd->add_option("--logit-bias", args->logit_bias, "TOKEN_ID=BIAS, repeatable (-inf bans)");
  cmd->add_option("--stop", args->stop, "Stop string, repeatable");
  cmd->add_flag("--ignore-eos", args->ignore_eos, "Keep going past end-of-generation tokens");
  cmd->callback([args, &exit_code] { exit_code = report(run(*args)); });
}

}  // namespace qwl::cli
