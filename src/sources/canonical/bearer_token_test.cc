#include "sources/canonical/bearer_token.h"

#include <gtest/gtest.h>

namespace supportpipe::sources {
namespace {

TEST(BearerTokenTest, MatchesEitherTokenCaseInsensitiveScheme) {
  EXPECT_TRUE(BearerTokenMatches("Bearer t0k", {"t0k"}));
  EXPECT_TRUE(BearerTokenMatches("bearer new", {"old", "new"}));
  EXPECT_FALSE(BearerTokenMatches("Bearer t0", {"t0k"}));
  EXPECT_FALSE(BearerTokenMatches("Basic dDBr", {"t0k"}));
  EXPECT_FALSE(BearerTokenMatches("Bearer ", {""}));
}

TEST(BearerTokenTest, DeliveryIdIsIdempotencyKeyOrBodyHash) {
  auto v = MakeBearerTokenVerifier({"tok"});
  std::string idem;
  auto header = [&](std::string_view n) -> std::string_view {
    if (n == "authorization") return "Bearer tok";
    if (n == "idempotency-key") return idem;
    return "";
  };
  WebhookRequest req{"POST", "/", header, "{}"};
  auto a = v->Verify(req, 0);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->rfind("sha256:", 0), 0u);
  idem = "k-1";
  EXPECT_EQ(*v->Verify(req, 0), "k-1");
  WebhookRequest anon{"POST", "/", [](std::string_view) { return std::string_view(); }, "{}"};
  EXPECT_EQ(v->Verify(anon, 0).status().message(), "missing_header");
}

}  // namespace
}  // namespace supportpipe::sources
