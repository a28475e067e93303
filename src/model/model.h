// Model: a loaded Qwen model — file, config, weights and tokenizer — and its forward pass.
//
// Loading maps the file (GGUF, or a Hugging Face folder read in place), reads the config from
// its metadata, checks every tensor's shape and type, and builds the tokenizer from the same
// metadata. A Model is immutable after load() and safe to share between threads; each thread
// that runs forward() brings its own ForwardState, KV memory and ThreadPool.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "base/thread_pool.h"
#include "format/model_file.h"
#include "model/config.h"
#include "model/forward.h"
#include "model/weights.h"
#include "tokenizer/tokenizer.h"

namespace qwl {

struct ModelLoadOptions {
  // Repack the matrices for the active ISA level's kernels (faster decode; the file's pages of
  // repacked tensors leave resident memory). Choose the ISA level before loading.
  bool pack = true;
  ThreadPool* pool = nullptr;  // splits the repacking over these threads; null = this thread
};

class Model {
 public:
  // Errors: those of ModelFile::open, then Unsupported (architecture, tensor type), NotFound
  // (missing tensor or tokenizer key), Corrupt (shapes, values) — all naming the path.
  static Result<std::unique_ptr<Model>> load(const std::string& path,
                                             const ModelLoadOptions& options = {});

  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }
  const ModelFile& file() const { return file_; }
  // The chat template stored with the model (tokenizer.chat_template), or empty.
  const std::string& chat_template() const { return chat_template_; }
  // Bytes of weights read per generated token: every matrix but an untied token_embd (only
  // one row of it is read), plus the 1-D tensors. The numerator of decode GB/s.
  int64_t weight_bytes_per_token() const;

  // Runs the batch through the model, writing its K/V rows into `kv` and the logits into
  // `state`. Errors: InvalidArgument for a token outside the vocabulary, a position outside
  // its sequence's blocks, sequences whose token counts do not add up, or an empty batch.
  Status forward(const ForwardBatch& batch, const KvView& kv, ForwardState& state, ThreadPool& pool,
                 const TensorCallback* callback = nullptr) const;

 private:
  Model(ModelFile file, ModelConfig config, ModelWeights weights, Tokenizer tokenizer)
      : file_(std::move(file)),
        config_(std::move(config)),
        weights_(std::move(weights)),
        tokenizer_(std::move(tokenizer)) {}

  ModelFile file_;
  ModelConfig config_;
  ModelWeights weights_;
  Tokenizer tokenizer_;
  std::string chat_template_;
};

}  // namespace qwl
