// libFuzzer target: splitting export files (SP_FUZZ_FORMAT) into items.
#include <cstdint>
#include <string>
#include <string_view>

#include "sources/export_reader.h"

using namespace supportpipe;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const sources::ExportFormat* format = sources::FindExportFormat(SP_FUZZ_FORMAT);
  std::string_view content(reinterpret_cast<const char*>(data), size);
  size_t total = 0;
  (void)sources::ReadExport(*format, content, [&](uint64_t, std::string item) {
    total += item.size();
    return Status::Ok();
  });
  return 0;
}
