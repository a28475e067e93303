// Qwen3 (dense): Qwen2's block without the q/k/v bias and with an RMSNorm over each head of q
// and k before RoPE; the head size is its own hyperparameter (Qwen3-0.6B: 16 heads x 128 over a
// hidden size of 1024).
#include "model/blocks.h"

namespace qwl {

void forward_qwen3(ForwardContext& f) {
  blocks::embed(f);
  for (int il = 0; il < f.c.n_layer; ++il) {
    const LayerWeights& layer = f.w.layers[static_cast<size_t>(il)];
    blocks::norm(f, layer.attn_norm, "attn_norm", il);
    blocks::qkv_projection(f, layer, il);
    blocks::qk_head_norm(f, layer, il);  // the Qwen3 difference: normalised q, k heads
    blocks::attention(f, layer, il);
    blocks::feed_forward(f, layer, il);
  }
  blocks::output(f);
}

}  // namespace qwl
