// ModelConfig: the hyperparameters of a Qwen model as plain data, read from a model's metadata
// (GGUF keys; Hugging Face folders are translated to the same keys by the format layer).
//
// Qwen2/Qwen2.5 and Qwen3 dense differ only in the flags below (QKV bias, per-head q/k norm)
// and in whether the head size is tied to n_embd / n_head. validate() rejects anything the
// forward pass cannot run, with a message that names the key.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "format/metadata.h"

namespace qwl {

enum class Arch { kQwen2, kQwen3 };

struct ModelConfig {
  Arch arch = Arch::kQwen2;
  std::string arch_name;  // "qwen2" | "qwen3", the metadata key prefix
  std::string name;       // general.name, informational
  int n_layer = 0;        // transformer blocks
  int n_embd = 0;         // hidden size
  int n_ff = 0;           // feed-forward inner size
  int n_head = 0;         // query heads
  int n_head_kv = 0;      // key/value heads (GQA: n_head % n_head_kv == 0)
  int head_dim = 0;       // per-head size (Qwen3-0.6B: 128 with n_embd 1024 and 16 heads)
  int n_vocab = 0;        // rows of token_embd
  int n_ctx_train = 0;    // context length the model was trained for
  float rope_freq_base = 10000.0f;
  float rms_eps = 1e-6f;
  bool qkv_bias = false;         // Qwen2: q/k/v projections carry a bias
  bool qk_norm = false;          // Qwen3: RMSNorm over each head of q and k before RoPE
  bool tied_embeddings = false;  // no output.weight: logits use token_embd

  int q_width() const { return n_head * head_dim; }
  int kv_width() const { return n_head_kv * head_dim; }

  // Reads the config from metadata. n_vocab comes from the token_embd tensor (passed in),
  // since vocab size is not a required key. Errors: NotFound / Corrupt naming the key,
  // Unsupported for another architecture.
  static Result<ModelConfig> from_metadata(const Metadata& meta, int64_t n_vocab);

  Status validate() const;
};

}  // namespace qwl
