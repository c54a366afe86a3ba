#include "sources/helpscout/helpscout.h"

#include "sources/testing.h"

namespace supportpipe::sources {
namespace {

TEST(HelpScoutVerifyTest, Sha1OverTheBodyAndTheEventInTheDeliveryId) {
  auto v = MakeHelpScoutVerifier(Source("helpscout", {"hs_secret"}));
  FakeRequest r{{{"x-helpscout-signature", "Ho/D3viynkD1CuOfK97qTaFlmWc="},
                 {"x-helpscout-event", "convo.status"}},
                R"({"id":1})"};
  auto ok = v->Verify(r.Get(), 0);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->delivery_id.rfind("convo.status:sha256:", 0), 0u);
  r.headers["x-helpscout-signature"] = "Ho/D3viynkD1CuOfK97qTaFlmWd=";
  EXPECT_EQ(v->Verify(r.Get(), 0).status().message(), "signature_mismatch");
}

TEST(HelpScoutDecodeTest, ConversationCreatedAndRating) {
  auto d = MakeHelpScoutDecoder();
  auto events = DecodeOk(*d, Fixture("helpscout_convo_created.json"), kWebhook,
                         R"({"x-helpscout-event":"convo.created"})");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].id, "4101:created");
  EXPECT_EQ(events[1].id, "thread:71001");
  EXPECT_EQ(events[1].message->author_role, "customer");
  EXPECT_EQ(events[2].ticket->requester, "29418");
  EXPECT_EQ(ChangeTo(events[2], "status"), "open");
  auto rating = DecodeOk(*d, Fixture("helpscout_rating.json"), kWebhook,
                         R"({"x-helpscout-event":"satisfaction.ratings"})");
  ASSERT_EQ(rating.size(), 1u);
  EXPECT_EQ(rating[0].csat->rating, "5");
  EXPECT_EQ(rating[0].ticket->id, "4101");
}

}  // namespace
}  // namespace supportpipe::sources
