// The one place that maps storage settings to backend implementations.
//   "sqlite" (log)       -> log::OpenSqliteEventLog(data_dir): raw.db and events.db
//   "sqlite" (warehouse) -> warehouse::OpenSqliteWarehouse(data_dir/warehouse.db)
#pragma once

#include <memory>

#include "common/clock.h"
#include "common/config.h"
#include "log/event_log.h"
#include "support/schedules.h"
#include "warehouse/warehouse.h"

namespace supportpipe::server {

// Creates data_dir when missing.
Result<std::unique_ptr<log::EventLog>> OpenEventLog(const StorageConfig& storage);
// `schedules` (may be null: 24x7) must outlive the warehouse; read-only opens ignore it.
Result<std::unique_ptr<warehouse::Warehouse>> OpenWarehouse(
    const StorageConfig& storage, const Clock& clock, bool read_only,
    const support::Schedules* schedules = nullptr);

}  // namespace supportpipe::server
