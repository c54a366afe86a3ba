#include "warehouse/sqlite/sqlite_warehouse.h"

#include "warehouse/warehouse_contract.h"

namespace supportpipe::warehouse {
namespace {

INSTANTIATE_TEST_SUITE_P(
    Sqlite, WarehouseContract,
    testing::Values(WarehouseFactory{
        "sqlite",
        [](const std::string& dir, const Clock& clock, const support::Policies* policies) {
          return OpenSqliteWarehouse(dir + "/warehouse.db", clock, {.policies = policies});
        }}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace supportpipe::warehouse
