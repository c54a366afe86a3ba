// P4 (action latency): an event in -> the escalation a rule records for it, and an SLA breach
// instant -> its sla.breached, each as a signed delivery received by a destination on
// loopback. Starts `supportpipe serve` with an escalation rule on every new ticket, a
// 1-second first-reply target and a Standard Webhooks destination pointing at a receiver in
// this process, creates N tickets 50 ms apart (occurred_at = just before the POST), and
// prints the p50 / p99 / max of (received − the escalated event's occurred_at) and of
// (received − breach instant). One line each.
//   build/release/bench/p4_action build/release/src/cli/supportpipe [N]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench_util.h"
#include "common/clock.h"
#include "common/time.h"
#include "intake/http.h"
#include "intake/http_client.h"

using namespace supportpipe;

namespace {

class Receiver : public intake::HttpHandler {
 public:
  void Handle(intake::HttpRequest req, intake::Responder respond) override {
    const TimeMicros now = clock_.Now();
    // {"type":"sla.breached","timestamp":"<the breach instant>",...}; the escalation's
    // timestamp is the instant of the event that set it off.
    const std::string key = R"("timestamp":")";
    const size_t at = req.body.find(key);
    if (at != std::string::npos) {
      const size_t end = req.body.find('"', at + key.size());
      auto t =
          ParseRfc3339(std::string_view(req.body).substr(at + key.size(), end - at - key.size()));
      if (t.ok() && !req.Header("webhook-signature").empty()) {
        const bool breach = req.body.find(R"("type":"sla.breached")") != std::string::npos;
        std::lock_guard lock(mu_);
        (breach ? breach_us_ : escalation_us_).push_back(now - *t);
      }
    }
    respond({.status = 200, .body = "{}"});
  }
  std::vector<int64_t> breaches() {
    std::lock_guard lock(mu_);
    return breach_us_;
  }
  std::vector<int64_t> escalations() {
    std::lock_guard lock(mu_);
    return escalation_us_;
  }

 private:
  SystemClock clock_;
  std::mutex mu_;
  std::vector<int64_t> breach_us_, escalation_us_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SUPPORTPIPE_BINARY [N]\n", argv[0]);
    return 2;
  }
  const int n = argc > 2 ? std::atoi(argv[2]) : 200;
  Receiver receiver;
  auto server = intake::HttpServer::Start({.host = "127.0.0.1", .port = 0}, receiver);
  if (!server.ok()) return 1;
  char tmpl[] = "/tmp/sp-p4.XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::ofstream(dir + "/sp.toml") << fmt::format(R"([server]
listen = "127.0.0.1:0"
[storage]
data_dir = "{}/data"
[[sla_policy]]
name = "p4"
[sla_policy.targets]
first_reply_time = {{ urgent = 0.0167 }}   # 1 second
[[rule]]
name = "p4-escalate"
when = {{ type = ["ticket.created"] }}
then = {{ emit = "ticket.escalated" }}
[[destination]]
name = "p4"
url = "http://127.0.0.1:{}/hook"
secret_file = "{}/secret"
events = ["sla.breached", "ticket.escalated"]
rate_limit_per_s = 10000
)",
                                                 dir, (*server)->port(), dir);
  std::ofstream(dir + "/secret") << bench::kSecret << "\n";
  const bench::Served served = bench::Serve(argv[1], dir);
  const int port = served.port;
  if (!port) return 1;
  SystemClock clock;
  for (int i = 0; i < n; ++i) {
    const std::string body = fmt::format(
        R"({{"spec":"supportpipe/v1","id":"p4-{}","type":"ticket.created","occurred_at":"{}",)"
        R"("ticket":{{"id":"P4-{}","priority":"urgent"}},"message":{{"author_role":"customer"}}}})",
        i, FormatRfc3339(clock.Now()), i);
    auto r = intake::Fetch({.method = "POST",
                            .url = fmt::format("http://127.0.0.1:{}/v1/events", port),
                            .headers = {{"Content-Type", "application/json"}},
                            .body = body});
    if (!r.ok() || r->status != 202) {
      std::fprintf(stderr, "POST failed\n");
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (int i = 0; i < 600 && (receiver.breaches().size() < static_cast<size_t>(n) ||
                              receiver.escalations().size() < static_cast<size_t>(n));
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  served.Stop();
  (*server)->Stop();
  std::filesystem::remove_all(dir);
  const std::vector<int64_t> e = receiver.escalations(), b = receiver.breaches();
  if (e.empty() || b.empty()) {
    std::fprintf(stderr, "no delivery arrived\n");
    return 1;
  }
  std::printf(
      "P4 event -> escalation rule -> signed delivery received: %zu/%d delivered, %s (target: "
      "p99 <= 100 ms after the event)\n",
      e.size(), n, bench::Percentiles(e).c_str());
  std::printf(
      "P4 SLA breach -> signed delivery received: %zu/%d delivered, %s (target: p99 <= 100 ms "
      "after the breach instant)\n",
      b.size(), n, bench::Percentiles(b).c_str());
  return e.size() == static_cast<size_t>(n) && b.size() == static_cast<size_t>(n) ? 0 : 1;
}
