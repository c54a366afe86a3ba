// Destinations through the real binary: an SLA breach with no event arriving is delivered
// signed to a receiver on loopback; a kill -9 in the middle of a retry schedule loses and
// doubles nothing.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <ctime>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>

#include "delivery/test_receiver.h"
#include "harness.h"

namespace supportpipe::testing_support {
namespace {

using delivery::kTestSecret;
using Receiver = delivery::TestReceiver;

std::string Config(int port) {
  return fmt::format(R"(
[[sla_policy]]
name = "fast"
[sla_policy.targets]
first_reply_time = {{ urgent = 0.05 }}   # 3 seconds

[[destination]]
name = "ops"
url = "http://127.0.0.1:{}/hooks"
secret_env = "SP_OPS_SECRET"
events = ["sla.breached"]
retry_s = [1]
)",
                     port);
}

std::string Created(const std::string& id) {
  return fmt::format(R"({{"spec":"supportpipe/v1","id":"{}","type":"ticket.created",)"
                     R"("occurred_at":"{}","ticket":{{"id":"{}","priority":"urgent"}},)"
                     R"("message":{{"author_role":"customer","public":true}}}})",
                     id, NowRfc3339(), id);
}

template <typename Fn>
bool Eventually(Fn fn, int seconds) {
  for (int i = 0; i < seconds * 20; ++i) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fn();
}

TEST(DeliveryIntegrationTest, ABreachIsDeliveredSignedAndRetriesSurviveAKill9) {
  Receiver rx({Receiver::Answer{500}});  // fails until told otherwise
  Harness h(Config(rx.port()), {{"SP_OPS_SECRET", kTestSecret}});
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Post("/v1/events", Created("D1")).status, 202);
  // The breach happens 3 s later with nothing arriving; the first attempt gets a 500.
  ASSERT_TRUE(Eventually([&] { return !rx.received().empty(); }, 15));
  h.Kill9();
  const size_t before = rx.received().size();
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_sla WHERE status = 'breached'"), "1");
  // Down for a while; then the receiver recovers and the server comes back.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(rx.received().size(), before);
  Receiver ok({Receiver::Answer{200}});
  std::string cfg = Config(ok.port());
  std::ofstream(h.config_path()) << "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndata_dir = \""
                                 << h.dir() << "/data\"\n"
                                 << cfg;
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(Eventually([&] { return !ok.received().empty(); }, 15));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto got = ok.received();
  ASSERT_EQ(got.size(), 1u);  // delivered once
  EXPECT_TRUE(got[0].signature_ok);
  EXPECT_EQ(got[0].id, rx.received()[0].id);  // the same webhook-id as the failed attempts
  EXPECT_NE(got[0].body.find(R"("type":"sla.breached")"), std::string::npos);
  EXPECT_NE(got[0].body.find(R"("metric":"first_reply_time")"), std::string::npos);
  for (const auto& g : rx.received()) EXPECT_TRUE(g.signature_ok);

  auto list = h.Cli({"deliveries", "list", "--format", "csv"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(",ops,delivered,sla.breached,"), std::string::npos) << list.out;
  // Sent again on request, with the same id.
  auto retry = h.Cli({"deliveries", "retry", "1"});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  ASSERT_TRUE(Eventually([&] { return ok.received().size() == 2; }, 10));
  EXPECT_EQ(ok.received()[1].id, got[0].id);
  EXPECT_NE(h.Cli({"deliveries", "retry", "99"}).exit_code, 0);
  // A time range of a destination, again.
  auto replay = h.Cli({"deliveries", "replay", "--destination", "ops", "--from", "2000-01-01",
                       "--to", "2100-01-01"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_NE(replay.out.find("1 deliveries to ops are pending again"), std::string::npos)
      << replay.out;
  ASSERT_TRUE(Eventually([&] { return ok.received().size() == 3; }, 10));
  EXPECT_EQ(ok.received()[2].id, got[0].id);
}

}  // namespace
}  // namespace supportpipe::testing_support
