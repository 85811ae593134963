// The metrics registry and its Prometheus text exposition (format 0.0.4).
#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace r1::metrics {
namespace {

TEST(Metrics, CounterGaugeHistogramExposition) {
  Registry r;
  auto& requests = r.counter("t_requests_total", "Requests.\nSecond line", {"endpoint", "code"});
  requests.with({"/v1/models", "200"}).inc();
  requests.with({"/v1/models", "200"}).inc(2);
  requests.with({"a\"b\\c\nd", "500"}).inc();
  r.gauge("t_depth", "Depth.").get().set(7);
  auto& h = r.histogram("t_latency_seconds", "Latency.", {0.1, 1}).get();
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  const std::string text = r.expose();
  EXPECT_NE(text.find("# HELP t_requests_total Requests.\\nSecond line\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE t_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("t_requests_total{endpoint=\"/v1/models\",code=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_requests_total{endpoint=\"a\\\"b\\\\c\\nd\",code=\"500\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE t_depth gauge\nt_depth 7\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE t_latency_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("t_latency_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("t_latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("t_latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_latency_seconds_sum 5.55\n"), std::string::npos);
  EXPECT_NE(text.find("t_latency_seconds_count 3\n"), std::string::npos);
  // Families keep registration order.
  EXPECT_LT(text.find("t_requests_total"), text.find("t_depth"));
}

TEST(Metrics, ConcurrentUpdatesAreCounted) {
  Registry r;
  auto& c = r.counter("t_total", "Total.", {"k"});
  auto& h = r.histogram("t_h", "H.", {1.0}).get();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        c.with({std::to_string(i % 4)}).inc();
        h.observe(t % 2 ? 0.5 : 2.0);
      }
    });
  }
  for (auto& t : threads) t.join();
  double total = 0;
  for (int k = 0; k < 4; ++k) total += c.with({std::to_string(k)}).value();
  EXPECT_EQ(total, 8000);
  EXPECT_EQ(h.count(), 8000u);
  EXPECT_EQ(h.bucket_count(0), 4000u);
  EXPECT_DOUBLE_EQ(h.sum(), 4000 * 0.5 + 4000 * 2.0);
}

TEST(Metrics, FormatValue) {
  EXPECT_EQ(format_value(3), "3");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
}

}  // namespace
}  // namespace r1::metrics
