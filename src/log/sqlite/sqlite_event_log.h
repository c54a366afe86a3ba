// The embedded EventLog: one SQLite file (WAL mode, synchronous=FULL) holding the raw
// and event streams, consumer cursors and the dead-letter queue.
//   ASSIGN_OR_RETURN(auto log, OpenSqliteEventLog(data_dir + "/log.db"));
// Thread-safe: one connection guarded by a mutex. Throughput comes from callers batching
// (log::GroupCommitter), not from parallel writers, which SQLite serialises anyway.
#pragma once

#include <memory>
#include <string>

#include "log/event_log.h"

namespace supportpipe::log {

Result<std::unique_ptr<EventLog>> OpenSqliteEventLog(const std::string& path);

}  // namespace supportpipe::log
