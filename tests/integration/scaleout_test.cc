// The JetStream log end to end: two `serve --role intake` and two `serve --role worker`
// processes share one 3-node NATS JetStream cluster (streams with 3 replicas) and one
// PostgreSQL, which holds their shared state and the warehouse. The two workers share the
// stages out: one runs the load group (loader, SLA clocks, rules), the other the feed group
// (processor, deliveries). Clients post to both intake processes; in the middle one NATS
// server is killed, then the worker running the loader is killed with -9. The other worker
// takes the load group over and carries on from the warehouse's committed position: every
// acknowledged event must be in the PostgreSQL warehouse exactly once, and its tickets must
// equal those of an embedded (SQLite) run fed the same events. Tokens made through one
// process work on the others.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "common/pg_db.h"
#include "common/test_servers.h"
#include "harness.h"

namespace supportpipe::testing_support {
namespace {

// Runs a project script (scripts/nats.sh ...) and returns its first line of output.
std::string Script(const std::string& args) {
  const std::string cmd = std::string(SP_SCRIPTS_DIR) + "/" + args;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  char buf[4096] = {};
  std::string out = fgets(buf, sizeof buf, p) ? buf : "";
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// Status changes of 40 tickets at times fixed by the id, so the final state and metrics
// depend on what arrived, not in what order.
std::string Event(int client, int i) {
  static const char* kStatus[] = {"open", "pending", "solved"};
  const int ticket = (client * 7 + i) % 40;
  char when[32];
  std::snprintf(when, sizeof when, "2026-11-01T%02d:%02d:%02dZ", 10 + client, (i / 60) % 60,
                i % 60);
  return R"({"spec":"supportpipe/v1","id":"c)" + std::to_string(client) + "-" + std::to_string(i) +
         R"(","type":"ticket.updated","occurred_at":")" + when + R"(","ticket":{"id":"T)" +
         std::to_string(ticket) + R"(","status":")" + kStatus[i % 3] +
         R"(","subject":"scale-out"},"changes":{"status":{"to":")" + kStatus[i % 3] + R"("}}})";
}

