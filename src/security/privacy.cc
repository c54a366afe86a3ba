#include "security/privacy.h"

#include <cctype>

#include "common/crypto.h"
#include "event/codec.h"

namespace supportpipe::security {

Privacy::Privacy(const PrivacyConfig& config)
    : redactor_(config.redact),
      pseudonymize_(config.pseudonymize_customer_email),
      key_(config.pseudonym_key.value_or("")) {}

std::string Privacy::Pseudonym(std::string_view email) const {
  std::string low(email);
  for (char& c : low) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return "pseu_" + HexEncode(HmacSha256(key_, low)).substr(0, 32);
}

void Privacy::Text(std::optional<std::string>& s, std::array<int64_t, 6>* counts) const {
  if (s && !redactor_.empty()) *s = redactor_.Redact(*s, counts);
}

void Privacy::Apply(event::Event& e, std::array<int64_t, 6>* counts) const {
  if (!active()) return;
  if (e.message) Text(e.message->body, counts);
  if (e.ticket) Text(e.ticket->subject, counts);
  if (e.csat) Text(e.csat->comment, counts);
  if (!redactor_.empty()) {
    for (event::Change& c : e.changes) {
      if (c.field != "subject") continue;
      Text(c.to_text, counts);
      c.to_json = c.to_text ? event::JsonQuote(*c.to_text) : "null";
      if (c.from_json.size() > 1 && c.from_json.front() == '"') {
        std::optional<std::string> from = event::JsonUnquote(c.from_json);
        Text(from, counts);
        if (from) c.from_json = event::JsonQuote(*from);
      }
    }
    // Free text the source sent beyond the canonical fields: top-level strings only, so the
    // JSON stays JSON.
    for (auto& [key, json] : e.attributes) {
      if (json.size() < 2 || json.front() != '"') continue;
      std::optional<std::string> v = event::JsonUnquote(json);
      if (!v) continue;
      const std::string before = *v;
      Text(v, counts);
      if (*v != before) json = event::JsonQuote(*v);
    }
  }
  if (pseudonymize_ && e.customer && e.customer->email) {
    e.customer->email = Pseudonym(*e.customer->email);
  }
}

}  // namespace supportpipe::security
