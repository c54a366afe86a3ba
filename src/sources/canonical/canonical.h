// Canonical events as a delivery: one event, a JSON array, or JSON lines. Serves
// POST /v1/events, `import --format canonical`, and the vendors "canonical", "standard"
// and "github" when they have no [mapping].
#pragma once

#include <memory>

#include "sources/decoder.h"

namespace supportpipe::sources {

std::unique_ptr<Decoder> MakeCanonicalDecoder();

}  // namespace supportpipe::sources
