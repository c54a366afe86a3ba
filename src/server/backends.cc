#include "server/backends.h"

#include <filesystem>
#include <system_error>

#include "log/jetstream/jetstream_event_log.h"
#include "log/sqlite/sqlite_event_log.h"
#include "security/raw_cipher.h"
#include "warehouse/postgres/pg_warehouse.h"
#include "warehouse/sqlite/sqlite_warehouse.h"

namespace supportpipe::server {
namespace {

Status EnsureDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create data directory " + dir + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<log::EventLog>> OpenEventLog(const Config& config) {
  const StorageConfig& storage = config.storage;
  log::SqliteLogOptions options;
  if (!config.privacy.encryption_key_file.empty()) {
    auto cipher = security::RawCipher::Load(config.privacy.encryption_key_file,
                                            config.privacy.previous_key_files);
    if (!cipher.ok()) {
      return InvalidArgument(cipher.status().message(),
                             "[privacy] key file " + cipher.status().field());
    }
    options.cipher = std::move(cipher).value();
  }
  if (storage.log == "sqlite") {
    RETURN_IF_ERROR(EnsureDir(storage.data_dir));
    return log::OpenSqliteEventLog(storage.data_dir, options);
  }
  if (storage.jetstream()) {
    return log::OpenJetStreamEventLog({.nats_urls = storage.log,
                                       .state_url = storage.state,
                                       .name = storage.log_name,
                                       .replicas = static_cast<int>(storage.log_replicas),
                                       .token = storage.log_token.value_or(""),
                                       .credentials_file = storage.log_credentials_file,
                                       .tls_ca_file = storage.log_tls_ca_file,
                                       .cipher = std::move(options.cipher)});
  }
  return InvalidArgument("unknown log backend \"" + storage.log + "\"");
}

Result<std::unique_ptr<security::Store>> OpenSecurityStore(const StorageConfig& storage) {
  // Scale-out: tokens and the audit chain are shared by every process.
  if (storage.jetstream()) return security::OpenPgStore(storage.state, storage.log_name);
  RETURN_IF_ERROR(EnsureDir(storage.data_dir));
  return security::OpenSqliteStore(storage.data_dir + "/security.db");
}

Result<std::unique_ptr<warehouse::Warehouse>> OpenWarehouse(const StorageConfig& storage,
                                                            const Clock& clock, bool read_only,
                                                            const support::Policies* policies) {
  if (storage.warehouse == "sqlite") {
    const std::string path = storage.data_dir + "/warehouse.db";
    if (read_only && !std::filesystem::exists(path)) {
      return NotFound("no warehouse at " + path +
                      " yet: run `supportpipe serve` or `import` first");
    }
    if (!read_only) RETURN_IF_ERROR(EnsureDir(storage.data_dir));
    return warehouse::OpenSqliteWarehouse(path, clock,
                                          {.read_only = read_only, .policies = policies});
  }
  if (storage.pg_warehouse()) {
    return warehouse::OpenPgWarehouse(
        storage.warehouse, clock,
        {.schema = storage.warehouse_schema, .read_only = read_only, .policies = policies});
  }
  return InvalidArgument("unknown warehouse backend \"" + storage.warehouse + "\"");
}

std::string WarehouseLocation(const StorageConfig& storage) {
  if (!storage.pg_warehouse()) return storage.data_dir + "/warehouse.db";
  // The server and database, never the user's password.
  std::string url = storage.warehouse;
  const size_t scheme = url.find("://") + 3;
  const size_t at = url.find('@', scheme);
  if (at != std::string::npos && at < url.find('/', scheme)) url.erase(scheme, at + 1 - scheme);
  return url.substr(0, url.find('?')) + " schema " + storage.warehouse_schema;
}

}  // namespace supportpipe::server
