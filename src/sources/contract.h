// Payload contracts: a source's `schema_file` (JSON Schema, draft 7) every body must
// satisfy before it is decoded. A violation fails the delivery with the JSON pointer of
// the offending member and the schema's reason; it lands in the dead-letter queue and
// `dlq replay` after a fix (of the sender, or of the schema) processes it.
#pragma once

#include <memory>
#include <string>

#include "sources/decoder.h"

namespace supportpipe::sources {

// Wraps `inner` with the schema read from `schema_file`; InvalidArgument when the file
// cannot be read or is not a usable schema.
Result<std::unique_ptr<Decoder>> WithContract(std::unique_ptr<Decoder> inner,
                                              const std::string& schema_file);

}  // namespace supportpipe::sources
