#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace qwl {
namespace {

TEST(ThreadPool, EveryThreadRunsOncePerCall) {
  for (int n : {1, 2, 3, 8}) {
    ThreadPool pool(n);
    for (int rep = 0; rep < 200; ++rep) {
      std::vector<std::atomic<int>> hits(n);
      pool.run([&](int ith, int nth) {
        EXPECT_EQ(nth, n);
        hits[ith].fetch_add(1);
      });
      for (int i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "thread " << i;
    }
  }
}

TEST(ThreadPool, ParallelForCoversRangeExactlyOnce) {
  ThreadPool pool(3);
  for (int64_t n : {0, 1, 2, 5, 1000}) {
    std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
    pool.parallel_for(n, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) seen[static_cast<size_t>(i)].fetch_add(1);
    });
    for (auto& s : seen) ASSERT_EQ(s.load(), 1);
  }
}

TEST(ThreadPool, EveryChunkRunsExactlyOnceAcrossManyJobs) {
  // Back-to-back jobs of varying sizes: a worker that is late for one job must never take a
  // chunk of the next, and no chunk may be lost or run twice.
  for (int n : {2, 3, 5}) {
    ThreadPool pool(n);
    for (int rep = 0; rep < 2000; ++rep) {
      const int64_t chunks = 1 + rep % 37;
      std::vector<std::atomic<int>> hits(static_cast<size_t>(chunks));
      pool.run_chunks(chunks, [&](int64_t i, int64_t total) {
        EXPECT_EQ(total, chunks);
        hits[static_cast<size_t>(i)].fetch_add(1);
      });
      for (int64_t i = 0; i < chunks; ++i)
        ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "job " << rep << " chunk " << i;
    }
  }
}

TEST(ThreadPool, ASlowChunkDoesNotHoldBackTheOthers) {
  // One chunk blocks until every other chunk has finished: that can only happen when the other
  // threads take over the rest of the work instead of waiting for a fixed share.
  ThreadPool pool(2);
  const int64_t chunks = 64;
  std::atomic<int64_t> finished{0};
  pool.run_chunks(chunks, [&](int64_t i, int64_t) {
    if (i == 0) {
      while (finished.load() < chunks - 1) std::this_thread::yield();
    }
    finished.fetch_add(1);
  });
  EXPECT_EQ(finished.load(), chunks);
}

TEST(ThreadPool, ChunksForSplitsAFewPerThread) {
  ThreadPool one(1), two(2);
  EXPECT_EQ(one.chunks_for(1000), 1);
  EXPECT_EQ(two.chunks_for(1000), 8);
  EXPECT_EQ(two.chunks_for(3), 3);
}

}  // namespace
}  // namespace qwl