// The end of a process's log, for failure messages.
std::string ErrTail(const Harness& h) {
  std::ifstream in(h.dir() + "/serve.err");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

bool HoldsWorkerLock(Harness& h) {
  return h.Get("/metrics").body.find("supportpipe_worker_active 1\n") != std::string::npos;
}

// Whether `h` runs the stage group ("load" or "feed").
bool Runs(Harness& h, const std::string& group) {
  return h.Get("/metrics")
             .body.find("supportpipe_worker_group_active{group=\"" + group + "\"} 1\n") !=
         std::string::npos;
}

// Polls for up to 10 s until `ok()`.
template <typename Fn>
bool Eventually(Fn ok) {
  for (int i = 0; i < 200; ++i) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// Tickets as the warehouse has them, state and every metric, without load times and
// lineage.
std::vector<std::string> Tickets(Harness& h) {
  std::string columns;
  for (const char* c : {"status",
                        "initial_status",
                        "event_count",
                        "last_occurred_us",
                        "created_day",
                        "first_solved_at",
                        "first_resolution_s",
                        "first_resolution_business_s",
                        "last_solved_at",
                        "full_resolution_s",
                        "full_resolution_business_s",
                        "reopens",
                        "requester_wait_s",
                        "requester_wait_business_s",
                        "agent_work_s",
                        "agent_work_business_s",
                        "agent_wait_s",
                        "agent_wait_business_s",
                        "on_hold_s",
                        "on_hold_business_s",
                        "resolution_touches"}) {
    columns += fmt::format(" || '|' || COALESCE(CAST({} AS TEXT), '-')", c);
  }
  return h.Column("SELECT ticket_id" + columns + " FROM fact_ticket ORDER BY ticket_id");
}

// Every ticket's status changes in order: per-ticket order as the warehouse derived it.
std::vector<std::string> StatusChanges(Harness& h) {
  return h.Column(
      "SELECT ticket_id || '|' || n || '|' || from_status || '>' || to_status || '|' || "
      "changed_us || '|' || is_solve || is_reopen FROM fact_status_change ORDER BY ticket_id, "
      "n");
}

TEST(ScaleOutTest, NodeAndWorkerDeathsLoseAndDoubleNothing) {
  const std::string pg = TestServerUrl("SUPPORTPIPE_TEST_PG_URL");
  if (pg.empty()) {
    if (TestServersRequired()) FAIL() << "SUPPORTPIPE_TEST_PG_URL is not set";
    GTEST_SKIP() << "SUPPORTPIPE_TEST_PG_URL is not set (scripts/test.sh starts PostgreSQL)";
  }
  // A cluster of our own: killing one of its servers must not disturb other tests.
  char tmpl[] = "/tmp/sp_nats_XXXXXX";
  const std::string nats_dir = mkdtemp(tmpl);
  const std::string urls = Script("nats.sh start " + nats_dir + " 3");
  ASSERT_NE(urls.find("nats://"), std::string::npos)
      << "cannot start the NATS cluster in " << nats_dir << ": " << urls;
  const std::string name = "it" + std::to_string(getpid());
  // Lines before any table header belong to the harness's [storage].
  const std::string storage = "log = \"" + urls + "\"\nstate = \"" + pg + "\"\nlog_name = \"" +
                              name + "\"\nlog_replicas = 3\nwarehouse = \"" + pg +
                              "\"\nwarehouse_schema = \"" + name + "_wh\"\n";
  Harness a(storage), b(storage), w1(storage), w2(storage);
  w1.pg_warehouse = w2.pg_warehouse = PgUrlWithSearchPath(pg, name + "_wh");
  a.serve_args = b.serve_args = {"--role", "intake"};
  w1.serve_args = w2.serve_args = {"--role", "worker"};
  ASSERT_TRUE(w1.Start()) << ErrTail(w1);
  ASSERT_TRUE(a.Start()) << ErrTail(a);
  ASSERT_TRUE(b.Start()) << ErrTail(b);
  ASSERT_TRUE(w2.Start()) << ErrTail(w2);
  // Roles: intake processes never run the stages; workers take no events.
  EXPECT_EQ(w2.Post("/v1/events", Event(9, 0)).status, 503);
  EXPECT_EQ(w2.Get("/readyz").status, 503);
  EXPECT_EQ(a.Get("/readyz").status, 200);
  // Tokens are shared: one made through one process admits its holder on every other, and
  // from then on tokens are required everywhere.
  CommandResult made = a.Cli({"token", "create", "--name", "grafana", "--scope", "read"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::string token = made.out;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  {
    HttpClient to_w2(w2.port());
    EXPECT_EQ(to_w2.Request("GET", "/v1/admin/deliveries", "").status, 401);
    EXPECT_EQ(
        to_w2.Request("GET", "/v1/admin/deliveries", "", {{"Authorization", "Bearer " + token}})
            .status,
        200);
  }

  std::mutex mu;
  std::set<std::string> acked;
  std::map<std::string, std::string> bodies;  // id -> body of all sent, for the embedded run
  // The tickets are created first, so that every metric and status change has a start.
  {
    HttpClient to_a(a.port());
    for (int t = 0; t < 40; ++t) {
      const std::string id = "create-T" + std::to_string(t);
      bodies[id] =
          R"({"spec":"supportpipe/v1","id":")" + id +
          R"(","type":"ticket.created","occurred_at":"2026-11-01T09:00:00Z","ticket":{"id":"T)" +
          std::to_string(t) + R"(","status":"new","subject":"scale-out"}})";
      ASSERT_EQ(to_a.Request("POST", "/v1/events", bodies[id]).status, 202);
      acked.insert(id);
    }
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  constexpr int kClients = 4;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      HttpClient to_a(a.port()), to_b(b.port());
      for (int i = 0; !stop && i < 100000; ++i) {
        const bool use_a = i % 2 == 0;  // alternate between the two intake processes
        const std::string body = Event(c, i);
        const std::string id = "c" + std::to_string(c) + "-" + std::to_string(i);
        {
          std::lock_guard lock(mu);
          bodies[id] = body;  // sent: may be stored even when the answer never came
        }
        HttpResult r = (use_a ? to_a : to_b).Request("POST", "/v1/events", body);
        if (r.status == 202 || r.status == 200) {
          std::lock_guard lock(mu);
          acked.insert(id);
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  Script("nats.sh kill " + nats_dir + " 2");  // one of three NATS servers dies
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_FALSE(HoldsWorkerLock(a));
  EXPECT_FALSE(HoldsWorkerLock(b));
  // Both workers work: each runs one of the two groups.
  ASSERT_TRUE(Eventually([&] { return Runs(w1, "load") != Runs(w2, "load"); }));
  ASSERT_TRUE(Eventually([&] { return Runs(w1, "feed") != Runs(w2, "feed"); }));
  EXPECT_TRUE(HoldsWorkerLock(w1));
  EXPECT_TRUE(HoldsWorkerLock(w2));
  EXPECT_NE(Runs(w1, "load"), Runs(w1, "feed"));
  Harness& worker = Runs(w1, "load") ? w1 : w2;
  Harness& survivor = &worker == &w1 ? w2 : w1;
  worker.Kill9();  // the process running the loader dies mid-stream
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop = true;
  for (auto& t : clients) t.join();

  // The survivor takes the load group over, keeps the feed group, and catches up.
  ASSERT_TRUE(Eventually([&] { return Runs(survivor, "load") && Runs(survivor, "feed"); }))
      << "the surviving worker never took every stage over";
  const auto t0 = std::chrono::steady_clock::now();
  auto since = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  ASSERT_TRUE(survivor.WaitForLoaded());
  CommandResult status = survivor.Cli({"status", "--format", "csv"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("log,\"NATS JetStream nats://"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("processor lag,0\n"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("schema " + name + "_wh"), std::string::npos) << status.out;
  std::printf("scale-out: the survivor caught up %.1f s after taking over\n", since());
  const std::vector<std::string> rows = survivor.Column(
      "SELECT event_id FROM fact_ticket_event WHERE type IN ('ticket.created', "
      "'ticket.updated')");
  std::multiset<std::string> loaded(rows.begin(), rows.end());
  ASSERT_GT(acked.size(), 100u) << "the clients should have been acknowledged many times";
  for (const auto& id : acked) EXPECT_EQ(loaded.count(id), 1u) << "acknowledged event " << id;
  for (const auto& id : loaded) EXPECT_EQ(loaded.count(id), 1u) << "loaded twice: " << id;

  // The same events through the embedded backends give the same tickets.
  Harness embedded;
  ASSERT_TRUE(embedded.Start());
  {
    HttpClient client(embedded.port());
    for (const std::string& id : rows) {
      auto it = bodies.find(id);
      ASSERT_NE(it, bodies.end()) << "loaded but never sent: " << id;
      ASSERT_EQ(client.Request("POST", "/v1/events", it->second).status, 202);
    }
  }
  ASSERT_TRUE(embedded.WaitForLoaded());
  EXPECT_EQ(Tickets(survivor), Tickets(embedded));
  const std::vector<std::string> changes = StatusChanges(survivor);
  EXPECT_GT(changes.size(), 40u);
  EXPECT_EQ(changes, StatusChanges(embedded));
  std::printf(
      "scale-out: 2 intake + 2 worker processes: %zu acknowledged, %zu loaded; a NATS server "
      "and the active worker killed\n",
      acked.size(), rows.size());
  EXPECT_TRUE(survivor.Stop());
  EXPECT_TRUE(a.Stop());
  EXPECT_TRUE(b.Stop());
  EXPECT_TRUE(embedded.Stop());
  Script("nats.sh stop " + nats_dir);
  std::system(("rm -rf " + nats_dir).c_str());
}

}  // namespace
}  // namespace supportpipe::testing_support
