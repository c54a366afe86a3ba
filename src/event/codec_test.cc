#include "event/codec.h"

#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace supportpipe::event {
namespace {

constexpr TimeMicros kNow = 1764494102LL * 1000000;  // 2025-11-30T09:15:02Z

const char* kFull = R"({
  "spec": "supportpipe/v1", "id": "evt_01J9ZK3", "type": "message.created",
  "occurred_at": "2025-11-30T10:15:02+01:00", "source": "acme-zendesk", "sequence": 7,
  "ticket": {"id": 4711, "status": "Open", "priority": "high", "channel": "email",
             "subject": "Refund not received", "group": "billing", "assignee": "a-7",
             "requester": "c-42", "organization": "o-3", "brand": "acme", "tags": ["refund"],
             "custom_fields": {"order_id": "A-99"}, "sla_badge": "gold"},
  "changes": {"status": {"from": "new", "to": "open"}},
  "message": {"id": "m-9", "author": "c-42", "author_role": "customer", "public": true,
              "body": "Hi, it's been 10 days…", "channel": "email"},
  "customer": {"id": "c-42", "email": "ana@example.com", "name": "Ana Løvlie", "tier": "vip"},
  "attributes": {"anything": [1, 2]},
  "extra_top": {"x": null}
})";

Result<Event> Decode(std::string_view s) { return DecodeCanonical(s, {.now = kNow}); }

TEST(CodecTest, DecodesEveryFieldAndNormalises) {
  auto r = Decode(kFull);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Event& e = *r;
  EXPECT_EQ(e.id, "evt_01J9ZK3");
  EXPECT_EQ(e.occurred_at, kNow);
  EXPECT_EQ(e.sequence, 7);
  EXPECT_EQ(e.ticket->id, "4711");
  EXPECT_EQ(e.ticket->status, "open");
  EXPECT_EQ(e.ticket->custom_fields, R"({"order_id":"A-99"})");
  EXPECT_EQ(e.message->body, "Hi, it's been 10 days…");
  EXPECT_EQ(e.customer->name, "Ana Løvlie");
  EXPECT_EQ(e.FindChange("status")->to_text, "open");
  EXPECT_EQ(e.drift_fields, 2);
}

TEST(CodecTest, UnknownFieldsAreKeptUnderAttributes) {
  auto e = *Decode(kFull);
  std::map<std::string, std::string> attrs(e.attributes.begin(), e.attributes.end());
  EXPECT_EQ(attrs["anything"], "[1,2]");
  EXPECT_EQ(attrs["ticket.sla_badge"], "\"gold\"");
  EXPECT_EQ(attrs["extra_top"], R"({"x":null})");
}

TEST(CodecTest, EncodeThenTrustedDecodeRoundTrips) {
  auto e = *Decode(kFull);
  e.received_at = kNow + 5;
  const std::string stored = EncodeEvent(e);
  auto back = DecodeCanonical(stored, {.trusted = true});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(EncodeEvent(*back), stored);
  EXPECT_EQ(back->received_at, kNow + 5);
  EXPECT_EQ(back->drift_fields, 2);
}

TEST(CodecTest, StoredPartsDecodeAsTheWholeStoredEvent) {
  const Event e = *Decode(kFull);
  const std::string ticket = EncodeTicket(*e.ticket), changes = EncodeChanges(e.changes),
                    attributes = EncodeAttributes(e.attributes);
  Event back;
  back.drift.push_back("left over from the last use");
  ASSERT_TRUE(DecodeStored({.id = e.id,
                            .type = e.type,
                            .occurred_at = e.occurred_at,
                            .sequence = 7,
                            .ticket = ticket,
                            .changes = changes,
                            .attributes = attributes,
                            .author_role = "customer",
                            .is_public = false,
                            .csat_rating = std::nullopt,
                            .customer_id = "c-42",
                            .customer_tier = "vip"},
                           &back)
                  .ok());
  // What the warehouse keeps of the event: the message's role and visibility, the
  // customer's id and tier.
  Event kept = e;
  kept.source.clear();
  kept.message = Message{.author_role = "customer", .is_public = false};
  kept.customer = Customer{.id = "c-42", .tier = "vip"};
  kept.drift_fields = 0;
  EXPECT_EQ(EncodeEvent(back), EncodeEvent(kept));
  EXPECT_TRUE(back.drift.empty());
  EXPECT_EQ(back.FindChange("status")->to_text, "open");
  EXPECT_EQ(back.ticket->tags, std::vector<std::string>{"refund"});

  Event bad;
  const Status st = DecodeStored({.id = "x", .type = "ticket.created", .ticket = "{\"id\":"}, &bad);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.field(), "/ticket");
}

