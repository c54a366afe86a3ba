// Verifier: authenticates a vendor's webhook over the exact bytes received.
//
//   std::unique_ptr<Verifier> v = MakeVerifier(source_config);  // sources/registry.cc
//   Result<std::string> id = v->Verify(request, clock.Now());
//   if (!id.ok()) -> 401, count id.status().message() (a short reason such as
//                    "signature_mismatch"; never the secret)
//   else          -> *id is the delivery id to de-duplicate on
//
// Verifiers are immutable after construction and thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/config.h"
#include "common/status.h"
#include "common/time.h"

namespace supportpipe::sources {

struct WebhookRequest {
  std::string_view method;
  std::string_view target;  // path and query as received
  // Case-insensitive header lookup; "" when absent.
  std::function<std::string_view(std::string_view name)> header;
  std::string_view body;
};

class Verifier {
 public:
  virtual ~Verifier() = default;
  // OK: the delivery id to de-duplicate on. PermissionDenied: message() is the reason
  // label for the 401 metric.
  virtual Result<std::string> Verify(const WebhookRequest& request, TimeMicros now) const = 0;
};

// The one place that maps a configured vendor to its verifier. InvalidArgument for a
// vendor this build does not know, or for unusable secrets.
Result<std::unique_ptr<Verifier>> MakeVerifier(const SourceConfig& source);

}  // namespace supportpipe::sources
