// The ops of ops.h: argument checks, work splitting across the thread pool, and one call into
// the active kernel table (kernels.h) per op. The reference matmul and attention (the scalar
// level's, and the fallback for types and shapes without SIMD kernels) live here too.
//
// Work is always split in a way that does not depend on the number of threads (row panels of
// the kernel's alignment, KV chunks of a fixed length), so results are the same for any pool.
#include "ops/ops.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "base/check.h"
#include "base/mmap_file.h"
#include "ops/kernels.h"
#include "ops/quant.h"

namespace qwl::ops {
namespace {

// --- Reference matmul and attention (the scalar level) ---------------------------------------

void matmul_reference(const TensorView& w, const float* x, int64_t n_tokens, float* y,
                      ThreadPool& pool, Scratch& scratch) {
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

inline float kv_at(DType type, const uint8_t* row, int64_t i) {
  if (type == DType::kF32) return reinterpret_cast<const float*>(row)[i];
  return fp16_to_f32(reinterpret_cast<const uint16_t*>(row)[i]);
}

void attention_reference(const AttentionArgs& a, ThreadPool& pool) {
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
      scalar_kernels().softmax(scores.data(), n_kv);
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

// --- Chunked attention over the kernel table --------------------------------------------------

// KV positions per work item when one sequence's few queries must be spread over threads
// (decode). A fixed length, not one derived from the pool size, keeps results independent of the
// number of threads.
constexpr int64_t kKvChunk = 256;
// Query rows (tokens x heads of a group) per work item: enough to reuse each K/V row loaded.
constexpr int kQueriesPerItem = 32;

void attention_chunked(const AttentionArgs& a, const Kernels& k, ThreadPool& pool) {
  const int group = a.n_head / a.n_head_kv;
  const int64_t tile = std::max<int64_t>(1, kQueriesPerItem / group);
  const int64_t n_tiles = (a.n_tokens + tile - 1) / tile;
  // Split the KV range only when there are too few (token tile, KV head) items to share.
  const bool split_kv = n_tiles * a.n_head_kv < 8;

  struct Item {
    AttnChunk c;
    size_t offset;  // into the partial buffer, in floats
  };
  // Per calling thread, reused across calls. The lambdas below run on pool threads, so they
  // must reach these through the local references (a thread_local named inside a lambda is the
  // executing thread's own).
  thread_local std::vector<Item> items_storage;
  thread_local std::vector<float> partial_storage;
  std::vector<Item>& items = items_storage;
  std::vector<float>& partial = partial_storage;
  items.clear();
  const int d = a.head_dim;
  size_t floats = 0;
  for (int64_t ti = 0; ti < n_tiles; ++ti) {
    const int64_t t0 = ti * tile, t1 = std::min(a.n_tokens, t0 + tile);
    int64_t limit = 0;
    for (int64_t t = t0; t < t1; ++t) limit = std::max<int64_t>(limit, a.positions[t] + 1);
    const int64_t chunk = split_kv ? kKvChunk : limit;
    const auto n_q = static_cast<size_t>((t1 - t0) * group);
    for (int kh = 0; kh < a.n_head_kv; ++kh) {
      for (int64_t p0 = 0; p0 < limit; p0 += chunk) {
        items.push_back({{kh, t0, t1, p0, std::min(limit, p0 + chunk)}, floats});
        floats += n_q * static_cast<size_t>(d + 2);
      }
    }
  }
  partial.resize(floats);
  float* base = partial.data();

  // Items differ in cost (causal ranges), so threads take them one at a time.
  std::atomic<size_t> next{0};
  pool.run([&](int, int) {
    for (size_t i = next.fetch_add(1); i < items.size(); i = next.fetch_add(1)) {
      const Item& it = items[i];
      const auto n_q = static_cast<size_t>((it.c.t1 - it.c.t0) * group);
      float* p = base + it.offset;
      k.attn_chunk(a, it.c, {.m = p, .l = p + n_q, .o = p + 2 * n_q});
    }
  });

  // Merge the chunks of each (token, head) in KV order and normalise; in parallel only when
  // there is enough of it (decode merges a few heads).
  const int64_t q_width = static_cast<int64_t>(a.n_head) * d;
  auto merge = [&](int64_t begin, int64_t end) {
    // An item range may start inside a run of chunks of the same (tile, KV head); only the
    // thread holding the run's first chunk merges it.
    for (int64_t i = begin; i < end; ++i) {
      const Item& first = items[i];
      if (first.c.p0 != 0) continue;
      int64_t last = i;
      while (last + 1 < static_cast<int64_t>(items.size()) && items[last + 1].c.p0 != 0 &&
             items[last + 1].c.kv_head == first.c.kv_head && items[last + 1].c.t0 == first.c.t0)
        ++last;
      const int64_t n_tok = first.c.t1 - first.c.t0;
      const auto n_q = static_cast<size_t>(n_tok * group);
      for (size_t qi = 0; qi < n_q; ++qi) {
        const int64_t t = first.c.t0 + static_cast<int64_t>(qi) / group;
        const int h = first.c.kv_head * group + static_cast<int>(qi % group);
        float* out = a.out + t * q_width + static_cast<int64_t>(h) * d;
        float m = -std::numeric_limits<float>::infinity();
        for (int64_t j = i; j <= last; ++j) m = std::max(m, base[items[j].offset + qi]);
        float l = 0.0f;
        std::fill(out, out + d, 0.0f);
        for (int64_t j = i; j <= last; ++j) {
          const float* p = base + items[j].offset;
          const float mj = p[qi];
          if (mj == -std::numeric_limits<float>::infinity()) continue;
          const float f = std::exp(mj - m);
          l += p[n_q + qi] * f;
          const float* o = p + 2 * n_q + qi * static_cast<size_t>(d);
          for (int e = 0; e < d; ++e) out[e] += o[e] * f;
        }
        const float inv = l > 0.0f ? 1.0f / l : 0.0f;
        for (int e = 0; e < d; ++e) out[e] *= inv;
      }
    }
  };
  const auto n_items = static_cast<int64_t>(items.size());
  if (a.n_tokens * a.n_head * d < 4096) {
    merge(0, n_items);
  } else {
    pool.parallel_for(n_items, merge);
  }
}

// cos/sin of pos * base^(-2i/head_dim) for i < head_dim/2, in double then rounded, as the
// reference does. Cached per thread, direct-mapped by position: every layer rotates the same
// positions (and q and k of a position back to back), and the inverse frequencies only change
// with the model.
class RopeCache {
 public:
  // The table of (head_dim, freq_base, pos): head_dim/2 cosines followed by as many sines.
  const float* get(int head_dim, float freq_base, int32_t pos) {
    const int half = head_dim / 2;
    if (head_dim != head_dim_ || freq_base != base_) {
      head_dim_ = head_dim;
      base_ = freq_base;
      inv_freq_.resize(half);
      for (int i = 0; i < half; ++i)
        inv_freq_[i] = std::pow(static_cast<double>(freq_base), -2.0 * i / head_dim);
      keys_.assign(kSlots, -1);
      tables_.resize(static_cast<size_t>(kSlots) * 2 * half);
    }
    const size_t slot = static_cast<size_t>(pos) % kSlots;
    float* t = tables_.data() + slot * 2 * half;
    if (keys_[slot] != pos) {
      keys_[slot] = pos;
      for (int i = 0; i < half; ++i) {
        const double angle = static_cast<double>(pos) * inv_freq_[i];
        t[i] = static_cast<float>(std::cos(angle));
        t[half + i] = static_cast<float>(std::sin(angle));
      }
    }
    return t;
  }

 private:
  static constexpr int kSlots = 1024;  // positions; 256 KB of tables for head_dim 64
  int head_dim_ = 0;
  float base_ = 0.0f;
  std::vector<double> inv_freq_;
  std::vector<int32_t> keys_;
  std::vector<float> tables_;
};

}  // namespace

void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps) {
  active_kernels().rms_norm(x, w, y, n, eps);
}

void rms_norm_rows(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps) {
  const Kernels& k = active_kernels();
  for (int64_t r = 0; r < n_rows; ++r) k.rms_norm(x + r * n, w, y + r * n, n, eps);
}

void rope_neox(float* x, int n_head, int head_dim, int32_t pos, float freq_base) {
  QWL_CHECK(head_dim % 2 == 0 && head_dim <= 1024, "head_dim {} must be even and <= 1024",
            head_dim);
  thread_local RopeCache cache;
  const float* t = cache.get(head_dim, freq_base, pos);
  active_kernels().rope_neox(x, n_head, head_dim, t, t + head_dim / 2);
}

void softmax(float* x, int64_t n) {
  active_kernels().softmax(x, n);
}

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  active_kernels().silu_mul(gate, up, out, n);
}

void add_in_place(float* y, const float* x, int64_t n) {
  active_kernels().add(y, x, n);
}

namespace {

// Matmuls up to this many multiply-adds run on the calling thread: at a few microseconds, a
// round trip through the pool would cost as much as the work (and far more when other
// processes hold the cores).
constexpr int64_t kInlineMacs = int64_t{1} << 18;

// The kernel of w's type at the active level, or null (reference matmul).
const MatmulKernel* matmul_kernel(const Kernels& k, DType t) {
  const auto i = static_cast<size_t>(t);
  return i < std::size(k.matmul) && k.matmul[i].run != nullptr ? &k.matmul[i] : nullptr;
}

// The shared body of both matmul overloads; packed is null for the row-major view.
void matmul_with(const MatmulKernel& mk, const TensorView& w, const uint8_t* packed, const float* x,
                 int64_t n_tokens, float* y, ThreadPool& pool, Scratch& scratch) {
  const int64_t n_in = w.ne[0];
  const int64_t n_out = w.n_rows();
  QWL_CHECK(n_in % block_size(w.type) == 0, "matmul: row of {} elements is not whole {} blocks",
            n_in, dtype_name(w.type));
  const Act act = act_layout(mk.act, n_tokens, n_in, mk.act_tile,
                             scratch.get(act_bytes(mk.act, n_tokens, n_in, mk.act_tile)));
  const int64_t tiles = (n_tokens + mk.act_tile - 1) / mk.act_tile;
  if (tiles >= 2 && n_tokens >= 4 && pool.size() > 1) {
    pool.parallel_for(tiles, [&](int64_t i0, int64_t i1) {
      mk.prepare(x, i0 * mk.act_tile, std::min(n_tokens, i1 * mk.act_tile), act);
    });
  } else {
    mk.prepare(x, 0, n_tokens, act);
  }
  // Output rows in whole panels per chunk; the split depends on the pool size, but no result
  // does (each output is computed the same way wherever it lands).
  const int64_t align = mk.row_align;
  const int64_t units = (n_out + align - 1) / align;
  if (n_in * n_out * n_tokens <= kInlineMacs) {
    // Too small to pay for waking the pool (decode's k and v projections).
    if (packed != nullptr) {
      mk.run_packed(w, packed, act, 0, n_out, y, n_out);
    } else {
      mk.run(w, act, 0, n_out, y, n_out);
    }
    return;
  }
  pool.parallel_for(units, [&](int64_t u0, int64_t u1) {
    const int64_t r0 = u0 * align, r1 = std::min(u1 * align, n_out);
    if (packed != nullptr) {
      mk.run_packed(w, packed, act, r0, r1, y, n_out);
    } else {
      mk.run(w, act, r0, r1, y, n_out);
    }
  });
}

}  // namespace

void matmul(const TensorView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool,
            Scratch& scratch) {
  if (n_tokens <= 0) return;
  const MatmulKernel* mk = matmul_kernel(active_kernels(), w.type);
  if (mk == nullptr) return matmul_reference(w, x, n_tokens, y, pool, scratch);
  matmul_with(*mk, w, nullptr, x, n_tokens, y, pool, scratch);
}

void matmul(const PackedWeight& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool,
            Scratch& scratch) {
  if (!w.packed() || w.isa() != active_isa())
    return matmul(w.view(), x, n_tokens, y, pool, scratch);
  if (n_tokens <= 0) return;
  const MatmulKernel* mk = matmul_kernel(active_kernels(), w.view().type);
  QWL_CHECK(mk != nullptr && mk->run_packed != nullptr, "packed {} weight without a kernel",
            dtype_name(w.view().type));
  matmul_with(*mk, w.view(), w.packed_data(), x, n_tokens, y, pool, scratch);
}

void matmul_many(std::span<const MatmulOut> outs, const float* x, int64_t n_tokens,
                 ThreadPool& pool, Scratch& scratch) {
  if (n_tokens <= 0 || outs.empty()) return;
  const Kernels& k = active_kernels();
  const Isa isa = active_isa();
  struct Job {
    const MatmulKernel* mk;
    const TensorView* w;
    const uint8_t* packed;
    float* y;
    int act;        // index into acts
    int64_t unit0;  // first global unit of this job
    int64_t units;
  };
  struct Prep {
    const MatmulKernel* mk;  // whose act kind, tile and prepare it uses
    Act act;
  };
  std::vector<Job> jobs;
  std::vector<Prep> preps;
  const int64_t n_in = outs[0].w->view().ne[0];
  int64_t total_units = 0, macs = 0;
  size_t act_total = 0;
  for (const MatmulOut& o : outs) {
    const TensorView& v = o.w->view();
    QWL_CHECK(v.ne[0] == n_in, "matmul_many: inputs of {} and {} elements", n_in, v.ne[0]);
    const MatmulKernel* mk = matmul_kernel(k, v.type);
    if (mk == nullptr) {  // no SIMD kernel: the reference, on its own
      matmul_reference(v, x, n_tokens, o.y, pool, scratch);
      continue;
    }
    const uint8_t* packed = o.w->packed() && o.w->isa() == isa ? o.w->packed_data() : nullptr;
    int act = -1;
    for (size_t i = 0; i < preps.size(); ++i) {
      const MatmulKernel* p = preps[i].mk;
      if (p->act == mk->act && p->act_tile == mk->act_tile && p->prepare == mk->prepare)
        act = static_cast<int>(i);
    }
    if (act < 0) {
      act = static_cast<int>(preps.size());
      preps.push_back({mk, {}});
      act_total += act_bytes(mk->act, n_tokens, n_in, mk->act_tile);
    }
    const int64_t units = (v.n_rows() + mk->row_align - 1) / mk->row_align;
    jobs.push_back({mk, &v, packed, o.y, act, total_units, units});
    total_units += units;
    macs += n_in * v.n_rows() * n_tokens;
  }
  if (jobs.empty()) return;
  uint8_t* base = scratch.get(act_total);
  for (Prep& p : preps) {
    p.act = act_layout(p.mk->act, n_tokens, n_in, p.mk->act_tile, base);
    base += act_bytes(p.mk->act, n_tokens, n_in, p.mk->act_tile);
  }
  auto prepare = [&](const Prep& p, int64_t i0, int64_t i1) {
    const int64_t tile = p.mk->act_tile;
    p.mk->prepare(x, i0 * tile, std::min(n_tokens, i1 * tile), p.act);
  };
  const int64_t tiles = (n_tokens + preps[0].mk->act_tile - 1) / preps[0].mk->act_tile;
  if (tiles >= 2 && n_tokens >= 4 && pool.size() > 1) {
    for (const Prep& p : preps) {
      const int64_t t = (n_tokens + p.mk->act_tile - 1) / p.mk->act_tile;
      pool.parallel_for(t, [&](int64_t i0, int64_t i1) { prepare(p, i0, i1); });
    }
  } else {
    for (const Prep& p : preps) prepare(p, 0, (n_tokens + p.mk->act_tile - 1) / p.mk->act_tile);
  }
  // Global units [u0, u1): every job overlapping it runs its part.
  auto run_units = [&](int64_t u0, int64_t u1) {
    for (const Job& j : jobs) {
      const int64_t a = std::max(u0, j.unit0), b = std::min(u1, j.unit0 + j.units);
      if (a >= b) continue;
      const int64_t align = j.mk->row_align, n_out = j.w->n_rows();
      const int64_t r0 = (a - j.unit0) * align, r1 = std::min((b - j.unit0) * align, n_out);
      const Act& act = preps[j.act].act;
      if (j.packed != nullptr) {
        j.mk->run_packed(*j.w, j.packed, act, r0, r1, j.y, n_out);
      } else {
        j.mk->run(*j.w, act, r0, r1, j.y, n_out);
      }
    }
  };
  if (macs <= kInlineMacs) return run_units(0, total_units);
  pool.parallel_for(total_units, run_units);
}

void PackedWeight::Free::operator()(uint8_t* p) const {
  std::free(p);
}

PackedWeight::PackedWeight(const TensorView& w, ThreadPool* pool, bool drop_source) : view_(w) {
  const Isa isa = active_isa();
  const MatmulKernel* mk = matmul_kernel(kernels_for(isa), w.type);
  if (mk == nullptr || mk->pack == nullptr || w.ne[0] % block_size(w.type) != 0) return;
  isa_ = isa;
  size_ = mk->packed_bytes(w);
  bytes_.reset(static_cast<uint8_t*>(std::aligned_alloc(64, (size_ + 63) / 64 * 64)));
  QWL_CHECK(bytes_ != nullptr, "out of memory packing a {} byte weight", size_);
  const int64_t panels = (w.n_rows() + mk->row_align - 1) / mk->row_align;
  // In chunks of about 4 MiB of source rows, so that with drop_source at most that much of the
  // source is resident beside the packed copy.
  const int64_t panel_bytes = static_cast<int64_t>(w.row_bytes()) * mk->row_align;
  const int64_t chunk =
      std::max<int64_t>(1, (int64_t{4} << 20) / std::max<int64_t>(1, panel_bytes));
  for (int64_t c0 = 0; c0 < panels; c0 += chunk) {
    const int64_t c1 = std::min(panels, c0 + chunk);
    if (pool != nullptr) {
      pool->parallel_for(
          c1 - c0, [&](int64_t p0, int64_t p1) { mk->pack(w, c0 + p0, c0 + p1, bytes_.get()); });
    } else {
      mk->pack(w, c0, c1, bytes_.get());
    }
    if (drop_source) {
      const int64_t r0 = c0 * mk->row_align;
      const int64_t r1 = std::min(w.n_rows(), c1 * mk->row_align);
      drop_mapped_pages(w.row(r0), static_cast<size_t>(r1 - r0) * w.row_bytes());
    }
  }
}

void get_row(const TensorView& table, int64_t row, float* out) {
  QWL_CHECK(row >= 0 && row < table.n_rows(), "row {} outside table of {} rows", row,
            table.n_rows());
  ref::dequantize_row(table.type, table.row(row), out, table.ne[0]);
}

void attention(const AttentionArgs& a, ThreadPool& pool) {
  QWL_CHECK(a.kv_type == DType::kF32 || a.kv_type == DType::kF16, "KV type must be F32 or F16");
  QWL_CHECK(a.n_head % a.n_head_kv == 0, "n_head {} not a multiple of n_head_kv {}", a.n_head,
            a.n_head_kv);
  for (int64_t t = 0; t < a.n_tokens; ++t) {
    const int64_t n_kv = static_cast<int64_t>(a.positions[t]) + 1;
    QWL_CHECK(n_kv >= 1 && static_cast<size_t>((n_kv + a.block_size - 1) / a.block_size) <=
                               a.block_table.size(),
              "position {} outside the sequence's {} blocks", n_kv - 1, a.block_table.size());
  }
  const Kernels& k = active_kernels();
  if (k.attn_chunk != nullptr && k.attn_supports(a.head_dim, a.kv_type)) {
    attention_chunked(a, k, pool);
  } else {
    attention_reference(a, pool);
  }
}

}  // namespace qwl::ops
