// The one place that maps a source's configured vendor to its verifier and decoder.
#include <fmt/format.h>

#include <mutex>

#include "event/codec.h"
#include "sources/auth.h"
#include "sources/canonical/canonical.h"
#include "sources/contract.h"
#include "sources/freshdesk/freshdesk.h"
#include "sources/front/front.h"
#include "sources/generic/mapping.h"
#include "sources/github/github.h"
#include "sources/gorgias/gorgias.h"
#include "sources/helpscout/helpscout.h"
#include "sources/hubspot/hubspot.h"
#include "sources/intercom/intercom.h"
#include "sources/registry.h"
#include "sources/slack/slack.h"
#include "sources/standard/standard_webhooks.h"
#include "sources/zendesk/zendesk.h"

namespace supportpipe::sources {

Result<std::unique_ptr<Verifier>> MakeVerifier(const SourceConfig& s) {
  const std::string& v = s.vendor;
  if (v == "zendesk") return MakeZendeskVerifier(s);
  if (v == "intercom") return MakeIntercomVerifier(s);
  if (v == "hubspot") return MakeHubSpotVerifier(s);
  if (v == "front") return MakeFrontVerifier(s);
  if (v == "helpscout") return MakeHelpScoutVerifier(s);
  if (v == "slack") return MakeSlackVerifier(s);
  if (v == "github") return MakeGitHubVerifier(s);
  if (v == "standard") return MakeStandardWebhooksVerifier(s.secrets, s.tolerance_s);
  if (v == "canonical" || v == "freshdesk" || v == "gorgias" || v == "generic") {
    return MakeCredentialVerifier(s);
  }
  return InvalidArgument("vendor \"" + v + "\" is not supported by this build");
}

namespace {

Result<std::unique_ptr<Decoder>> VendorDecoder(const SourceConfig& s) {
  const std::string& v = s.vendor;
  if (v == "zendesk") return MakeZendeskDecoder(s);
  if (v == "intercom") return MakeIntercomDecoder();
  if (v == "hubspot") return MakeHubSpotDecoder();
  if (v == "front") return MakeFrontDecoder();
  if (v == "helpscout") return MakeHelpScoutDecoder();
  if (v == "slack") return MakeSlackDecoder(s);
  if (v == "freshdesk") return MakeFreshdeskDecoder(s);
  if (v == "gorgias") return MakeGorgiasDecoder(s);
  if (v == "generic") return MakeMappingDecoder(s.mapping);
  if (v == "canonical" || v == "standard" || v == "github") {
    if (!s.mapping.empty()) return MakeMappingDecoder(s.mapping);
    return MakeCanonicalDecoder();
  }
  return InvalidArgument("vendor \"" + v + "\" is not supported by this build");
}

}  // namespace

Result<std::unique_ptr<Decoder>> MakeDecoder(const SourceConfig& s) {
  ASSIGN_OR_RETURN(std::unique_ptr<Decoder> d, VendorDecoder(s));
  if (s.schema_file.empty()) return d;
  return WithContract(std::move(d), s.schema_file);
}

const std::vector<ExportFormat>& ExportFormats() {
  static const std::vector<ExportFormat> kFormats = {
      {"canonical", "", "", "canonical events: JSON lines or one JSON array"},
      {"zendesk-tickets", "zendesk", "tickets",
       "incremental ticket export pages (cursor or time based)"},
      {"zendesk-ticket-events", "zendesk", "ticket_events",
       "incremental ticket event export pages (audits with child events)"},
      {"zendesk-ticket-metric-events", "zendesk", "ticket_metric_events",
       "ticket metric event export pages"},
      {"zendesk-csv", "zendesk", "csv", "the CSV report export (first row is the header)"},
      {"intercom", "intercom", "conversations",
       "conversation JSON: one conversation, an array, JSON lines, or {conversations: [...]}"},
      {"csv", "generic", "csv", "CSV rows read through the source's [mapping] (column names)"},
  };
  return kFormats;
}

const ExportFormat* FindExportFormat(std::string_view name) {
  for (const auto& f : ExportFormats()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string StoredHeader(std::string_view headers_json, std::string_view name) {
  if (headers_json.empty()) return "";
  return PeekMember(headers_json, name).value_or("");
}

Result<std::unique_ptr<DecoderSet>> DecoderSet::Create(const std::vector<SourceConfig>& sources) {
  std::unique_ptr<DecoderSet> set(new DecoderSet());
  set->canonical_ = MakeCanonicalDecoder();
  for (const SourceConfig& s : sources) {
    Result<std::unique_ptr<Decoder>> d = MakeDecoder(s);
    if (!d.ok()) {
      return InvalidArgument(d.status().message(),
                             fmt::format("source \"{}\" (line {})", s.name, s.line));
    }
    set->by_source_.emplace(s.name, std::move(d).value());
  }
  return set;
}

const Decoder& DecoderSet::For(std::string_view source, std::string_view vendor,
                               std::string_view kind) const {
  if (kind == kKindEvent) return *canonical_;
  std::lock_guard lock(mu_);
  if (auto it = by_source_.find(source); it != by_source_.end()) return *it->second;
  // A source no longer in the config (a replay of old records): its vendor's built-in
  // decoder, as the record was received.
  const std::string key = "\x01" + std::string(vendor);
  auto it = by_source_.find(key);
  if (it == by_source_.end()) {
    SourceConfig s;
    s.vendor = std::string(vendor);
    Result<std::unique_ptr<Decoder>> d = VendorDecoder(s);
    it = by_source_.emplace(key, d.ok() ? std::move(*d) : MakeCanonicalDecoder()).first;
  }
  return *it->second;
}

}  // namespace supportpipe::sources
