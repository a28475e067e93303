// ThreadPool: a persistent set of compute threads for the forward pass.
//
// Threads are created once and reused for every op; dispatching work costs two atomic
// operations and, for an idle pool, a futex wake. The calling thread takes part as thread 0, so
// a pool of size 1 runs everything inline with no synchronisation at all.
//
// Thread-safety: run() may be called from one thread at a time (the pool owner). The callable
// must not call run() on the same pool.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
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

  // Calls fn(thread_index, n_threads) once on each thread and returns when all have returned.
  template <typename F>
  void run(F&& fn) {
    run_impl([](void* ctx, int ith,
                int nth) { (*static_cast<std::remove_reference_t<F>*>(ctx))(ith, nth); },
             const_cast<void*>(static_cast<const void*>(&fn)));
  }

  // Splits [0, n) into size() contiguous ranges of near-equal length and calls
  // fn(begin, end) on each thread for its range (empty ranges are skipped).
  template <typename F>
  void parallel_for(int64_t n, F&& fn) {
    run([&](int ith, int nth) {
      const int64_t begin = n * ith / nth;
      const int64_t end = n * (ith + 1) / nth;
      if (begin < end) fn(begin, end);
    });
  }

  // The number of hardware threads, at least 1.
  static int hardware_threads();

 private:
  using Trampoline = void (*)(void* ctx, int ith, int nth);
  void run_impl(Trampoline fn, void* ctx);
  void worker_loop(int ith);

  int n_threads_;
  std::vector<std::thread> workers_;
  Trampoline job_fn_ = nullptr;
  void* job_ctx_ = nullptr;
  std::atomic<uint32_t> generation_{0};  // bumped once per run(); workers wait on it
  std::atomic<int> pending_{0};          // workers still running the current job
  std::atomic<bool> stop_{false};
};

}  // namespace qwl
