#include "log/sqlite/sqlite_event_log.h"

#include "log/event_log_contract.h"

namespace supportpipe::log {
namespace {

INSTANTIATE_TEST_SUITE_P(Sqlite, EventLogContract,
                         testing::Values(EventLogFactory{
                             "sqlite",
                             [](const std::string& dir) { return OpenSqliteEventLog(dir); }}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace supportpipe::log
