// Splitting export files into items, one raw record each (sources/registry.h lists the
// formats).
//
//   RETURN_IF_ERROR(ReadExport(*FindExportFormat("zendesk-tickets"), file_bytes,
//       [&](uint64_t line, std::string item) { return Store(line, std::move(item)); }));
//
// JSON formats accept one document, a JSON array of documents, or JSON lines of
// documents (pages saved one per line). A document holding the format's container member
// ("tickets", "ticket_events", "conversations", ...) yields that array's elements; any
// other object is itself an item. CSV formats yield one JSON object per row, keyed by the
// header's column names (RFC 4180: quoted fields may hold commas, quotes and newlines).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "sources/registry.h"

namespace supportpipe::sources {

// `emit` gets each item's line (where its document or row starts, 1-based) and bytes.
// InvalidArgument names the line of a document or row that cannot be read.
Status ReadExport(const ExportFormat& format, std::string_view content,
                  const std::function<Status(uint64_t line, std::string item)>& emit);

// The delivery id an export item is stored under: the same bytes from another page, file
// or sync run are recognised as one delivery.
std::string ExportDeliveryId(std::string_view kind, std::string_view item);

// RFC 4180 records: `emit` gets each record's first line and its fields.
Status ReadCsv(std::string_view content,
               const std::function<Status(uint64_t line, std::vector<std::string>)>& emit);

}  // namespace supportpipe::sources
