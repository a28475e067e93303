// The local engine as the commands that serve a model start it: the model loaded from -m, its
// chat template, the batch scheduler and the OpenAI Engine record over them (`serve` and
// `chat` share this, so both run the model the same way).
//
// KV cache size by default: room for 4 full contexts, but at most 1 GiB (and at least one
// context). Errors: the model's load errors (with its path), Unsupported when the file has no
// chat template. Thread-safety: load once; the Engine it holds is then used as openai.h says.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "cli/common.h"
#include "model/model.h"
#include "runtime/scheduler.h"
#include "server/openai_service.h"

namespace qwl::cli {

struct LocalEngineOptions {
  std::string model_name;  // the id clients pass as "model" (default: the file name)
  int parallel = 16;       // sequences at once
  int queue = 64;
  int batch_tokens = 512;
  int64_t kv_positions = 0;  // 0: the default above
  bool prefix_cache = true;
};

struct LocalEngine {
  std::unique_ptr<Model> model;
  std::unique_ptr<Scheduler> scheduler;
  std::optional<openai::Engine> engine;  // set once loaded
  double load_seconds = 0;

  ~LocalEngine();  // shuts the scheduler down
};

Result<std::unique_ptr<LocalEngine>> load_local_engine(const EngineOptions& engine,
                                                       const LocalEngineOptions& options);

// The "model" id of a model file or folder: --model-name, else the file's stem.
std::string local_model_id(const EngineOptions& engine, const std::string& model_name);

}  // namespace qwl::cli
