// The fulfilment worker (see fulfilment.h).
#include "services/fulfilment.h"

#include "base/log.h"

namespace qwl::services {

Fulfilment::Fulfilment(Orders& orders) : orders_(orders) {}

Fulfilment::~Fulfilment() {
  stop();
}

Result<int64_t> Fulfilment::run_due(int64_t now_us) {
  int64_t total = 0;
  for (int pass = 0; pass < kMaxPasses; ++pass) {
    Result<int64_t> moved = orders_.advance_due_once(now_us, kBatch);
    if (!moved.ok()) {
      if (total > 0) break;  // what moved is committed; the failure is logged and retried
      return moved.status();
    }
    total += *moved;
    if (*moved == 0) break;
  }
  return total;
}

void Fulfilment::start(std::chrono::milliseconds interval) {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this, interval](std::stop_token stop) { loop(stop, interval); });
}

void Fulfilment::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  wake_.notify_all();
  thread_.join();
  thread_ = std::jthread();
}

int64_t Fulfilment::steps_taken() const {
  std::lock_guard<std::mutex> lock(mu_);
  return steps_taken_;
}

void Fulfilment::loop(std::stop_token stop, std::chrono::milliseconds interval) {
  while (!stop.stop_requested()) {
    Result<int64_t> moved = run_due(orders_.clock().wall_us());
    if (!moved.ok()) {
      QWL_LOG_WARN("fulfilment: {}", moved.status().to_string());
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (moved.ok()) steps_taken_ += *moved;
    // Wakes early when stop is requested (the stop_token overload of wait_for).
    wake_.wait_for(lock, stop, interval, [] { return false; });
  }
}

}  // namespace qwl::services
