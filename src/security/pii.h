// Personal data in free text: detectors and redaction (docs/privacy.md).
//
//   Redactor r({"email", "phone", "card"});
//   std::string clean = r.Redact("Call +49 30 1234567 or mail ana@example.com", &counts);
//   // "Call [phone] or mail [email]"
//
// Detectors are RE2 patterns (linear time on any input) plus a check that keeps the false
// positives users hate out: card numbers pass Luhn and have a card network's prefix, IBANs pass
// ISO 13616's mod-97, US SSNs are written 123-45-6789 with valid parts, IPv4 octets are at most
// 255, and phone numbers look like phone numbers (a leading + or grouped digits), never like
// dates, prices, order or tracking numbers.
//
// Thread-safe: a Redactor is immutable after construction.
#pragma once

#include <re2/re2.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace supportpipe::security {

// The kinds, in the order they claim text: email, iban, card, ssn, ip, phone.
const std::vector<std::string>& PiiKinds();
Status ValidatePiiKind(std::string_view kind);

class Redactor {
 public:
  // `kinds` must be valid (ValidatePiiKind).
  explicit Redactor(const std::vector<std::string>& kinds);
  ~Redactor();

  struct Span {
    size_t begin, end;
    int kind;  // index into PiiKinds()
  };
  // Non-overlapping findings, in text order.
  std::vector<Span> Find(std::string_view text) const;
  // `text` with each finding replaced by "[kind]"; `counts` (may be null) gets one per kind.
  std::string Redact(std::string_view text, std::array<int64_t, 6>* counts = nullptr) const;
  bool empty() const { return detectors_.empty(); }

 private:
  struct Detector;
  std::vector<std::unique_ptr<Detector>> detectors_;
};

}  // namespace supportpipe::security
