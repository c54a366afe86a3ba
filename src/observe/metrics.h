// A small Prometheus metrics registry: counters, gauges and histograms with labels,
// rendered in the text exposition format for GET /metrics.
//
//   Counter& c = registry.GetCounter("supportpipe_events_total", "Events by verdict.",
//                                    {{"source", "acme"}, {"verdict", "accepted"}});
//   c.Inc();
//   registry.AddGauge("supportpipe_dlq_depth", "Open dead letters.", {}, [&] { return n; });
//
// Thread-safe. Get* returns a reference that stays valid for the registry's lifetime, so
// hot paths look a series up once and keep it.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace supportpipe::observe {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Inc(int64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  int64_t Value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  std::vector<double> bounds() const { return bounds_; }
  // Cumulative counts per bound (plus +Inf last), sum and count.
  void Snapshot(std::vector<int64_t>* cumulative, double* sum, int64_t* count) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<int64_t>[]> counts_;
  std::atomic<int64_t> count_{0};
  std::atomic<double> sum_{0};
};

class Registry {
 public:
  Counter& GetCounter(const std::string& name, const std::string& help, const Labels& labels);
  Histogram& GetHistogram(const std::string& name, const std::string& help, const Labels& labels,
                          const std::vector<double>& bounds);
  // A gauge whose value is read when /metrics is rendered.
  void AddGauge(const std::string& name, const std::string& help, const Labels& labels,
                std::function<double()> read);
  // A counter kept elsewhere (the kernel's CPU time, say), read when /metrics is rendered.
  void AddCounterFunc(const std::string& name, const std::string& help, const Labels& labels,
                      std::function<double()> read);
  // Runs before each Render, outside the registry's lock: for gauges that share one costly
  // reading, taken fresh for every scrape.
  void AddCollector(std::function<void()> collect);
  // The text exposition format. Gauge functions run under the registry's lock: they must not
  // call back into it.
  std::string Render() const;

  // Default latency buckets in seconds: 0.5 ms .. 10 s.
  static const std::vector<double>& LatencyBuckets();

 private:
  struct Family {
    std::string help;
    std::string type;
    std::map<std::string, std::unique_ptr<Counter>> counters;  // key = rendered labels
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
    std::map<std::string, std::function<double()>> gauges;
  };
  Family& FamilyFor(const std::string& name, const std::string& help, const char* type);

  std::vector<std::function<void()>> collectors_;  // guarded by mu_
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

// supportpipe_stage_latency_seconds{stage,source}: the time from an event's receipt to the
// end of a stage ("logged", "processed", "loaded", "delivered"). One definition for every
// stage that reports it; each source's series is looked up once. Thread-safe.
class StageLatency {
 public:
  StageLatency(Registry& registry, std::string stage)
      : registry_(registry), stage_(std::move(stage)) {}
  void Observe(std::string_view source, double seconds);

 private:
  Registry& registry_;
  const std::string stage_;
  std::mutex mu_;
  std::map<std::string, Histogram*, std::less<>> by_source_;
};

// The standard process_* series (Prometheus client conventions) of this process: resident
// and virtual memory, open and maximum file descriptors, CPU seconds and start time.
void RegisterProcessMetrics(Registry& registry);

// {a="x",b="y"} with Prometheus escaping; "" for no labels.
std::string RenderLabels(const Labels& labels);

}  // namespace supportpipe::observe
