#include "security/pii.h"

#include <algorithm>
#include <cctype>

namespace supportpipe::security {
namespace {

enum Kind { kEmail, kIban, kCard, kSsn, kIp, kPhone };

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Digits(std::string_view s) {
  std::string d;
  for (char c : s) {
    if (IsDigit(c)) d += c;
  }
  return d;
}

bool Luhn(const std::string& d) {
  int sum = 0;
  bool twice = false;
  for (size_t i = d.size(); i-- > 0;) {
    int v = d[i] - '0';
    if (twice && (v *= 2) > 9) v -= 9;
    sum += v;
    twice = !twice;
  }
  return sum % 10 == 0;
}

// Visa, Mastercard, American Express, Discover, JCB, Diners, UnionPay, Maestro, with their
// lengths: an order number that happens to pass Luhn rarely also fits one of these.
bool CardNetwork(const std::string& d) {
  const size_t n = d.size();
  auto p = [&](size_t k) { return std::stoi(d.substr(0, k)); };
  if (d[0] == '4') return n == 13 || n == 16 || n == 19;
  if ((p(2) >= 51 && p(2) <= 55) || (p(4) >= 2221 && p(4) <= 2720)) return n == 16;
  if (p(2) == 34 || p(2) == 37) return n == 15;
  if (p(4) == 6011 || p(2) == 65 || (p(3) >= 644 && p(3) <= 649)) return n >= 16;
  if (p(4) >= 3528 && p(4) <= 3589) return n >= 16;
  if (p(2) == 36 || p(2) == 38 || (p(3) >= 300 && p(3) <= 305)) return n >= 14;
  if (p(2) == 62) return n >= 16;
  if (p(2) == 50 || (p(2) >= 56 && p(2) <= 69)) return n >= 12;
  return false;
}

bool Iban(std::string_view s) {
  std::string c;
  for (char ch : s) {
    if (ch != ' ') c += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  if (c.size() < 15 || c.size() > 34) return false;
  const std::string moved = c.substr(4) + c.substr(0, 4);
  int rem = 0;
  for (char ch : moved) {
    const int v = IsDigit(ch) ? ch - '0' : ch - 'A' + 10;
    if (v < 0 || v > 35) return false;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem == 1;
}

bool Ssn(std::string_view s) {
  const int area = std::stoi(std::string(s.substr(0, 3)));
  const int group = std::stoi(std::string(s.substr(4, 2)));
  const int serial = std::stoi(std::string(s.substr(7, 4)));
  return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

bool Ipv4(std::string_view s) {
  int octets = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && IsDigit(s[j])) ++j;
    if (j == i || j - i > 3 || std::stoi(std::string(s.substr(i, j - i))) > 255) return false;
    ++octets;
    i = j + 1;
  }
  return octets == 4;
}

// A date written with the usual separators: 2026-12-04, 04.12.2026, 12/04/2026.
bool LooksLikeDate(std::string_view s) {
  int groups = 0, four = 0;
  size_t i = 0;
  char sep = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && IsDigit(s[j])) ++j;
    const size_t len = j - i;
    if (len == 4) ++four;
    if (len == 0 || len > 4) return false;
    ++groups;
    if (j < s.size()) {
      if (sep && s[j] != sep) return false;
      sep = s[j];
    }
    i = j + 1;
  }
  return groups == 3 && four == 1 && (sep == '-' || sep == '.' || sep == '/');
}

// The few words before a number that say it is not a phone number.
bool ReferenceContext(std::string_view before) {
  std::string low;
  for (char c : before.substr(before.size() > 24 ? before.size() - 24 : 0)) {
    low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const char* w : {"order", "invoice", "tracking", "ticket", "ref", "case", "account", "no.",
                        "nr", "#", "sku", "id"}) {
    if (low.find(w) != std::string::npos) return true;
  }
  return false;
}

bool Phone(std::string_view s, std::string_view before) {
  const std::string d = Digits(s);
  if (d.size() < 7 || d.size() > 15 || LooksLikeDate(s)) return false;
  // A date followed by more: "2026-12-04 10", "2026/12/04".
  if (s.size() > 4 && (s.substr(0, 2) == "19" || s.substr(0, 2) == "20") && IsDigit(s[2]) &&
      IsDigit(s[3]) && (s[4] == '-' || s[4] == '/')) {
    return false;
  }
  if (s[0] == '+') return d.size() >= 8;
  if (ReferenceContext(before)) return false;
  // Without a country code: grouped like a phone number, with a leading 0 or a (area) code,
  // e.g. "030 1234567", "(555) 123-4567", "555-123-4567"; not "1,234.56" or "12345678".
  int separators = 0;
  for (char c : s) separators += c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
  if (separators == 0) return false;
  if (s.find(',') != std::string_view::npos) return false;
  // Decimal prices: one '.' followed by two digits at the end.
  if (s.size() > 3 && s[s.size() - 3] == '.' && std::count(s.begin(), s.end(), '.') == 1) {
    return false;
  }
  return d.size() >= 9 && (d[0] == '0' || s[0] == '(' || separators >= 2);
}

}  // namespace