TEST(CodecTest, DerivedSlaEventsRoundTripAndAreRefusedFromProducers) {
  Event e;
  e.id = "42:sla:first_reply_time:1:breached";
  e.type = "sla.breached";
  e.source = "zd";
  e.occurred_at = kNow;
  e.ticket.emplace().id = "42";
  e.sla = Sla{"vip", "first_reply_time", 1, 900, kNow};
  const std::string stored = EncodeEvent(e);
  auto back = DecodeCanonical(stored, {.trusted = true});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(EncodeEvent(*back), stored);
  ASSERT_TRUE(back->sla);
  EXPECT_EQ(back->sla->due_at, kNow);
  Event s;
  s.id = "surge:channel:email:1796083200";
  s.type = "surge.detected";
  s.source = "supportpipe";
  s.occurred_at = kNow;
  s.surge = Surge{"channel", "email", kNow, 300, 80, 20.5, 16.25, 14.7};
  const std::string surge = EncodeEvent(s);
  auto surge_back = DecodeCanonical(surge, {.trusted = true});
  ASSERT_TRUE(surge_back.ok()) << surge_back.status().ToString();
  EXPECT_EQ(EncodeEvent(*surge_back), surge);
  auto outside = DecodeCanonical(stored, {.now = kNow});
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.status().ToString().find("/type"), std::string::npos);
}

struct BadCase {
  const char* json;
  const char* pointer;
};

TEST(CodecTest, RejectionsNameTheOffendingField) {
  const BadCase cases[] = {
      {R"({"id":"1","type":"ticket.created","occurred_at":"2025-01-01T00:00:00Z","ticket":{"id":"1"}})",
       "/spec"},
      {R"({"spec":"supportpipe/v1","type":"ticket.created","occurred_at":"2025-01-01T00:00:00Z","ticket":{"id":"1"}})",
       "/id"},
      {R"({"spec":"supportpipe/v1","id":"","type":"ticket.created","occurred_at":"2025-01-01T00:00:00Z","ticket":{"id":"1"}})",
       "/id"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"ticket.exploded","occurred_at":"2025-01-01T00:00:00Z","ticket":{"id":"1"}})",
       "/type"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"sla.breached","occurred_at":"2025-01-01T00:00:00Z","ticket":{"id":"1"}})",
       "/type"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"ticket.created","occurred_at":"2025-01-01 00:00","ticket":{"id":"1"}})",
       "/occurred_at"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"ticket.created","occurred_at":"2030-01-01T00:00:00Z","ticket":{"id":"1"}})",
       "/occurred_at"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"ticket.created","occurred_at":"2025-01-01T00:00:00Z"})",
       "/ticket/id"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"ticket.created","occurred_at":"2025-01-01T00:00:00Z","ticket":{"id":"1","status":"waiting"}})",
       "/ticket/status"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"ticket.created","occurred_at":"2025-01-01T00:00:00Z","ticket":{"id":"1","tags":["a",3]}})",
       "/ticket/tags/1"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"ticket.status_changed","occurred_at":"2025-01-01T00:00:00Z","ticket":{"id":"1"}})",
       "/changes/status/to"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"message.created","occurred_at":"2025-01-01T00:00:00Z","ticket":{"id":"1"},"message":{"body":"x"}})",
       "/message/author_role"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"message.created","occurred_at":"2025-01-01T00:00:00Z","ticket":{"id":"1"},"message":{"author_role":"bot"}})",
       "/message/author_role"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"csat.submitted","occurred_at":"2025-01-01T00:00:00Z","ticket":{"id":"1"},"csat":{"rating":7}})",
       "/csat/rating"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"customer.upserted","occurred_at":"2025-01-01T00:00:00Z"})",
       "/customer/id"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"ticket.created","occurred_at":"2025-01-01T00:00:00Z","ticket":{"id":"1","a/b":{"c":1}},"changes":{"priority":{"to":"meh"}}})",
       "/changes/priority/to"},
  };
  for (const auto& c : cases) {
    auto r = Decode(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().field(), c.pointer) << c.json << " -> " << r.status().message();
  }
}

