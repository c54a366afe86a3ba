// Writes N realistic canonical events (JSON lines, ~600 bytes each) for the backfill
// benchmark (P2): tickets created by customers, agent and customer messages, status,
// priority and assignment changes, a few duplicates and late arrivals. Deterministic.
//   gen_events --count 1000000 --out events.jsonl [--per-ticket 20]   (default 3-7)
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "common/time.h"

int main(int argc, char** argv) {
  long count = 1000000;
  std::string out = "events.jsonl";
  int per_ticket = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--count")
      count = std::atol(argv[i + 1]);
    else if (a == "--out")
      out = argv[i + 1];
    else if (a == "--per-ticket")
      per_ticket = std::atoi(argv[i + 1]);
  }
  std::FILE* f = std::fopen(out.c_str(), "w");
  if (!f) return 1;
  std::mt19937_64 rng(42);
  const char* kChannels[] = {"email", "web", "chat", "api", "phone"};
  const char* kPriorities[] = {"low", "normal", "high", "urgent"};
  const char* kGroups[] = {"billing", "tech", "onboarding", "returns"};
  const char* kTags[] = {"refund", "login", "mobile", "vip", "invoice", "bug", "eu", "shipping"};
  const char* kStatuses[] = {"open", "pending", "open", "solved"};
  const std::string body =
      "Hello, I ordered on the 3rd and the parcel still has not arrived. The tracking page says it "
      "left the warehouse but nothing since. Could you check and tell me when I can expect it? "
      "Thanks a lot, and sorry for the trouble.";
  const supportpipe::TimeMicros base = *supportpipe::ParseRfc3339("2026-10-01T08:00:00Z");
  long written = 0, ticket = 0;
  size_t bytes = 0;
  while (written < count) {
    ++ticket;
    const int events = per_ticket > 0 ? per_ticket : 3 + static_cast<int>(rng() % 5);
    supportpipe::TimeMicros t = base + static_cast<supportpipe::TimeMicros>(ticket) * 7000000;
    const std::string tid = fmt::format("T{}", ticket);
    const std::string cid = fmt::format("c-{}", rng() % 200000);
    const char* channel = kChannels[rng() % 5];
    const char* group = kGroups[rng() % 4];
    for (int k = 0; k < events && written < count; ++k, ++written) {
      t += static_cast<supportpipe::TimeMicros>(rng() % 3600) * 1000000;
      const std::string at = supportpipe::FormatRfc3339(t);
      const std::string common = fmt::format(
          R"("spec":"supportpipe/v1","id":"{}-{}","occurred_at":"{}","ticket":{{"id":"{}","channel":"{}","group":"{}","requester":"{}","tags":["{}","{}"],"custom_fields":{{"order_id":"A-{}","plan":"pro"}}}})",
          tid, k, at, tid, channel, group, cid, kTags[rng() % 8], kTags[rng() % 8],
          rng() % 1000000);
      std::string line;
      if (k == 0) {
        line = fmt::format(
            R"({{{},"type":"ticket.created","message":{{"id":"m-{}-0","author":"{}","author_role":"customer","public":true,"body":"{}"}},"customer":{{"id":"{}","email":"{}@example.com","name":"Customer {}","tier":"standard"}}}})",
            common, tid, cid, body, cid, cid, cid);
      } else if (k % 2 == 1) {
        line = fmt::format(
            R"({{{},"type":"message.created","message":{{"id":"m-{}-{}","author":"a-{}","author_role":"{}","public":true,"body":"{}"}},"agent":{{"id":"a-{}","name":"Agent {}","group":"{}"}}}})",
            common, tid, k, rng() % 40, k % 4 == 1 ? "agent" : "customer", body.substr(0, 180),
            rng() % 40, rng() % 40, group);
      } else {
        line = fmt::format(
            R"({{{},"type":"ticket.updated","changes":{{"status":{{"to":"{}"}},"priority":{{"to":"{}"}},"assignee":{{"to":"a-{}"}}}},"attributes":{{"note":"{}"}}}})",
            common, kStatuses[k % 4], kPriorities[rng() % 4], rng() % 40, body.substr(0, 200));
      }
      line += "\n";
      bytes += line.size();
      std::fwrite(line.data(), 1, line.size(), f);
    }
  }
  std::fclose(f);
  std::fprintf(stderr, "wrote %ld events for %ld tickets to %s (avg %.0f bytes)\n", written, ticket,
               out.c_str(), static_cast<double>(bytes) / written);
  return 0;
}
