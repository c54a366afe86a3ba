// The Warehouse contract suite: every backend instantiates it with a factory.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/test_dir.h"
#include "support/policies.h"
#include "warehouse/warehouse.h"

namespace supportpipe::warehouse {

struct WarehouseFactory {
  std::string name;
  // Opens (creating when needed) a warehouse whose files live in `dir`, measuring tickets
  // by `policies` (null: 24x7, no SLA).
  std::function<Result<std::unique_ptr<Warehouse>>(const std::string& dir, const Clock& clock,
                                                   const support::Policies* policies)>
      open;
  // Why the backend cannot be tested here ("" when it can); empty for embedded backends.
  std::function<std::string()> unavailable;
};

class WarehouseContract : public testing::TestWithParam<WarehouseFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  void Reopen();
  // Parses a config file's text, takes its policies and reopens the warehouse with them.
  void Configure(const std::string& toml);
  // Loads canonical JSON events at consecutive offsets after the last one used.
  LoadStats LoadJson(const std::vector<std::string>& events);
  LoadStats LoadEvents(std::vector<event::Event> events);
  // First column of the first row, as text ("" for NULL).
  std::string Scalar(const std::string& sql);
  // Every row, cells separated by ' ' and rows by " | ", the same whatever the backend:
  // numbers in their shortest form (80.0 is "80"), NULL as "NULL".
  std::string Rows(const std::string& sql);

  FakeClock clock_{1764494102LL * 1000000};
  TestDir dir_;
  std::unique_ptr<support::Policies> policies_;  // set, then Reopen()
  std::unique_ptr<Warehouse> wh_;
  uint64_t next_offset_ = 1;
};

}  // namespace supportpipe::warehouse
