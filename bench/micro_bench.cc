// Micro-benchmarks of the hot paths: decoding a canonical event, encoding it for the
// event log, splitting a batch, verifying a Standard Webhooks signature.
#include <benchmark/benchmark.h>

#include "event/codec.h"
#include "sources/standard/standard_webhooks.h"

namespace {

using namespace supportpipe;

const std::string kEvent =
    R"({"spec":"supportpipe/v1","id":"T1-1","occurred_at":"2026-10-01T08:00:07.000000Z","ticket":{"id":"T1","channel":"email","group":"billing","requester":"c-1","tags":["refund","vip"],"custom_fields":{"order_id":"A-99","plan":"pro"}},"type":"message.created","message":{"id":"m-1","author":"a-7","author_role":"agent","public":true,"body":"Hello, I ordered on the 3rd and the parcel still has not arrived. The tracking page says it left the warehouse but nothing since."},"agent":{"id":"a-7","name":"Agent 7","group":"billing"}})";

void BM_DecodeCanonical(benchmark::State& state) {
  for (auto _ : state) {
    auto e = event::DecodeCanonical(kEvent, {.now = 1796400000LL * 1000000});
    benchmark::DoNotOptimize(e);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kEvent.size()));
}
BENCHMARK(BM_DecodeCanonical);

void BM_EncodeEvent(benchmark::State& state) {
  auto e = *event::DecodeCanonical(kEvent, {.now = 1796400000LL * 1000000});
  for (auto _ : state) benchmark::DoNotOptimize(event::EncodeEvent(e));
}
BENCHMARK(BM_EncodeEvent);

void BM_SplitBatch1000(benchmark::State& state) {
  std::string body = "[";
  for (int i = 0; i < 1000; ++i) body += (i ? "," : "") + kEvent;
  body += "]";
  for (auto _ : state) benchmark::DoNotOptimize(event::SplitBatch(body, {}));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_SplitBatch1000);

void BM_StandardWebhooksVerify(benchmark::State& state) {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  auto v = std::move(sources::MakeStandardWebhooksVerifier({secret}, 300)).value();
  const std::string sig = *sources::StandardWebhooksSign(secret, "msg_1", "1796400000", kEvent);
  sources::WebhookRequest req{"POST", "/",
                              [&](std::string_view n) -> std::string_view {
                                if (n == "webhook-id") return "msg_1";
                                if (n == "webhook-timestamp") return "1796400000";
                                if (n == "webhook-signature") return sig;
                                return {};
                              },
                              kEvent};
  for (auto _ : state) benchmark::DoNotOptimize(v->Verify(req, 1796400000LL * 1000000));
}
BENCHMARK(BM_StandardWebhooksVerify);

}  // namespace

BENCHMARK_MAIN();
