// ThreadPool implementation. Workers spin briefly on the generation counter before sleeping in
// std::atomic::wait, because ops arrive back to back during a forward pass (microseconds apart)
// and a futex sleep/wake round trip per op would cost more than many small ops themselves.
#include "base/thread_pool.h"

#include <algorithm>

#include "base/check.h"

namespace qwl {
namespace {

constexpr int kSpinIterations = 1 << 14;
constexpr uint64_t kFieldBits = 20;
constexpr uint64_t kFieldMask = (uint64_t{1} << kFieldBits) - 1;
constexpr uint64_t kGenerationMask = (uint64_t{1} << 24) - 1;

inline void cpu_relax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}

constexpr uint64_t pack_claim(uint64_t gen, uint64_t n, uint64_t next) {
  return ((gen & kGenerationMask) << (2 * kFieldBits)) | (n << kFieldBits) | next;
}
constexpr uint64_t claim_gen(uint64_t c) {
  return c >> (2 * kFieldBits);
}
constexpr uint64_t claim_n(uint64_t c) {
  return (c >> kFieldBits) & kFieldMask;
}
constexpr uint64_t claim_next(uint64_t c) {
  return c & kFieldMask;
}

}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads < 1 ? 1 : n_threads) {
  workers_.reserve(n_threads_ - 1);
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (auto& t : workers_) t.join();
}

int ThreadPool::hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

int64_t ThreadPool::chunks_for(int64_t n) const {
  if (n_threads_ == 1) return 1;
  return std::min<int64_t>(n, 4 * static_cast<int64_t>(n_threads_));
}

void ThreadPool::run_impl(int64_t n_chunks, Trampoline fn, void* ctx) {
  if (n_chunks <= 0) return;
  QWL_CHECK(n_chunks <= kMaxChunks, "ThreadPool: {} chunks, at most {}", n_chunks, kMaxChunks);
  if (n_threads_ == 1 || n_chunks == 1) {
    for (int64_t i = 0; i < n_chunks; ++i) fn(ctx, i, n_chunks);
    return;
  }
  QWL_CHECK(done_.load(std::memory_order_relaxed) == 0, "ThreadPool::run re-entered");
  job_fn_.store(fn, std::memory_order_relaxed);
  job_ctx_.store(ctx, std::memory_order_relaxed);
  const uint64_t gen = ++next_generation_ & kGenerationMask;
  claim_.store(pack_claim(gen, static_cast<uint64_t>(n_chunks), 0), std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  work(gen);
  // Chunks still running on workers: they are under way, so this wait is short.
  for (int spin = 0;; ++spin) {
    const int64_t done = done_.load(std::memory_order_acquire);
    if (done == n_chunks) break;
    if (spin < kSpinIterations) {
      cpu_relax();
    } else {
      done_.wait(done, std::memory_order_acquire);
    }
  }
  done_.store(0, std::memory_order_relaxed);
}

void ThreadPool::work(uint64_t gen) {
  uint64_t c = claim_.load(std::memory_order_acquire);
  for (;;) {
    if (claim_gen(c) != gen || claim_next(c) >= claim_n(c)) return;
    if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
      continue;
    const auto n = static_cast<int64_t>(claim_n(c));
    job_fn_.load(std::memory_order_relaxed)(job_ctx_.load(std::memory_order_relaxed),
                                            static_cast<int64_t>(claim_next(c)), n);
    if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == n) done_.notify_one();
    c = claim_.load(std::memory_order_acquire);
  }
}

void ThreadPool::worker_loop() {
  // Workers start at generation 0 (the value before any job); reading the counter here instead
  // would miss a job that began before this thread was scheduled.
  uint32_t seen = 0;
  for (;;) {
    for (int spin = 0; generation_.load(std::memory_order_acquire) == seen; ++spin) {
      if (spin < kSpinIterations) {
        cpu_relax();
      } else {
        generation_.wait(seen, std::memory_order_acquire);
      }
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load()) return;
    // The job the claim word holds now (a worker that overslept several jobs joins the latest;
    // work() refuses a finished one).
    work(claim_gen(claim_.load(std::memory_order_acquire)));
  }
}

}  // namespace qwl
