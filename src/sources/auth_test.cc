#include "sources/auth.h"

#include <gtest/gtest.h>

#include "common/crypto.h"
#include "sources/testing.h"

namespace supportpipe::sources {
namespace {

TEST(AuthTest, BearerTokenMatchesEitherTokenCaseInsensitiveScheme) {
  EXPECT_TRUE(BearerTokenMatches("Bearer t0k", {"t0k"}));
  EXPECT_TRUE(BearerTokenMatches("bearer new", {"old", "new"}));
  EXPECT_FALSE(BearerTokenMatches("Bearer t0", {"t0k"}));
  EXPECT_FALSE(BearerTokenMatches("Basic dDBr", {"t0k"}));
  EXPECT_FALSE(BearerTokenMatches("Bearer ", {""}));
}

TEST(AuthTest, CredentialVerifierDeliveryIdIsIdempotencyKeyOrBodyHash) {
  SourceConfig s = Source("canonical", {});
  s.tokens = {"tok"};
  auto v = MakeCredentialVerifier(s);
  FakeRequest r{{{"authorization", "Bearer tok"}}, "{}"};
  auto a = v->Verify(r.Get(), 0);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->delivery_id, BodyHash("{}"));
  r.headers["idempotency-key"] = "k-1";
  EXPECT_EQ(v->Verify(r.Get(), 0)->delivery_id, "k-1");
  EXPECT_EQ(v->Verify(FakeRequest{{}, "{}"}.Get(), 0).status().message(), "missing_header");
  r.headers["authorization"] = "Bearer nope";
  EXPECT_EQ(v->Verify(r.Get(), 0).status().message(), "credential_mismatch");
}

TEST(AuthTest, BasicAuthAndNamedHeaderTokensAndNone) {
  SourceConfig basic = Source("freshdesk", {});
  basic.basic_auth = {"ops:old", "ops:n3w"};
  auto v = MakeCredentialVerifier(basic);
  EXPECT_TRUE(
      v->Verify(FakeRequest{{{"authorization", "Basic " + Base64Encode("ops:n3w")}}, "{}"}.Get(), 0)
          .ok());
  EXPECT_EQ(
      v->Verify(FakeRequest{{{"authorization", "Basic " + Base64Encode("ops:bad")}}, "{}"}.Get(), 0)
          .status()
          .message(),
      "credential_mismatch");

  SourceConfig header = Source("gorgias", {});
  header.tokens = {"g-tok"};
  header.auth_header = "X-Gorgias-Token";
  auto h = MakeCredentialVerifier(header);
  EXPECT_TRUE(h->Verify(FakeRequest{{{"x-gorgias-token", "g-tok"}}, "{}"}.Get(), 0).ok());
  EXPECT_EQ(h->Verify(FakeRequest{{{"x-gorgias-token", "g-to"}}, "{}"}.Get(), 0).status().message(),
            "credential_mismatch");

  SourceConfig none = Source("generic", {});
  none.auth_none = true;
  EXPECT_TRUE(MakeCredentialVerifier(none)->Verify(FakeRequest{{}, "{}"}.Get(), 0).ok());
}

TEST(AuthTest, WindowAndIntegers) {
  EXPECT_TRUE(CheckWindow(100, 1'000'000, 100'000'000 + 299'000'000, 300).ok());
  EXPECT_EQ(CheckWindow(0, 1, 301'000'000, 300).message(), "timestamp_too_old");
  EXPECT_EQ(CheckWindow(301'000, 1'000, 0, 300).message(), "timestamp_in_future");
  EXPECT_EQ(CheckWindow(INT64_MAX / 10, 1'000'000, 0, 300).message(), "bad_timestamp");
  EXPECT_EQ(CheckWindow(-5, 1'000'000, 0, 300).message(), "bad_timestamp");
  EXPECT_EQ(ParseInteger("1531420618"), 1531420618);
  EXPECT_FALSE(ParseInteger("15x").has_value());
  EXPECT_FALSE(ParseInteger("").has_value());
  EXPECT_EQ(PeekMember(R"({"id":"notif_1","n":7})", "id"), "notif_1");
  EXPECT_EQ(PeekMember(R"({"id":"notif_1","n":7})", "n"), "7");
  EXPECT_FALSE(PeekMember("[1]", "id").has_value());
}

}  // namespace
}  // namespace supportpipe::sources
