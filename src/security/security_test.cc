#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/crypto.h"
#include "common/pg_db.h"
#include "common/sqlite_db.h"
#include "common/test_dir.h"
#include "common/test_servers.h"
#include "security/authenticator.h"
#include "security/store.h"

namespace supportpipe::security {
namespace {

constexpr TimeMicros kT0 = 1796029200LL * 1000000;  // 2026-11-30T09:00:00Z

TEST(TokenTest, FormatScopesAndHash) {
  NewToken t = MakeToken("grafana", {"read"}, std::nullopt, kT0);
  ASSERT_EQ(t.text.size(), 4u + 12 + 1 + 64);
  EXPECT_EQ(t.text.substr(0, 4), "spt_");
  EXPECT_EQ(TokenId(t.text), t.token.id);
  EXPECT_EQ(t.token.hash, TokenHash(t.text));
  EXPECT_EQ(t.token.hash.find(t.text.substr(17)), std::string::npos);
  EXPECT_NE(MakeToken("x", {}, std::nullopt, kT0).text, t.text);
  const std::string wrong_prefix = "xpt_" + t.text.substr(4);
  for (std::string_view bad :
       {std::string_view(), std::string_view("spt_"), std::string_view("Bearer x"),
        std::string_view("spt_0123456789ab_zz"), std::string_view(wrong_prefix)}) {
    EXPECT_FALSE(TokenId(bad)) << bad;
  }
  for (const char* ok : {"admin", "read", "replay", "erase", "ingest:zendesk", "ingest:*"}) {
    EXPECT_TRUE(ValidateScope(ok).ok()) << ok;
  }
  for (const char* bad : {"", "root", "ingest:", "ingest:a b", "READ"}) {
    EXPECT_FALSE(ValidateScope(bad).ok()) << bad;
  }
  EXPECT_TRUE(Allows({"admin"}, "erase"));
  EXPECT_TRUE(Allows({"read", "replay"}, "replay"));
  EXPECT_FALSE(Allows({"read"}, "replay"));
  EXPECT_TRUE(Allows({"ingest:*"}, "ingest:acme"));
  EXPECT_TRUE(Allows({"ingest:acme"}, "ingest:acme"));
  EXPECT_FALSE(Allows({"ingest:acme"}, "ingest:other"));
  EXPECT_FALSE(Allows({"ingest:*"}, "read"));
}

// Every store backend: SQLite, and PostgreSQL when scripts/test.sh started one.
class StoreTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (postgres() && pg_url_.empty()) {
      if (TestServersRequired()) FAIL() << "SUPPORTPIPE_TEST_PG_URL is not set";
      GTEST_SKIP() << "SUPPORTPIPE_TEST_PG_URL is not set (scripts/test.sh starts PostgreSQL)";
    }
    Reopen();
  }
  bool postgres() const { return GetParam() == "postgresql"; }
  void Reopen() {
    store_.reset();
    auto s = postgres() ? OpenPgStore(pg_url_, schema_) : OpenSqliteStore(path_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  // Changes the stored audit log behind the store's back, as an attacker with the file or
  // the database would.
  void Tamper(const std::string& sql) {
    store_.reset();
    if (postgres()) {
      auto db = std::move(PgDb::Open(PgUrlWithSearchPath(pg_url_, schema_))).value();
      ASSERT_TRUE(db->Script(sql).ok());
    } else {
      auto db = std::move(SqliteDb::Open(path_, {})).value();
      ASSERT_TRUE(db->Exec(sql).ok());
    }
    Reopen();
  }

  TestDir dir_;
  std::string path_ = dir_.path() + "/security.db";
  std::string pg_url_ = TestServerUrl("SUPPORTPIPE_TEST_PG_URL");
  std::string schema_ = "st" + HexEncode(Sha256(dir_.path())).substr(0, 16);
  FakeClock clock_{kT0};
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(StoreTest, TokensAreCheckedByHashScopeRevocationAndExpiry) {
  Authenticator auth(*store_, std::nullopt, clock_);
  EXPECT_FALSE(auth.TokensRequired());
  NewToken reader = MakeToken("grafana", {"read"}, std::nullopt, kT0);
  NewToken brief = MakeToken("ci", {"replay"}, kT0 + 3600 * 1000000LL, kT0);
  ASSERT_TRUE(store_->CreateToken(reader.token).ok());
  ASSERT_TRUE(store_->CreateToken(brief.token).ok());
  EXPECT_EQ(store_->CreateToken(reader.token).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(auth.TokensRequired());

  auto v = auth.Check("Bearer " + reader.text);
  ASSERT_EQ(v.outcome, Authenticator::Outcome::kOk);
  EXPECT_EQ(v.principal.actor, "token:" + reader.token.id + " (grafana)");
  EXPECT_EQ(v.principal.scopes, std::vector<std::string>{"read"});
  EXPECT_EQ(auth.Check("bearer " + reader.text).outcome, Authenticator::Outcome::kOk);
  EXPECT_EQ(auth.Check("").outcome, Authenticator::Outcome::kMissing);
  // One character changed in the secret, or in the id.
  std::string forged = reader.text;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(auth.Check("Bearer " + forged).reason, "token_mismatch");
  EXPECT_EQ(auth.Check("Basic " + reader.text).outcome, Authenticator::Outcome::kRefused);

  EXPECT_EQ(auth.Check("Bearer " + brief.text).outcome, Authenticator::Outcome::kOk);
  clock_.Advance(3600 * 1000000LL);
  EXPECT_EQ(auth.Check("Bearer " + brief.text).reason, "token_expired");

  EXPECT_TRUE(*store_->RevokeToken(reader.token.id, clock_.Now()));
  EXPECT_FALSE(*store_->RevokeToken(reader.token.id, clock_.Now()));  // already
  EXPECT_FALSE(*store_->RevokeToken("nope", clock_.Now()));
  EXPECT_EQ(auth.Check("Bearer " + reader.text).reason, "token_revoked");
  auto list = store_->ListTokens();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_TRUE((*list)[0].revoked_at || (*list)[1].revoked_at);

  Authenticator with_admin(*store_, std::string("bootstrap"), clock_);
  EXPECT_EQ(with_admin.Check("Bearer bootstrap").principal.actor, "admin-token");
  EXPECT_EQ(with_admin.Check("Bearer bootstrapx").outcome, Authenticator::Outcome::kRefused);

  // The file holds hashes, never a token's secret.
  store_.reset();
  std::ifstream in(path_, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  EXPECT_EQ(bytes.str().find(reader.text.substr(17)), std::string::npos);
  EXPECT_EQ(bytes.str().find(brief.text.substr(17)), std::string::npos);
}

TEST_P(StoreTest, TheAuditChainDetectsAnEditedADeletedAndAnInsertedEntry) {
  for (int i = 0; i < 5; ++i) {
    auto e = store_->AppendAudit({.at = kT0 + i,
                                  .actor = "cli:ana",
                                  .action = "query",
                                  .target = "SELECT " + std::to_string(i),
                                  .outcome = "ok"});
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->seq, i + 1);
  }
  auto ok = VerifyAudit(*store_);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->entries, 5);
  EXPECT_FALSE(ok->first_bad);
  EXPECT_EQ(ok->head.size(), 64u);

  auto tamper = [&](const std::string& sql) { Tamper(sql); };
  tamper("UPDATE audit SET target = 'SELECT nothing' WHERE seq = 3");
  auto edited = VerifyAudit(*store_);
  ASSERT_TRUE(edited.ok());
  EXPECT_EQ(edited->first_bad, 3);
  EXPECT_NE(edited->reason.find("edited"), std::string::npos);
  EXPECT_EQ(edited->entries, 2);

  tamper("UPDATE audit SET target = 'SELECT 2' WHERE seq = 3");  // put back
  EXPECT_FALSE(VerifyAudit(*store_)->first_bad);
  tamper("DELETE FROM audit WHERE seq = 2");
  EXPECT_EQ(VerifyAudit(*store_)->first_bad, 3);
  EXPECT_NE(VerifyAudit(*store_)->reason.find("missing"), std::string::npos);

  // Re-numbered to hide the gap: the chain breaks instead.
  // (In two steps, so that no two rows share a seq on the way.)
  tamper(
      "UPDATE audit SET seq = -seq WHERE seq > 2; UPDATE audit SET seq = -seq - 1 WHERE seq < 0");
  EXPECT_EQ(VerifyAudit(*store_)->first_bad, 2);
}

}  // namespace
}  // namespace supportpipe::security
