// Encryption at rest of raw payloads (docs/security.md#encryption-at-rest): XChaCha20-Poly1305
// (libsodium) with a 256-bit key from a file, a random 192-bit nonce per record, and the
// record's source and delivery id as associated data. Each sealed body names its key by id, so
// keys rotate without re-encrypting: the current key seals, previous keys still open.
//
//   ASSIGN_OR_RETURN(auto c, RawCipher::Load("keys/raw.key", {"keys/2025.key"}));
//   log::OpenSqliteEventLog(dir, {.cipher = std::move(c)});
//
// Key files hold 64 hex digits (`openssl rand -hex 32 > raw.key`). Thread-safe.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "log/payload_cipher.h"

namespace supportpipe::security {

class RawCipher final : public log::PayloadCipher {
 public:
  // InvalidArgument naming the file when one cannot be read or does not hold a key.
  static Result<std::unique_ptr<RawCipher>> Load(const std::string& current_file,
                                                 const std::vector<std::string>& previous_files);

  std::string Seal(std::string_view plaintext, std::string_view context) const override;
  Result<std::string> Open(std::string_view stored, std::string_view context) const override;

  // 16 hex digits naming the current key (stored with each record it seals).
  std::string current_key_id() const;

 private:
  struct Key {
    std::string id;  // 8 bytes
    std::array<unsigned char, 32> bytes;
  };
  RawCipher() = default;
  std::vector<Key> keys_;  // [0] is the current key
};

}  // namespace supportpipe::security
