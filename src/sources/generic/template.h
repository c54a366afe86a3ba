// The JSON template our docs give for helpdesks whose webhook body the admin writes
// (Freshdesk, Gorgias, Zendesk triggers):
//
//   {"event": "ticket.updated", "id": "...", "occurred_at": "...",
//    "ticket":   {"id", "status", "priority", "channel", "subject", "group", "assignee",
//                 "requester", "tags"},
//    "customer": {"id", "email", "name"},
//    "message":  {"id", "body", "author_role", "public"}}
//
// and the mapping that reads it. Vendors add their value tables.
#pragma once

#include "common/config.h"

namespace supportpipe::sources {

MappingConfig TemplateMapping();

}  // namespace supportpipe::sources
