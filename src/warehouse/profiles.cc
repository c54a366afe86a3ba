#include "warehouse/profiles.h"

#include <algorithm>
#include <vector>

namespace supportpipe::warehouse {
namespace {

void Newer(std::optional<std::string>& field, const std::optional<std::string>& v) {
  if (v) field = v;
}

}  // namespace

MergedProfiles MergeProfiles(std::span<const LoadItem> items, uint64_t position) {
  std::vector<const LoadItem*> order;
  for (const LoadItem& item : items) {
    if (item.offset > position && (item.event.customer || item.event.agent)) order.push_back(&item);
  }
  std::stable_sort(order.begin(), order.end(), [](const LoadItem* a, const LoadItem* b) {
    return a->event.occurred_at < b->event.occurred_at;
  });
  MergedProfiles out;
  for (const LoadItem* item : order) {
    const event::Event& e = item->event;
    if (e.customer) {
      CustomerProfile& p = out.customers[{e.source, e.customer->id}];
      p.customer.id = e.customer->id;
      Newer(p.customer.email, e.customer->email);
      Newer(p.customer.name, e.customer->name);
      Newer(p.customer.phone, e.customer->phone);
      Newer(p.customer.organization, e.customer->organization);
      Newer(p.customer.tier, e.customer->tier);
      Newer(p.customer.external_id, e.customer->external_id);
      if (e.customer->email_verified) p.customer.email_verified = e.customer->email_verified;
      p.updated_at = e.occurred_at;
      p.event_id = e.id;
      p.raw_offset = item->raw_offset;
    }
    if (e.agent) {
      AgentProfile& p = out.agents[{e.source, e.agent->id}];
      p.agent.id = e.agent->id;
      Newer(p.agent.name, e.agent->name);
      Newer(p.agent.email, e.agent->email);
      Newer(p.agent.group, e.agent->group);
      p.updated_at = e.occurred_at;
      p.event_id = e.id;
      p.raw_offset = item->raw_offset;
    }
  }
  return out;
}

}  // namespace supportpipe::warehouse
