// Fuzzes the query-string reader of the admin API: any request target, any parameter name.
#include <cstddef>
#include <cstdint>
#include <string>

#include "intake/http.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  supportpipe::intake::HttpRequest r;
  r.target.assign(reinterpret_cast<const char*>(data), size);
  for (const char* name : {"destination", "state", "after_id", "limit", "from", "to", ""}) {
    const std::optional<std::string> v = r.Query(name);
    // A decoded value is never longer than what it was decoded from.
    if (v && v->size() > size) __builtin_trap();
  }
  (void)r.Path();
  return 0;
}
