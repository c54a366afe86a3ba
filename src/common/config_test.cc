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

TEST(ConfigTest, SlaPoliciesReadTargetsInMinutesAndNameTheirErrors) {
  auto c = ParseConfig(R"(
[[sla_policy]]
name = "vip"
when = { customer_tier = ["vip"], priority = ["urgent", "high"] }
business_hours = true
warning_fraction = 0.5
[sla_policy.targets]
first_reply_time = { urgent = 15, high = 0.5 }
)",
                       "x.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->sla_policies.size(), 1u);
  const SlaPolicyConfig& p = c->sla_policies[0];
  EXPECT_TRUE(p.business_hours);
  EXPECT_EQ(p.warning_fraction, 0.5);
  EXPECT_EQ(p.customer_tier, std::vector<std::string>{"vip"});
  EXPECT_EQ(p.targets.at("first_reply_time").at("urgent"), 900);
  EXPECT_EQ(p.targets.at("first_reply_time").at("high"), 30);
  auto field = [](const std::string& toml) { return ParseConfig(toml, "c").status().field(); };
  const std::string head = "[[sla_policy]]\nname = \"p\"\n";
  EXPECT_EQ(field(head + "[sla_policy.targets]\nfirst_reply = { urgent = 1 }\n"),
            "c:4: sla_policy[0].targets.first_reply");
  EXPECT_EQ(field(head + "[sla_policy.targets]\nfirst_reply_time = { asap = 1 }\n"),
            "c:4: sla_policy[0].targets.first_reply_time.asap");
  EXPECT_EQ(field(head + "[sla_policy.targets]\nfirst_reply_time = { low = -5 }\n"),
            "c:4: sla_policy[0].targets.first_reply_time.low");
  EXPECT_EQ(field(head + "warning_fraction = 1.5\n[sla_policy.targets]\n"),
            "c:3: sla_policy[0].warning_fraction");
  EXPECT_EQ(field(head + "when = { priority = [\"p1\"] }\n[sla_policy.targets]\n"),
            "c:3: sla_policy[0].when.priority");
  EXPECT_EQ(field(head), "c:1: sla_policy[0].targets");
}

