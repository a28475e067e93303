// The shared blocks of the Qwen forward pass, over the kernels in ops/.
#include "model/blocks.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/check.h"
#include "base/mmap_file.h"
#include "ops/ops.h"
#include "ops/quant.h"

namespace qwl {

void ForwardContext::prepare() {
  const auto T = static_cast<size_t>(n_tokens);
  s.x_.resize(T * c.n_embd);
  s.xn_.resize(T * c.n_embd);
  s.proj_.resize(T * c.n_embd);
  s.q_.resize(T * c.q_width());
  s.attn_.resize(T * c.q_width());
  s.k_.resize(T * c.kv_width());
  s.v_.resize(T * c.kv_width());
  s.gate_.resize(T * c.n_ff);
  s.up_.resize(T * c.n_ff);
}

void ForwardContext::dump(const char* name, int layer, const std::vector<float>& t,
                          int64_t cols) const {
  if (callback == nullptr) return;
  (*callback)(name, layer, t.data(), n_tokens, cols);
}

namespace blocks {

void embed(ForwardContext& f) {
  const TensorView& table = f.w.token_embd;
  for (int64_t t = 0; t < f.n_tokens; ++t) {
    ops::get_row(table, f.batch.tokens[t], f.s.x_.data() + t * f.c.n_embd);
    if (!f.w.embd_rows_only) continue;
    // The kernel maps up to 64 KiB of the file around each row read ("fault-around"); over a
    // long session that would make most of a large embedding table resident although only a few
    // rows are used. The mapping is read-only and file-backed, so dropping them is free.
    constexpr uintptr_t kAround = 64 << 10;
    const auto row = reinterpret_cast<uintptr_t>(table.row(f.batch.tokens[t]));
    const uintptr_t lo = std::max(row / kAround * kAround, reinterpret_cast<uintptr_t>(table.data));
    const uintptr_t hi = std::min((row + table.row_bytes() + kAround - 1) / kAround * kAround,
                                  reinterpret_cast<uintptr_t>(table.data) + table.n_bytes());
    drop_mapped_pages(reinterpret_cast<const void*>(lo), hi - lo);
  }
  f.dump("inp_embd", -1, f.s.x_, f.c.n_embd);
}

void norm(ForwardContext& f, const std::vector<float>& weight, const char* name, int il) {
  ops::rms_norm_rows(f.s.x_.data(), weight.data(), f.s.xn_.data(), f.n_tokens, f.c.n_embd,
                     f.c.rms_eps);
  f.dump(name, il, f.s.xn_, f.c.n_embd);
}

void qkv_projection(ForwardContext& f, const LayerWeights& l, int il) {
  // One pass over the pool for the three: the activations are quantized once.
  const ops::MatmulOut outs[] = {
      {&l.wq, f.s.q_.data()}, {&l.wk, f.s.k_.data()}, {&l.wv, f.s.v_.data()}};
  ops::matmul_many(outs, f.s.xn_.data(), f.n_tokens, f.pool, f.s.scratch_);
}

void qkv_bias(ForwardContext& f, const LayerWeights& l, int il) {
  for (int64_t t = 0; t < f.n_tokens; ++t) {
    ops::add_in_place(f.s.q_.data() + t * f.c.q_width(), l.bq.data(), f.c.q_width());
    ops::add_in_place(f.s.k_.data() + t * f.c.kv_width(), l.bk.data(), f.c.kv_width());
    ops::add_in_place(f.s.v_.data() + t * f.c.kv_width(), l.bv.data(), f.c.kv_width());
  }
}

void qk_head_norm(ForwardContext& f, const LayerWeights& l, int il) {
  const int64_t T = f.n_tokens;
  ops::rms_norm_rows(f.s.q_.data(), l.q_norm.data(), f.s.q_.data(), T * f.c.n_head, f.c.head_dim,
                     f.c.rms_eps);
  ops::rms_norm_rows(f.s.k_.data(), l.k_norm.data(), f.s.k_.data(), T * f.c.n_head_kv, f.c.head_dim,
                     f.c.rms_eps);
}

namespace {
// Writes one position's K or V row into its block, converting to the cache's type.
void store_kv_row(const KvView& kv, uint8_t* layer_pool, std::span<const int32_t> block_table,
                  int32_t pos, const float* row) {
  uint8_t* dst = layer_pool +
                 static_cast<size_t>(block_table[pos / kv.block_size]) * kv.block_bytes() +
                 static_cast<size_t>(pos % kv.block_size) * kv.position_bytes();
  if (kv.type == DType::kF32) {
    std::memcpy(dst, row, kv.position_bytes());
  } else {
    auto* h = reinterpret_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < kv.kv_width; ++i) h[i] = f32_to_fp16(row[i]);
  }
}
}  // namespace

void attention(ForwardContext& f, const LayerWeights& l, int il) {
  const ModelConfig& c = f.c;
  const int64_t T = f.n_tokens;
  for (int64_t t = 0; t < T; ++t) {
    const int32_t pos = f.batch.positions[t];
    ops::rope_neox(f.s.q_.data() + t * c.q_width(), c.n_head, c.head_dim, pos, c.rope_freq_base);
    ops::rope_neox(f.s.k_.data() + t * c.kv_width(), c.n_head_kv, c.head_dim, pos,
                   c.rope_freq_base);
  }
  f.dump("Qcur", il, f.s.q_, c.q_width());
  f.dump("Kcur", il, f.s.k_, c.kv_width());
  f.dump("Vcur", il, f.s.v_, c.kv_width());

  uint8_t* k_pool = f.kv.k + static_cast<size_t>(il) * f.kv.layer_bytes();
  uint8_t* v_pool = f.kv.v + static_cast<size_t>(il) * f.kv.layer_bytes();
  // Each sequence writes its K/V rows into its own blocks, then attends over them.
  int64_t t0 = 0;
  for (const ForwardSeq& seq : f.seqs) {
    for (int64_t t = t0; t < t0 + seq.n_tokens; ++t) {
      store_kv_row(f.kv, k_pool, seq.block_table, f.batch.positions[t],
                   f.s.k_.data() + t * c.kv_width());
      store_kv_row(f.kv, v_pool, seq.block_table, f.batch.positions[t],
                   f.s.v_.data() + t * c.kv_width());
    }
    ops::AttentionArgs args{
        .q = f.s.q_.data() + t0 * c.q_width(),
        .out = f.s.attn_.data() + t0 * c.q_width(),
        .n_tokens = seq.n_tokens,
        .positions = f.batch.positions.data() + t0,
        .n_head = c.n_head,
        .n_head_kv = c.n_head_kv,
        .head_dim = c.head_dim,
        .scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim)),
        .kv_type = f.kv.type,
        .block_size = f.kv.block_size,
        .block_table = seq.block_table,
        .k_pool = k_pool,
        .v_pool = v_pool,
    };
    ops::attention(args, f.pool);
    t0 += seq.n_tokens;
  }
  f.dump("kqv_out", il, f.s.attn_, c.q_width());

  ops::matmul(l.wo, f.s.attn_.data(), T, f.s.proj_.data(), f.pool, f.s.scratch_);
  f.dump("attn_out", il, f.s.proj_, c.n_embd);
  ops::add_in_place(f.s.x_.data(), f.s.proj_.data(), T * c.n_embd);
  f.dump("ffn_inp", il, f.s.x_, c.n_embd);
}

