#include "common/pg_db.h"

#include <gtest/gtest.h>

#include "common/pg_stmt.h"
#include "common/test_servers.h"

namespace supportpipe {
namespace {

std::unique_ptr<PgDb> OpenOrSkip() {
  const std::string url = TestServerUrl("SUPPORTPIPE_TEST_PG_URL");
  if (url.empty()) return nullptr;
  auto db = PgDb::Open(url);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

#define SKIP_WITHOUT_PG(db)                                                                   \
  if (!db) {                                                                                  \
    if (TestServersRequired()) FAIL() << "SUPPORTPIPE_TEST_PG_URL is not set";                \
    GTEST_SKIP() << "SUPPORTPIPE_TEST_PG_URL is not set (scripts/test.sh starts PostgreSQL)"; \
  }

// Pipelined writes run in order, give their results to their callbacks when read, and a
// read sees every write queued before it.
TEST(PgDbTest, QueuedStatementsRunInOrderBeforeTheNextRead) {
  auto db = OpenOrSkip();
  SKIP_WITHOUT_PG(db);
  ASSERT_TRUE(db->Script("CREATE TEMP TABLE q(n BIGINT PRIMARY KEY, v TEXT)").ok());
  std::vector<int64_t> seen;
  for (int i = 1; i <= 1000; ++i) {  // past the 512 that flush on their own
    ASSERT_TRUE(
        db->Queue("INSERT INTO q VALUES($1, $2) RETURNING n", {Pg(i), Pg("x")}, [&](PgRows& r) {
            seen.push_back(r.Int(0, 0));
            return Status::Ok();
          }).ok());
  }
  auto n = db->Exec("SELECT COUNT(*), SUM(n) FROM q");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->Int(0, 0), 1000);
  EXPECT_EQ(n->Int(0, 1), 500500);
  ASSERT_EQ(seen.size(), 1000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(seen[i], i + 1);
}

// A queued statement that fails is reported by the call that reads it, with its SQL; what
// was queued after it does not run, and the connection works afterwards.
TEST(PgDbTest, AQueuedErrorComesBackAndStopsWhatFollows) {
  auto db = OpenOrSkip();
  SKIP_WITHOUT_PG(db);
  ASSERT_TRUE(db->Script("CREATE TEMP TABLE e(n BIGINT PRIMARY KEY)").ok());
  ASSERT_TRUE(db->Queue("INSERT INTO e VALUES($1)", {Pg(1)}).ok());
  ASSERT_TRUE(db->Queue("INSERT INTO e VALUES($1)", {Pg(1)}).ok());  // duplicate key
  ASSERT_TRUE(db->Queue("INSERT INTO e VALUES($1)", {Pg(2)}).ok());
  Status s = db->Flush();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("duplicate key"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("INSERT INTO e"), std::string::npos) << s.ToString();
  auto n = db->Exec("SELECT COUNT(*) FROM e WHERE n = 2");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->Int(0, 0), 0);
}

// COPY takes rows made by PgCopyRows back exactly, whatever characters their text holds.
TEST(PgDbTest, CopyInTakesRowsBackExactly) {
  auto db = OpenOrSkip();
  SKIP_WITHOUT_PG(db);
  ASSERT_TRUE(db->Script("CREATE TEMP TABLE c(k BIGINT, t TEXT, x DOUBLE PRECISION)").ok());
  const std::string tricky = "tab\there\nnew line\\back\\slash\r\\N é";
  PgCopyRows rows;
  rows.Bind(1, int64_t{1}).Bind(2, tricky).Bind(3, 2.5);
  rows.EndRow();
  rows.Bind(1, int64_t{2}).BindNull(2).BindNull(3);
  rows.EndRow();
  EXPECT_EQ(rows.rows(), 2u);
  ASSERT_TRUE(db->CopyIn("COPY c(k, t, x) FROM STDIN", rows.data()).ok());
  auto got = db->Exec("SELECT k, t, x, t IS NULL FROM c ORDER BY k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 2);
  EXPECT_EQ(got->Text(0, 1), tricky);
  EXPECT_EQ(got->Real(0, 2), 2.5);
  EXPECT_TRUE(got->IsNull(1, 1));
  EXPECT_TRUE(got->IsNull(1, 2));
  // A bad row fails the COPY with the server's reason, and the connection goes on.
  PgCopyRows bad;
  bad.Bind(1, "not a number");
  bad.EndRow();
  Status s = db->CopyIn("COPY c(k) FROM STDIN", bad.data());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("bigint"), std::string::npos) << s.ToString();
  EXPECT_TRUE(db->Exec("SELECT 1").ok());
}

// PgConn: statements in SQLite's placeholders, writes pipelined with Send().
TEST(PgDbTest, PgConnRunsSqliteShapedStatements) {
  auto db = OpenOrSkip();
  SKIP_WITHOUT_PG(db);
  PgConn conn(std::move(db));
  ASSERT_TRUE(
      conn.Exec("CREATE TEMP TABLE c(k TEXT PRIMARY KEY, n BIGINT, x DOUBLE PRECISION)").ok());
  for (int i = 0; i < 3; ++i) {
    auto s = conn.Prepare("INSERT INTO c VALUES(?, ?2, ?)");
    ASSERT_TRUE(s.ok());
    (*s)->Bind(1, "k" + std::to_string(i)).Bind(2, int64_t{i}).Bind(3, 0.5 + i);
    ASSERT_TRUE((*s)->Send().ok());
  }
  auto up = conn.Prepare("UPDATE c SET n = n + 10 WHERE n >= ?");
  ASSERT_TRUE(up.ok());
  (*up)->Bind(1, int64_t{1});
  ASSERT_TRUE((*up)->Run().ok());
  EXPECT_EQ(conn.Changes(), 2);
  auto q = conn.Prepare("SELECT k, n, x, n > 10 FROM c ORDER BY k");
  ASSERT_TRUE(q.ok());
  std::vector<std::string> rows;
  ASSERT_TRUE((*q)->ForEachRow([&] {
                    rows.push_back(std::string((*q)->Text(0)) + " " + std::to_string((*q)->Int(1)) +
                                   " " + std::to_string((*q)->Double(2)) + " " +
                                   std::to_string((*q)->Int(3)));
                  })
                  .ok());
  EXPECT_EQ(rows,
            (std::vector<std::string>{"k0 0 0.500000 0", "k1 11 1.500000 1", "k2 12 2.500000 1"}));
}

}  // namespace
}  // namespace supportpipe
