// The embedded EventLog: two SQLite files in WAL mode with synchronous=FULL. raw.db holds
// the raw stream alone, so intake's group commits never wait behind the processor;
// events.db holds the event stream, consumer cursors and the dead-letter queue.
//   ASSIGN_OR_RETURN(auto log, OpenSqliteEventLog(data_dir));
// Thread-safe: per file, one writer and one reader connection, each guarded by a mutex. Throughput
// comes from callers batching (log::GroupCommitter), not from parallel writers, which SQLite
// serialises anyway.
#pragma once

#include <memory>
#include <string>

#include "log/event_log.h"
#include "log/payload_cipher.h"

namespace supportpipe::log {

struct SqliteLogOptions {
  // Seals raw bodies before they are written and opens them when read; null = stored as
  // received. Bodies written before a cipher was set stay readable.
  std::shared_ptr<const PayloadCipher> cipher;
};

// Creates the files in `dir` when missing.
Result<std::unique_ptr<EventLog>> OpenSqliteEventLog(const std::string& dir,
                                                     const SqliteLogOptions& options = {});

}  // namespace supportpipe::log