void feed_forward(ForwardContext& f, const LayerWeights& l, int il) {
  const ModelConfig& c = f.c;
  const int64_t T = f.n_tokens;
  norm(f, l.ffn_norm, "ffn_norm", il);
  const ops::MatmulOut outs[] = {{&l.w_gate, f.s.gate_.data()}, {&l.w_up, f.s.up_.data()}};
  ops::matmul_many(outs, f.s.xn_.data(), T, f.pool, f.s.scratch_);
  ops::silu_mul(f.s.gate_.data(), f.s.up_.data(), f.s.gate_.data(), T * c.n_ff);
  ops::matmul(l.w_down, f.s.gate_.data(), T, f.s.proj_.data(), f.pool, f.s.scratch_);
  f.dump("ffn_out", il, f.s.proj_, c.n_embd);
  ops::add_in_place(f.s.x_.data(), f.s.proj_.data(), T * c.n_embd);
  f.dump("l_out", il, f.s.x_, c.n_embd);
}

void output(ForwardContext& f) {
  const ModelConfig& c = f.c;
  int64_t rows = f.n_tokens;
  if (f.batch.all_logits) {
    ops::rms_norm_rows(f.s.x_.data(), f.w.output_norm.data(), f.s.xn_.data(), rows, c.n_embd,
                       c.rms_eps);
  } else {
    // The last token of each sequence.
    rows = static_cast<int64_t>(f.seqs.size());
    int64_t end = 0;
    for (int64_t r = 0; r < rows; ++r) {
      end += f.seqs[static_cast<size_t>(r)].n_tokens;
      ops::rms_norm_rows(f.s.x_.data() + (end - 1) * c.n_embd, f.w.output_norm.data(),
                         f.s.xn_.data() + r * c.n_embd, 1, c.n_embd, c.rms_eps);
    }
  }
  f.s.logits_.resize(static_cast<size_t>(rows) * c.n_vocab);
  ops::matmul(f.w.output, f.s.xn_.data(), rows, f.s.logits_.data(), f.pool, f.s.scratch_);
  f.s.logit_rows_ = rows;
  if (f.callback != nullptr)
    (*f.callback)("result_output", -1, f.s.logits_.data(), rows, c.n_vocab);
}

}  // namespace blocks
}  // namespace qwl
