// The one place that maps storage settings to backend implementations.
//   "sqlite" (log)       -> log::OpenSqliteEventLog(data_dir): raw.db and events.db
//   "nats://..." (log)   -> log::OpenJetStreamEventLog(log, state): JetStream + PostgreSQL
//   "sqlite" (warehouse) -> warehouse::OpenSqliteWarehouse(data_dir/warehouse.db)
//   "postgresql://..." (warehouse) -> warehouse::OpenPgWarehouse(url, warehouse_schema)
//   security (tokens, audit log) -> security::OpenSqliteStore(data_dir/security.db), or with
//     a JetStream log security::OpenPgStore(state, log_name): shared by every process
#pragma once

#include <memory>

#include "common/clock.h"
#include "common/config.h"
#include "log/event_log.h"
#include "security/store.h"
#include "support/policies.h"
#include "warehouse/warehouse.h"

namespace supportpipe::server {

// Creates data_dir when missing. Raw payloads are sealed with [privacy] encryption_key_file
// when set (security::RawCipher).
Result<std::unique_ptr<log::EventLog>> OpenEventLog(const Config& config);
// `policies` (may be null: 24x7, no SLA) must outlive the warehouse; read-only opens ignore it.
Result<std::unique_ptr<warehouse::Warehouse>> OpenWarehouse(
    const StorageConfig& storage, const Clock& clock, bool read_only,
    const support::Policies* policies = nullptr);
// Where the warehouse is, for people: its file, or its server, database and schema (never
// a password).
std::string WarehouseLocation(const StorageConfig& storage);
// Creates data_dir when missing.
Result<std::unique_ptr<security::Store>> OpenSecurityStore(const StorageConfig& storage);

}  // namespace supportpipe::server
