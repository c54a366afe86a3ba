// Freshdesk: automation-rule webhooks whose JSON the admin writes, authenticated with the
// basic-auth credential (or token) the rule sends. The built-in mapping reads the
// template of docs/sources/freshdesk.md; [source.mapping] adjusts it. Statuses 2-5 (or
// their names) and priorities 1-4 are mapped.
#pragma once

#include <memory>

#include "common/config.h"
#include "sources/decoder.h"

namespace supportpipe::sources {

MappingConfig FreshdeskMapping();
Result<std::unique_ptr<Decoder>> MakeFreshdeskDecoder(const SourceConfig& source);

}  // namespace supportpipe::sources
