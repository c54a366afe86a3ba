#include "sources/hubspot/hubspot.h"

#include "sources/testing.h"

namespace supportpipe::sources {
namespace {

constexpr const char* kSecret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";

TEST(HubSpotVerifyTest, PublishedV3Vector) {
  EXPECT_EQ(HubSpotSignV3(kSecret, "POST", "https://www.example.com/webhook_uri",
                          "{'example_field':'example_value'}", "15000000"),
            "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=");
}

TEST(HubSpotVerifyTest, V3UsesThePublicUrlPlusTheQueryAndAWindow) {
  SourceConfig s = Source("hubspot", {kSecret});
  s.public_url = "https://www.example.com/webhook_uri";
  auto v = MakeHubSpotVerifier(s);
  FakeRequest r{{{"x-hubspot-signature-v3", "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw="},
                 {"x-hubspot-request-timestamp", "15000000"}},
                "{'example_field':'example_value'}",
                "/v1/webhooks/hs"};
  EXPECT_TRUE(v->Verify(r.Get(), 15000000LL * 1000 + 60'000'000).ok());
  EXPECT_EQ(v->Verify(r.Get(), 15000000LL * 1000 + 301'000'000).status().message(),
            "timestamp_too_old");
  r.target = "/v1/webhooks/hs?x=1";  // a query HubSpot did not sign
  EXPECT_EQ(v->Verify(r.Get(), 15000000LL * 1000).status().message(), "signature_mismatch");
  // Escapes HubSpot decodes before signing.
  r.headers["x-hubspot-signature-v3"] = HubSpotSignV3(
      kSecret, "POST", "https://www.example.com/webhook_uri?to=a@b:c", r.body, "15000000");
  r.target = "/v1/webhooks/hs?to=a%40b%3Ac";
  EXPECT_TRUE(v->Verify(r.Get(), 15000000LL * 1000).ok());
}

TEST(HubSpotVerifyTest, LegacyV1PublishedVectorAndV2) {
  const std::string body =
      R"([{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}])";
  auto v = MakeHubSpotVerifier(Source("hubspot", {kSecret}));
  FakeRequest r{
      {{"x-hubspot-signature", "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"},
       {"x-hubspot-signature-version", "v1"}},
      body};
  EXPECT_TRUE(v->Verify(r.Get(), 0).ok());
  r.body[5] = 'X';
  EXPECT_EQ(v->Verify(r.Get(), 0).status().message(), "signature_mismatch");

  SourceConfig s = Source("hubspot", {kSecret});
  s.public_url = "https://hooks.example.com/v1/webhooks/hs";
  // sha256(secret + "POST" + url + "?a=1" + body), computed with openssl
  FakeRequest v2{
      {{"x-hubspot-signature", "b6228d8cba7267ca03d7005a5d3cd0daf734984f06f3fd38f61504cd748eee8b"},
       {"x-hubspot-signature-version", "v2"}},
      R"([{"eventId":1}])",
      "/v1/webhooks/hs?a=1"};
  EXPECT_TRUE(MakeHubSpotVerifier(s)->Verify(v2.Get(), 0).ok());
  v2.headers["x-hubspot-signature-version"] = "v9";
  EXPECT_EQ(MakeHubSpotVerifier(s)->Verify(v2.Get(), 0).status().message(),
            "unknown_signature_version");
}

TEST(HubSpotDecodeTest, OneEventPerElementAndABadOneFailsAlone) {
  auto d = MakeHubSpotDecoder();
  Decoded out = d->Decode({.source = "s", .body = Fixture("hubspot_batch.json")});
  ASSERT_TRUE(out.error.ok());
  EXPECT_EQ(out.ignored, 1);  // the deal
  ASSERT_EQ(out.items.size(), 5u);
  EXPECT_EQ(out.items[0].event.id, "7001:created");
  EXPECT_EQ(out.items[0].event.type, "ticket.created");
  EXPECT_EQ(out.items[1].event.id, "1002");
  EXPECT_EQ(ChangeTo(out.items[1].event, "status"), "open");
  EXPECT_EQ(ChangeTo(out.items[2].event, "priority"), "normal");
  EXPECT_EQ(out.items[3].event.type, "customer.upserted");
  EXPECT_EQ(out.items[3].event.customer->email, "zoë@example.com");
  EXPECT_EQ(out.items[4].index, 5);
  EXPECT_EQ(out.items[4].status.field(), "/5/propertyValue");
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(out.items[i].status.ok()) << i;
}

}  // namespace
}  // namespace supportpipe::sources
