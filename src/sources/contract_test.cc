#include "sources/contract.h"

#include <fstream>

#include "common/test_dir.h"
#include "sources/canonical/canonical.h"
#include "sources/generic/mapping.h"
#include "sources/testing.h"

namespace supportpipe::sources {
namespace {

TEST(ContractTest, AViolationNamesThePointerAndAValidBodyIsDecoded) {
  TestDir dir;
  const std::string path = dir.path() + "/cases.schema.json";
  std::ofstream(path) << R"({"type":"object","required":["case"],
    "properties":{"case":{"type":"object","required":["number"],
      "properties":{"number":{"type":"string","pattern":"^CS-[0-9]+$"}}}}})";
  MappingConfig m;
  m.fields = {{"ticket.id", "/case/number"}};
  auto d = std::move(WithContract(std::move(MakeMappingDecoder(m)).value(), path)).value();
  EXPECT_EQ(DecodeOk(*d, R"({"case":{"number":"CS-1"}})").size(), 1u);
  Status bad = DecodeError(*d, R"({"case":{"number":"1"}})");
  EXPECT_EQ(bad.field(), "/case/number");
  EXPECT_NE(bad.message().find("cases.schema.json"), std::string::npos) << bad.message();
  EXPECT_EQ(DecodeError(*d, R"({"other":1})").field(), "");
}

TEST(ContractTest, AnUnusableSchemaIsAConfigError) {
  TestDir dir;
  EXPECT_FALSE(WithContract(MakeCanonicalDecoder(), dir.path() + "/missing.json").ok());
  std::ofstream(dir.path() + "/bad.json") << "{not json";
  EXPECT_FALSE(WithContract(MakeCanonicalDecoder(), dir.path() + "/bad.json").ok());
}

}  // namespace
}  // namespace supportpipe::sources
