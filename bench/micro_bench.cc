// Micro-benchmarks of the hot paths: decoding a canonical event, encoding it for the
// event log, splitting a batch, verifying Standard Webhooks and Zendesk signatures, and each
// vendor decoder on its test fixture.
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include "event/codec.h"
#include "sources/registry.h"
#include "sources/standard/standard_webhooks.h"
#include "sources/zendesk/zendesk.h"

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

// Vendor payloads from the test fixtures, decoded as the processor does.
std::string Fixture(const char* name) {
  std::ifstream in(std::string(SP_FIXTURES) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void DecodeVendor(benchmark::State& state, const char* vendor, const char* fixture,
                  const char* headers) {
  SourceConfig s;
  s.name = "bench";
  s.vendor = vendor;
  auto decoder = std::move(sources::MakeDecoder(s)).value();
  const std::string body = Fixture(fixture);
  size_t events = 0;
  for (auto _ : state) {
    sources::Decoded d =
        decoder->Decode({.source = "bench", .headers = headers, .body = body, .received_at = 1});
    events += d.items.size();
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(static_cast<int64_t>(events));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK_CAPTURE(DecodeVendor, zendesk_created, "zendesk", "zendesk_ticket_created.json", "{}");
BENCHMARK_CAPTURE(DecodeVendor, intercom_replied, "intercom", "intercom_admin_replied.json", "{}");
BENCHMARK_CAPTURE(DecodeVendor, hubspot_batch6, "hubspot", "hubspot_batch.json", "{}");
BENCHMARK_CAPTURE(DecodeVendor, front_inbound, "front", "front_inbound.json", "{}");
BENCHMARK_CAPTURE(DecodeVendor, helpscout_created, "helpscout", "helpscout_convo_created.json",
                  R"({"x-helpscout-event":"convo.created"})");
BENCHMARK_CAPTURE(DecodeVendor, freshdesk_template, "freshdesk", "freshdesk_created.json", "{}");

void BM_ZendeskVerify(benchmark::State& state) {
  SourceConfig s;
  s.vendor = "zendesk";
  s.secrets = {"zd-secret"};
  auto verifier = std::move(sources::MakeVerifier(s)).value();
  const std::string body = Fixture("zendesk_ticket_created.json");
  const std::string ts = "2026-11-30T09:15:02Z";
  const std::string sig = sources::ZendeskSign("zd-secret", ts, body);
  sources::WebhookRequest req{"POST", "/v1/webhooks/zd",
                              [&](std::string_view n) -> std::string_view {
                                if (n == "x-zendesk-webhook-signature") return sig;
                                if (n == "x-zendesk-webhook-signature-timestamp") return ts;
                                return {};
                              },
                              body};
  const TimeMicros now = *ParseRfc3339(ts);
  for (auto _ : state) benchmark::DoNotOptimize(verifier->Verify(req, now));
}
BENCHMARK(BM_ZendeskVerify);

BENCHMARK_MAIN();
