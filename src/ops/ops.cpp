// Scalar implementations of the float kernels and the generic matmul over ref::vec_dot.
//
// These are the reference: straightforward loops, float accumulation in the order a reader
// expects. Faster versions must agree with them within the bounds stated in their tests.
#include "ops/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "base/check.h"
#include "ops/quant.h"

namespace qwl::ops {

void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps) {
  // Accumulate in double: the mean of squares over thousands of elements loses digits in float,
  // and this costs nothing next to the matmuls.
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(sum / static_cast<double>(n) + eps));
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * w[i];
}

void rms_norm_rows(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps) {
  for (int64_t r = 0; r < n_rows; ++r) rms_norm(x + r * n, w, y + r * n, n, eps);
}

void rope_neox(float* x, int n_head, int head_dim, int32_t pos, float freq_base) {
  const int half = head_dim / 2;
  // Angles computed in double then rounded: positions reach 10^5 and float products of that
  // size lose the low bits that decide sin/cos.
  float cos_t[512], sin_t[512];
  QWL_CHECK(half <= 512, "head_dim {} too large", head_dim);
  for (int i = 0; i < half; ++i) {
    const double inv_freq = std::pow(static_cast<double>(freq_base), -2.0 * i / head_dim);
    const double angle = static_cast<double>(pos) * inv_freq;
    cos_t[i] = static_cast<float>(std::cos(angle));
    sin_t[i] = static_cast<float>(std::sin(angle));
  }
  for (int h = 0; h < n_head; ++h) {
    float* v = x + static_cast<int64_t>(h) * head_dim;
    for (int i = 0; i < half; ++i) {
      const float a = v[i];
      const float b = v[i + half];
      v[i] = a * cos_t[i] - b * sin_t[i];
      v[i + half] = b * cos_t[i] + a * sin_t[i];
    }
  }
}

void softmax(float* x, int64_t n) {
  float max_v = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) max_v = std::max(max_v, x[i]);
  if (max_v == -std::numeric_limits<float>::infinity()) {
    std::fill(x, x + n, 0.0f);
    return;
  }
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max_v);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void add_in_place(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void matmul(const TensorView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool,
            Scratch& scratch) {
  const int64_t n_in = w.ne[0];
  const int64_t n_out = w.n_rows();
  const DType act_type = vec_dot_type(w.type);
  const size_t act_row = row_size(act_type, n_in);
  uint8_t* act = scratch.get(act_row * static_cast<size_t>(n_tokens));
  for (int64_t t = 0; t < n_tokens; ++t)
    ref::quantize_row(act_type, x + t * n_in, act + static_cast<size_t>(t) * act_row, n_in);
  pool.parallel_for(n_out, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const uint8_t* wr = w.row(r);
      for (int64_t t = 0; t < n_tokens; ++t)
        y[t * n_out + r] = ref::vec_dot(w.type, n_in, wr, act + static_cast<size_t>(t) * act_row);
    }
  });
}

void get_row(const TensorView& table, int64_t row, float* out) {
  QWL_CHECK(row >= 0 && row < table.n_rows(), "row {} outside table of {} rows", row,
            table.n_rows());
  ref::dequantize_row(table.type, table.row(row), out, table.ne[0]);
}

namespace {
inline float kv_at(DType type, const uint8_t* row, int64_t i) {
  if (type == DType::kF32) return reinterpret_cast<const float*>(row)[i];
  return fp16_to_f32(reinterpret_cast<const uint16_t*>(row)[i]);
}
}  // namespace

void attention(const AttentionArgs& a, ThreadPool& pool) {
  QWL_CHECK(a.kv_type == DType::kF32 || a.kv_type == DType::kF16, "KV type must be F32 or F16");
  QWL_CHECK(a.n_head % a.n_head_kv == 0, "n_head {} not a multiple of n_head_kv {}", a.n_head,
            a.n_head_kv);
  const int group = a.n_head / a.n_head_kv;
  const int64_t kv_width = static_cast<int64_t>(a.n_head_kv) * a.head_dim;
  const size_t elem = a.kv_type == DType::kF32 ? 4 : 2;
  const size_t pos_bytes = static_cast<size_t>(kv_width) * elem;
  const size_t block_bytes = pos_bytes * static_cast<size_t>(a.block_size);
  const int64_t q_width = static_cast<int64_t>(a.n_head) * a.head_dim;

  pool.parallel_for(a.n_tokens * a.n_head, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> scores;
    for (int64_t job = begin; job < end; ++job) {
      const int64_t t = job / a.n_head;
      const int h = static_cast<int>(job % a.n_head);
      const int64_t n_kv = static_cast<int64_t>(a.positions[t]) + 1;
      QWL_CHECK(
          static_cast<size_t>((n_kv + a.block_size - 1) / a.block_size) <= a.block_table.size(),
          "position {} outside the sequence's {} blocks", n_kv - 1, a.block_table.size());
      const float* q = a.q + t * q_width + static_cast<int64_t>(h) * a.head_dim;
      const int64_t head_off = static_cast<int64_t>(h / group) * a.head_dim;
      scores.resize(static_cast<size_t>(n_kv));
      for (int64_t p = 0; p < n_kv; ++p) {
        const uint8_t* krow = a.k_pool +
                              static_cast<size_t>(a.block_table[p / a.block_size]) * block_bytes +
                              static_cast<size_t>(p % a.block_size) * pos_bytes;
        float dot = 0.0f;
        for (int i = 0; i < a.head_dim; ++i) dot += q[i] * kv_at(a.kv_type, krow, head_off + i);
        scores[p] = dot * a.scale;
      }
      softmax(scores.data(), n_kv);
      float* o = a.out + t * q_width + static_cast<int64_t>(h) * a.head_dim;
      std::fill(o, o + a.head_dim, 0.0f);
      for (int64_t p = 0; p < n_kv; ++p) {
        const uint8_t* vrow = a.v_pool +
                              static_cast<size_t>(a.block_table[p / a.block_size]) * block_bytes +
                              static_cast<size_t>(p % a.block_size) * pos_bytes;
        const float s = scores[p];
        for (int i = 0; i < a.head_dim; ++i) o[i] += s * kv_at(a.kv_type, vrow, head_off + i);
      }
    }
  });
}

}  // namespace qwl::ops
