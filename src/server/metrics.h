// Prometheus metrics: a small thread-safe registry of counters, gauges and histograms with
// labels, written in the text exposition format 0.0.4 for GET /metrics.
//
// Families are registered once (at start-up) with a name, a help text and label names; a series
// is the family's metric for one tuple of label values, made on first use by with() and never
// removed. The returned reference stays valid as long as the Registry: a hot path looks its
// series up once and keeps the reference, after which inc()/set()/observe() are a few atomic
// operations with no lock and no allocation. with() itself takes the family's lock.
//
// Exposition (expose()): families in registration order, series in creation order; "# HELP" and
// "# TYPE" lines, label values escaped (\\, \", \n), histograms as cumulative _bucket{le=...}
// series ending in le="+Inf", then _sum and _count. A labelled family with no series yet is left
// out; an unlabelled one always has its single series (at 0). Numbers are written as integers
// when integral, otherwise in the shortest form that reads back exactly; NaN, +Inf, -Inf as
// Prometheus spells them.
//
// Names (metric [a-zA-Z_:][a-zA-Z0-9_:]*, label [a-zA-Z_][a-zA-Z0-9_]*, not "__..."; "le" is
// reserved for histograms), bucket bounds (finite, strictly increasing) and the number of label
// values are fixed by our own code, so a wrong one is a bug: QWL_CHECK. Registering a name again
// with the same kind, labels and buckets returns the existing family; otherwise it aborts.
//
// Thread-safety: everything may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qwl::metrics {

// The Content-Type of the exposition.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// A value that only goes up (requests, tokens). Starts at 0.
class Counter {
 public:
  // Adds `v` (>= 0; a negative value is a bug).
  void inc(double v = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down (requests in flight, queue length). Starts at 0.
class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  void inc() { add(1.0); }
  void dec() { add(-1.0); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Counts observations into fixed buckets (upper bounds, inclusive) and sums them.
class Histogram {
 public:
  // `bounds` (finite, strictly increasing) must outlive the histogram (its family owns them).
  explicit Histogram(std::span<const double> bounds);

  void observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  // The counts at one moment (each bucket read atomically; a concurrent observation may show in
  // the buckets before the sum).
  Snapshot snapshot() const;

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket (not cumulative), +Inf last
  std::atomic<double> sum_{0.0};
};

enum class Kind { kCounter, kGauge, kHistogram };

namespace detail {

// What every family has; the series are kept by the typed Family<T>.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, Kind kind, std::vector<std::string> label_names,
             std::vector<double> bounds);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  Kind kind() const { return kind_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  const std::vector<double>& bounds() const { return bounds_; }
  // Appends this family's exposition to *out.
  void expose(std::string* out) const;

 protected:
  struct Series {
    std::vector<std::string> label_values;
    size_t hash = 0;
  };
  // The index of the series for `values` (made when new). Caller holds mu_.
  size_t find_or_add(std::span<const std::string_view> values, bool* added);
  virtual void add_metric() = 0;  // appends the metric of a new series
  virtual void expose_series(size_t index, std::string_view labels, std::string* out) const = 0;

  mutable std::mutex mu_;
  std::vector<Series> series_;

 private:
  std::string name_;
  std::string help_;
  Kind kind_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;  // histograms only
};

}  // namespace detail

// The series of one metric name. T is Counter, Gauge or Histogram.
template <typename T>
class Family : public detail::FamilyBase {
 public:
  using detail::FamilyBase::FamilyBase;

  // The series for these label values, in the order of the family's label names (their count
  // must match). Made on first use; the reference stays valid as long as the Registry.
  T& with(std::initializer_list<std::string_view> label_values) {
    return with(std::span<const std::string_view>(label_values.begin(), label_values.size()));
  }
  T& with(std::span<const std::string_view> label_values);

 private:
  void add_metric() override;
  void expose_series(size_t index, std::string_view labels, std::string* out) const override;

  std::vector<std::unique_ptr<T>> metrics_;  // parallel to series_
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Family<Counter>& counter(std::string_view name, std::string_view help,
                           std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(std::string_view name, std::string_view help,
                       std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(std::string_view name, std::string_view help,
                               std::vector<double> bounds,
                               std::vector<std::string> label_names = {});

  // Runs `hook` at the start of every expose(), e.g. to copy values kept elsewhere (server
  // stats, scheduler queue lengths) into gauges. Hooks run in the order added, on the thread
  // that calls expose(), never concurrently with each other.
  void on_collect(std::function<void()> hook);

  // The text exposition of every family.
  std::string expose() const;

 private:
  detail::FamilyBase* find(std::string_view name) const;  // caller holds mu_

  mutable std::mutex mu_;          // families_ and hooks_
  mutable std::mutex collect_mu_;  // one expose() at a time runs the hooks
  std::vector<std::unique_ptr<detail::FamilyBase>> families_;
  std::vector<std::function<void()>> hooks_;
};

// Bucket bounds in seconds for request latencies: 5 ms to 60 s.
std::vector<double> latency_buckets_s();
// Bucket bounds in seconds for per-token times: 1 ms to 2.5 s.
std::vector<double> token_latency_buckets_s();

// A number as the exposition writes it ("3", "0.25", "1e-07", "NaN", "+Inf", "-Inf").
std::string format_value(double v);
// A label value escaped for the exposition (backslash, double quote, newline).
std::string escape_label_value(std::string_view value);

}  // namespace qwl::metrics
