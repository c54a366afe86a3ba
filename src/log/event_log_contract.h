// The EventLog contract suite: every backend instantiates it with a factory.
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, EventLogContract,
//                            testing::Values(EventLogFactory{"sqlite", MakeSqlite}));
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "common/test_dir.h"
#include "log/event_log.h"

namespace supportpipe::log {

struct EventLogFactory {
  std::string name;
  // Creates an empty log in `dir` (a fresh temporary directory), or reopens the one there.
  std::function<Result<std::unique_ptr<EventLog>>(const std::string& dir)> open;
  // Why this backend cannot be tested here ("" = it can): the suite is skipped, or fails
  // when the servers are required (common/test_servers.h).
  std::function<std::string()> unavailable;
};

class EventLogContract : public testing::TestWithParam<EventLogFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::unique_ptr<EventLog> Reopen();

  TestDir dir_;
  std::unique_ptr<EventLog> log_;
};

}  // namespace supportpipe::log
