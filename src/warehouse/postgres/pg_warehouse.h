// The warehouse on PostgreSQL: the same star schema and views as the embedded one, in
// PostgreSQL's dialect, in one schema of a database the workers share.
//
//   ASSIGN_OR_RETURN(auto wh, OpenPgWarehouse("postgresql://u@db:5432/support", clock,
//                                             {.schema = "warehouse"}));
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "support/policies.h"
#include "warehouse/warehouse.h"

namespace supportpipe::warehouse {

struct PgWarehouseOptions {
  std::string schema = "warehouse";  // letters, digits and '_'
  bool read_only = false;            // never creates or migrates
  // Schedules and SLA policies for the metrics; null = 24x7, no SLA. Must outlive the warehouse.
  const support::Policies* policies = nullptr;
};

// Connects (a writer and a reader connection), then creates or migrates the schema to the
// current version under an advisory lock, so workers starting together do not race.
Result<std::unique_ptr<Warehouse>> OpenPgWarehouse(const std::string& url, const Clock& clock,
                                                   const PgWarehouseOptions& options);

}  // namespace supportpipe::warehouse
