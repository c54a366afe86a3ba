#include "support/policies.h"

#include <fmt/format.h>

#include <cctz/civil_time.h>

#include <algorithm>
#include <chrono>

namespace supportpipe::support {
namespace {

bool Matches(const std::vector<std::string>& allowed, const std::optional<std::string>& v) {
  if (allowed.empty()) return true;
  return v && std::find(allowed.begin(), allowed.end(), *v) != allowed.end();
}

}  // namespace

Result<std::unique_ptr<Policies>> Policies::Create(const Config& config) {
  std::unique_ptr<Policies> out(new Policies());
  out->consent_ = config.privacy.consent;
  out->identity_ = config.identity;
  out->entries_.reserve(config.schedules.size());
  for (const ScheduleConfig& sc : config.schedules) {
    Result<Schedule> s = Schedule::Create(sc.name, sc.time_zone, sc.hours, sc.holidays);
    if (!s.ok()) {
      return InvalidArgument(s.status().message(),
                             fmt::format("{}:{}: schedule \"{}\"", config.path, sc.line, sc.name));
    }
    out->entries_.push_back({sc, std::move(s).value()});
  }
  if (!cctz::load_time_zone(config.reporting.time_zone, &out->reporting_zone_)) {
    return InvalidArgument(
        fmt::format("\"{}\" is not a time zone of the system's tzdata", config.reporting.time_zone),
        fmt::format("{}: reporting.time_zone", config.path));
  }
  out->default_ = &out->always_;
  for (const Entry& e : out->entries_) {
    if (e.config.name == config.reporting.default_schedule) out->default_ = &e.schedule;
  }
  out->sla_ = config.sla_policies;
  for (const SlaPolicy& p : out->sla_) {
    out->sla_uses_tier_ = out->sla_uses_tier_ || !p.customer_tier.empty();
  }
  return out;
}

std::unique_ptr<Policies> Policies::AlwaysOnly() {
  std::unique_ptr<Policies> out(new Policies());
  out->default_ = &out->always_;
  return out;
}

std::string Policies::ReportingDay(TimeMicros t) const {
  const auto tp = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::microseconds(t)));
  const cctz::civil_day d(cctz::convert(tp, reporting_zone_));
  return fmt::format("{:04d}-{:02d}-{:02d}", d.year(), d.month(), d.day());
}

const Schedule& Policies::For(const std::optional<event::Ticket>& t) const {
  for (const Entry& e : entries_) {
    const ScheduleConfig& c = e.config;
    if (c.when_group.empty() && c.when_brand.empty() && c.when_channel.empty()) continue;
    if (!t) continue;
    if (Matches(c.when_group, t->group) && Matches(c.when_brand, t->brand) &&
        Matches(c.when_channel, t->channel)) {
      return e.schedule;
    }
  }
  return *default_;
}

std::string Policies::ConsentFingerprint() const {
  std::string out;
  for (const ConsentRule& r : consent_) {
    out += fmt::format("{}:{}{}{};", r.purpose, r.default_granted ? "g" : "w",
                       r.drop_message_bodies ? "b" : "", r.drop_identifiers ? "i" : "");
  }
  return out;
}

}  // namespace supportpipe::support
