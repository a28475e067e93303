// Loading the local engine (see local_engine.h).
#include "cli/local_engine.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "base/log.h"
#include "base/thread_pool.h"
#include "chat/chat_template.h"
#include "runtime/constraint_vocab.h"

namespace qwl::cli {
namespace {

// The model file's modification time in Unix seconds (0 if unknown).
int64_t file_time(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_mtime) : 0;
}

}  // namespace

LocalEngine::~LocalEngine() {
  if (scheduler) scheduler->shutdown();
}

std::string local_model_id(const EngineOptions& engine, const std::string& model_name) {
  if (!model_name.empty()) return model_name;
  std::filesystem::path p(engine.model_path());
  if (p.filename().empty()) p = p.parent_path();
  return p.extension() == ".gguf" ? p.stem().string() : p.filename().string();
}

Result<std::unique_ptr<LocalEngine>> load_local_engine(const EngineOptions& e,
                                                       const LocalEngineOptions& options) {
  Stopwatch watch;
  auto local = std::make_unique<LocalEngine>();
  const int threads = e.thread_count();
  {
    ThreadPool load_pool(threads);
    QWL_ASSIGN_OR_RETURN(local->model, Model::load(e.model_path(), e.load_options(&load_pool)));
  }
  const Model& model = *local->model;
  const std::string& tmpl_source = model.chat_template();
  if (tmpl_source.empty()) {
    return UnsupportedError("{} has no chat template (tokenizer.chat_template)", e.model_path());
  }
  auto tmpl = ChatTemplate::parse(tmpl_source);
  if (!tmpl.ok()) return tmpl.status().with_context(e.model_path());
  const int64_t ctx = e.ctx_size;
  SchedulerOptions sched_options{
      .n_threads = threads,
      .ctx_size = ctx,
      .kv_blocks = 0,
      .kv_type = e.kv_type == "f32" ? DType::kF32 : DType::kF16,
      .max_running = options.parallel,
      .max_queue = options.queue,
      .max_batch_tokens = options.batch_tokens,
      .prefix_cache = options.prefix_cache,
  };
  const int64_t bytes_per_position = int64_t{2} * model.config().n_layer *
                                     model.config().kv_width() *
                                     (sched_options.kv_type == DType::kF32 ? 4 : 2);
  const int64_t positions =
      options.kv_positions > 0
          ? options.kv_positions
          : std::max(ctx, std::min(4 * ctx, (int64_t{1} << 30) / bytes_per_position));
  sched_options.kv_blocks = (positions + sched_options.block_size - 1) / sched_options.block_size;
  QWL_ASSIGN_OR_RETURN(local->scheduler, Scheduler::create(model, sched_options));
  local->engine.emplace(openai::Engine{.model = local->model.get(),
                                       .scheduler = local->scheduler.get(),
                                       .chat_template = std::move(tmpl).value(),
                                       .model_id = local_model_id(e, options.model_name),
                                       .created = file_time(e.model_path()),
                                       .vocab = ConstraintVocab::build(model.tokenizer())});
  local->load_seconds = watch.elapsed_s();
  return local;
}

}  // namespace qwl::cli
