#include "sources/standard/standard_webhooks.h"

#include <gtest/gtest.h>

#include <map>

namespace supportpipe::sources {
namespace {

// The published test vector (Standard Webhooks specification and SDKs).
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr const char* kTs = "1614265330";
constexpr const char* kBody = R"({"test": 2432232314})";
constexpr const char* kSig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
constexpr TimeMicros kAt = 1614265330LL * 1000000;

struct Req {
  std::map<std::string, std::string> headers;
  std::string body = kBody;
  WebhookRequest Get() const {
    return {"POST", "/v1/webhooks/s",
            [this](std::string_view n) -> std::string_view {
              auto it = headers.find(std::string(n));
              return it == headers.end() ? std::string_view() : std::string_view(it->second);
            },
            body};
  }
};

Req Valid() {
  return Req{{{"webhook-id", kId}, {"webhook-timestamp", kTs}, {"webhook-signature", kSig}}};
}

std::unique_ptr<Verifier> Make(std::vector<std::string> secrets) {
  return std::move(MakeStandardWebhooksVerifier(secrets, 300)).value();
}

TEST(StandardWebhooksTest, SignMatchesPublishedVector) {
  EXPECT_EQ(*StandardWebhooksSign(kSecret, kId, kTs, kBody), kSig);
}

TEST(StandardWebhooksTest, VerifiesPublishedVectorAndReturnsDeliveryId) {
  auto r = Make({kSecret})->Verify(Valid().Get(), kAt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->delivery_id, kId);
}

TEST(StandardWebhooksTest, AcceptsEitherSecretDuringRotation) {
  auto v = Make({"whsec_" + std::string("b2xkc2VjcmV0"), kSecret});
  EXPECT_TRUE(v->Verify(Valid().Get(), kAt).ok());
}

TEST(StandardWebhooksTest, AnyListedSignatureMayMatch) {
  Req r = Valid();
  r.headers["webhook-signature"] = std::string("v1,bm9wZQ== v2,xyz ") + kSig;
  EXPECT_TRUE(Make({kSecret})->Verify(r.Get(), kAt).ok());
}

TEST(StandardWebhooksTest, RejectsWithCountedReasons) {
  auto v = Make({kSecret});
  Req tampered = Valid();
  tampered.body = R"({"test": 2432232315})";
  EXPECT_EQ(v->Verify(tampered.Get(), kAt).status().message(), "signature_mismatch");
  Req missing = Valid();
  missing.headers.erase("webhook-signature");
  EXPECT_EQ(v->Verify(missing.Get(), kAt).status().message(), "missing_header");
  EXPECT_EQ(v->Verify(Valid().Get(), kAt + 301LL * 1000000).status().message(),
            "timestamp_too_old");
  EXPECT_EQ(v->Verify(Valid().Get(), kAt - 301LL * 1000000).status().message(),
            "timestamp_in_future");
  EXPECT_TRUE(v->Verify(Valid().Get(), kAt + 299LL * 1000000).ok());
  Req bad_ts = Valid();
  bad_ts.headers["webhook-timestamp"] = "16142x";
  EXPECT_EQ(v->Verify(bad_ts.Get(), kAt).status().message(), "bad_timestamp");
  EXPECT_EQ(Make({"whsec_b3RoZXI="})->Verify(Valid().Get(), kAt).status().code(),
            StatusCode::kPermissionDenied);
}

TEST(StandardWebhooksTest, SvixHeadersAreAccepted) {
  Req r{{{"svix-id", kId}, {"svix-timestamp", kTs}, {"svix-signature", kSig}}};
  EXPECT_TRUE(Make({kSecret})->Verify(r.Get(), kAt).ok());
}

TEST(StandardWebhooksTest, MalformedSecretIsAConfigError) {
  EXPECT_FALSE(MakeStandardWebhooksVerifier({"whsec_!!!"}, 300).ok());
}

}  // namespace
}  // namespace supportpipe::sources
