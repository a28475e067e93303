// Time: a Clock interface so that code with timeouts and timestamps can be tested with a fake,
// and a monotonic stopwatch for measurements. All durations carry their unit in the name.
#pragma once

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
