#include "triggers/surge.h"

#include <algorithm>
#include <cmath>

namespace supportpipe::triggers {

SurgeSeries::SurgeSeries(const SurgeParams& params)
    : params_(params), alpha_(1 - std::pow(2.0, -1.0 / params.half_life_buckets)) {}

void SurgeSeries::Update(double count) {
  const double diff = count - mean_;
  mean_ += alpha_ * diff;
  variance_ = (1 - alpha_) * (variance_ + alpha_ * diff * diff);
}

std::optional<SurgeSignal> SurgeSeries::Next(int64_t count) {
  std::optional<SurgeSignal> out;
  const double c = static_cast<double>(count);
  const double score = (c - mean_) / std::sqrt(std::max({variance_, mean_, 1.0}));
  if (count >= params_.min_count && score >= params_.threshold && bucket_ >= quiet_until_) {
    out = SurgeSignal{bucket_, count, mean_, variance_, score};
    quiet_until_ = bucket_ + 1 + params_.cooldown_buckets;
  }
  Update(c);
  ++bucket_;
  return out;
}

void SurgeSeries::SkipEmpty(int64_t n) {
  for (int64_t i = 0; i < n; ++i) Update(0);
  bucket_ += n;
}

}  // namespace supportpipe::triggers
