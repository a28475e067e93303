// Shared blocks of the Qwen forward pass. Each architecture file (qwen2.cpp, qwen3.cpp) is a
// top-down list of these calls; kernels live in ops/, so no block knows an instruction set.
// Internal to the model layer.
#pragma once

#include "base/thread_pool.h"
#include "model/config.h"
#include "model/forward.h"
#include "model/weights.h"

namespace qwl {

struct ForwardContext {
  const ModelConfig& c;
  const ModelWeights& w;
  ForwardState& s;
  const KvView& kv;
  const ForwardBatch& batch;
  std::span<const ForwardSeq> seqs;  // at least one; their tokens are consecutive in the batch
  ThreadPool& pool;
  const TensorCallback* callback;
  int64_t n_tokens;  // T

  // Sizes the state's buffers for T tokens.
  void prepare();
  // Reports an intermediate (rows x cols) to the callback, if any.
  void dump(const char* name, int layer, const std::vector<float>& t, int64_t cols) const;
};

namespace blocks {
// x (T, n_embd) = rows of token_embd.
void embed(ForwardContext& f);
// xn = rms_norm(x) * weight, per token.
void norm(ForwardContext& f, const std::vector<float>& weight, const char* name, int il);
// q, k, v = xn @ wq, wk, wv.
void qkv_projection(ForwardContext& f, const LayerWeights& l, int il);
// q, k, v += bq, bk, bv (Qwen2).
void qkv_bias(ForwardContext& f, const LayerWeights& l, int il);
// RMSNorm over each head of q and of k (Qwen3).
void qk_head_norm(ForwardContext& f, const LayerWeights& l, int il);
// RoPE on q and k, K/V rows into the cache, causal attention, x += attn @ wo.
void attention(ForwardContext& f, const LayerWeights& l, int il);
// x += down(silu(xn @ gate) * (xn @ up)), where xn = ffn_norm(x).
void feed_forward(ForwardContext& f, const LayerWeights& l, int il);
// logits = output_norm(x) @ output, for every token or the last one of each sequence.
void output(ForwardContext& f);
}  // namespace blocks

// The architectures, one file each.
void forward_qwen2(ForwardContext& f);
void forward_qwen3(ForwardContext& f);

}  // namespace qwl
