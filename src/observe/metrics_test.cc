#include "observe/metrics.h"

#include <gtest/gtest.h>

namespace supportpipe::observe {
namespace {

TEST(MetricsTest, RendersCountersGaugesAndHistogramsInTextFormat) {
  Registry r;
  r.GetCounter("sp_requests_total", "Requests.", {{"source", "a\"b"}, {"status", "202"}}).Inc(3);
  r.AddGauge("sp_depth", "Depth.", {}, [] { return 7.0; });
  auto& h = r.GetHistogram("sp_latency_seconds", "Latency.", {{"stage", "x"}}, {0.1, 1});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  const std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE sp_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("sp_requests_total{source=\"a\\\"b\",status=\"202\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("sp_depth 7\n"), std::string::npos);
  EXPECT_NE(text.find("sp_latency_seconds_bucket{stage=\"x\",le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("sp_latency_seconds_bucket{stage=\"x\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("sp_latency_seconds_bucket{stage=\"x\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("sp_latency_seconds_count{stage=\"x\"} 3\n"), std::string::npos);
}

TEST(MetricsTest, SameSeriesIsTheSameCounter) {
  Registry r;
  Counter& a = r.GetCounter("c_total", "C.", {{"k", "v"}});
  Counter& b = r.GetCounter("c_total", "C.", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
}

}  // namespace
}  // namespace supportpipe::observe
