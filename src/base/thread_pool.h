// ThreadPool: a persistent set of compute threads for the forward pass.
//
// Threads are created once and reused for every op. An op is split into chunks that the calling
// thread and the workers claim one at a time from a shared counter, so the threads finish
// together even when one of them runs slower or is descheduled by another process on a busy
// machine: the others take its remaining chunks, and the caller waits only for chunks already
// being run, never for a worker that has not woken up. Dispatch costs a few atomic operations
// and, for an idle pool, a futex wake. A pool of size 1 runs everything inline.
//
// Thread-safety: run_chunks() (and run(), parallel_for()) may be called from one thread at a
// time (the pool owner). The callable must not call into the same pool, and must not wait for
// another chunk of the same call (no barriers inside a job): chunks may run one after another
// on a single thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <vector>

namespace qwl {

class ThreadPool {
 public:
  // n_threads >= 1 threads in total, including the caller of run().
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(chunk, n_chunks) once for each chunk in [0, n_chunks) (at most kMaxChunks), on
  // whichever threads are free, and returns when all have returned. Two calls with the same
  // chunk never overlap, so per-chunk scratch indexed by chunk is safe.
  template <typename F>
  void run_chunks(int64_t n_chunks, F&& fn) {
    run_impl(
        n_chunks,
        [](void* ctx, int64_t i, int64_t n) {
          (*static_cast<std::remove_reference_t<F>*>(ctx))(i, n);
        },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

  // Calls fn(i, n) for each i in [0, n), n = size(): a split into one part per thread.
  template <typename F>
  void run(F&& fn) {
    run_chunks(n_threads_,
               [&](int64_t i, int64_t n) { fn(static_cast<int>(i), static_cast<int>(n)); });
  }

  // Splits [0, n) into contiguous ranges of near-equal length (a few per thread, so that a
  // slow thread's share can be taken over) and calls fn(begin, end) on each.
  template <typename F>
  void parallel_for(int64_t n, F&& fn) {
    if (n <= 0) return;
    run_chunks(chunks_for(n), [&](int64_t i, int64_t parts) {
      const int64_t begin = n * i / parts;
      const int64_t end = n * (i + 1) / parts;
      if (begin < end) fn(begin, end);
    });
  }

  // How many chunks parallel_for uses for n items: min(n, 4 * size()), 1 for a pool of one.
  int64_t chunks_for(int64_t n) const;

  // The number of hardware threads, at least 1.
  static int hardware_threads();

  static constexpr int64_t kMaxChunks = (int64_t{1} << 20) - 1;

 private:
  using Trampoline = void (*)(void* ctx, int64_t chunk, int64_t n_chunks);
  void run_impl(int64_t n_chunks, Trampoline fn, void* ctx);
  void worker_loop();
  // Claims and runs chunks of job `gen` until none are left; returns how many it ran.
  void work(uint64_t gen);

  int n_threads_;
  std::vector<std::thread> workers_;
  // The current job: fn/ctx are written before `claim_` publishes the job and are not changed
  // until all of its chunks are done.
  std::atomic<Trampoline> job_fn_{nullptr};
  std::atomic<void*> job_ctx_{nullptr};
  // claim_ = generation (24 bits) | n_chunks (20 bits) | next chunk (20 bits): claiming is a
  // compare-exchange, so a worker still holding an old generation can never take a chunk of a
  // newer job.
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> done_{0};         // chunks of the current job finished
  std::atomic<uint32_t> generation_{0};  // bumped once per job; idle workers wait on it
  uint32_t next_generation_ = 0;
  std::atomic<bool> stop_{false};
};

}  // namespace qwl
