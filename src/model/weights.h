// ModelWeights: the tensors of a Qwen model, looked up by their GGUF names, shape-checked
// against the config, and ready for the kernels.
//
// 2-D weights are views into the mapped model file (no copy). 1-D tensors (norm scales, biases)
// are small and read on every token, so they are converted once to owned F32 vectors whatever
// their stored type. Errors name the model path and the tensor.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "format/model_file.h"
#include "model/config.h"
#include "ops/tensor.h"

namespace qwl {

struct LayerWeights {
  std::vector<float> attn_norm;   // (n_embd)
  TensorView wq;                  // (n_embd -> n_head*head_dim)
  TensorView wk;                  // (n_embd -> n_head_kv*head_dim)
  TensorView wv;                  // (n_embd -> n_head_kv*head_dim)
  std::vector<float> bq, bk, bv;  // Qwen2 only: (q_width), (kv_width), (kv_width)
  std::vector<float> q_norm;      // Qwen3 only: (head_dim)
  std::vector<float> k_norm;      // Qwen3 only: (head_dim)
  TensorView wo;                  // (n_head*head_dim -> n_embd)
  std::vector<float> ffn_norm;    // (n_embd)
  TensorView w_gate;              // (n_embd -> n_ff)
  TensorView w_up;                // (n_embd -> n_ff)
  TensorView w_down;              // (n_ff -> n_embd)
};

struct ModelWeights {
  TensorView token_embd;           // (n_vocab rows of n_embd)
  std::vector<float> output_norm;  // (n_embd)
  TensorView output;               // (n_embd -> n_vocab); token_embd when tied
  std::vector<LayerWeights> layers;

  // Looks up and checks every tensor the config needs. Tensors the model does not use are
  // ignored (with a debug log). Errors: NotFound (missing tensor), Corrupt (wrong shape),
  // Unsupported (a type without kernels).
  static Result<ModelWeights> load(const ModelFile& file, const ModelConfig& config);
};

}  // namespace qwl