TEST(ConfigTest, SurgeAndDestinationsAreChecked) {
  auto c = ParseConfig("[surge]\ndimensions = [\"channel\", \"tags\"]\nthreshold = 3.5\n", "c");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->surge.dimensions.size(), 2u);
  EXPECT_EQ(c->surge.threshold, 3.5);
  EXPECT_EQ(ParseConfig("[surge]\ndimensions = [\"brand\"]\n", "c").status().field(),
            "c:2: surge.dimensions");
  EXPECT_EQ(ParseConfig("[surge]\nbucket_s = 5\n", "c").status().field(), "c:2: surge.bucket_s");
  const std::string d = "[[destination]]\nname = \"d\"\nurl = \"https://x.test/h\"\n";
  EXPECT_EQ(ParseConfig(d + "format = \"slack\"\n", "c").status().field(),
            "c:1: destination[0].events");
  EXPECT_EQ(ParseConfig(d + "events = [\"sla.breached\"]\n", "c").status().field(),
            "c:1: destination[0].secret_env");
  EXPECT_EQ(
      ParseConfig(d + "format = \"slack\"\nevents = [\"x\"]\nretry_s = []\n", "c").status().field(),
      "c:6: destination[0].retry_s");
  EXPECT_TRUE(ParseConfig(d + "format = \"slack\"\nevents = [\"sla.breached\"]\n", "c").ok());
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
  // A JetStream log, with the PostgreSQL URL for the state its processes share.
  auto js = ParseConfig(
      "[storage]\nlog = \"nats://10.0.0.1:4222,nats://10.0.0.2:4222\"\n"
      "state = \"postgresql://sp@10.0.0.9/support\"\nlog_replicas = 3\nlog_name = \"acme\"\n",
      "c");
  ASSERT_TRUE(js.ok()) << js.status().ToString();
  EXPECT_TRUE(js->storage.jetstream());
  EXPECT_EQ(js->storage.log_replicas, 3);
  EXPECT_EQ(js->storage.log_name, "acme");
  auto no_state = ParseConfig("[storage]\nlog = \"nats://10.0.0.1:4222\"\n", "c");
  ASSERT_FALSE(no_state.ok());
  EXPECT_NE(no_state.status().ToString().find("storage.state"), std::string::npos);
  EXPECT_FALSE(ParseConfig("[storage]\nlog = \"nats://a:4222,http://b\"\n"
                           "state = \"postgresql://x/y\"\n",
                           "c")
                   .ok());
  EXPECT_FALSE(ParseConfig("[storage]\nlog = \"nats://a:4222\"\nstate = \"postgresql://x/y\"\n"
                           "log_replicas = 2\n",
                           "c")
                   .ok());
  EXPECT_FALSE(ParseConfig("[storage]\nstate = \"postgresql://x/y\"\n", "c").ok());
  // A PostgreSQL warehouse, in its own schema.
  auto pgw = ParseConfig(
      "[storage]\nwarehouse = \"postgresql://sp@10.0.0.9/support\"\n"
      "warehouse_schema = \"support_wh\"\n",
      "c");
  ASSERT_TRUE(pgw.ok()) << pgw.status().ToString();
  EXPECT_TRUE(pgw->storage.pg_warehouse());
  EXPECT_EQ(pgw->storage.warehouse_schema, "support_wh");
  EXPECT_EQ(ParseConfig("[storage]\nwarehouse = \"mysql://x/y\"\n", "c").status().field(),
            "c:2: storage.warehouse");
  EXPECT_EQ(ParseConfig("[storage]\nwarehouse = \"postgresql://x/y\"\n"
                        "warehouse_schema = \"Bad-Name\"\n",
                        "c")
                .status()
                .field(),
            "c:3: storage.warehouse_schema");
  EXPECT_EQ(ParseConfig("[storage]\nwarehouse_schema = \"wh\"\n", "c").status().field(),
            "c:2: storage.warehouse_schema");
  // NATS credentials: a token from the environment, TLS servers, files that must exist.
  setenv("SP_TEST_NATS_TOKEN", "t0k", 1);
  auto authed = ParseConfig(
      "[storage]\nlog = \"tls://10.0.0.1:4222\"\nstate = \"postgresql://x/y\"\n"
      "log_token_env = \"SP_TEST_NATS_TOKEN\"\n",
      "c");
  ASSERT_TRUE(authed.ok()) << authed.status().ToString();
  EXPECT_TRUE(authed->storage.jetstream());
  EXPECT_EQ(authed->storage.log_token.value_or(""), "t0k");
  auto no_ca = ParseConfig(
      "[storage]\nlog = \"tls://10.0.0.1:4222\"\nstate = \"postgresql://x/y\"\n"
      "log_tls_ca_file = \"/nonexistent/ca.pem\"\n",
      "c");
  ASSERT_FALSE(no_ca.ok());
  EXPECT_NE(no_ca.status().ToString().find("storage.log_tls_ca_file"), std::string::npos);
  EXPECT_FALSE(ParseConfig("[storage]\nlog_token_env = \"SP_TEST_NATS_TOKEN\"\n", "c").ok());
  EXPECT_FALSE(ParseConfig("[server\n", "c").ok());
  EXPECT_EQ(ParseConfig("[server]\nmax_pending_requests = 0\n", "c").status().field(),
            "c:2: server.max_pending_requests");
  EXPECT_EQ(ParseConfig("[server]\nmax_pending_requests = 64\n", "c")->server.max_pending_requests,
            64);
  EXPECT_EQ(ParseConfig("", "c")->server.max_pending_requests, 256);
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

