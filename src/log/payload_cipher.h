// Encryption at rest for raw payloads: the log seals each raw body before writing it and opens
// it when reading (docs/security.md#encryption-at-rest). Implemented by
// security::RawCipher (libsodium); the log only knows this interface.
//
// Thread-safe implementations.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace supportpipe::log {

// Sealed forms start with these bytes (0xFF never starts UTF-8 text, so a body written in
// the clear before encryption was turned on is never mistaken for one).
inline constexpr std::string_view kSealedMagic = "\xffSPE\x01";
inline bool LooksSealed(std::string_view stored) {
  return stored.substr(0, kSealedMagic.size()) == kSealedMagic;
}

class PayloadCipher {
 public:
  virtual ~PayloadCipher() = default;
  // The stored form of `plaintext` (starting with kSealedMagic), bound to `context`, which
  // must be given again to open it.
  virtual std::string Seal(std::string_view plaintext, std::string_view context) const = 0;
  // The plaintext of a sealed form; DataLoss when it was altered or bound to another context,
  // InvalidArgument naming the key id when that key is not configured.
  virtual Result<std::string> Open(std::string_view stored, std::string_view context) const = 0;
};

}  // namespace supportpipe::log
