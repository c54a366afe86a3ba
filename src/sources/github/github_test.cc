#include "sources/github/github.h"

#include "sources/testing.h"

namespace supportpipe::sources {
namespace {

TEST(GitHubVerifyTest, PublishedVectorAndDeliveryHeader) {
  auto v = MakeGitHubVerifier(Source("github", {"It's a Secret to Everybody"}));
  FakeRequest r{{{"x-hub-signature-256",
                  "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
                 {"x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"}},
                "Hello, World!"};
  auto ok = v->Verify(r.Get(), 0);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->delivery_id, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
  r.body = "Hello, World?";
  EXPECT_EQ(v->Verify(r.Get(), 0).status().message(), "signature_mismatch");
  r.headers.erase("x-hub-signature-256");
  EXPECT_EQ(v->Verify(r.Get(), 0).status().message(), "missing_header");
}

}  // namespace
}  // namespace supportpipe::sources
