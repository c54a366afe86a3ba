// The warehouse's logic, written once over a SQL connection shaped like SqliteDb (SqliteDb
// itself, or PgConn for PostgreSQL). A backend owns its schema (tables, views, migrations in
// its dialect), opens a writer and a reader connection, and turns them into a Warehouse:
//
//   return MakeSqlWarehouse(std::move(writer), std::move(reader), clock, policies);
//
// The statements are written in the SQL both dialects accept (upserts with qualified target
// columns, IS [NOT] DISTINCT FROM, CAST for parameters without context); the few that cannot
// be (JSON functions, rowid, checkpointing) branch on the backend.
#pragma once

#include <memory>
#include <string_view>

#include "common/clock.h"
#include "common/pg_stmt.h"
#include "common/sqlite_db.h"
#include "support/policies.h"
#include "warehouse/warehouse.h"

namespace supportpipe::warehouse {

// `writer` is null for a read-only warehouse. `policies` may be null (24x7, no SLA).
template <typename Db>
std::unique_ptr<Warehouse> MakeSqlWarehouse(std::unique_ptr<Db> writer, std::unique_ptr<Db> reader,
                                            const Clock& clock, const support::Policies* policies);

// Warehouse::Query for each backend: one read-only statement, at most `max_rows` rows.
Result<QueryResult> RunReadOnlyQuery(SqliteDb& db, std::string_view sql, size_t max_rows);
Result<QueryResult> RunReadOnlyQuery(PgConn& db, std::string_view sql, size_t max_rows);

}  // namespace supportpipe::warehouse
