// Keeps schemas/event.v1.json and the decoder in step: for every sample, the published
// JSON Schema and DecodeCanonical must agree on valid or invalid.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <sstream>
#include <valijson/adapters/rapidjson_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "event/codec.h"

namespace supportpipe {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SchemaTest : public testing::Test {
 protected:
  void SetUp() override {
    schema_doc_.Parse(ReadFile(SP_SCHEMA_PATH).c_str());
    ASSERT_FALSE(schema_doc_.HasParseError());
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::RapidJsonAdapter adapter(schema_doc_);
    parser.populateSchema(adapter, schema_);
  }

  bool SchemaAccepts(const std::string& json) {
    rapidjson::Document doc;
    doc.Parse(json.c_str());
    if (doc.HasParseError()) return false;
    valijson::Validator validator;
    valijson::adapters::RapidJsonAdapter adapter(doc);
    return validator.validate(schema_, adapter, nullptr);
  }

  rapidjson::Document schema_doc_;
  valijson::Schema schema_;
};

std::string Ev(const std::string& type, const std::string& rest) {
  return R"({"spec":"supportpipe/v1","id":"e1","type":")" + type +
         R"(","occurred_at":"2025-11-30T10:15:02+01:00")" + (rest.empty() ? "" : "," + rest) + "}";
}

TEST_F(SchemaTest, SchemaAndDecoderAgree) {
  const std::vector<std::string> samples = {
      ReadFile(SP_CORPUS_DIR "/full.json"),
      Ev("ticket.created", R"("ticket":{"id":"1"})"),
      Ev("ticket.created", R"("ticket":{"id":1,"status":"OPEN","priority":"Urgent","tags":["a"]})"),
      Ev("ticket.created", R"("ticket":{"id":"1","status":"waiting"})"),
      Ev("ticket.created", R"("ticket":{"id":"1","priority":"p1"})"),
      Ev("ticket.created", R"("ticket":{"id":"1","tags":["a",2]})"),
      Ev("ticket.created", ""),
      Ev("ticket.status_changed",
         R"("ticket":{"id":"1"},"changes":{"status":{"from":"new","to":"open"}})"),
      Ev("ticket.status_changed", R"("ticket":{"id":"1"},"changes":{"status":{"to":"nope"}})"),
      Ev("ticket.status_changed", R"("ticket":{"id":"1"})"),
      Ev("ticket.priority_changed", R"("ticket":{"id":"1"},"changes":{"priority":{"to":"high"}})"),
      Ev("ticket.priority_changed", R"("ticket":{"id":"1"})"),
      Ev("ticket.tags_changed", R"("ticket":{"id":"1"},"changes":{"tags":{"to":["x"]}})"),
      Ev("ticket.assigned", R"("ticket":{"id":"1"},"changes":{"group":{"to":"g"}})"),
      Ev("ticket.assigned", R"("ticket":{"id":"1"},"changes":{"subject":{"to":"s"}})"),
      Ev("message.created",
         R"("ticket":{"id":"1"},"message":{"author_role":"agent","public":false,"body":"x"})"),
      Ev("message.created", R"("ticket":{"id":"1"},"message":{"body":"x"})"),
      Ev("message.created", R"("ticket":{"id":"1"},"message":{"author_role":"robot"})"),
      Ev("csat.submitted", R"("ticket":{"id":"1"},"csat":{"rating":5})"),
      Ev("csat.submitted", R"("ticket":{"id":"1"},"csat":{"rating":"good","comment":"ok"})"),
      Ev("csat.submitted", R"("ticket":{"id":"1"},"csat":{"rating":9})"),
      Ev("csat.submitted", R"("ticket":{"id":"1"})"),
      Ev("customer.upserted",
         R"("customer":{"id":"c1","email":"a@b.c","tier":"vip"},"unknown_field":{"kept":true})"),
      Ev("customer.upserted", ""),
      Ev("agent.upserted", R"("agent":{"id":"a1"})"),
      Ev("agent.upserted", R"("agent":{"name":"x"})"),
      Ev("customer.upserted",
         R"("customer":{"id":"c1","consent":{"marketing":false,"analytics":{"granted":true,"at":"2025-11-01T10:00:00Z"}}})"),
      Ev("customer.upserted", R"("customer":{"id":"c1","consent":{"marketing":"no"}})"),
      Ev("customer.upserted",
         R"("customer":{"id":"c1","consent":{"marketing":{"at":"2025-11-01T10:00:00Z"}}})"),
      Ev("customer.upserted",
         R"("customer":{"id":"c1","consent":{"marketing":{"granted":true,"when":1}}})"),
      Ev("sla.breached", R"("ticket":{"id":"1"})"),
      Ev("ticket.exploded", R"("ticket":{"id":"1"})"),
      R"({"spec":"supportpipe/v2","id":"e","type":"ticket.created","occurred_at":"2025-11-30T10:15:02Z","ticket":{"id":"1"}})",
      R"({"spec":"supportpipe/v1","id":"e","type":"ticket.created","occurred_at":1764494102,"ticket":{"id":"1"}})",
      R"({"spec":"supportpipe/v1","id":"e","type":"ticket.created","occurred_at":"2025-11-30 10:15","ticket":{"id":"1"}})",
      R"({"spec":"supportpipe/v1","type":"ticket.created","occurred_at":"2025-11-30T10:15:02Z","ticket":{"id":"1"}})",
      R"({"spec":"supportpipe/v1","id":"e","type":"ticket.created","ticket":{"id":"1"}})",
  };
  int valid = 0;
  for (const auto& s : samples) {
    // A clock far ahead: the 24-hour rule depends on the server clock, which a schema cannot know.
    const bool decoder = event::DecodeCanonical(s, {.now = 4102444800LL * 1000000}).ok();
    EXPECT_EQ(SchemaAccepts(s), decoder) << s;
    valid += decoder;
  }
  EXPECT_GT(valid, 10);
  EXPECT_LT(valid, static_cast<int>(samples.size()) - 10);
}

}  // namespace
}  // namespace supportpipe
