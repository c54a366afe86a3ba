// Printing result sets as an aligned table, CSV (RFC 4180) or JSON.
#pragma once

#include <string>

#include "warehouse/warehouse.h"

namespace supportpipe::cli {

inline warehouse::Cell TextCell(std::string s) {
  warehouse::Cell c;
  c.kind = warehouse::Cell::Kind::kText;
  c.s = std::move(s);
  return c;
}

inline warehouse::Cell IntCell(int64_t v) {
  warehouse::Cell c;
  c.kind = warehouse::Cell::Kind::kInt;
  c.i = v;
  return c;
}

// `format`: "table", "csv" or "json". Writes to stdout.
void PrintTable(const warehouse::QueryResult& result, const std::string& format);

}  // namespace supportpipe::cli
