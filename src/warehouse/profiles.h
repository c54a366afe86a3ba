// Customer and agent profiles as a load batch leaves them: every fact about one person in
// the batch folded oldest first, so each field holds its newest non-null value. Backends
// then write one row per person per batch instead of one per event.
//
//   for (const auto& [key, p] : MergeProfiles(items, position)) Upsert(p);
//
// Pure functions; thread-safe.
#pragma once

#include <map>
#include <span>
#include <string>
#include <utility>

#include "warehouse/warehouse.h"

namespace supportpipe::warehouse {

struct CustomerProfile {
  event::Customer customer;
  TimeMicros updated_at = 0;  // the newest fact folded in
  std::string event_id;       // lineage: that fact
  uint64_t raw_offset = 0;
};

struct AgentProfile {
  event::Agent agent;
  TimeMicros updated_at = 0;
  std::string event_id;
  uint64_t raw_offset = 0;
};

using ProfileKey = std::pair<std::string, std::string>;  // (source, id)

struct MergedProfiles {
  std::map<ProfileKey, CustomerProfile> customers;
  std::map<ProfileKey, AgentProfile> agents;
};

// Items at or below `position` are skipped (already loaded).
MergedProfiles MergeProfiles(std::span<const LoadItem> items, uint64_t position);

}  // namespace supportpipe::warehouse
