// Time: a Clock interface so that code with timeouts and timestamps can be tested with a fake,
// and a monotonic stopwatch for measurements. All durations carry their unit in the name.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace qwl {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds on a monotonic clock (arbitrary epoch).
  virtual int64_t monotonic_us() const = 0;
  // Microseconds since the Unix epoch, UTC.
  virtual int64_t wall_us() const = 0;
  // The process-wide real clock.
  static const Clock& real();
};

// A clock that moves only when told to: for exact, deterministic tests of timeouts, order
// lifecycles and expiry. Both readings advance together. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t wall_us = 1'700'000'000'000'000, int64_t monotonic_us = 0)
      : wall_us_(wall_us), monotonic_us_(monotonic_us) {}
  int64_t monotonic_us() const override { return monotonic_us_.load(); }
  int64_t wall_us() const override { return wall_us_.load(); }
  void advance_us(int64_t us) {
    wall_us_ += us;
    monotonic_us_ += us;
  }
  void set_wall_us(int64_t us) { wall_us_ = us; }

 private:
  std::atomic<int64_t> wall_us_;
  std::atomic<int64_t> monotonic_us_;
};

// Another clock's time moved by a fixed amount: a server that starts at a chosen instant and
// runs in real time from there (`serve --now`). The monotonic reading is the base's.
class ShiftedClock final : public Clock {
 public:
  ShiftedClock(const Clock& base, int64_t offset_us) : base_(base), offset_us_(offset_us) {}
  int64_t monotonic_us() const override { return base_.monotonic_us(); }
  int64_t wall_us() const override { return base_.wall_us() + offset_us_; }

 private:
  const Clock& base_;
  int64_t offset_us_;
};

// Measures elapsed time on the monotonic clock from construction or the last reset().
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  void reset() { start_ = std::chrono::steady_clock::now(); }
  int64_t elapsed_us() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 start_)
        .count();
  }
  double elapsed_s() const { return static_cast<double>(elapsed_us()) * 1e-6; }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace qwl
