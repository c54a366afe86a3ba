// P3 (freshness): at a steady rate of signed webhooks, the time from each `202` to the
// event's row being visible in the warehouse. Starts `supportpipe serve` with a Standard
// Webhooks source, sends canonical events (one new ticket, then four messages on it, over
// and over) at RATE requests per second for SECONDS, paced on a fixed schedule from several
// threads, and watches fact_ticket_event through a read-only connection every millisecond.
// Prints p50 / p99 / max of (first seen in the warehouse − 202 received). One line.
//   build/release/bench/p3_freshness build/release/src/cli/supportpipe [RATE] [SECONDS]
// P3_STORAGE adds lines to [storage] (a JetStream log: log = "nats://...", state = "...");
// P3_SPLIT=1 runs a `--role intake` and a `--role worker` process instead of one;
// P3_WORKERS=2 runs two worker processes (with a PostgreSQL warehouse they share the stages).
// P3_PG_WAREHOUSE: when the warehouse is in PostgreSQL, a URL whose search_path is its schema,
// to watch it there.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "bench_util.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/pg_db.h"
#include "common/sqlite_db.h"
#include "common/time.h"
#include "intake/http_client.h"

using namespace supportpipe;

namespace {

constexpr int kSenders = 8;

// Event i: ticket i/5 is created by event 5k and gets a customer message from the others.
std::string Body(int i, TimeMicros now) {
  const int ticket = i / 5;
  if (i % 5 == 0) {
    return fmt::format(
        R"({{"spec":"supportpipe/v1","id":"p3-{}","type":"ticket.created","occurred_at":"{}",)"
        R"("ticket":{{"id":"P3-{}","subject":"Order did not arrive","priority":"normal",)"
        R"("channel":"email"}},"customer":{{"id":"c{}","email":"c{}@example.com"}},)"
        R"("message":{{"id":"m{}","author_role":"customer","body":"Where is my parcel?"}}}})",
        i, FormatRfc3339(now), ticket, ticket, ticket, i);
  }
  return fmt::format(
      R"({{"spec":"supportpipe/v1","id":"p3-{}","type":"message.created","occurred_at":"{}",)"
      R"("ticket":{{"id":"P3-{}"}},"message":{{"id":"m{}","author_role":"customer",)"
      R"("body":"Any news about my order?"}}}})",
      i, FormatRfc3339(now), ticket, i);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SUPPORTPIPE_BINARY [RATE] [SECONDS]\n", argv[0]);
    return 2;
  }
  const int rate = argc > 2 ? std::atoi(argv[2]) : 2000;
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 20;
  const int n = rate * seconds;
  char tmpl[] = "/tmp/sp-p3.XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::ofstream(dir + "/sp.toml") << fmt::format(
      R"([server]
listen = "127.0.0.1:0"
[storage]
data_dir = "{}/data"
{}
[[source]]
name = "p3"
vendor = "standard"
secret_file = "{}/secret"
)",
      dir, std::getenv("P3_STORAGE") ? std::getenv("P3_STORAGE") : "", dir);
  std::ofstream(dir + "/secret") << bench::kSecret << "\n";
  const bool split = std::getenv("P3_SPLIT") != nullptr;
  const int n_workers =
      split ? std::max(1, std::atoi(std::getenv("P3_WORKERS") ? std::getenv("P3_WORKERS") : "1"))
            : 0;
  const bench::Served served = bench::Serve(argv[1], dir, split ? "intake" : nullptr);
  std::vector<bench::Served> workers;
  for (int w = 0; w < n_workers; ++w) {
    // Each worker its own directory (its config names the shared backends).
    const std::string wdir = fmt::format("{}/w{}", dir, w);
    std::filesystem::create_directories(wdir);
    std::filesystem::copy_file(dir + "/sp.toml", wdir + "/sp.toml");
    workers.push_back(bench::Serve(argv[1], n_workers == 1 ? dir : wdir, "worker"));
  }
  auto stop_all = [&] {
    served.Stop();
    for (const bench::Served& w : workers) w.Stop();
  };
  const int port = served.port;
  bool started = port != 0;
  for (const bench::Served& w : workers) started = started && w.port;
  if (!started) {
    stop_all();
    return 1;
  }
  // Rows appear in load order: read past the last one seen (SQLite's rowid, or the event
  // offset in PostgreSQL).
  const char* pg_url = std::getenv("P3_PG_WAREHOUSE");
  std::unique_ptr<SqliteDb> sqlite;
  std::unique_ptr<PgDb> pg;
  Status opened;
  if (pg_url) {
    auto p = PgDb::Open(pg_url);
    opened = p.status();
    if (p.ok()) pg = std::move(p).value();
  } else {
    auto d = SqliteDb::Open(dir + "/data/warehouse.db", {.read_only = true, .cache_mib = 8});
    opened = d.status();
    if (d.ok()) sqlite = std::move(d).value();
  }
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.ToString().c_str());
    stop_all();
    return 1;
  }

  SystemClock clock;
  const std::string key = *Base64Decode(std::string_view(bench::kSecret).substr(6));
  const std::string url = fmt::format("http://127.0.0.1:{}/v1/webhooks/p3", port);
  std::vector<TimeMicros> acked(n, 0), seen(n, 0);
  std::atomic<int> failed{0};
  std::atomic<bool> sending{true};
  const auto start = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  std::vector<std::thread> senders;
  for (int t = 0; t < kSenders; ++t) {
    senders.emplace_back([&, t] {
      for (int i = t; i < n; i += kSenders) {
        std::this_thread::sleep_until(start +
                                      std::chrono::microseconds(int64_t{i} * 1000000 / rate));
        const TimeMicros now = clock.Now();
        const std::string body = Body(i, now), id = fmt::format("msg_p3_{}", i);
        const std::string ts = std::to_string(now / 1000000);
        const std::string sig = "v1," + Base64Encode(HmacSha256(key, id + "." + ts + "." + body));
        auto r = intake::Fetch({.method = "POST",
                                .url = url,
                                .headers = {{"Content-Type", "application/json"},
                                            {"webhook-id", id},
                                            {"webhook-timestamp", ts},
                                            {"webhook-signature", sig}},
                                .body = body});
        if (r.ok() && r->status == 202) {
          acked[i] = clock.Now();
        } else {
          ++failed;
        }
      }
    });
  }
  std::thread watcher([&] {
    int64_t after = 0;
    int found = 0;
    const auto deadline = start + std::chrono::seconds(seconds + 30);
    auto saw = [&](int64_t position, std::string_view id, TimeMicros now) {
      after = std::max(after, position);
      const int i = std::atoi(std::string(id.substr(3)).c_str());
      if (id.rfind("p3-", 0) == 0 && i >= 0 && i < n && !seen[i]) {
        seen[i] = now;
        ++found;
      }
    };
    while (found < n && std::chrono::steady_clock::now() < deadline) {
      if (pg) {
        auto rows = pg->Exec(
            "SELECT event_offset, event_id FROM fact_ticket_event WHERE event_offset > $1 "
            "ORDER BY event_offset",
            {Pg(after)});
        const TimeMicros now = clock.Now();
        for (int r = 0; rows.ok() && r < rows->size(); ++r) {
          saw(rows->Int(r, 0), rows->Text(r, 1), now);
        }
      } else if (auto q = sqlite->Prepare("SELECT rowid, event_id FROM fact_ticket_event WHERE "
                                          "rowid > ? ORDER BY rowid");
                 q.ok()) {
        const TimeMicros now = clock.Now();
        (*q)->Bind(1, after);
        (*q)->ForEachRow([&] { saw((*q)->Int(0), (*q)->Text(1), now); }).IgnoreError();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  for (auto& s : senders) s.join();
  sending = false;
  const double sent_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  watcher.join();
  stop_all();
  sqlite.reset();
  pg.reset();
  std::filesystem::remove_all(dir);

  std::vector<int64_t> lat;
  int missing = 0;
  for (int i = 0; i < n; ++i) {
    if (!acked[i]) continue;
    if (!seen[i]) {
      ++missing;
      continue;
    }
    // Seen before the sender read its 202 (the pipeline beat the answer home): 0.
    lat.push_back(std::max<int64_t>(0, seen[i] - acked[i]));
  }
  if (lat.empty()) {
    std::fprintf(stderr, "no event reached the warehouse\n");
    return 1;
  }
  std::printf(
      "P3 freshness at %d webhooks/s for %d s (achieved %.0f/s, %d refused, %d never seen): "
      "202 -> row visible in the warehouse %s (target: p50 <= 100 ms, p99 <= 500 ms)\n",
      rate, seconds, n / sent_s, failed.load(), missing, bench::Percentiles(lat).c_str());
  return failed == 0 && missing == 0 ? 0 : 1;
}
