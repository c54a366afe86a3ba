#include "sources/slack/slack.h"

#include "sources/testing.h"

namespace supportpipe::sources {
namespace {

constexpr const char* kSecret = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr const char* kTs = "1531420618";
constexpr const char* kBody =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%"
    "2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121."
    "803a0bc887a14d10d2c447fce8b6703c";
constexpr const char* kSig = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
constexpr TimeMicros kAt = 1531420618LL * 1000000;

TEST(SlackVerifyTest, PublishedVectorWindowAndTampering) {
  EXPECT_EQ(SlackSign(kSecret, kTs, kBody), kSig);
  auto v = MakeSlackVerifier(Source("slack", {kSecret}));
  FakeRequest r{{{"x-slack-signature", kSig}, {"x-slack-request-timestamp", kTs}}, kBody};
  EXPECT_TRUE(v->Verify(r.Get(), kAt).ok());
  EXPECT_EQ(v->Verify(r.Get(), kAt + 301'000'000).status().message(), "timestamp_too_old");
  EXPECT_EQ(v->Verify(r.Get(), kAt - 301'000'000).status().message(), "timestamp_in_future");
  r.body.back() = 'd';
  EXPECT_EQ(v->Verify(r.Get(), kAt).status().message(), "signature_mismatch");
}

TEST(SlackVerifyTest, UrlVerificationIsAnsweredAfterTheSignature) {
  auto v = MakeSlackVerifier(Source("slack", {kSecret}));
  const std::string body =
      R"({"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"})";
  FakeRequest r{
      {{"x-slack-signature", SlackSign(kSecret, kTs, body)}, {"x-slack-request-timestamp", kTs}},
      body};
  auto ok = v->Verify(r.Get(), kAt);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok->challenge,
            R"({"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})");
  r.headers["x-slack-signature"] = SlackSign("other", kTs, body);
  EXPECT_FALSE(v->Verify(r.Get(), kAt).ok());
}

TEST(SlackDecodeTest, ThreadsAreTicketsAndAgentsAreConfigured) {
  SourceConfig s = Source("slack", {kSecret});
  s.agent_ids = {"UAGENT1"};
  auto d = MakeSlackDecoder(s);
  auto root = DecodeOk(*d, Fixture("slack_message.json"));
  ASSERT_EQ(root.size(), 2u);
  EXPECT_EQ(root[0].id, "C2147483705-1796030102.000200:created");
  EXPECT_EQ(root[1].message->author_role, "customer");
  auto reply = DecodeOk(*d, Fixture("slack_reply.json"));
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].ticket->id, "C2147483705-1796030102.000200");
  EXPECT_EQ(reply[0].message->author_role, "agent");
  Decoded edit = d->Decode(
      {.body =
           R"({"type":"event_callback","event":{"type":"message","subtype":"message_changed"}})"});
  EXPECT_EQ(edit.ignored, 1);
  EXPECT_TRUE(edit.items.empty());
}

}  // namespace
}  // namespace supportpipe::sources
