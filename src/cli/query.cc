#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/table.h"
#include "common/clock.h"
#include "event/codec.h"
#include "server/backends.h"

namespace supportpipe::cli {
namespace {

std::string CellText(const warehouse::Cell& c) {
  switch (c.kind) {
    case warehouse::Cell::Kind::kNull:
      return "";
    case warehouse::Cell::Kind::kInt:
      return std::to_string(c.i);
    case warehouse::Cell::Kind::kReal:
      return fmt::format("{}", c.d);
    case warehouse::Cell::Kind::kText:
      return c.s;
  }
  return "";
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string JsonCell(const warehouse::Cell& c) {
  switch (c.kind) {
    case warehouse::Cell::Kind::kNull:
      return "null";
    case warehouse::Cell::Kind::kInt:
      return std::to_string(c.i);
    case warehouse::Cell::Kind::kReal:
      return fmt::format("{}", c.d);
    case warehouse::Cell::Kind::kText:
      return event::JsonQuote(c.s);
  }
  return "null";
}

// Display width in code points (good enough for aligned columns of UTF-8 text).
size_t Width(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;
  return w;
}

}  // namespace

void PrintTable(const warehouse::QueryResult& r, const std::string& format) {
  if (format == "csv") {
    for (size_t i = 0; i < r.columns.size(); ++i)
      std::printf("%s%s", i ? "," : "", CsvField(r.columns[i]).c_str());
    std::printf("\n");
    for (const auto& row : r.rows) {
      for (size_t i = 0; i < row.size(); ++i)
        std::printf("%s%s", i ? "," : "", CsvField(CellText(row[i])).c_str());
      std::printf("\n");
    }
    return;
  }
  if (format == "json") {
    std::printf("[");
    for (size_t j = 0; j < r.rows.size(); ++j) {
      std::printf("%s\n  {", j ? "," : "");
      for (size_t i = 0; i < r.columns.size(); ++i) {
        std::printf("%s%s: %s", i ? ", " : "", event::JsonQuote(r.columns[i]).c_str(),
                    JsonCell(r.rows[j][i]).c_str());
      }
      std::printf("}");
    }
    std::printf("%s]\n", r.rows.empty() ? "" : "\n");
    return;
  }
  constexpr size_t kMaxCell = 60;
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> widths;
  for (const auto& c : r.columns) widths.push_back(Width(c));
  for (const auto& row : r.rows) {
    std::vector<std::string> texts;
    for (size_t i = 0; i < row.size(); ++i) {
      std::string t = CellText(row[i]);
      for (auto& ch : t) {
        if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
      }
      if (Width(t) > kMaxCell) {
        size_t cut = 0, w = 0;
        while (cut < t.size() && w < kMaxCell - 1) {
          ++cut;
          while (cut < t.size() && (static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80) ++cut;
          ++w;
        }
        t = t.substr(0, cut) + "…";
      }
      widths[i] = std::max(widths[i], Width(t));
      texts.push_back(std::move(t));
    }
    cells.push_back(std::move(texts));
  }
  auto line = [&](const std::vector<std::string>& v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
      out += (i ? " | " : "") + v[i] + std::string(widths[i] - Width(v[i]), ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::printf("%s\n", out.c_str());
  };
  line(r.columns);
  std::string rule;
  for (size_t i = 0; i < widths.size(); ++i) rule += (i ? "-+-" : "") + std::string(widths[i], '-');
  std::printf("%s\n", rule.c_str());
  for (const auto& row : cells) line(row);
  std::printf("(%zu row%s%s)\n", r.rows.size(), r.rows.size() == 1 ? "" : "s",
              r.truncated ? ", more not shown: raise --limit" : "");
}

int RunQuery(const QueryFlags& flags) {
  auto cfg = ResolveConfigAudited(flags.storage, "query", flags.sql);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  SystemClock clock;
  auto wh = server::OpenWarehouse(cfg->storage, clock, /*read_only=*/true);
  if (!wh.ok()) return Fail("cannot open the warehouse", wh.status());
  auto r = (*wh)->Query(flags.sql, flags.limit);
  if (!r.ok()) return Fail("query", r.status());
  PrintTable(*r, flags.format);
  return kExitOk;
}

}  // namespace supportpipe::cli
