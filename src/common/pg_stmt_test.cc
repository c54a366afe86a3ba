#include "common/pg_stmt.h"

#include <gtest/gtest.h>

namespace supportpipe {
namespace {

TEST(PgPlaceholdersTest, NumbersBarePlaceholdersAsSqliteDoes) {
  int n = 0;
  EXPECT_EQ(PgPlaceholders("INSERT INTO t VALUES(?, ?, ?)", &n),
            "INSERT INTO t VALUES($1, $2, $3)");
  EXPECT_EQ(n, 3);
  // ?N names parameter N; a bare ? after it is one more than the largest so far.
  EXPECT_EQ(PgPlaceholders("SELECT ?2, ?1, ?", &n), "SELECT $2, $1, $3");
  EXPECT_EQ(n, 3);
  EXPECT_EQ(PgPlaceholders("WHERE a = ?1 OR b = ?1", &n), "WHERE a = $1 OR b = $1");
  EXPECT_EQ(n, 1);
}

TEST(PgPlaceholdersTest, LeavesQuotedTextAlone) {
  int n = 0;
  EXPECT_EQ(PgPlaceholders("SELECT '?', 'it''s ?', \"col?\" FROM t WHERE x = ?", &n),
            "SELECT '?', 'it''s ?', \"col?\" FROM t WHERE x = $1");
  EXPECT_EQ(n, 1);
  EXPECT_EQ(PgPlaceholders("SELECT 1", &n), "SELECT 1");
  EXPECT_EQ(n, 0);
}

}  // namespace
}  // namespace supportpipe
