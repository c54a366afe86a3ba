#include "sources/zendesk/zendesk.h"

#include "common/time.h"
#include "sources/testing.h"

namespace supportpipe::sources {
namespace {

constexpr const char* kSecret = "zd_s3cr3t_ÆØ";
constexpr const char* kTs = "2026-11-30T09:15:02Z";
constexpr const char* kBody = R"({"type":"zen:event-type:ticket.created","id":"e1"})";
// openssl dgst -sha256 -hmac "$secret" -binary <<< "$ts$body" | base64
constexpr const char* kSig = "6mZXCbfROBkB6pNOKBRQ0mma0zEJiOQwFTmwph2UXHQ=";
const TimeMicros kAt = *ParseRfc3339(kTs);

FakeRequest Signed() {
  return FakeRequest{{{"x-zendesk-webhook-signature", kSig},
                      {"x-zendesk-webhook-signature-timestamp", kTs},
                      {"x-zendesk-webhook-invocation-id", "inv-1"}},
                     kBody};
}

TEST(ZendeskVerifyTest, AcceptsTimestampThenBodyWithEitherSecret) {
  EXPECT_EQ(ZendeskSign(kSecret, kTs, kBody), kSig);
  auto v = MakeZendeskVerifier(Source("zendesk", {"old", kSecret}));
  auto ok = v->Verify(Signed().Get(), kAt + 10'000'000);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->delivery_id, "event:e1");
}

TEST(ZendeskVerifyTest, RefusesEveryKindOfBadRequestWithAReason) {
  auto v = MakeZendeskVerifier(Source("zendesk", {kSecret}));
  auto reason = [&](FakeRequest r, TimeMicros now = kAt) {
    return v->Verify(r.Get(), now).status().message();
  };
  FakeRequest changed = Signed();
  changed.body[changed.body.size() - 3] = '2';  // one byte
  EXPECT_EQ(reason(changed), "signature_mismatch");
  FakeRequest missing = Signed();
  missing.headers.erase("x-zendesk-webhook-signature");
  EXPECT_EQ(reason(missing), "missing_header");
  EXPECT_EQ(reason(Signed(), kAt + 301'000'000), "timestamp_too_old");
  EXPECT_EQ(reason(Signed(), kAt - 301'000'000), "timestamp_in_future");
  FakeRequest bad_ts = Signed();
  bad_ts.headers["x-zendesk-webhook-signature-timestamp"] = "yesterday";
  EXPECT_EQ(reason(bad_ts), "bad_timestamp");
  EXPECT_EQ(MakeZendeskVerifier(Source("zendesk", {"wrong"}))
                ->Verify(Signed().Get(), kAt)
                .status()
                .message(),
            "signature_mismatch");
}

TEST(ZendeskVerifyTest, LegacyOrderOnlyWhenConfigured) {
  FakeRequest legacy = Signed();
  legacy.headers["x-zendesk-webhook-signature"] =
      ZendeskSign(kSecret, "", std::string(kBody) + kTs);
  auto current = MakeZendeskVerifier(Source("zendesk", {kSecret}));
  EXPECT_EQ(current->Verify(legacy.Get(), kAt).status().message(), "signature_mismatch");
  SourceConfig s = Source("zendesk", {kSecret});
  s.legacy_order = true;
  EXPECT_TRUE(MakeZendeskVerifier(s)->Verify(legacy.Get(), kAt).ok());
}

std::unique_ptr<Decoder> Dec(SourceConfig s = Source("zendesk")) {
  return std::move(MakeZendeskDecoder(s)).value();
}

TEST(ZendeskDecodeTest, TicketCreatedKeepsUnmappedFieldsAndCountsDrift) {
  auto events = DecodeOk(*Dec(), Fixture("zendesk_ticket_created.json"));
  ASSERT_EQ(events.size(), 1u);
  const event::Event& e = events[0];
  EXPECT_EQ(e.id, "5158:created");
  EXPECT_EQ(e.type, "ticket.created");
  EXPECT_EQ(FormatRfc3339(e.occurred_at), "2026-11-30T09:15:02.000000Z");
  EXPECT_EQ(e.ticket->status, "new");
  EXPECT_EQ(e.ticket->priority, "high");
  EXPECT_EQ(e.ticket->channel, "email");
  EXPECT_EQ(e.ticket->subject, "Remboursement pas reçu — commande A-99");
  EXPECT_EQ(e.ticket->requester, "8447388090494");
  EXPECT_EQ(e.ticket->group, "360001");
  EXPECT_EQ(*e.ticket->tags, (std::vector<std::string>{"refund", "vip"}));
  // Documented but unmapped: kept, not drift. Unknown: kept and drift.
  auto has = [&](const std::string& k) {
    for (const auto& [key, v] : e.attributes) {
      if (key == k) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("detail.form_id"));
  EXPECT_TRUE(has("account_id"));
  EXPECT_TRUE(has("detail.sla_tier"));
  EXPECT_EQ(e.drift, (std::vector<std::string>{"detail.sla_tier"}));
}

TEST(ZendeskDecodeTest, CommentStatusAndTriggerWebhooks) {
  auto comment = DecodeOk(*Dec(), Fixture("zendesk_comment_added.json"));
  ASSERT_EQ(comment.size(), 1u);
  EXPECT_EQ(comment[0].id, "comment:77001");
  EXPECT_EQ(comment[0].message->author_role, "agent");
  EXPECT_EQ(comment[0].message->author, "901");
  EXPECT_TRUE(comment[0].message->is_public);

  auto status = DecodeOk(*Dec(), Fixture("zendesk_status_changed.json"));
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].type, "ticket.status_changed");
  EXPECT_EQ(status[0].id, "5158:status:solved@1796033100");
  EXPECT_EQ(ChangeTo(status[0], "status"), "solved");
  EXPECT_EQ(status[0].FindChange("status")->from_json, "\"open\"");

