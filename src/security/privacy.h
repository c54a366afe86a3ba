// The [privacy] policy applied to canonical events (docs/security.md#personal-data): personal
// data in free text is replaced by "[kind]", and customers' emails by keyed pseudonyms.
//
//   Privacy p(config.privacy);
//   p.Apply(event, &counts);   // before the event is written to the event log
//
// Thread-safe: immutable after construction.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "common/config.h"
#include "event/event.h"
#include "security/pii.h"

namespace supportpipe::security {

class Privacy {
 public:
  // `config` must have passed config parsing (kinds and key checked there).
  explicit Privacy(const PrivacyConfig& config);

  bool active() const { return !redactor_.empty() || pseudonymize_; }

  // Redacts message bodies, ticket subjects (snapshot and changes), CSAT comments and
  // top-level string attributes; pseudonymises customer emails. `counts` (may be null) gets
  // the redactions per kind (PiiKinds() order).
  void Apply(event::Event& e, std::array<int64_t, 6>* counts) const;

  // "pseu_" + 32 hex digits of HMAC-SHA256(key, the lower-cased address): the same address
  // always gives the same pseudonym, so counts and joins by customer still work.
  std::string Pseudonym(std::string_view email) const;

 private:
  void Text(std::optional<std::string>& s, std::array<int64_t, 6>* counts) const;

  Redactor redactor_;
  bool pseudonymize_;
  std::string key_;
};

}  // namespace supportpipe::security