TEST(CodecTest, ContextEventsCarryTheirObjectAndRoundTrip) {
  auto order = Decode(
      R"({"spec":"supportpipe/v1","id":"o1","type":"order.created","occurred_at":"2025-01-01T00:00:00Z",)"
      R"("customer":{"id":"c-42","email":"ana@example.com"},)"
      R"("order":{"id":"A-99","status":"Paid","amount":"129.90","currency":"eur","items":3,"gift":true}})");
  ASSERT_TRUE(order.ok()) << order.status().ToString();
  ASSERT_TRUE(order->context);
  EXPECT_EQ(order->context->kind, "order");
  EXPECT_EQ(order->context->id, "A-99");
  EXPECT_EQ(*order->context->status, "paid");
  EXPECT_DOUBLE_EQ(*order->context->amount, 129.90);
  EXPECT_EQ(*order->context->currency, "EUR");
  EXPECT_EQ(*order->context->items, 3);
  EXPECT_EQ(order->drift_fields, 1);  // order.gift, kept under attributes
  auto back = DecodeCanonical(EncodeEvent(*order), {.trusted = true});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->context->id, "A-99");
  EXPECT_DOUBLE_EQ(*back->context->amount, 129.90);
  EXPECT_EQ(*back->context->items, 3);

  auto ret = Decode(
      R"({"spec":"supportpipe/v1","id":"r1","type":"return.requested","occurred_at":"2025-01-02T00:00:00Z",)"
      R"("customer":{"id":"c-42"},"return":{"id":"R-1","order_id":"A-99","amount":40,"currency":"EUR","items":1,"reason":"damaged"}})");
  ASSERT_TRUE(ret.ok()) << ret.status().ToString();
  EXPECT_EQ(*ret->context->order_id, "A-99");
  EXPECT_EQ(*ret->context->reason, "damaged");
  auto sub = Decode(
      R"({"spec":"supportpipe/v1","id":"s1","type":"subscription.changed","occurred_at":"2025-01-02T00:00:00Z",)"
      R"("customer":{"id":"c-42"},"subscription":{"id":"S-1","status":"cancelled","plan":"pro"}})");
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  EXPECT_EQ(*sub->context->plan, "pro");
  EXPECT_TRUE(IsProducerType("account.changed"));
}

TEST(CodecTest, ConsentFlagsWithTheirTimes) {
  auto e = Decode(
      R"({"spec":"supportpipe/v1","id":"u1","type":"customer.upserted","occurred_at":"2025-01-05T00:00:00Z",)"
      R"("customer":{"id":"c1","consent":{"Marketing":false,"analytics":{"granted":true,"at":"2025-01-01T00:00:00Z"}}}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ(e->customer->consent.size(), 2u);
  EXPECT_EQ(e->customer->consent[0].purpose, "marketing");
  EXPECT_FALSE(e->customer->consent[0].granted);
  EXPECT_FALSE(e->customer->consent[0].at);
  EXPECT_TRUE(e->customer->consent[1].granted);
  EXPECT_EQ(*e->customer->consent[1].at, 1735689600LL * 1000000);
  auto back = DecodeCanonical(EncodeEvent(*e), {.trusted = true});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->customer->consent.size(), 2u);
  EXPECT_EQ(*back->customer->consent[1].at, 1735689600LL * 1000000);
  auto bad = Decode(
      R"({"spec":"supportpipe/v1","id":"u1","type":"customer.upserted","occurred_at":"2025-01-05T00:00:00Z",)"
      R"("customer":{"id":"c1","consent":{"marketing":"no"}}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "/customer/consent/marketing");
}

TEST(CodecTest, ContextRejectionsNameTheField) {
  const BadCase cases[] = {
      {R"({"spec":"supportpipe/v1","id":"1","type":"order.created","occurred_at":"2025-01-01T00:00:00Z","order":{"id":"A"}})",
       "/customer/id"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"order.created","occurred_at":"2025-01-01T00:00:00Z","customer":{"id":"c"}})",
       "/order/id"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"order.updated","occurred_at":"2025-01-01T00:00:00Z","customer":{"id":"c"},"return":{"id":"R"}})",
       "/order/id"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"order.created","occurred_at":"2025-01-01T00:00:00Z","customer":{"id":"c"},"order":{"status":"paid"}})",
       "/order/id"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"order.created","occurred_at":"2025-01-01T00:00:00Z","customer":{"id":"c"},"order":{"id":"A","amount":10}})",
       "/order/currency"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"order.created","occurred_at":"2025-01-01T00:00:00Z","customer":{"id":"c"},"order":{"id":"A","amount":"ten","currency":"EUR"}})",
       "/order/amount"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"order.created","occurred_at":"2025-01-01T00:00:00Z","customer":{"id":"c"},"order":{"id":"A","amount":1,"currency":"euro"}})",
       "/order/currency"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"order.created","occurred_at":"2025-01-01T00:00:00Z","customer":{"id":"c"},"order":{"id":"A","items":-1}})",
       "/order/items"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"ticket.created","occurred_at":"2025-01-01T00:00:00Z","ticket":{"id":"1"},"order":{"id":"A"}})",
       "/order"},
      {R"({"spec":"supportpipe/v1","id":"1","type":"order.created","occurred_at":"2025-01-01T00:00:00Z","customer":{"id":"c"},"order":{"id":"A"},"account":{"id":"B"}})",
       "/account"},
  };
  for (const auto& c : cases) {
    auto r = Decode(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().field(), c.pointer) << c.json << " -> " << r.status().message();
  }
}

