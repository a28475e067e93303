// ModelWeights: the tensors of a Qwen model, looked up by their GGUF names, shape-checked
// against the config, and ready for the kernels.
//
// 2-D weights are views into the mapped model file, repacked at load (ops::PackedWeight) for the
// kernels of the active ISA level where a packed layout exists; the mapped pages of a repacked
// tensor are then dropped from resident memory, so a model costs its file size once, not twice.
// 1-D tensors (norm scales, biases) are small and read on every token, so they are converted
// once to owned F32 vectors whatever their stored type. Errors name the model path and the
// tensor. Move-only.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "format/model_file.h"
#include "model/config.h"
#include "ops/ops.h"
#include "ops/tensor.h"

namespace qwl {

struct LayerWeights {
  std::vector<float> attn_norm;   // (n_embd)
  ops::PackedWeight wq;           // (n_embd -> n_head*head_dim)
  ops::PackedWeight wk;           // (n_embd -> n_head_kv*head_dim)
  ops::PackedWeight wv;           // (n_embd -> n_head_kv*head_dim)
  std::vector<float> bq, bk, bv;  // Qwen2 only: (q_width), (kv_width), (kv_width)
  std::vector<float> q_norm;      // Qwen3 only: (head_dim)
  std::vector<float> k_norm;      // Qwen3 only: (head_dim)
  ops::PackedWeight wo;           // (n_head*head_dim -> n_embd)
  std::vector<float> ffn_norm;    // (n_embd)
  ops::PackedWeight w_gate;       // (n_embd -> n_ff)
  ops::PackedWeight w_up;         // (n_embd -> n_ff)
  ops::PackedWeight w_down;       // (n_ff -> n_embd)
};

struct ModelWeights {
  TensorView token_embd;           // (n_vocab rows of n_embd)
  std::vector<float> output_norm;  // (n_embd)
  ops::PackedWeight output;        // (n_embd -> n_vocab); token_embd's data when tied
  std::vector<LayerWeights> layers;
  // token_embd is read only row by row (get_row): its pages are dropped again after each lookup.
  // False when the table is also the (unpacked) output matrix, read whole every token.
  bool embd_rows_only = true;

  // Looks up and checks every tensor the config needs, and repacks the matrices when `pack`
  // (splitting the work over `pool` if given). Tensors the model does not use are ignored.
  // Errors: NotFound (missing tensor), Corrupt (wrong shape), Unsupported (a type without
  // kernels).
  static Result<ModelWeights> load(const ModelFile& file, const ModelConfig& config,
                                   bool pack = true, ThreadPool* pool = nullptr);
};

}  // namespace qwl
