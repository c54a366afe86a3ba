#include "security/raw_cipher.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/test_dir.h"
#include "log/sqlite/sqlite_event_log.h"

namespace supportpipe::security {
namespace {

class RawCipherTest : public testing::Test {
 protected:
  std::string Key(const std::string& name, const std::string& hex) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << hex << "\n";
    return path;
  }
  std::string Bytes(const std::string& file) {
    std::ifstream in(dir_.path() + "/" + file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  TestDir dir_;
  const std::string k1_ = Key("k1.key", std::string(64, 'a'));
  const std::string k2_ =
      Key("k2.key", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
};

TEST_F(RawCipherTest, SealsOpensAndRefusesWhatWasAltered) {
  auto c = RawCipher::Load(k1_, {});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const std::string d1("acme\0d1", 7), d2("acme\0d2", 7);
  const std::string sealed = (*c)->Seal("{\"email\":\"ana@example.com\"}", d1);
  EXPECT_TRUE(log::LooksSealed(sealed));
  EXPECT_EQ(sealed.find("ana@example.com"), std::string::npos);
  EXPECT_NE((*c)->Seal("x", "ctx"), (*c)->Seal("x", "ctx"));  // a fresh nonce each time
  auto back = (*c)->Open(sealed, d1);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "{\"email\":\"ana@example.com\"}");
  EXPECT_EQ((*c)->Open(sealed, d2).status().code(), StatusCode::kDataLoss);  // moved
  std::string flipped = sealed;
  flipped[flipped.size() - 3] ^= 1;
  EXPECT_EQ((*c)->Open(flipped, d1).status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE((*c)->Open(sealed.substr(0, 20), d1).ok());
}

TEST_F(RawCipherTest, KeysRotateAndBadKeyFilesAreNamed) {
  auto old_only = std::move(RawCipher::Load(k1_, {})).value();
  const std::string before = old_only->Seal("old record", "c");
  // Rotation: k2 seals from now on; k1 still opens what it sealed.
  auto rotated = std::move(RawCipher::Load(k2_, {k1_})).value();
  EXPECT_NE(rotated->current_key_id(), old_only->current_key_id());
  EXPECT_EQ(*rotated->Open(before, "c"), "old record");
  const std::string after = rotated->Seal("new record", "c");
  // Without k1, its records say which key they need.
  auto k2_only = std::move(RawCipher::Load(k2_, {})).value();
  EXPECT_EQ(*k2_only->Open(after, "c"), "new record");
  Status missing = k2_only->Open(before, "c").status();
  EXPECT_EQ(missing.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.message().find(old_only->current_key_id()), std::string::npos);

  EXPECT_EQ(RawCipher::Load(dir_.path() + "/none.key", {}).status().field(),
            dir_.path() + "/none.key");
  EXPECT_FALSE(RawCipher::Load(Key("short.key", "abcd"), {}).ok());
  EXPECT_FALSE(RawCipher::Load(Key("nothex.key", std::string(64, 'z')), {}).ok());
}

TEST_F(RawCipherTest, TheLogStoresSealedBodiesAndReadsThemBack) {
  std::shared_ptr<const log::PayloadCipher> cipher = std::move(RawCipher::Load(k1_, {})).value();
  {
    // A record written before encryption was turned on stays readable after.
    auto plain = std::move(log::OpenSqliteEventLog(dir_.path())).value();
    std::vector<log::AppendResult> res;
    ASSERT_TRUE(plain
                    ->AppendRaw(std::vector<log::RawRecord>{{.source = "acme",
                                                             .kind = "event",
                                                             .delivery_id = "before",
                                                             .body = "plain bob@example.org"}},
                                &res)
                    .ok());
  }
  auto log = std::move(log::OpenSqliteEventLog(dir_.path(), {.cipher = cipher})).value();
  std::vector<log::AppendResult> res;
  ASSERT_TRUE(log->AppendRaw(std::vector<log::RawRecord>{{.source = "acme",
                                                          .kind = "event",
                                                          .delivery_id = "d1",
                                                          .body = "secret ana@example.com"}},
                             &res)
                  .ok());
  auto read = log->ReadRaw(0, 10);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].body, "plain bob@example.org");
  EXPECT_EQ((*read)[1].body, "secret ana@example.com");
  EXPECT_EQ((*log->GetRaw(2))->body, "secret ana@example.com");
  log.reset();
  const std::string bytes = Bytes("raw.db") + Bytes("raw.db-wal");
  EXPECT_EQ(bytes.find("secret ana@example.com"), std::string::npos);
  // Without the key, reading says what to configure.
  auto keyless = std::move(log::OpenSqliteEventLog(dir_.path())).value();
  auto refused = keyless->ReadRaw(0, 10);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("encryption_key_file"), std::string::npos);
}

}  // namespace
}  // namespace supportpipe::security