const std::vector<std::string>& PiiKinds() {
  static const std::vector<std::string> kinds = {"email", "iban", "card", "ssn", "ip", "phone"};
  return kinds;
}

Status ValidatePiiKind(std::string_view kind) {
  for (const std::string& k : PiiKinds()) {
    if (k == kind) return Status::Ok();
  }
  return InvalidArgument("not a kind of personal data: use email, phone, card, iban, ssn or ip",
                         std::string(kind));
}

struct Redactor::Detector {
  int kind;
  RE2 re;
  Detector(int k, const char* pattern) : kind(k), re(pattern) {}
};

Redactor::Redactor(const std::vector<std::string>& kinds) {
  static constexpr const char* kPatterns[] = {
      // email
      R"(([A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}))",
      // iban: country, check digits, then 11-30 letters or digits, or groups of 4 and a rest
      R"(\b([A-Za-z]{2}[0-9]{2}(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,4})?))\b)",
      // card: 12-19 digits, in groups separated by single spaces or dashes
      R"((?:^|[^0-9A-Za-z])([0-9](?:[ \-]?[0-9]){11,18})(?:$|[^0-9A-Za-z]))",
      // ssn
      R"((?:^|[^0-9\-])([0-9]{3}-[0-9]{2}-[0-9]{4})(?:$|[^0-9\-]))",
      // ip: IPv4, or IPv6 with at least three colons
      R"((?:^|[^0-9A-Za-z.:])((?:[0-9]{1,3}\.){3}[0-9]{1,3}|(?:[0-9A-Fa-f]{0,4}:){3,7}[0-9A-Fa-f]{1,4})(?:$|[^0-9A-Za-z.:]))",
      // phone: an optional +country, then digits with spaces, dashes, dots or (area) parentheses
      R"((?:^|[^0-9A-Za-z+])(\+?\(?[0-9][0-9 ().\-]{5,22}[0-9]))",
  };
  const std::vector<std::string>& all = PiiKinds();
  for (size_t k = 0; k < all.size(); ++k) {
    if (std::find(kinds.begin(), kinds.end(), all[k]) == kinds.end()) continue;
    auto d = std::make_unique<Detector>(static_cast<int>(k), kPatterns[k]);
    if (!d->re.ok()) std::abort();  // our own patterns: a build-time fact
    detectors_.push_back(std::move(d));
  }
}

Redactor::~Redactor() = default;

std::vector<Redactor::Span> Redactor::Find(std::string_view text) const {
  std::vector<Span> out;
  auto taken = [&](size_t b, size_t e) {
    for (const Span& s : out) {
      if (b < s.end && s.begin < e) return true;
    }
    return false;
  };
  const re2::StringPiece all(text.data(), text.size());
  for (const auto& d : detectors_) {
    size_t pos = 0;
    re2::StringPiece m[2];
    // The whole text is the context, so ^ and the boundary classes see what precedes `pos`.
    while (pos <= text.size() && d->re.Match(all, pos, text.size(), RE2::UNANCHORED, m, 2)) {
      const re2::StringPiece& g = m[1].data() ? m[1] : m[0];
      const size_t b = static_cast<size_t>(g.data() - text.data());
      const size_t e = b + g.size();
      const std::string_view s = text.substr(b, g.size());
      const char after = e < text.size() ? text[e] : '\0';
      bool ok = false;
      switch (d->kind) {
        case kEmail:
          ok = true;
          break;
        case kIban:
          ok = Iban(s);
          break;
        case kCard: {
          const std::string digits = Digits(s);
          ok = digits.size() >= 12 && Luhn(digits) && CardNetwork(digits);
          break;
        }
        case kSsn:
          ok = Ssn(s);
          break;
        case kIp:
          ok = s.find(':') != std::string_view::npos || Ipv4(s);
          break;
        case kPhone:
          ok = after != ':' && !Ipv4(s) && Phone(s, text.substr(0, b));
          break;
      }
      if (ok && !taken(b, e)) out.push_back({b, e, d->kind});
      pos = std::max(e, b + 1);
    }
  }
  std::sort(out.begin(), out.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  return out;
}

std::string Redactor::Redact(std::string_view text, std::array<int64_t, 6>* counts) const {
  const std::vector<Span> spans = Find(text);
  if (spans.empty()) return std::string(text);
  std::string out;
  size_t at = 0;
  for (const Span& s : spans) {
    out.append(text.substr(at, s.begin - at));
    out += "[" + PiiKinds()[static_cast<size_t>(s.kind)] + "]";
    at = s.end;
    if (counts) ++(*counts)[static_cast<size_t>(s.kind)];
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace supportpipe::security
