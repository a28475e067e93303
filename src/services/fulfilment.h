// The fulfilment worker: moves orders along their lifecycle (orders.h) when their
// next_step_at_us comes, standing in for the merchant and the rider of a seeded city.
//
// run_due(now) advances every due order, one step per order per pass, each step in its own
// transaction; steps are scheduled from when the previous step was due, so passes repeat until
// nothing is due at `now` (bounded by kMaxPasses): an order whose worker was down for an hour
// reaches delivered in one call. Tests drive it with a ManualClock; the server runs start(),
// a std::jthread that calls run_due(clock.wall_us()) every `interval` of real time until stop()
// or destruction. Several servers on one PostgreSQL may each run a worker: a step re-reads its
// order inside its transaction, so an order moves once whichever worker gets it.
//
// Errors: run_due() returns the first error only when nothing could be advanced (one broken
// order does not stop the others; each failure is logged and retried on the next pass).
// Thread-safety: run_due() may be called from any thread; start()/stop() from one owner thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <thread>

#include "base/clock.h"
#include "base/status.h"
#include "services/orders.h"

namespace qwl::services {

class Fulfilment {
 public:
  static constexpr int kMaxPasses = 16;
  static constexpr int64_t kBatch = 500;  // orders per pass

  // `orders` must outlive the worker; its Db and Clock are the worker's.
  explicit Fulfilment(Orders& orders);
  ~Fulfilment();
  Fulfilment(const Fulfilment&) = delete;
  Fulfilment& operator=(const Fulfilment&) = delete;

  // Advances everything due at `now_us`; returns the number of steps taken.
  Result<int64_t> run_due(int64_t now_us);

  // Runs run_due(clock.wall_us()) every `interval` on a background thread. A second start()
  // while running is a no-op.
  void start(std::chrono::milliseconds interval = std::chrono::milliseconds(1000));
  // Stops the thread and waits for it; safe to call when not running.
  void stop();
  bool running() const { return thread_.joinable(); }
  // Steps taken by the background thread so far.
  int64_t steps_taken() const;

 private:
  void loop(std::stop_token stop, std::chrono::milliseconds interval);

  Orders& orders_;
  mutable std::mutex mu_;
  std::condition_variable_any wake_;
  int64_t steps_taken_ = 0;  // guarded by mu_
  std::jthread thread_;
};

}  // namespace qwl::services
