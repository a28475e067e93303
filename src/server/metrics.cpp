// The metrics registry and its text exposition. Series are found by a hash of their label
// values and a linear scan (families have a handful of series, and the hot path keeps its
// references instead of looking up), so a lookup of an existing series allocates nothing.
#include "server/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <type_traits>

#include "base/check.h"

namespace qwl::metrics {
namespace {

bool valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

size_t hash_values(std::span<const std::string_view> values) {
  size_t h = 0x9e3779b97f4a7c15ull;
  for (std::string_view v : values) {
    h ^= std::hash<std::string_view>{}(v) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  }
  return h;
}

std::string escape_help(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::kCounter:
      return "counter";
    case Kind::kGauge:
      return "gauge";
    case Kind::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// `labels` ("a=\"x\",b=\"y\"" or empty) with `extra` appended, in braces; "" when both empty.
std::string label_block(std::string_view labels, std::string_view extra = {}) {
  if (labels.empty() && extra.empty()) return "";
  if (labels.empty()) return fmt::format("{{{}}}", extra);
  if (extra.empty()) return fmt::format("{{{}}}", labels);
  return fmt::format("{{{},{}}}", labels, extra);
}

}  // namespace

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Integral values up to 2^53 are exact as integers; fmt would write "3.0".
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
    return fmt::format("{}", static_cast<int64_t>(v));
  }
  return fmt::format("{}", v);  // shortest representation that reads back exactly
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void Counter::inc(double v) {
  QWL_CHECK(v >= 0, "Counter::inc({}): a counter only goes up", v);
  value_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  // The first bound >= v ("le" is inclusive); past the last one, +Inf. NaN lands in +Inf.
  const size_t bucket =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = total;
  }
  s.count = total;  // from the buckets, so that _count always equals the +Inf bucket
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

namespace detail {

FamilyBase::FamilyBase(std::string name, std::string help, Kind kind,
                       std::vector<std::string> label_names, std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      kind_(kind),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {
  QWL_CHECK(valid_metric_name(name_), "metrics: bad metric name '{}'", name_);
  for (size_t i = 0; i < label_names_.size(); ++i) {
    const std::string& l = label_names_[i];
    QWL_CHECK(valid_label_name(l), "metrics: {}: bad label name '{}'", name_, l);
    QWL_CHECK(!(kind_ == Kind::kHistogram && l == "le"), "metrics: {}: 'le' is reserved", name_);
    for (size_t j = 0; j < i; ++j) {
      QWL_CHECK(label_names_[j] != l, "metrics: {}: label '{}' twice", name_, l);
    }
  }
  for (size_t i = 0; i < bounds_.size(); ++i) {
    QWL_CHECK(std::isfinite(bounds_[i]), "metrics: {}: bucket bounds must be finite", name_);
    QWL_CHECK(i == 0 || bounds_[i - 1] < bounds_[i],
              "metrics: {}: bucket bounds must increase strictly", name_);
  }
}

size_t FamilyBase::find_or_add(std::span<const std::string_view> values, bool* added) {
  QWL_CHECK(values.size() == label_names_.size(), "metrics: {}: {} label values for {} labels",
            name_, values.size(), label_names_.size());
  const size_t h = hash_values(values);
  for (size_t i = 0; i < series_.size(); ++i) {
    if (series_[i].hash != h) continue;
    const auto& have = series_[i].label_values;
    if (std::equal(have.begin(), have.end(), values.begin(), values.end())) {
      *added = false;
      return i;
    }
  }
  Series s;
  s.label_values.assign(values.begin(), values.end());
  s.hash = h;
  series_.push_back(std::move(s));
  *added = true;
  return series_.size() - 1;
}

void FamilyBase::expose(std::string* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (series_.empty()) return;
  fmt::format_to(std::back_inserter(*out), "# HELP {} {}\n# TYPE {} {}\n", name_,
                 escape_help(help_), name_, kind_name(kind_));
  std::string labels;
  for (size_t i = 0; i < series_.size(); ++i) {
    labels.clear();
    for (size_t k = 0; k < label_names_.size(); ++k) {
      if (k > 0) labels.push_back(',');
      fmt::format_to(std::back_inserter(labels), "{}=\"{}\"", label_names_[k],
                     escape_label_value(series_[i].label_values[k]));
    }
    expose_series(i, labels, out);
  }
}

}  // namespace detail

template <typename T>
T& Family<T>::with(std::span<const std::string_view> label_values) {
  std::lock_guard<std::mutex> lock(mu_);
  bool added = false;
  const size_t i = find_or_add(label_values, &added);
  if (added) add_metric();
  return *metrics_[i];
}

template <typename T>
void Family<T>::add_metric() {
  if constexpr (std::is_same_v<T, Histogram>) {
    metrics_.push_back(std::make_unique<Histogram>(bounds()));
  } else {
    metrics_.push_back(std::make_unique<T>());
  }
}

template <typename T>
void Family<T>::expose_series(size_t i, std::string_view labels, std::string* out) const {
  if constexpr (std::is_same_v<T, Histogram>) {
    const Histogram::Snapshot s = metrics_[i]->snapshot();
    const auto& b = bounds();
    for (size_t k = 0; k <= b.size(); ++k) {
      const std::string le =
          fmt::format("le=\"{}\"", k < b.size() ? format_value(b[k]) : std::string("+Inf"));
      fmt::format_to(std::back_inserter(*out), "{}_bucket{} {}\n", name(), label_block(labels, le),
                     s.cumulative[k]);
    }
    fmt::format_to(std::back_inserter(*out), "{}_sum{} {}\n", name(), label_block(labels),
                   format_value(s.sum));
    fmt::format_to(std::back_inserter(*out), "{}_count{} {}\n", name(), label_block(labels),
                   s.count);
  } else {
    fmt::format_to(std::back_inserter(*out), "{}{} {}\n", name(), label_block(labels),
                   format_value(metrics_[i]->value()));
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

namespace {

template <typename F>
F& register_family(std::vector<std::unique_ptr<detail::FamilyBase>>* families,
                   detail::FamilyBase* existing, std::string_view name, std::string_view help,
                   Kind kind, std::vector<std::string> label_names, std::vector<double> bounds) {
  if (existing != nullptr) {
    QWL_CHECK(existing->kind() == kind && existing->label_names() == label_names &&
                  existing->bounds() == bounds,
              "metrics: '{}' registered twice with different kinds, labels or buckets", name);
    return static_cast<F&>(*existing);
  }
  auto family = std::make_unique<F>(std::string(name), std::string(help), kind,
                                    std::move(label_names), std::move(bounds));
  F& ref = *family;
  if (ref.label_names().empty()) ref.with({});  // an unlabelled metric shows from the start
  families->push_back(std::move(family));
  return ref;
}

}  // namespace

detail::FamilyBase* Registry::find(std::string_view name) const {
  for (const auto& f : families_) {
    if (f->name() == name) return f.get();
  }
  return nullptr;
}

Family<Counter>& Registry::counter(std::string_view name, std::string_view help,
                                   std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  return register_family<Family<Counter>>(&families_, find(name), name, help, Kind::kCounter,
                                          std::move(label_names), {});
}

Family<Gauge>& Registry::gauge(std::string_view name, std::string_view help,
                               std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  return register_family<Family<Gauge>>(&families_, find(name), name, help, Kind::kGauge,
                                        std::move(label_names), {});
}

Family<Histogram>& Registry::histogram(std::string_view name, std::string_view help,
                                       std::vector<double> bounds,
                                       std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  return register_family<Family<Histogram>>(&families_, find(name), name, help, Kind::kHistogram,
                                            std::move(label_names), std::move(bounds));
}

void Registry::on_collect(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hooks_.push_back(std::move(hook));
}

std::string Registry::expose() const {
  std::lock_guard<std::mutex> collect(collect_mu_);
  std::vector<std::function<void()>> hooks;
  std::vector<const detail::FamilyBase*> families;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hooks = hooks_;
    for (const auto& f : families_) families.push_back(f.get());
  }
  // Hooks run without mu_, so they may look up series or even register families.
  for (const auto& hook : hooks) hook();
  std::string out;
  for (const detail::FamilyBase* f : families) f->expose(&out);
  return out;
}

std::vector<double> latency_buckets_s() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

std::vector<double> token_latency_buckets_s() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5};
}

}  // namespace qwl::metrics
