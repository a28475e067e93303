// Metrics: the text exposition against golden strings (counters, gauges, histograms, label
// escaping, number formats), series identity, collect hooks and concurrent updates.
#include "server/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

namespace qwl::metrics {
namespace {

TEST(MetricsTest, CountersAndGaugesGolden) {
  Registry r;
  auto& requests =
      r.counter("qwl_http_requests_total", "HTTP requests answered.", {"method", "status"});
  auto& running = r.gauge("qwl_requests_running", "Sequences being decoded.");
  requests.with({"POST", "200"}).inc();
  requests.with({"POST", "200"}).inc(2);
  requests.with({"GET", "404"}).inc();
  running.with({}).set(3);
  running.with({}).dec();
  EXPECT_EQ(r.expose(),
            "# HELP qwl_http_requests_total HTTP requests answered.\n"
            "# TYPE qwl_http_requests_total counter\n"
            "qwl_http_requests_total{method=\"POST\",status=\"200\"} 3\n"
            "qwl_http_requests_total{method=\"GET\",status=\"404\"} 1\n"
            "# HELP qwl_requests_running Sequences being decoded.\n"
            "# TYPE qwl_requests_running gauge\n"
            "qwl_requests_running 2\n");
}

TEST(MetricsTest, HistogramGolden) {
  Registry r;
  auto& latency =
      r.histogram("qwl_request_duration_seconds", "Time to answer.", {0.1, 0.5, 1}, {"route"});
  Histogram& chat = latency.with({"/v1/chat/completions"});
  chat.observe(0.05);
  chat.observe(0.1);  // a bound is inclusive (le)
  chat.observe(0.7);
  chat.observe(3);
  EXPECT_EQ(r.expose(),
            "# HELP qwl_request_duration_seconds Time to answer.\n"
            "# TYPE qwl_request_duration_seconds histogram\n"
            "qwl_request_duration_seconds_bucket{route=\"/v1/chat/completions\",le=\"0.1\"} 2\n"
            "qwl_request_duration_seconds_bucket{route=\"/v1/chat/completions\",le=\"0.5\"} 2\n"
            "qwl_request_duration_seconds_bucket{route=\"/v1/chat/completions\",le=\"1\"} 3\n"
            "qwl_request_duration_seconds_bucket{route=\"/v1/chat/completions\",le=\"+Inf\"} 4\n"
            "qwl_request_duration_seconds_sum{route=\"/v1/chat/completions\"} 3.85\n"
            "qwl_request_duration_seconds_count{route=\"/v1/chat/completions\"} 4\n");
}

TEST(MetricsTest, UnlabelledHistogramShowsFromTheStart) {
  Registry r;
  r.histogram("ttft_seconds", "Time to first token.", {0.25});
  EXPECT_EQ(r.expose(),
            "# HELP ttft_seconds Time to first token.\n"
            "# TYPE ttft_seconds histogram\n"
            "ttft_seconds_bucket{le=\"0.25\"} 0\n"
            "ttft_seconds_bucket{le=\"+Inf\"} 0\n"
            "ttft_seconds_sum 0\n"
            "ttft_seconds_count 0\n");
}

TEST(MetricsTest, LabelledFamilyWithoutSeriesIsLeftOut) {
  Registry r;
  r.counter("a_total", "A.", {"x"});
  r.counter("b_total", "B.");
  EXPECT_EQ(r.expose(), "# HELP b_total B.\n# TYPE b_total counter\nb_total 0\n");
}

TEST(MetricsTest, EscapingGolden) {
  Registry r;
  auto& c = r.counter("esc_total", "Help with \\ and\nnewline \"quotes\" kept.", {"v"});
  c.with({"a\"b\\c\nd"}).inc();
  EXPECT_EQ(r.expose(),
            "# HELP esc_total Help with \\\\ and\\nnewline \"quotes\" kept.\n"
            "# TYPE esc_total counter\n"
            "esc_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
  EXPECT_EQ(escape_label_value("plain é"), "plain é");
}

TEST(MetricsTest, NumberFormats) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(-7), "-7");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(0.1 + 0.2), "0.30000000000000004");  // exact, not rounded
  EXPECT_EQ(format_value(1e-7), "1e-07");
  EXPECT_EQ(format_value(1e20), "1e+20");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(MetricsTest, GaugeCanGoNegativeAndBeSet) {
  Registry r;
  Gauge& g = r.gauge("g", "G.").with({});
  g.dec();
  g.add(0.5);
  EXPECT_EQ(g.value(), -0.5);
  EXPECT_EQ(r.expose(), "# HELP g G.\n# TYPE g gauge\ng -0.5\n");
}

TEST(MetricsTest, SeriesAreStableAndDistinct) {
  Registry r;
  auto& f = r.counter("c_total", "C.", {"a", "b"});
  Counter& x = f.with({"1", "2"});
  Counter& y = f.with({"12", ""});  // same characters, different split
  Counter& z = f.with({"", "12"});
  EXPECT_NE(&x, &y);
  EXPECT_NE(&y, &z);
  for (int i = 0; i < 100; ++i) f.with({std::to_string(i), "n"});
  EXPECT_EQ(&f.with({"1", "2"}), &x);  // still the same object after the family grew
  // Registering again returns the same family.
  EXPECT_EQ(&r.counter("c_total", "C.", {"a", "b"}), &f);
}

TEST(MetricsTest, CollectHooksRunBeforeExposition) {
  Registry r;
  Gauge& queue = r.gauge("queue_length", "Waiting requests.").with({});
  int source = 0;
  r.on_collect([&] { queue.set(source); });
  source = 7;
  EXPECT_NE(r.expose().find("queue_length 7\n"), std::string::npos);
  source = 2;
  EXPECT_NE(r.expose().find("queue_length 2\n"), std::string::npos);
}

TEST(MetricsTest, ConcurrentUpdatesAreNotLost) {
  Registry r;
  auto& counters = r.counter("n_total", "N.", {"thread"});
  Histogram& h = r.histogram("h", "H.", {1, 2}).with({});
  Counter& shared = r.counter("shared_total", "S.").with({});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter& mine = counters.with({std::to_string(t)});
      for (int i = 0; i < kPerThread; ++i) {
        mine.inc();
        shared.inc();
        h.observe(i % 3);  // 0, 1 -> le 1; 2 -> le 2
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(shared.value(), kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(counters.with({std::to_string(t)}).value(), kPerThread);
  const Histogram::Snapshot s = h.snapshot();
  EXPECT_EQ(s.count, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(s.cumulative.back(), s.count);
  // Per thread 6667 values of 0, 6667 of 1, 6666 of 2 (20000 = 3 * 6666 + 2).
  EXPECT_EQ(s.cumulative[0], static_cast<uint64_t>(kThreads * (6667 + 6667)));
  EXPECT_EQ(s.sum, kThreads * (6667.0 * 0 + 6667.0 * 1 + 6666.0 * 2));
}

TEST(MetricsTest, BuiltInBucketsIncrease) {
  for (const auto& b : {latency_buckets_s(), token_latency_buckets_s()}) {
    ASSERT_FALSE(b.empty());
    for (size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
  }
}

TEST(MetricsDeathTest, MisuseIsABug) {
  Registry r;
  auto& f = r.counter("ok_total", "x", {"a"});
  EXPECT_DEATH(f.with({"1", "2"}), "2 label values for 1 labels");
  EXPECT_DEATH(r.counter("bad name", "x"), "bad metric name");
  EXPECT_DEATH(r.counter("x_total", "x", {"__reserved"}), "bad label name");
  EXPECT_DEATH(r.histogram("h", "x", {1, 1}), "increase strictly");
  EXPECT_DEATH(r.histogram("h2", "x", {1}, {"le"}), "reserved");
  EXPECT_DEATH(r.gauge("ok_total", "x", {"a"}), "registered twice");
  EXPECT_DEATH(f.with({"1"}).inc(-1), "only goes up");
}

}  // namespace
}  // namespace qwl::metrics
