// Building blocks shared by the vendors' verifiers.
//
//   if (!AnyMatches(secrets, [&](auto& s) { return Base64Encode(HmacSha1(s, body)); }, sig))
//     return PermissionDenied("signature_mismatch");
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sources/verifier.h"

namespace supportpipe::sources {

// True when `given` equals expected(secret) for one of the secrets. Every secret is
// tried and compared in constant time, so timing reveals neither which one matched nor
// how much of the signature did.
bool AnyMatches(const std::vector<std::string>& secrets,
                const std::function<std::string(const std::string&)>& expected,
                std::string_view given);

// "sha256:<hex>" of the body: the delivery id when a vendor gives none.
std::string BodyHash(std::string_view body);

// A whole decimal integer, or nullopt.
std::optional<int64_t> ParseInteger(std::string_view text);

// Checks a signed timestamp, `value` units of `micros_per_unit` (1000000 for seconds, 1000
// for milliseconds), against the window; PermissionDenied with the reason label.
Status CheckWindow(int64_t value, int64_t micros_per_unit, TimeMicros now, int64_t tolerance_s);

// The delivery id from a top-level body member (a vendor's notification id), else the
// body's hash.
Verified BodyMemberOrHash(std::string_view body, std::string_view key);

// A top-level string (or integer) member of a JSON object body, or nullopt. For the few
// vendors whose delivery id or handshake lives in the body.
std::optional<std::string> PeekMember(std::string_view body, std::string_view key);
// Several members with one parse, in the order of `keys`; `json` says whether the body
// parsed as one JSON value at all.
struct Peeked {
  bool json = false;
  std::vector<std::optional<std::string>> values;
};
Peeked PeekMembers(std::string_view body, std::initializer_list<std::string_view> keys);

// Vendors without signatures (canonical, freshdesk, gorgias, generic): a bearer token, a
// token in a named header, basic auth, or nothing at all (auth = "none", loopback only).
// The delivery id is the Idempotency-Key header when given, else the body's hash.
std::unique_ptr<Verifier> MakeCredentialVerifier(const SourceConfig& source);

// True when the Authorization header carries one of the tokens (constant-time).
bool BearerTokenMatches(std::string_view authorization, const std::vector<std::string>& tokens);

}  // namespace supportpipe::sources
