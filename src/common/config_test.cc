#include "common/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace supportpipe {
namespace {

TEST(ConfigTest, EmptyFileGivesEmbeddedDefaults) {
  auto c = ParseConfig("", "x.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c->storage.data_dir, "./data");
  EXPECT_EQ(c->server.max_body_bytes, 1048576);
}

TEST(ConfigTest, ReadsSourcesWithSecretsFromEnvironment) {
  setenv("SP_TEST_SECRET", "whsec_abc", 1);
  setenv("SP_TEST_SECRET2", "whsec_def", 1);
  auto c = ParseConfig(R"(
[[source]]
name = "acme"
vendor = "standard"
secret_env = "SP_TEST_SECRET"
secret2_env = "SP_TEST_SECRET2"
tolerance_s = 60
)",
                       "x.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->sources.size(), 1u);
  EXPECT_EQ(c->sources[0].secrets, (std::vector<std::string>{"whsec_abc", "whsec_def"}));
  EXPECT_EQ(c->sources[0].tolerance_s, 60);
  EXPECT_NE(c->FindSource("acme"), nullptr);
}

TEST(ConfigTest, UnknownKeyNamesFileLineAndKey) {
  auto c = ParseConfig("[server]\nlisten = \"127.0.0.1:1\"\nlisten_port = 9\n", "conf.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().field(), "conf.toml:3: server.listen_port");
  EXPECT_NE(c.status().message().find("unknown key"), std::string::npos);
}

TEST(ConfigTest, WrongTypeAndBadValuesAreErrors) {
  EXPECT_EQ(ParseConfig("[server]\nmax_body_bytes = \"big\"\n", "c").status().field(),
            "c:2: server.max_body_bytes");
  EXPECT_FALSE(ParseConfig("[server]\nlisten = \"nohostport\"\n", "c").ok());
  EXPECT_FALSE(ParseConfig("[storage]\nlog = \"kafka\"\n", "c").ok());
  EXPECT_FALSE(ParseConfig("[server\n", "c").ok());
}

TEST(ConfigTest, SourceNeedsItsSecretAndAKnownVendor) {
  unsetenv("SP_TEST_MISSING");
  auto c = ParseConfig(
      "[[source]]\nname = \"a\"\nvendor = \"standard\"\nsecret_env = \"SP_TEST_MISSING\"\n", "c");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("SP_TEST_MISSING"), std::string::npos);
  setenv("SP_TEST_SECRET", "x", 1);
  auto v = ParseConfig(
      "[[source]]\nname = \"a\"\nvendor = \"acme\"\nsecret_env = \"SP_TEST_SECRET\"\n", "c");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().field(), "c:3: source[0].vendor");
  auto dup = ParseConfig(
      "[[source]]\nname = \"a\"\nvendor = \"canonical\"\ntoken_env = \"SP_TEST_SECRET\"\n"
      "[[source]]\nname = \"a\"\nvendor = \"canonical\"\ntoken_env = \"SP_TEST_SECRET\"\n",
      "c");
  EXPECT_FALSE(dup.ok());
}

}  // namespace
}  // namespace supportpipe
