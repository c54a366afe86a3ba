#include "warehouse/postgres/pg_warehouse.h"

#include "common/crypto.h"
#include "common/test_servers.h"
#include "warehouse/warehouse_contract.h"

namespace supportpipe::warehouse {
namespace {

// Each test directory gets its own schema, named after it, so that a reopen finds the same
// warehouse and tests never see each other's rows.
Result<std::unique_ptr<Warehouse>> Open(const std::string& dir, const Clock& clock,
                                        const support::Policies* policies) {
  return OpenPgWarehouse(
      TestServerUrl("SUPPORTPIPE_TEST_PG_URL"), clock,
      {.schema = "w" + HexEncode(Sha256(dir)).substr(0, 16), .policies = policies});
}

std::string Unavailable() {
  if (TestServerUrl("SUPPORTPIPE_TEST_PG_URL").empty())
    return "SUPPORTPIPE_TEST_PG_URL is not set (scripts/test.sh starts PostgreSQL)";
  return "";
}

INSTANTIATE_TEST_SUITE_P(PostgreSQL, WarehouseContract,
                         testing::Values(WarehouseFactory{"postgresql", Open, Unavailable}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace supportpipe::warehouse
