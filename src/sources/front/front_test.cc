#include "sources/front/front.h"

#include "sources/testing.h"

namespace supportpipe::sources {
namespace {

TEST(FrontVerifyTest, AppWebhooksSignTimestampAndBodyAndAnswerTheChallenge) {
  auto v = MakeFrontVerifier(Source("front", {"front_app_key"}));
  // openssl: base64(HMAC-SHA256(key, "1796030102000:" + body))
  FakeRequest r{{{"x-front-signature", "0RYVmmwmY/JXuIQAN6OfiSZ5qREkhaUWxPgHrrTCJRQ="},
                 {"x-front-request-timestamp", "1796030102000"}},
                R"({"id":"evt_1"})"};
  const TimeMicros at = 1796030102LL * 1000000;
  auto ok = v->Verify(r.Get(), at);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->delivery_id, "evt_1");
  EXPECT_FALSE(ok->challenge);
  EXPECT_EQ(v->Verify(r.Get(), at + 400'000'000).status().message(), "timestamp_too_old");
  r.headers["x-front-challenge"] = "ch4ll3nge";
  EXPECT_EQ(*v->Verify(r.Get(), at)->challenge, R"({"challenge":"ch4ll3nge"})");
  r.headers["x-front-request-timestamp"] = "1796030102001";
  EXPECT_EQ(v->Verify(r.Get(), at).status().message(), "signature_mismatch");
}

TEST(FrontVerifyTest, RuleWebhooksSignTheBodyWithSha1) {
  auto v = MakeFrontVerifier(Source("front", {"front_api_secret"}));
  FakeRequest r{{{"x-front-signature", "qJqRbMWkS+7e6ZlLTp3V1Ih4rxM="}}, R"({"id":"evt_1"})"};
  EXPECT_TRUE(v->Verify(r.Get(), 0).ok());
  r.body = R"({"id":"evt_2"})";
  EXPECT_EQ(v->Verify(r.Get(), 0).status().message(), "signature_mismatch");
}

TEST(FrontDecodeTest, InboundMessageAndArchive) {
  auto d = MakeFrontDecoder();
  auto inbound = DecodeOk(*d, Fixture("front_inbound.json"));
  ASSERT_EQ(inbound.size(), 2u);
  EXPECT_EQ(inbound[0].id, "cnv_55c8c149:created");
  EXPECT_EQ(inbound[1].id, "message:msg_1a2b");
  EXPECT_EQ(inbound[1].message->author_role, "customer");
  EXPECT_EQ(inbound[1].message->channel, "email");
  EXPECT_EQ(inbound[1].ticket->requester, "claire@example.fr");
  auto archive = DecodeOk(*d, Fixture("front_archive.json"));
  ASSERT_EQ(archive.size(), 2u);
  EXPECT_EQ(archive[1].type, "ticket.status_changed");
  EXPECT_EQ(ChangeTo(archive[1], "status"), "solved");
  EXPECT_EQ(archive[1].ticket->assignee, "tea_9");
}

}  // namespace
}  // namespace supportpipe::sources