  auto trigger = DecodeOk(*Dec(), Fixture("zendesk_trigger.json"));
  ASSERT_EQ(trigger.size(), 1u);
  const event::Event& t = trigger[0];
  EXPECT_EQ(t.type, "ticket.updated");
  EXPECT_EQ(t.ticket->id, "5159");
  EXPECT_EQ(t.ticket->status, "hold");
  EXPECT_FALSE(t.ticket->priority.has_value());
  EXPECT_EQ(t.ticket->channel, "web");
  EXPECT_EQ(*t.ticket->tags, (std::vector<std::string>{"login", "mobile"}));
  EXPECT_EQ(FormatRfc3339(t.occurred_at), "2026-11-30T09:07:00.000000Z");
  EXPECT_EQ(t.customer->name, "李雷");
  EXPECT_EQ(ChangeTo(t, "status"), "hold");
  EXPECT_EQ(t.drift, (std::vector<std::string>{"zendesk_brand"}));
}

TEST(ZendeskDecodeTest, UnmappableStatusFailsWithThePointer) {
  std::string body = Fixture("zendesk_status_changed.json");
  body.replace(body.find(R"("current":"SOLVED")"), 18, R"("current":"ARCHIVED")");
  Status st = DecodeError(*Dec(), body);
  EXPECT_EQ(st.field(), "/event/current");
  EXPECT_NE(st.message().find("ARCHIVED"), std::string::npos);
}

TEST(ZendeskExportTest, TicketPagesAuditsAndMetricEventsAgreeWithWebhookIds) {
  auto snap = DecodeOk(*Dec(), R"({"id":5158,"status":"solved","priority":"high",
      "updated_at":"2026-11-30T10:05:00Z","via":{"channel":"email"},"assignee_id":901,
      "tags":["refund"],"custom_fields":[{"id":360011,"value":"A-99"}]})",
                       "export:zendesk-tickets");
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].id, "5158:snapshot@1796033100");
  EXPECT_EQ(ChangeTo(snap[0], "status"), "solved");
  EXPECT_EQ(snap[0].ticket->custom_fields, R"({"360011":"A-99"})");

  auto audit = DecodeOk(*Dec(), R"({"id":9002,"ticket_id":5158,"created_at":"2026-11-30T10:05:00Z",
      "updater_id":901,"child_events":[
        {"id":9201,"event_type":"Change","field_name":"status","value":"solved","previous_value":"open"},
        {"id":77001,"event_type":"Comment","author_id":901,"body":"Done","public":true}]})",
                        "export:zendesk-ticket-events");
  ASSERT_EQ(audit.size(), 2u);
  // The same facts as the webhooks above: the same ids, so nothing is counted twice.
  EXPECT_EQ(audit[0].id, "5158:status:solved@1796033100");
  EXPECT_EQ(audit[1].id, "comment:77001");
  EXPECT_EQ(audit[1].message->author_role, "agent");

  auto create = DecodeOk(*Dec(), R"({"id":9001,"ticket_id":5158,"created_at":"2026-11-30T09:15:02Z",
      "updater_id":42,"child_events":[
        {"id":1,"event_type":"Create","field_name":"status","value":"new"},
        {"id":2,"event_type":"Create","field_name":"requester_id","value":"42"},
        {"id":77000,"event_type":"Comment","author_id":42,"body":"Help","public":true}]})",
                         "export:zendesk-ticket-events");
  ASSERT_EQ(create.size(), 2u);
  EXPECT_EQ(create[0].id, "5158:created");
  EXPECT_EQ(create[0].ticket->requester, "42");
  EXPECT_EQ(create[1].message->author_role, "customer");

  auto metric = DecodeOk(*Dec(), R"({"id":9,"ticket_id":5158,"metric":"reply_time",
      "instance_id":1,"type":"fulfill","time":"2026-11-30T09:42:10Z"})",
                         "export:zendesk-ticket-metric-events");
  ASSERT_EQ(metric.size(), 1u);
  EXPECT_EQ(metric[0].id, "metric:9");
  EXPECT_TRUE(metric[0].drift.empty());
}

TEST(ZendeskExportTest, CsvRowBecomesCreationAndSnapshot) {
  auto rows = DecodeOk(*Dec(), R"({"Id":"5158","Status":"Solved","Priority":"High","Via":"Mail",
      "Subject":"Remboursement, \"A-99\"","Tags":"refund vip","Created at":"2026-11-30 09:15:02 +0000",
      "Updated at":"2026-11-30 10:05:00 +0000","Requester id":"84","Satisfaction Score":"Good"})",
                       "export:zendesk-csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, "5158:created");
  EXPECT_EQ(rows[1].id, "5158:snapshot@1796033100");
  EXPECT_EQ(rows[1].ticket->channel, "email");
  EXPECT_EQ(*rows[1].ticket->tags, (std::vector<std::string>{"refund", "vip"}));
  EXPECT_EQ(ChangeTo(rows[1], "status"), "solved");
  // A report's columns are the user's choice: kept, never drift.
  EXPECT_TRUE(rows[1].drift.empty());
  EXPECT_EQ(rows[1].attributes.back().first, "Satisfaction Score");
}

}  // namespace
}  // namespace supportpipe::sources
