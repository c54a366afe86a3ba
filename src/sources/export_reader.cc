#include "sources/export_reader.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "common/crypto.h"
#include "event/codec.h"
#include "sources/fields.h"

namespace supportpipe::sources {
namespace {

using simdjson::dom::element;

Status Document(const ExportFormat& format, element doc, uint64_t line,
                const std::function<Status(uint64_t, std::string)>& emit) {
  element list;
  if (doc.is_object() && !doc[format.container].get(list)) {
    if (!list.is_array()) {
      return InvalidArgument(
          fmt::format("line {}: \"{}\" must be an array", line, format.container));
    }
    for (element item : Elements(list)) RETURN_IF_ERROR(emit(line, simdjson::minify(item)));
    return Status::Ok();
  }
  if (doc.is_array()) {
    for (element item : Elements(doc)) RETURN_IF_ERROR(Document(format, item, line, emit));
    return Status::Ok();
  }
  if (!doc.is_object()) {
    return InvalidArgument(fmt::format("line {}: expected a JSON object or array", line));
  }
  return emit(line, simdjson::minify(doc));
}

Status Json(const ExportFormat& format, std::string_view content,
            const std::function<Status(uint64_t, std::string)>& emit) {
  if (content.find_first_not_of(" \t\r\n") == std::string_view::npos) return Status::Ok();
  simdjson::dom::parser parser;
  element doc;
  // One document (possibly pretty-printed over many lines)...
  if (!parser.parse(content.data(), content.size()).get(doc)) {
    return Document(format, doc, 1, emit);
  }
  // ...or JSON lines.
  uint64_t line = 0;
  size_t start = 0;
  while (start < content.size()) {
    size_t nl = content.find('\n', start);
    if (nl == std::string_view::npos) nl = content.size();
    ++line;
    std::string_view text = content.substr(start, nl - start);
    start = nl + 1;
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (auto err = parser.parse(text.data(), text.size()).get(doc)) {
      return InvalidArgument(
          fmt::format("line {}: not JSON: {}", line, simdjson::error_message(err)));
    }
    RETURN_IF_ERROR(Document(format, doc, line, emit));
  }
  return Status::Ok();
}

Status Csv(std::string_view content, const std::function<Status(uint64_t, std::string)>& emit) {
  std::vector<std::string> header;
  return ReadCsv(content, [&](uint64_t line, std::vector<std::string> fields) -> Status {
    if (header.empty()) {
      header = std::move(fields);
      if (header.empty() || (header.size() == 1 && header[0].empty())) {
        return InvalidArgument(fmt::format("line {}: the header row is empty", line));
      }
      return Status::Ok();
    }
    if (fields.size() == 1 && fields[0].empty()) return Status::Ok();  // a blank line
    if (fields.size() > header.size()) {
      return InvalidArgument(fmt::format("line {}: {} fields but the header has {} columns", line,
                                         fields.size(), header.size()));
    }
    std::string obj = "{";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i) obj += ",";
      obj += event::JsonQuote(header[i]) + ":" + event::JsonQuote(fields[i]);
    }
    return emit(line, obj + "}");
  });
}

}  // namespace

Status ReadCsv(std::string_view content,
               const std::function<Status(uint64_t, std::vector<std::string>)>& emit) {
  if (content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);  // a UTF-8 BOM
  std::vector<std::string> fields;
  std::string field;
  uint64_t line = 1, record_line = 1;
  bool quoted = false, was_quoted = false;
  size_t i = 0;
  auto end_record = [&]() -> Status {
    fields.push_back(std::move(field));
    field.clear();
    was_quoted = false;
    Status st = emit(record_line, std::move(fields));
    fields.clear();
    return st;
  };
  while (i < content.size()) {
    const char c = content[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < content.size() && content[i + 1] == '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      ++i;
      continue;
    }
    if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < content.size() && content[i + 1] == '\n') ++i;
      RETURN_IF_ERROR(end_record());
      ++line;
      record_line = line;
    } else if (was_quoted) {
      return InvalidArgument(fmt::format(
          "line {}: text after a closing quote (quotes inside a field are doubled)", line));
    } else {
      field += c;
    }
    ++i;
  }
  if (quoted) {
    return InvalidArgument(fmt::format("line {}: a quoted field is never closed", record_line));
  }
  if (!field.empty() || !fields.empty() || was_quoted) return end_record();
  return Status::Ok();
}

std::string ExportDeliveryId(std::string_view kind, std::string_view item) {
  return std::string(kind) + ":" + HexEncode(Sha256(item));
}

Status ReadExport(const ExportFormat& format, std::string_view content,
                  const std::function<Status(uint64_t line, std::string item)>& emit) {
  if (format.container == "csv") return Csv(content, emit);
  return Json(format, content, emit);
}

}  // namespace supportpipe::sources
