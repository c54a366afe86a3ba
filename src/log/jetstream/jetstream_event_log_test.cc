#include "log/jetstream/jetstream_event_log.h"

#include "common/crypto.h"
#include "common/test_servers.h"
#include "log/event_log_contract.h"

namespace supportpipe::log {
namespace {

// Each test directory gets its own streams and schema, named after it, so a reopen finds
// the same log and tests never see each other's records.
Result<std::unique_ptr<EventLog>> Open(const std::string& dir) {
  return OpenJetStreamEventLog({.nats_urls = TestServerUrl("SUPPORTPIPE_TEST_NATS_URL"),
                                .state_url = TestServerUrl("SUPPORTPIPE_TEST_PG_URL"),
                                .name = "t" + HexEncode(Sha256(dir)).substr(0, 16)});
}

std::string Unavailable() {
  if (TestServerUrl("SUPPORTPIPE_TEST_NATS_URL").empty() ||
      TestServerUrl("SUPPORTPIPE_TEST_PG_URL").empty()) {
    return "SUPPORTPIPE_TEST_NATS_URL and SUPPORTPIPE_TEST_PG_URL are not set "
           "(scripts/test.sh starts the servers)";
  }
  return "";
}

INSTANTIATE_TEST_SUITE_P(JetStream, EventLogContract,
                         testing::Values(EventLogFactory{"jetstream", Open, Unavailable}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace supportpipe::log
