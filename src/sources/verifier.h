// Verifier: authenticates a vendor's webhook over the exact bytes received.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Verifier> v, MakeVerifier(source_config));
//   Result<Verified> ok = v->Verify(request, clock.Now());
//   if (!ok.ok())        -> 401, count ok.status().message() (a short reason such as
//                           "signature_mismatch"; never the secret)
//   else if (ok->challenge) -> answer 200 with *ok->challenge, store nothing
//   else                 -> store the body under ok->delivery_id
//
// Verifiers are immutable after construction and thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/config.h"
#include "common/status.h"
#include "common/time.h"

namespace supportpipe::sources {

struct WebhookRequest {
  std::string_view method;
  std::string_view target;  // path and query as received
  // Case-insensitive header lookup (lower-case names); "" when absent.
  std::function<std::string_view(std::string_view name)> header;
  std::string_view body;
};

struct Verified {
  std::string delivery_id;  // the key retries are de-duplicated on
  // A vendor handshake (Slack url_verification, Front's challenge): the JSON body to
  // answer with; nothing is stored.
  std::optional<std::string> challenge;
  // Set when the verifier already parsed the body (to find an id): whether it is one
  // well-formed JSON value. Intake then does not parse it again.
  std::optional<bool> body_is_json;
};

class Verifier {
 public:
  virtual ~Verifier() = default;
  // PermissionDenied: message() is the reason label for the 401 metric.
  virtual Result<Verified> Verify(const WebhookRequest& request, TimeMicros now) const = 0;
};

// The one place that maps a configured vendor to its verifier. InvalidArgument for a
// vendor this build does not know, or for unusable secrets.
Result<std::unique_ptr<Verifier>> MakeVerifier(const SourceConfig& source);

}  // namespace supportpipe::sources