TEST(CodecTest, InvalidUtf8FailsThatEventOnly) {
  std::string bad =
      R"({"spec":"supportpipe/v1","id":"x","type":"ticket.created","occurred_at":1764494000,"ticket":{"id":"1","subject":")";
  bad += "\xff\xfe";
  bad += R"("}})";
  auto r = Decode(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("UTF-8"), std::string::npos);
}

TEST(CodecTest, CreatedTicketDefaultsToNew) {
  auto r = Decode(
      R"({"spec":"supportpipe/v1","id":"1","type":"ticket.created","occurred_at":1764494000000,"ticket":{"id":"9"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ticket->status, "new");
  EXPECT_EQ(r->occurred_at, 1764494000000LL * 1000);
}

TEST(SplitBatchTest, SplitsArraysWithoutBeingFooledByStrings) {
  auto b = SplitBatch(R"( [ {"a":"x,]}"}, {"b":[1,2]} ,{"c":"\"]"} ] )", {});
  ASSERT_TRUE(b.error.ok());
  ASSERT_EQ(b.items.size(), 3u);
  EXPECT_EQ(b.items[0].bytes, R"({"a":"x,]}"})");
  EXPECT_EQ(b.items[1].bytes, R"({"b":[1,2]})");
  EXPECT_EQ(b.items[2].bytes, R"({"c":"\"]"})");
}

TEST(SplitBatchTest, DetectsJsonLinesAndSingleObjects) {
  auto lines = SplitBatch("{\"a\":1}\n\n{\"b\":2}\n", {});
  EXPECT_EQ(lines.items.size(), 2u);
  auto one = SplitBatch("{\n \"a\": 1\n}\n", {});
  EXPECT_EQ(one.items.size(), 1u);
  auto hinted = SplitBatch("{\"a\":1}\nnot json\n", {.ndjson_hint = true});
  ASSERT_EQ(hinted.items.size(), 2u);
  EXPECT_EQ(hinted.items[1].bytes, "not json");
}

TEST(SplitBatchTest, UnterminatedArrayIsAnError) {
  EXPECT_FALSE(SplitBatch("[{\"a\":1},", {}).error.ok());
  EXPECT_FALSE(SplitBatch("   ", {}).error.ok());
  EXPECT_FALSE(SplitBatch("[{}] x", {}).error.ok());
  EXPECT_FALSE(SplitBatch("{not json", {}).error.ok());
  // Without the check the one item is left for the decoder to reject.
  EXPECT_EQ(SplitBatch("{not json", {.check_single_object = false}).items.size(), 1u);
}

// JsonQuote writes what RapidJSON's writer writes (stored JSON built by either must agree).
TEST(JsonQuoteTest, EscapesLikeRapidJson) {
  auto rapid = [](std::string_view s) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return std::string(buf.GetString(), buf.GetSize());
  };
  std::string every_byte;
  for (int c = 1; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  for (std::string_view s :
       {std::string_view(""), std::string_view("plain"),
        std::string_view("a\"b\\c/d\x01\x1f\x7f\n\r\t\b\f"),
        std::string_view("caf\xc3\xa9 \xe2\x82\xac"), std::string_view(every_byte)}) {
    EXPECT_EQ(JsonQuote(s), rapid(s));
  }
  std::string out = "x=";
  AppendJsonQuoted(&out, "q\"");
  EXPECT_EQ(out, R"(x="q\"")");
  const std::string ascii = every_byte.substr(0, 127);  // the rest is not UTF-8
  EXPECT_EQ(JsonUnquote(JsonQuote(ascii)), ascii);
}

}  // namespace
}  // namespace supportpipe::event
