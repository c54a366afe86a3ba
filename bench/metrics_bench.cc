// P6 (the engine's share): recompute the metrics of 100k tickets / 2M events, in calendar
// time and in a business-hours schedule, then their SLA instances (five metrics) in the
// same. Prints one line per figure; bench/p6_recompute.sh measures the whole recompute.
//   build/release/bench/metrics_bench [tickets] [events_per_ticket]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "support/sla.h"
#include "support/ticket_metrics.h"

using namespace supportpipe;

namespace {

std::vector<event::Event> History(std::mt19937_64& rng, int n_events, TimeMicros start) {
  std::vector<event::Event> out;
  auto add = [&](const char* type, TimeMicros at) -> event::Event& {
    event::Event e;
    e.id = "e" + std::to_string(out.size());
    e.type = type;
    e.occurred_at = at;
    e.ticket.emplace().id = "t";
    out.push_back(std::move(e));
    return out.back();
  };
  TimeMicros at = start;
  add("ticket.created", at).ticket->status = "new";
  static const char* kStatuses[] = {"open", "pending", "hold", "solved", "open"};
  for (int i = 1; i < n_events; ++i) {
    at += static_cast<TimeMicros>(rng() % (6 * 3600)) * 1000000;
    if (rng() % 2) {
      auto& e = add("message.created", at);
      auto& m = e.message.emplace();
      m.author_role = rng() % 2 ? "agent" : "customer";
      m.is_public = rng() % 5 != 0;
    } else {
      auto& e = add("ticket.status_changed", at);
      event::Change c;
      c.field = "status";
      c.to_text = kStatuses[rng() % 5];
      e.changes.push_back(c);
    }
  }
  std::shuffle(out.begin(), out.end(), rng);  // as delivered: any order
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int tickets = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int per = argc > 2 ? std::atoi(argv[2]) : 20;
  std::mt19937_64 rng(6);
  std::vector<std::vector<event::Event>> all;
  all.reserve(tickets);
  const TimeMicros start = 1796029200LL * 1000000;  // 2026-11-30T09:00Z
  for (int i = 0; i < tickets; ++i) {
    all.push_back(History(rng, per, start + static_cast<TimeMicros>(i) * 60 * 1000000));
  }
  auto office =
      support::Schedule::Create("office", "Europe/Berlin", {"mon-fri 09:00-17:00"}, {"2026-12-25"});
  if (!office.ok()) {
    std::fprintf(stderr, "%s\n", office.status().ToString().c_str());
    return 1;
  }
  const support::Schedule always = support::Schedule::Always();
  const support::Schedule& business = office.value();
  for (const support::Schedule* s : {&always, &business}) {
    const auto t0 = std::chrono::steady_clock::now();
    int64_t replies = 0;
    for (const auto& timeline : all) {
      auto m = support::ComputeTicketMetrics(timeline, *s);
      replies += m ? m->agent_replies : 0;
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "P6 engine (%s): %d tickets / %lld events recomputed in %.2f s = %.0f events/s "
        "(target: 100k tickets / 2M events <= 10 s) [checksum %lld]\n",
        s->name().c_str(), tickets, static_cast<long long>(tickets) * per, secs,
        tickets * per / secs, static_cast<long long>(replies));
  }
  for (const support::Schedule* s : {&always, &business}) {
    support::SlaPolicy p;
    p.name = "standard";
    p.business_hours = s == &business;
    for (const char* m : support::kSlaMetrics) p.targets[m] = {{"normal", 4 * 3600}};
    const auto t0 = std::chrono::steady_clock::now();
    int64_t breached = 0;
    for (const auto& timeline : all) {
      for (const auto& i : support::ComputeSla(timeline, {p}, *s, std::nullopt, start)) {
        breached += i.status == "breached";
      }
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "P6 engine SLA (%s): %d tickets / %lld events, five SLA metrics, in %.2f s = %.0f "
        "events/s [checksum %lld]\n",
        s->name().c_str(), tickets, static_cast<long long>(tickets) * per, secs,
        tickets * per / secs, static_cast<long long>(breached));
  }
  return 0;
}
