#include "common/crypto.h"
#include "sources/auth.h"
#include "sources/hubspot/hubspot.h"

namespace supportpipe::sources {
namespace {

// HubSpot decodes these escapes in the URI before signing (v3).
std::string DecodeSignedUri(std::string_view uri) {
  static constexpr std::pair<std::string_view, char> kEscapes[] = {
      {"3A", ':'},  {"2F", '/'}, {"3F", '?'}, {"40", '@'}, {"21", '!'}, {"24", '$'},
      {"27", '\''}, {"28", '('}, {"29", ')'}, {"2A", '*'}, {"2C", ','}, {"3B", ';'}};
  std::string out;
  for (size_t i = 0; i < uri.size(); ++i) {
    char decoded = 0;
    if (uri[i] == '%' && i + 2 < uri.size()) {
      const char hex[2] = {static_cast<char>(std::toupper(uri[i + 1])),
                           static_cast<char>(std::toupper(uri[i + 2]))};
      for (const auto& [esc, ch] : kEscapes) {
        if (esc == std::string_view(hex, 2)) decoded = ch;
      }
    }
    if (decoded) {
      out += decoded;
      i += 2;
    } else {
      out += uri[i];
    }
  }
  return out;
}

class HubSpotVerifier final : public Verifier {
 public:
  explicit HubSpotVerifier(const SourceConfig& s)
      : secrets_(s.secrets), public_url_(s.public_url), tolerance_s_(s.tolerance_s) {}

  Result<Verified> Verify(const WebhookRequest& req, TimeMicros now) const override {
    const std::string uri = Uri(req);
    if (const std::string_view v3 = req.header("x-hubspot-signature-v3"); !v3.empty()) {
      const std::string_view ts = req.header("x-hubspot-request-timestamp");
      if (ts.empty()) return PermissionDenied("missing_header");
      std::optional<int64_t> ms = ParseInteger(ts);
      if (!ms) return PermissionDenied("bad_timestamp");
      RETURN_IF_ERROR(CheckWindow(*ms, 1000, now, tolerance_s_));
      const std::string decoded = DecodeSignedUri(uri);
      if (!AnyMatches(
              secrets_,
              [&](const std::string& s) {
                return HubSpotSignV3(s, req.method, decoded, req.body, ts);
              },
              v3)) {
        return PermissionDenied("signature_mismatch");
      }
    } else {
      const std::string_view sig = req.header("x-hubspot-signature");
      if (sig.empty()) return PermissionDenied("missing_header");
      const std::string_view version = req.header("x-hubspot-signature-version");
      std::function<std::string(const std::string&)> expected;
      if (version == "v1" || version.empty()) {
        expected = [&](const std::string& s) {
          return HexEncode(Sha256(s + std::string(req.body)));
        };
      } else if (version == "v2") {
        expected = [&](const std::string& s) {
          return HexEncode(Sha256(s + std::string(req.method) + uri + std::string(req.body)));
        };
      } else {
        return PermissionDenied("unknown_signature_version");
      }
      if (!AnyMatches(secrets_, expected, sig)) return PermissionDenied("signature_mismatch");
    }
    // One request carries many events; each is de-duplicated by its eventId later.
    return Verified{BodyHash(req.body), std::nullopt};
  }

 private:
  std::string Uri(const WebhookRequest& req) const {
    const size_t q = req.target.find('?');
    const std::string_view query = q == std::string_view::npos ? "" : req.target.substr(q);
    if (!public_url_.empty()) return public_url_ + std::string(query);
    return "https://" + std::string(req.header("host")) + std::string(req.target);
  }

  std::vector<std::string> secrets_;
  std::string public_url_;
  int64_t tolerance_s_;
};

}  // namespace

std::string HubSpotSignV3(std::string_view secret, std::string_view method, std::string_view uri,
                          std::string_view body, std::string_view timestamp_ms) {
  std::string content;
  content.append(method).append(uri).append(body).append(timestamp_ms);
  return Base64Encode(HmacSha256(secret, content));
}

std::unique_ptr<Verifier> MakeHubSpotVerifier(const SourceConfig& source) {
  return std::make_unique<HubSpotVerifier>(source);
}

}  // namespace supportpipe::sources
