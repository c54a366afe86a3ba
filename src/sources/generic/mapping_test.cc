#include "sources/generic/mapping.h"

#include "common/time.h"
#include "sources/freshdesk/freshdesk.h"
#include "sources/gorgias/gorgias.h"
#include "sources/testing.h"

namespace supportpipe::sources {
namespace {

TEST(MappingTest, GenericMappingWithValueTablesAndDrift) {
  MappingConfig m;
  m.fields = {{"id", "/uuid"},
              {"type", "/kind"},
              {"occurred_at", "/case/opened"},
              {"ticket.id", "/case/number"},
              {"ticket.status", "/case/state"},
              {"ticket.priority", "/case/urgency"},
              {"ticket.tags", "/case/labels"},
              {"ticket.assignee", "/case/owner/email"}};
  m.values = {{"type", {{"case_updated", "ticket.updated"}}},
              {"ticket.status", {{"waiting on customer", "pending"}}},
              {"ticket.priority", {{"p1", "urgent"}}}};
  auto d = std::move(MakeMappingDecoder(m)).value();
  auto events = DecodeOk(*d, Fixture("generic_custom.json"));
  ASSERT_EQ(events.size(), 1u);
  const event::Event& e = events[0];
  EXPECT_EQ(e.id, "0b6f-11");
  EXPECT_EQ(e.ticket->id, "CS-1001");
  EXPECT_EQ(e.ticket->status, "pending");
  EXPECT_EQ(e.ticket->priority, "urgent");
  EXPECT_EQ(*e.ticket->tags, (std::vector<std::string>{"api", "outage"}));
  EXPECT_EQ(e.ticket->assignee, "ops@acme.test");
  EXPECT_EQ(ChangeTo(e, "status"), "pending");
  EXPECT_EQ(e.drift, (std::vector<std::string>{"region"}));
}

TEST(MappingTest, ContentHashIdReceiptTimeAndClearErrors) {
  MappingConfig m;
  m.fields = {{"ticket.id", "/t"}, {"ticket.status", "/s"}};
  auto d = std::move(MakeMappingDecoder(m)).value();
  auto a = DecodeOk(*d, R"({"t":"1","s":"open"})");
  auto b = DecodeOk(*d, R"({"t":"1","s":"open"})");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].id, b[0].id);
  EXPECT_EQ(a[0].id.rfind("sha256:", 0), 0u);
  EXPECT_EQ(a[0].occurred_at, 1796030102LL * 1000000);
  Status st = DecodeError(*d, R"({"t":"1","s":"escalated"})");
  EXPECT_EQ(st.field(), "/s");
  EXPECT_NE(st.message().find("escalated"), std::string::npos);
  EXPECT_EQ(DecodeError(*d, R"({"s":"open"})").field(), "/t");
  MappingConfig bad;
  bad.defaults = {{"type", "sla.breached"}};
  EXPECT_FALSE(MakeMappingDecoder(bad).ok());
  // A value outside the vocabulary, e.g. a key TOML put in the wrong table.
  MappingConfig misplaced;
  misplaced.values = {{"type", {{"schema_file", "contracts/x.json"}}}};
  Status misplaced_status = MakeMappingDecoder(misplaced).status();
  EXPECT_NE(misplaced_status.message().find("values.\"type\".\"schema_file\""), std::string::npos)
      << misplaced_status.message();
  MappingConfig status;
  status.values = {{"ticket.status", {{"Waiting", "waiting"}}}};
  EXPECT_FALSE(MakeMappingDecoder(status).ok());
}

TEST(MappingTest, ItemsArrayFailsOneItemAlone) {
  MappingConfig m;
  m.items = "/events";
  m.fields = {{"ticket.id", "/id"}, {"ticket.status", "/status"}};
  auto d = std::move(MakeMappingDecoder(m)).value();
  Decoded out = d->Decode(
      {.body = R"({"events":[{"id":"1","status":"open"},{"status":"x"}]})", .received_at = 1});
  ASSERT_EQ(out.items.size(), 2u);
  EXPECT_TRUE(out.items[0].status.ok());
  EXPECT_EQ(out.items[1].status.field(), "/events/1/id");
  EXPECT_EQ(d->Decode({.body = R"({"events":3})"}).error.field(), "/events");
}

TEST(MappingTest, FreshdeskTemplateNumbersAndLooseTimes) {
  auto d = std::move(MakeFreshdeskDecoder(Source("freshdesk", {}))).value();
  auto events = DecodeOk(*d, Fixture("freshdesk_created.json"));
  ASSERT_EQ(events.size(), 1u);
  const event::Event& e = events[0];
  EXPECT_EQ(e.type, "ticket.created");
  EXPECT_EQ(e.ticket->status, "open");
  EXPECT_EQ(ChangeTo(e, "status"), "open");
  EXPECT_EQ(e.ticket->priority, "high");
  EXPECT_EQ(e.ticket->channel, "email");
  EXPECT_FALSE(e.ticket->assignee.has_value());
  EXPECT_EQ(*e.ticket->tags, (std::vector<std::string>{"urgent", "hardware"}));
  EXPECT_EQ(FormatRfc3339(e.occurred_at), "2026-11-30T08:15:02.000000Z");
  EXPECT_EQ(e.customer->name, "Maria João");
}

TEST(MappingTest, GorgiasTemplate) {
  auto d = std::move(MakeGorgiasDecoder(Source("gorgias", {}))).value();
  auto events = DecodeOk(*d, Fixture("gorgias_updated.json"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "ticket.status_changed");
  EXPECT_EQ(ChangeTo(events[0], "status"), "solved");
}

}  // namespace
}  // namespace supportpipe::sources
