// Printing result sets as an aligned table, CSV (RFC 4180) or JSON.
#pragma once

#include <string>

#include "warehouse/warehouse.h"

namespace supportpipe::cli {

// `format`: "table", "csv" or "json". Writes to stdout.
void PrintTable(const warehouse::QueryResult& result, const std::string& format);

}  // namespace supportpipe::cli