TEST(ConfigTest, EachVendorAuthenticatesTheWayItCan) {
  setenv("SP_T", "v", 1);
  setenv("SP_B", "user:pass", 1);
  setenv("SP_BAD_BASIC", "nocolon", 1);
  auto src = [](const std::string& body, const std::string& server = "") {
    return ParseConfig(server + "[[source]]\nname = \"s\"\n" + body, "c.toml");
  };
  EXPECT_TRUE(src("vendor = \"zendesk\"\nsecret_env = \"SP_T\"\n").ok());
  EXPECT_TRUE(src("vendor = \"freshdesk\"\nbasic_auth_env = \"SP_B\"\n").ok());
  EXPECT_TRUE(
      src("vendor = \"gorgias\"\ntoken_env = \"SP_T\"\nauth_header = \"X-Gorgias-Token\"\n").ok());
  // A signing vendor needs a secret, not a token.
  auto wrong = src("vendor = \"intercom\"\ntoken_env = \"SP_T\"\n");
  EXPECT_NE(wrong.status().message().find("signs its requests"), std::string::npos);
  // A vendor without signatures needs a credential, not a secret.
  EXPECT_FALSE(src("vendor = \"freshdesk\"\nsecret_env = \"SP_T\"\n").ok());
  EXPECT_FALSE(src("vendor = \"gorgias\"\n").ok());
  EXPECT_NE(src("vendor = \"freshdesk\"\nbasic_auth_env = \"SP_BAD_BASIC\"\n")
                .status()
                .message()
                .find("USER:PASSWORD"),
            std::string::npos);
  // auth = "none" only on loopback.
  EXPECT_TRUE(
      src("vendor = \"generic\"\nauth = \"none\"\n[source.mapping]\n\"ticket.id\" = \"/id\"\n")
          .ok());
  auto open =
      src("vendor = \"generic\"\nauth = \"none\"\n[source.mapping]\n\"ticket.id\" = \"/id\"\n",
          "[server]\nlisten = \"0.0.0.0:8080\"\n");
  EXPECT_NE(open.status().message().find("loopback"), std::string::npos);
}

TEST(ConfigTest, MappingsAndVendorOptionsAreChecked) {
  setenv("SP_T", "v", 1);
  auto src = [](const std::string& body) {
    return ParseConfig("[[source]]\nname = \"s\"\n" + body, "c.toml");
  };
  auto ok = src(R"(vendor = "generic"
token_env = "SP_T"
items = "/events"
[source.mapping]
"ticket.id" = "/t"
[source.defaults]
type = "ticket.updated"
[source.values."ticket.status"]
"Waiting" = "pending"
)");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  const MappingConfig& m = ok->sources[0].mapping;
  EXPECT_EQ(m.items, "/events");
  EXPECT_EQ(m.fields[0], (std::pair<std::string, std::string>{"ticket.id", "/t"}));
  EXPECT_EQ(m.values[0].first, "ticket.status");
  EXPECT_EQ(src("vendor = \"generic\"\ntoken_env = \"SP_T\"\n").status().field(),
            "c.toml:1: source[0].mapping");
  auto bad_field = src(
      "vendor = \"generic\"\ntoken_env = \"SP_T\"\n[source.mapping]\n\"ticket.mood\" = \"/m\"\n");
  EXPECT_NE(bad_field.status().field().find("source[0].mapping.ticket.mood"), std::string::npos);
  auto bad_pointer =
      src("vendor = \"generic\"\ntoken_env = \"SP_T\"\n[source.mapping]\n\"ticket.id\" = \"t\"\n");
  EXPECT_NE(bad_pointer.status().message().find("JSON pointer"), std::string::npos);
  // Built-in mappings only where the payload is the admin's.
  EXPECT_FALSE(src("vendor = \"intercom\"\nsecret_env = \"SP_T\"\n[source.mapping]\n\"ticket.id\" "
                   "= \"/t\"\n")
                   .ok());
  EXPECT_FALSE(
      src("vendor = \"hubspot\"\nsecret_env = \"SP_T\"\npublic_url = \"hooks.example.com\"\n")
          .ok());
  EXPECT_FALSE(src("vendor = \"intercom\"\nsecret_env = \"SP_T\"\napi_url = \"https://x\"\n").ok());
  EXPECT_FALSE(src("vendor = \"zendesk\"\nsecret_env = \"SP_T\"\napi_url = \"https://x\"\n").ok());
  auto sync =
      src("vendor = \"zendesk\"\nsecret_env = \"SP_T\"\napi_url = \"https://acme.zendesk.com\"\n"
          "api_email = \"a@b.c\"\napi_token_env = \"SP_T\"\n");
  ASSERT_TRUE(sync.ok()) << sync.status().ToString();
  EXPECT_EQ(*sync->sources[0].api_token, "v");
}

}  // namespace
}  // namespace supportpipe
