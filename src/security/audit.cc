#include <fmt/format.h>

#include "common/crypto.h"
#include "security/store.h"

namespace supportpipe::security {

std::string AuditHash(const AuditEntry& e, std::string_view prev_hash) {
  const std::string seq = std::to_string(e.seq), at = std::to_string(e.at);
  std::string data;
  for (std::string_view f :
       {prev_hash, std::string_view(seq), std::string_view(at), std::string_view(e.actor),
        std::string_view(e.action), std::string_view(e.target), std::string_view(e.outcome)}) {
    data += std::to_string(f.size());
    data += ':';
    data.append(f);
  }
  return HexEncode(Sha256(data));
}

Result<AuditCheck> VerifyAudit(Store& store) {
  AuditCheck c;
  std::string prev;
  int64_t after = 0;
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<AuditEntry> page, store.ListAudit(after, 1000));
    if (page.empty()) break;
    for (const AuditEntry& e : page) {
      const char* why = nullptr;
      if (e.seq != after + 1) {
        why = "entries are missing before it";
      } else if (e.prev_hash != prev) {
        why = "it does not chain to the entry before it";
      } else if (e.hash != AuditHash(e, prev)) {
        why = "its content does not match its hash (edited)";
      }
      if (why) {
        c.first_bad = e.seq;
        c.reason = fmt::format("entry {}: {}", e.seq, why);
        c.head = prev;
        return c;
      }
      ++c.entries;
      prev = e.hash;
      after = e.seq;
    }
  }
  c.head = prev;
  return c;
}

}  // namespace supportpipe::security
