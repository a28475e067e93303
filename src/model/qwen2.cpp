// Qwen2 / Qwen2.5: pre-norm decoder blocks with grouped-query attention whose q/k/v projections
// carry a bias, RoPE (NeoX layout), SwiGLU feed-forward, RMSNorm everywhere.
#include "model/blocks.h"

namespace qwl {

void forward_qwen2(ForwardContext& f) {
  blocks::embed(f);
  for (int il = 0; il < f.c.n_layer; ++il) {
    const LayerWeights& layer = f.w.layers[static_cast<size_t>(il)];
    blocks::norm(f, layer.attn_norm, "attn_norm", il);
    blocks::qkv_projection(f, layer, il);
    blocks::qkv_bias(f, layer, il);  // the Qwen2 difference: biased q, k, v
    blocks::attention(f, layer, il);
    blocks::feed_forward(f, layer, il);
  }
  blocks::output(f);
}

}  // namespace qwl
