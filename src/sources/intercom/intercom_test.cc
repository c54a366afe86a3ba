#include "sources/intercom/intercom.h"

#include "common/time.h"
#include "sources/testing.h"

namespace supportpipe::sources {
namespace {

constexpr const char* kBody = R"({"type":"notification_event","id":"notif_1"})";
// openssl dgst -sha1 -hmac ic_secret
constexpr const char* kSig = "sha1=d326f26d9bffaaadc8e6cad38604bf8b139bfbf8";

TEST(IntercomVerifyTest, HubSignatureOverTheRawBody) {
  auto v = MakeIntercomVerifier(Source("intercom", {"rotated", "ic_secret"}));
  auto ok = v->Verify(FakeRequest{{{"x-hub-signature", kSig}}, kBody}.Get(), 0);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->delivery_id, "notif_1");
  std::string changed = kBody;
  changed[2] = 'T';
  EXPECT_EQ(
      v->Verify(FakeRequest{{{"x-hub-signature", kSig}}, changed}.Get(), 0).status().message(),
      "signature_mismatch");
  EXPECT_EQ(v->Verify(FakeRequest{{}, kBody}.Get(), 0).status().message(), "missing_header");
  EXPECT_EQ(MakeIntercomVerifier(Source("intercom", {"wrong"}))
                ->Verify(FakeRequest{{{"x-hub-signature", kSig}}, kBody}.Get(), 0)
                .status()
                .message(),
            "signature_mismatch");
}

TEST(IntercomDecodeTest, CreationReplyAndClose) {
  auto d = MakeIntercomDecoder();
  auto created = DecodeOk(*d, Fixture("intercom_user_created.json"));
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(created[0].id, "1911149811:created");
  EXPECT_EQ(created[0].ticket->status, "new");
  EXPECT_EQ(created[0].ticket->group, "5017691");
  EXPECT_EQ(created[0].ticket->priority, "normal");
  EXPECT_EQ(created[1].id, "source:403918320");
  EXPECT_EQ(created[1].message->author_role, "customer");
  EXPECT_EQ(created[1].message->author, "5f1a");
  EXPECT_EQ(created[0].drift, (std::vector<std::string>{"data.item.new_widget_flag"}));

  auto reply = DecodeOk(*d, Fixture("intercom_admin_replied.json"));
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].id, "part:31001");
  EXPECT_EQ(reply[0].message->author_role, "agent");
  EXPECT_EQ(reply[0].ticket->priority, "high");
  EXPECT_EQ(*reply[0].ticket->tags, std::vector<std::string>{"shipping"});
  EXPECT_EQ(reply[0].occurred_at, 1796031000LL * 1000000);

  auto closed = DecodeOk(*d, Fixture("intercom_closed.json"));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].type, "ticket.status_changed");
  EXPECT_EQ(ChangeTo(closed[0], "status"), "solved");
}

TEST(IntercomDecodeTest, ExportGivesTheSameIdsAsTheWebhooks) {
  auto d = MakeIntercomDecoder();
  std::string conv = Fixture("intercom_conversations.json");
  // One conversation of the list (the importer splits lists into conversations).
  const size_t start = conv.find("{\"type\":\"conversation\",");
  conv = conv.substr(start, conv.rfind("]}") - start);
  auto events = DecodeOk(*d, conv, "export:intercom");
  std::vector<std::string> ids;
  for (const auto& e : events) ids.push_back(e.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"1911149811:created", "source:403918320", "part:31001",
                                           "part:31002", "1911149811:csat@1796033000"}));
  EXPECT_EQ(events.back().csat->rating, "5");
  EXPECT_EQ(events.back().csat->comment, "¡Gracias!");
}

TEST(IntercomDecodeTest, UnknownStateAndMissingItemFail) {
  auto d = MakeIntercomDecoder();
  std::string body = Fixture("intercom_closed.json");
  body.replace(body.find(R"("state":"closed")"), 16, R"("state":"frozen")");
  EXPECT_EQ(DecodeError(*d, body).field(), "/data/item/state");
  EXPECT_EQ(
      DecodeError(*d, R"({"id":"n","topic":"conversation.user.replied","created_at":1})").field(),
      "/data/item");
}

}  // namespace
}  // namespace supportpipe::sources
