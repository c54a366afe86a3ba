// Servers for the contract suites of the scale-out backends: scripts/test.sh starts a private
// PostgreSQL and NATS JetStream (scripts/pg.sh, scripts/nats.sh) and passes their URLs in
//   SUPPORTPIPE_TEST_PG_URL, SUPPORTPIPE_TEST_NATS_URL.
// Without them those suites are skipped, unless SUPPORTPIPE_TEST_REQUIRE_SERVERS is set (as
// scripts/test.sh does), which makes a missing server a failure.
// For tests only.
#pragma once

#include <cstdlib>
#include <string>

namespace supportpipe {

inline std::string TestServerUrl(const char* variable) {
  const char* v = std::getenv(variable);
  return v ? v : "";
}

inline bool TestServersRequired() {
  return std::getenv("SUPPORTPIPE_TEST_REQUIRE_SERVERS") != nullptr;
}

}  // namespace supportpipe
