#include "observe/metrics.h"

#include <fmt/format.h>

#include <cmath>

#include "common/check.h"

namespace supportpipe::observe {
namespace {

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

// Adds one label to an already rendered label set.
std::string WithLabel(const std::string& rendered, const std::string& k, const std::string& v) {
  const std::string extra = fmt::format("{}=\"{}\"", k, Escape(v));
  if (rendered.empty()) return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

}  // namespace

void StageLatency::Observe(std::string_view source, double seconds) {
  Histogram* h = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = by_source_.find(source);
    if (it == by_source_.end()) {
      Histogram& made = registry_.GetHistogram(
          "supportpipe_stage_latency_seconds",
          "Time from an event's receipt to the end of a stage (logged, processed, loaded, "
          "delivered), by source.",
          {{"stage", stage_}, {"source", std::string(source)}}, Registry::LatencyBuckets());
      it = by_source_.emplace(std::string(source), &made).first;
    }
    h = it->second;
  }
  h->Observe(seconds);
}

std::string RenderLabels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ",";
    out += fmt::format("{}=\"{}\"", labels[i].first, Escape(labels[i].second));
  }
  return out + "}";
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<int64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i] = 0;
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

void Histogram::Snapshot(std::vector<int64_t>* cumulative, double* sum, int64_t* count) const {
  cumulative->clear();
  int64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    acc += counts_[i].load(std::memory_order_relaxed);
    cumulative->push_back(acc);
  }
  *sum = sum_.load(std::memory_order_relaxed);
  *count = acc;
}

const std::vector<double>& Registry::LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return kBuckets;
}

Registry::Family& Registry::FamilyFor(const std::string& name, const std::string& help,
                                      const char* type) {
  Family& f = families_[name];
  if (f.type.empty()) {
    f.help = help;
    f.type = type;
  }
  SP_CHECK(f.type == type);  // one name, one type
  return f;
}

Counter& Registry::GetCounter(const std::string& name, const std::string& help,
                              const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyFor(name, help, "counter").counters[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Histogram& Registry::GetHistogram(const std::string& name, const std::string& help,
                                  const Labels& labels, const std::vector<double>& bounds) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyFor(name, help, "histogram").histograms[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Histogram>(bounds);
  return *slot;
}

void Registry::AddGauge(const std::string& name, const std::string& help, const Labels& labels,
                        std::function<double()> read) {
  std::lock_guard lock(mu_);
  FamilyFor(name, help, "gauge").gauges[RenderLabels(labels)] = std::move(read);
}

void Registry::AddCounterFunc(const std::string& name, const std::string& help,
                              const Labels& labels, std::function<double()> read) {
  std::lock_guard lock(mu_);
  FamilyFor(name, help, "counter").gauges[RenderLabels(labels)] = std::move(read);
}

void Registry::AddCollector(std::function<void()> collect) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collect));
}

std::string Registry::Render() const {
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard lock(mu_);
    collectors = collectors_;
  }
  for (const auto& collect : collectors) collect();
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, f.type);
    for (const auto& [labels, c] : f.counters) {
      out += fmt::format("{}{} {}\n", name, labels, c->Value());
    }
    for (const auto& [labels, read] : f.gauges) {
      out += fmt::format("{}{} {}\n", name, labels, Number(read()));
    }
    for (const auto& [labels, h] : f.histograms) {
      std::vector<int64_t> cum;
      double sum;
      int64_t count;
      h->Snapshot(&cum, &sum, &count);
      const auto bounds = h->bounds();
      for (size_t i = 0; i < cum.size(); ++i) {
        const std::string le = i < bounds.size() ? Number(bounds[i]) : "+Inf";
        out += fmt::format("{}_bucket{} {}\n", name, WithLabel(labels, "le", le), cum[i]);
      }
      out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, labels, Number(sum), name, labels,
                         count);
    }
  }
  return out;
}

}  // namespace supportpipe::observe
