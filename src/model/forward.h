// The forward pass's inputs, outputs and working memory, shared by every architecture file.
//
// KvView is the model's window onto a paged KV cache owned by the runtime layer: for each layer,
// a pool of blocks of block_size positions, each position a row of kv_width values (F32 or F16),
// K and V in separate pools. A batch carries the block table of its sequence; the model writes
// the new positions' K/V rows into their blocks and reads all earlier ones.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "ops/dtype.h"
#include "ops/ops.h"

namespace qwl {

struct KvView {
  DType type = DType::kF16;  // F32 or F16
  int block_size = 0;        // positions per block
  int64_t n_blocks = 0;      // blocks per layer
  int64_t kv_width = 0;      // n_head_kv * head_dim
  uint8_t* k = nullptr;      // (n_layer, n_blocks, block_size, kv_width)
  uint8_t* v = nullptr;      // (n_layer, n_blocks, block_size, kv_width)

  size_t position_bytes() const {
    return static_cast<size_t>(kv_width) * (type == DType::kF32 ? 4 : 2);
  }
  size_t block_bytes() const { return position_bytes() * static_cast<size_t>(block_size); }
  size_t layer_bytes() const { return block_bytes() * static_cast<size_t>(n_blocks); }
};

// One sequence's share of a batch: its tokens are the next n_tokens of ForwardBatch::tokens.
struct ForwardSeq {
  int64_t n_tokens = 0;
  std::span<const int32_t> block_table;  // the sequence's blocks, in position order
};

// Tokens to run through the model: one sequence's (prefill: many, decode: one), or the tokens of
// several sequences at once (continuous batching: each matrix is read once for all of them).
// With `seqs` empty the batch is one sequence whose blocks are `block_table`; otherwise the
// tokens are the concatenation of the sequences' tokens, in the order of `seqs`, and
// block_table is unused. A token attends to the positions of its own sequence only.
struct ForwardBatch {
  std::span<const int32_t> tokens;       // (T)
  std::span<const int32_t> positions;    // (T), each < its sequence's blocks * block_size
  std::span<const int32_t> block_table;  // the single sequence's blocks (when seqs is empty)
  std::span<const ForwardSeq> seqs;      // several sequences; their n_tokens sum to T
  // Logits for every token, or only for the last token of each sequence (one row per sequence,
  // in order).
  bool all_logits = false;
};

// Called with each named intermediate (GGUF-style names: "attn_norm", "ffn_out", layer index or
// -1) as (rows, cols) row-major floats, so a divergence from a reference can be bisected.
using TensorCallback = std::function<void(std::string_view name, int layer, const float* data,
                                          int64_t rows, int64_t cols)>;

// Working memory of one forward pass; reused across calls (buffers only grow).
// Not thread-safe: one state per concurrently running forward.
class ForwardState {
 public:
  // Logits of the last forward: (rows, n_vocab); rows = T with all_logits, else one per
  // sequence of the batch.
  std::span<const float> logits() const { return {logits_.data(), logits_.size()}; }
  int64_t logit_rows() const { return logit_rows_; }

  // The buffers below belong to the model layer's blocks (blocks.cpp); other code reads
  // results through logits() only.
  std::vector<float> x_, xn_, q_, k_, v_, attn_, proj_, gate_, up_;  // (T, width) each
  std::vector<float> logits_;
  int64_t logit_rows_ = 0;
  ops::Scratch scratch_;
};

}  // namespace qwl
