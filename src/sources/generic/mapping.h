// The mapping engine: reads canonical fields out of any JSON through JSON pointers given
// in config. It serves vendor "generic", the admin-written templates of Freshdesk,
// Gorgias and Zendesk triggers (with built-in defaults for the templates our docs give),
// CSV imports (each row is an object keyed by column name), and optionally "standard"
// and "github" sources.
//
//   [source.mapping]   "ticket.id" = "/ticket/id"      # canonical field -> JSON pointer
//   [source.defaults]  type = "ticket.updated"          # constants when absent
//   [source.values.ticket.status]  "Waiting on Customer" = "pending"
//
// Rules: `id` defaults to a hash of the item's content; `occurred_at` to the time it was
// received; `type` to "ticket.updated". For ticket.* types, mapped status, priority,
// assignee, group and tags are also stated as changes (the payload is a snapshot). Tags
// may be an array or text ("a, b" / "a b"). Members no pointer reads are kept under
// attributes and counted as drift.
#pragma once

#include <memory>

#include "common/config.h"
#include "sources/decoder.h"

namespace supportpipe::sources {

// `user` entries win over `builtin` ones, field by field and value by value.
Result<std::unique_ptr<Decoder>> MakeMappingDecoder(const MappingConfig& user,
                                                    const MappingConfig& builtin = {});

}  // namespace supportpipe::sources
