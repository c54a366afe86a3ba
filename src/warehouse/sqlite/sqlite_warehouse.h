// The embedded warehouse: the star schema in its own SQLite file (warehouse.db), so
// analysts can open it read-only and so it can be swapped for PostgreSQL.
//   ASSIGN_OR_RETURN(auto wh, OpenSqliteWarehouse(dir + "/warehouse.db", clock, {}));
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "support/policies.h"
#include "warehouse/warehouse.h"

namespace supportpipe::warehouse {

struct SqliteWarehouseOptions {
  bool read_only = false;  // for `supportpipe query`: never creates or migrates
  // Schedules and SLA policies for the metrics; null = 24x7, no SLA. Must outlive the warehouse.
  const support::Policies* policies = nullptr;
};

Result<std::unique_ptr<Warehouse>> OpenSqliteWarehouse(const std::string& path, const Clock& clock,
                                                       const SqliteWarehouseOptions& options);

}  // namespace supportpipe::warehouse
