// Looking up decoders and export formats.
//
//   ASSIGN_OR_RETURN(auto decoders, DecoderSet::Create(config.sources));
//   const Decoder& d = decoders->For(raw.source, raw.vendor, raw.kind);
//
// MakeVerifier and MakeDecoder (verifier.h, decoder.h) are defined in registry.cc too.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sources/decoder.h"

namespace supportpipe::sources {

struct ExportFormat {
  std::string_view name;         // --format
  std::string_view vendor;       // "" = any source
  std::string_view container;    // JSON member holding the items, "csv", or "" (canonical)
  std::string_view description;  // for --help
};

const std::vector<ExportFormat>& ExportFormats();
const ExportFormat* FindExportFormat(std::string_view name);

// Decoders for every configured source, plus fallbacks by vendor for records of sources
// that are no longer configured. Thread-safe.
class DecoderSet {
 public:
  static Result<std::unique_ptr<DecoderSet>> Create(const std::vector<SourceConfig>& sources);
  const Decoder& For(std::string_view source, std::string_view vendor, std::string_view kind) const;

 private:
  DecoderSet() = default;

  std::unique_ptr<Decoder> canonical_;
  mutable std::mutex mu_;
  mutable std::map<std::string, std::unique_ptr<Decoder>, std::less<>> by_source_;
};

}  // namespace supportpipe::sources
