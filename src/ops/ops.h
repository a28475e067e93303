// Float kernels of the forward pass and the matmul entry point.
//
// Shapes follow the row-major convention of the model code: an activation matrix (T, n) is T
// rows of n contiguous floats, one row per token. Weights are TensorViews in ggml's convention
// (ne[0] = n_in contiguous, ne[1] = n_out rows). Every kernel here has a scalar implementation;
// the SIMD versions are chosen at start-up behind the same functions.
//
// Thread-safety: kernels are pure functions of their arguments; those taking a ThreadPool split
// their work across it and return when all of it is done.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/thread_pool.h"
#include "ops/isa.h"
#include "ops/tensor.h"

namespace qwl::ops {

// y = x / sqrt(mean(x^2) + eps) * w, over n elements. x and y may alias.
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps);

// The same applied to each of n_rows rows of length n (e.g. per-head norms).
void rms_norm_rows(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps);

// Rotary position embedding in the NeoX layout (the first and second halves of each head are
// rotated as pairs (i, i + head_dim/2)), in place on x = (n_head, head_dim) for one position.
// Frequencies: theta_i = pos * base^(-2i/head_dim), i in [0, head_dim/2).
void rope_neox(float* x, int n_head, int head_dim, int32_t pos, float freq_base);

// In-place softmax over n values (max-subtracted; all -inf gives zeros).
void softmax(float* x, int64_t n);

// out = silu(gate) * up, elementwise; out may alias gate or up.
void silu_mul(const float* gate, const float* up, float* out, int64_t n);

// y += x over n elements.
void add_in_place(float* y, const float* x, int64_t n);

// Reusable byte buffer for kernels' temporaries (quantized activations); grows, never shrinks.
class Scratch {
 public:
  uint8_t* get(size_t bytes) {
    if (buf_.size() < bytes) buf_.resize(bytes);
    return buf_.data();
  }

 private:
  std::vector<uint8_t> buf_;
};

// y (T, n_out) = x (T, n_in) @ w^T, with w a 2-D weight (ne[0] = n_in, ne[1] = n_out) of any
// type with has_vec_dot(). Activations are first converted to vec_dot_type(w.type), as ggml
// does, so quantized weights see int8 activations. Output rows are split across the pool.
void matmul(const TensorView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool,
            Scratch& scratch);

// A matmul weight repacked at load time for the kernels of the active ISA level.
//
// Packing interleaves each panel of rows (16 with AVX-512, 8 with AVX2) block by block, so a
// matmul streams the weight once, in order, with plain vector loads instead of gathering 16
// short row streams and transposing them: decode (one token) runs markedly faster. The packed
// copy has the size of the original (the last panel is padded with zero rows) and is owned by
// this object; the view it was made from must stay valid too (it is used for types and levels
// without a packed layout, and if the active level changes after packing). matmul() gives the
// same results, bit for bit, on a PackedWeight as on its view.
//
// Packed layouts exist for Q4_0, Q5_0, Q8_0, Q4_K and Q6_K at the AVX2 and AVX-512 levels; other
// types and the scalar level keep the view only (packed() is false). Immutable after
// construction, so thread-safe to share.
class PackedWeight {
 public:
  PackedWeight() = default;
  // Packs w for the active ISA level, splitting the work over pool if one is given. With
  // drop_source, the mapped pages of w's rows leave resident memory as soon as they are packed
  // (base/mmap_file.h drop_mapped_pages), so packing a file-backed weight never holds two copies
  // of it; w stays readable (pages come back from the file).
  explicit PackedWeight(const TensorView& w, ThreadPool* pool = nullptr, bool drop_source = false);
  // Keeps the view only (matmul reads the view as the plain matmul does).
  static PackedWeight unpacked(const TensorView& w) {
    PackedWeight p;
    p.view_ = w;
    return p;
  }
  PackedWeight(PackedWeight&&) noexcept = default;
  PackedWeight& operator=(PackedWeight&&) noexcept = default;
  PackedWeight(const PackedWeight&) = delete;
  PackedWeight& operator=(const PackedWeight&) = delete;

  const TensorView& view() const { return view_; }
  bool packed() const { return bytes_ != nullptr; }
  Isa isa() const { return isa_; }  // the level the bytes were packed for
  const uint8_t* packed_data() const { return bytes_.get(); }
  size_t packed_bytes() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  TensorView view_;
  Isa isa_ = Isa::kScalar;
  std::unique_ptr<uint8_t[], Free> bytes_;
  size_t size_ = 0;
};

// matmul over a packed weight: the contract and the results of matmul(w.view(), ...).
void matmul(const PackedWeight& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool,
            Scratch& scratch);

// Several matmuls of the same input (q, k and v; gate and up): y_i (T, n_out_i) = x @ w_i^T.
// The activations are converted once per activation format (not once per weight) and all
// outputs are computed in one pass over the pool. Results equal separate matmul() calls, bit
// for bit. Weights may differ in type and shape (n_in must be the same).
struct MatmulOut {
  const PackedWeight* w = nullptr;
  float* y = nullptr;  // (n_tokens, w->view().n_rows())
};
void matmul_many(std::span<const MatmulOut> outs, const float* x, int64_t n_tokens,
                 ThreadPool& pool, Scratch& scratch);

// Copies row `row` of an embedding table (any dequantizable type) to out as floats.
void get_row(const TensorView& table, int64_t row, float* out);

// Causal attention over a paged KV cache for the tokens of one sequence.
//
// The cache for one layer is a pool of blocks; block b holds block_size positions, each a row of
// n_head_kv * head_dim values (K and V pools alike), of type kv_type (F32 or F16). The
// sequence's positions live in blocks block_table[pos / block_size] at slot pos % block_size.
// Query token t (q row t: n_head * head_dim floats) attends to positions [0, positions[t]].
// Grouped-query: query head h reads KV head h / (n_head / n_head_kv).
struct AttentionArgs {
  const float* q = nullptr;  // (n_tokens, n_head * head_dim)
  float* out = nullptr;      // (n_tokens, n_head * head_dim)
  int64_t n_tokens = 0;
  const int32_t* positions = nullptr;  // (n_tokens)
  int n_head = 0;
  int n_head_kv = 0;
  int head_dim = 0;
  float scale = 1.0f;  // usually 1/sqrt(head_dim)
  DType kv_type = DType::kF32;
  int block_size = 0;                    // positions per block
  std::span<const int32_t> block_table;  // block ids of this sequence, in order
  const uint8_t* k_pool = nullptr;       // (n_blocks, block_size, n_head_kv * head_dim)
  const uint8_t* v_pool = nullptr;       // (n_blocks, block_size, n_head_kv * head_dim)
};
void attention(const AttentionArgs& args, ThreadPool& pool);

}  // namespace qwl::ops
