#include "sources/export_reader.h"

#include "sources/testing.h"

namespace supportpipe::sources {
namespace {

std::vector<std::pair<uint64_t, std::string>> Items(std::string_view format,
                                                    std::string_view content) {
  std::vector<std::pair<uint64_t, std::string>> out;
  Status st = ReadExport(*FindExportFormat(format), content, [&](uint64_t line, std::string s) {
    out.emplace_back(line, std::move(s));
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

TEST(ExportReaderTest, CsvQuotedCommasQuotesAndNewlines) {
  auto rows = Items("csv", Fixture("generic.csv"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].first, 2u);
  EXPECT_EQ(
      rows[0].second,
      R"({"case":"CS-2001","state":"Open","opened":"2026-11-30T08:00:00Z","body":"Hello, \"quoted\" and, commas","role":"customer"})");
  EXPECT_EQ(rows[1].first, 3u);
  EXPECT_NE(rows[1].second.find(R"("body":"multi\nline")"), std::string::npos);

  auto zd = Items("zendesk-csv", Fixture("zendesk_tickets.csv"));
  ASSERT_EQ(zd.size(), 2u);
  EXPECT_NE(zd[0].second.find(R"("Subject":"Remboursement pas reçu, commande \"A-99\"")"),
            std::string::npos);
  EXPECT_EQ(zd[1].first, 3u);
  EXPECT_NE(zd[1].second.find(R"("Subject":"Two lines\nin a subject")"), std::string::npos);
}

TEST(ExportReaderTest, CsvErrorsNameTheLine) {
  auto read = [&](std::string_view text) {
    return ReadExport(*FindExportFormat("csv"), text,
                      [](uint64_t, std::string) { return Status::Ok(); });
  };
  EXPECT_EQ(read("a,b\n1,\"open\n").message(), "line 2: a quoted field is never closed");
  EXPECT_EQ(read("a,b\n1,2,3\n").message(), "line 2: 3 fields but the header has 2 columns");
  EXPECT_EQ(read("a,b\n\"x\"y,2\n").message(),
            "line 2: text after a closing quote (quotes inside a field are doubled)");
  EXPECT_TRUE(read("\xEF\xBB\xBF"
                   "a,b\r\n1,2\r\n\r\n")
                  .ok());
}

TEST(ExportReaderTest, JsonPagesArraysAndLines) {
  auto cursor = Items("zendesk-tickets", Fixture("zendesk_tickets_cursor.json"));
  ASSERT_EQ(cursor.size(), 2u);
  EXPECT_EQ(cursor[0].second.rfind(R"({"id":5158,)", 0), 0u);
  // Time-based pages saved as JSON lines repeat a ticket: both items are read; the raw
  // log and the event ids take care of the repeat.
  auto time = Items("zendesk-tickets", Fixture("zendesk_tickets_time.json"));
  ASSERT_EQ(time.size(), 2u);
  EXPECT_EQ(time[1].first, 2u);
  EXPECT_EQ(time[0].second, time[1].second);
  EXPECT_EQ(Items("zendesk-ticket-events", Fixture("zendesk_ticket_events.json")).size(), 3u);
  EXPECT_EQ(Items("intercom", Fixture("intercom_conversations.json")).size(), 1u);
  EXPECT_EQ(Items("intercom", R"([{"id":"1"},{"id":"2"}])").size(), 2u);
  Status bad = ReadExport(*FindExportFormat("zendesk-tickets"), "{\"tickets\":[]}\n{oops\n",
                          [](uint64_t, std::string) { return Status::Ok(); });
  EXPECT_EQ(bad.message().rfind("line 2: not JSON", 0), 0u);
}

}  // namespace
}  // namespace supportpipe::sources
