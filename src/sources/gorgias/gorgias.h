// Gorgias: HTTP-integration webhooks whose JSON the admin writes, authenticated with a
// token (in Authorization: Bearer, or the header named by auth_header) or basic auth.
// The built-in mapping reads the template of docs/sources/gorgias.md.
#pragma once

#include <memory>

#include "common/config.h"
#include "sources/decoder.h"

namespace supportpipe::sources {

MappingConfig GorgiasMapping();
Result<std::unique_ptr<Decoder>> MakeGorgiasDecoder(const SourceConfig& source);

}  // namespace supportpipe::sources
