// Sealing raw bodies at rest, the same way in every EventLog backend: a sealed body is bound
// to its record's source and delivery id, so moving it to another record does not open.
//   std::string stored = cipher ? cipher->Seal(r.body, RawSealContext(r)) : r.body;
//   RETURN_IF_ERROR(OpenRawBody(cipher.get(), &record));   // after reading
#pragma once

#include <fmt/format.h>

#include <string>

#include "log/event_log.h"
#include "log/payload_cipher.h"

namespace supportpipe::log {

inline std::string RawSealContext(const RawRecord& r) {
  return r.source + std::string(1, '\0') + r.delivery_id;
}

// Replaces a sealed body by its plaintext; bodies stored in the clear stay as they are.
inline Status OpenRawBody(const PayloadCipher* cipher, RawRecord* r) {
  if (!LooksSealed(r->body)) return Status::Ok();
  if (!cipher) {
    return InvalidArgument(fmt::format(
        "raw record {} is encrypted: set [privacy] encryption_key_file to read it", r->offset));
  }
  Result<std::string> plain = cipher->Open(r->body, RawSealContext(*r));
  if (!plain.ok()) {
    return Status(plain.status().code(),
                  fmt::format("raw record {}: {}", r->offset, plain.status().message()));
  }
  r->body = std::move(plain).value();
  return Status::Ok();
}

}  // namespace supportpipe::log
