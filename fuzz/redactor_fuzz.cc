// Fuzzes the personal-data detectors on any text. Invariants: findings lie inside the text,
// do not overlap and come in order; the redacted text is the text with each finding replaced.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "security/pii.h"

using supportpipe::security::PiiKinds;
using supportpipe::security::Redactor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Redactor all(PiiKinds());
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t last = 0, removed = 0, added = 0;
  for (const Redactor::Span& s : all.Find(text)) {
    if (s.begin < last || s.end <= s.begin || s.end > size) __builtin_trap();
    last = s.end;
    removed += s.end - s.begin;
    added += PiiKinds()[static_cast<size_t>(s.kind)].size() + 2;
  }
  if (all.Redact(text).size() != size - removed + added) __builtin_trap();
  return 0;
}
