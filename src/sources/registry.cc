// The one place that maps a source's configured vendor to its verifier.
#include "sources/canonical/bearer_token.h"
#include "sources/standard/standard_webhooks.h"
#include "sources/verifier.h"

namespace supportpipe::sources {

Result<std::unique_ptr<Verifier>> MakeVerifier(const SourceConfig& source) {
  if (source.vendor == "standard") {
    return MakeStandardWebhooksVerifier(source.secrets, source.tolerance_s);
  }
  if (source.vendor == "canonical") return MakeBearerTokenVerifier(source.secrets);
  return InvalidArgument("vendor \"" + source.vendor + "\" is not supported by this build");
}

}  // namespace supportpipe::sources
