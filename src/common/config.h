// The configuration file (TOML), parsed and checked in one place.
//
//   ASSIGN_OR_RETURN(Config cfg, LoadConfigFile("supportpipe.toml"));
//   Config defaults = DefaultConfig();  // what runs with no file at all
//
// Every error names the file, the line and the key: unknown keys, wrong types, bad
// values, missing secrets and dangling references all stop start-up. The reference for
// users is docs/config.md; keep both in step.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace supportpipe {

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";
  int64_t max_body_bytes = 1 << 20;
  int64_t max_header_bytes = 16 * 1024;
  // Appends waiting for the group commit; beyond it intake answers 429.
  int64_t max_pending_appends = 20000;
  // Requests waiting for the group commit; beyond it intake answers 429 at once, so that
  // under overload senders are told early instead of waiting in a growing queue.
  int64_t max_pending_requests = 256;
  int threads = 2;
  // When set, POST /v1/events needs "Authorization: Bearer <token>"; when unset it is
  // open to loopback clients only.
  std::optional<std::string> ingest_token;
  // When set, the admin API (/v1/admin/...) needs "Authorization: Bearer <token>"; when
  // unset it is open to loopback clients only.
  std::optional<std::string> admin_token;
  // TLS (both or neither): PEM certificate chain and private key. Without TLS, a listen
  // address off loopback needs allow_plain_http = true (a TLS-terminating proxy in front).
  std::string tls_cert_file, tls_key_file;
  bool allow_plain_http = false;
  // Requests per second from one client address to the intake routes (a burst of as many);
  // 0 = no limit. Beyond it: 429 with Retry-After.
  double client_rate_limit_per_s = 0;
  int64_t max_url_bytes = 8192;  // longer request targets are answered 414
};

struct StorageConfig {
  std::string data_dir = "./data";
  // "sqlite", or NATS JetStream: "nats://host:4222[,nats://host2:4222...]".
  std::string log = "sqlite";
  // "sqlite" (data_dir/warehouse.db), or PostgreSQL: "postgresql://user@host:5432/db".
  std::string warehouse = "sqlite";
  std::string warehouse_schema = "warehouse";  // with PostgreSQL: the schema of its tables
  // With a JetStream log: the PostgreSQL URL holding what processes share (idempotency keys,
  // cursors, dead letters, outbox, the worker lock).
  std::string state;
  std::string log_name = "supportpipe";  // JetStream streams <NAME>_RAW/_EVENTS, schema <name>
  int64_t log_replicas = 1;              // replicas of the streams when they are created
  std::optional<std::string> log_token;  // log_token_env / log_token_file: NATS token auth
  std::string log_credentials_file;      // a NATS .creds file (user JWT and NKey seed)
  std::string log_tls_ca_file;           // trust this CA for tls:// servers

  bool jetstream() const { return log.starts_with("nats://") || log.starts_with("tls://"); }
  bool pg_warehouse() const {
    return warehouse.starts_with("postgresql://") || warehouse.starts_with("postgres://");
  }
};

// A configured mapping from a vendor's JSON to canonical fields (vendors generic,
// freshdesk, gorgias, zendesk trigger webhooks, and optionally standard and github).
struct MappingConfig {
  // Canonical field ("id", "type", "occurred_at", "ticket.status", "message.body", ...)
  // -> JSON pointer into the payload ("/ticket/status").
  std::vector<std::pair<std::string, std::string>> fields;
  // Canonical field -> constant used when the pointer is absent or not configured.
  std::vector<std::pair<std::string, std::string>> defaults;
  // Canonical field ("type", "ticket.status", "ticket.priority", ...) -> vendor value ->
  // canonical value. Matching ignores case.
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> values;
  std::string items;  // JSON pointer to an array of items; "" = the body is one item

  bool empty() const { return fields.empty() && defaults.empty(); }
};

struct SourceConfig {
  std::string name;
  std::string vendor;
  // Each list holds one credential, or two during rotation.
  std::vector<std::string> secrets;     // signing secrets (secret_env / secret2_env)
  std::vector<std::string> tokens;      // bearer or header tokens (token_env / token2_env)
  std::vector<std::string> basic_auth;  // "USER:PASS" (basic_auth_env / basic_auth2_env)
  bool auth_none = false;               // auth = "none": loopback listeners only
  std::string auth_header;              // header carrying the token; "" = Authorization: Bearer
  int64_t tolerance_s = 300;
  bool legacy_order = false;  // zendesk: signature over BODY + TIMESTAMP (an old doc's order)
  std::string public_url;     // hubspot: the URL as registered, for v2/v3 signatures
  std::string schema_file;    // JSON Schema every payload item must satisfy
  std::vector<std::string> agent_ids;  // slack: user ids whose messages are agent replies
  double rate_limit_per_s = 0;         // webhooks accepted per second (a burst of as many); 0 = any
  // zendesk: the API `supportpipe sync` pulls from ("https://acme.zendesk.com"), and its
  // credential: api_email with api_token (an API token), or api_token alone (OAuth).
  std::string api_url;
  std::string api_email;
  std::optional<std::string> api_token;
  // Scheduled reconciliation against the API (docs/cli.md#reconcile).
  int64_t reconcile_every_h = 0;  // 0 = only on demand
  int64_t reconcile_days = 7;     // tickets created in the last this many days
  bool reconcile_repair = false;  // backfill what is missing or diverging
  MappingConfig mapping;
  int line = 0;  // where it was declared, for messages
};

// [[schedule]]: business hours (docs/metrics.md#business-time). Hours and the time zone
// are checked when the schedule is built (support/policies.h).
struct ScheduleConfig {
  std::string name;
  std::string time_zone;
  std::vector<std::string> hours;     // "mon-fri 09:00-17:00"
  std::vector<std::string> holidays;  // "2026-12-25"
  // when = { group = [...], brand = [...], channel = [...] }: which tickets use it, matched
  // on their ticket.created; empty = no condition on that field.
  std::vector<std::string> when_group, when_brand, when_channel;
  int line = 0;
};

// [[sla_policy]] (docs/metrics.md#sla-policies-and-clocks). Policies apply in order: the
// first whose `when` matches the ticket.
struct SlaPolicyConfig {
  std::string name;
  // when = { priority, channel, group, tags_any, customer_tier }; empty = any. tags_any:
  // at least one of the ticket's tags.
  std::vector<std::string> priority, channel, group, tags_any, customer_tier;
  bool business_hours = false;  // else calendar time
  double warning_fraction = 0.75;
  // metric -> priority -> target in seconds (configured in minutes).
  std::map<std::string, std::map<std::string, int64_t>> targets;
  int line = 0;
};

// [[destination]]: where matching events are delivered (docs/destinations.md).
struct DestinationConfig {
  std::string name;
  std::string url;
  std::string format = "standard";    // standard (Standard Webhooks) | slack
  std::optional<std::string> secret;  // whsec_... (standard): secret_env / secret_file
  std::vector<std::string> events;    // event types delivered
  int64_t max_attempts = 8;
  int64_t timeout_ms = 5000;
  // Seconds before retry n (the last repeats); each wait is drawn uniformly from (0, s].
  std::vector<int64_t> retry_s = {5, 300, 1800, 7200, 18000, 36000, 36000};
  double rate_limit_per_s = 50;  // attempts per second at most (a burst of as many)
  // After this many failed attempts in a row the circuit opens: nothing is sent for
  // circuit_open_s, then one attempt probes; success closes it, failure re-opens it.
  int64_t circuit_failures = 5;
  int64_t circuit_open_s = 30;
  int line = 0;
};

// [[rule]] (docs/rules.md): enrichment and routing, applied in order to each incoming
// ticket event. `when` conditions all hold (a list: any of its values); `then` says what to do.
struct RuleConfig {
  std::string name;
  // On the event: its type, source, the message author's role, and RE2 patterns on the
  // message body and the ticket subject.
  std::vector<std::string> type, source, author_role;
  std::string body_matches, subject_matches;  // "" = no condition
  // On the ticket as it stands after the event (and after earlier rules' actions).
  std::vector<std::string> status, priority, channel, group, brand, customer_tier, tags_any,
      tags_all, tags_none;
  // Actions.
  std::vector<std::string> add_tags;
  std::string set_priority, route_group;  // "" = none
  bool escalate = false;                  // emit = "ticket.escalated"
  int line = 0;
};

// [surge] (docs/metrics.md#surge-detection). No table, or no dimensions: off.
// [identity] (docs/warehouse.md#people): one person across sources, by match keys.
struct IdentityConfig {
  // email, verified_email (only addresses the producer marked verified), phone, external_id;
  // empty = off
  std::vector<std::string> match_on;
  std::string default_country_code;  // digits: phones written without + are in it
  bool enabled() const { return !match_on.empty(); }
};

struct SurgeConfig {
  std::vector<std::string> dimensions;  // channel, tags, group
  int64_t bucket_s = 300;
  double half_life_buckets = 12;
  double threshold = 4.0;
  int64_t min_count = 10;
  int64_t cooldown_buckets = 6;
  // A bucket is judged this long after it ends, so that deliveries a little late still count.
  int64_t settle_s = 60;
};

// [delivery]
struct DeliveryConfig {
  // Derived events recorded more than this after their instant (an import, a replay, a
  // late delivery) are recorded as skipped, not sent.
  int64_t max_age_s = 3600;
};

// [privacy] (docs/security.md#personal-data): applied by the processor, so the event log,
// the warehouse and destinations never see what it removes (the raw log keeps the bytes).
// [privacy.consent.<purpose>]: what supportpipe does for a customer who has not given (or has
// withdrawn) consent for `purpose` (docs/security.md#consent).
struct ConsentRule {
  std::string purpose;                    // lower case, as in customer.consent
  bool default_granted = false;           // a customer who never stated it: granted or withheld
  bool drop_message_bodies = false;       // without it: their messages' texts not in the warehouse
  bool drop_identifiers = false;          // without it: name, email, phone not in dim_customer
  std::vector<std::string> destinations;  // without it: nothing about them sent there
  int line = 0;
};

struct PrivacyConfig {
  std::vector<std::string> redact;  // email, phone, card, iban, ssn, ip: in free text
  bool pseudonymize_customer_email = false;
  std::optional<std::string> pseudonym_key;  // pseudonym_key_env / _file; required with it
  // Encryption at rest of raw payloads: the current key's file (seals new records) and older
  // keys' files (still open records sealed with them). Empty: raw payloads stored as sent.
  std::string encryption_key_file;
  std::vector<std::string> previous_key_files;
  std::vector<ConsentRule> consent;
  int line = 0;
};

// [retention] (docs/security.md#retention): days to keep each kind of data; 0 = forever.
struct RetentionConfig {
  int64_t raw_days = 0;       // raw records (the exact bytes received), once processed
  int64_t messages_days = 0;  // message bodies and CSAT comments in the event log and warehouse
  int64_t dlq_days = 0;       // dead letters
  bool enabled() const { return raw_days > 0 || messages_days > 0 || dlq_days > 0; }
};

// [alerts]: pipeline-health alerts, recorded as pipeline.alert events (0 turns a check off).
struct AlertsConfig {
  int64_t check_interval_s = 10;     // how often health is read
  int64_t window_s = 300;            // the window of the error-rate and dead-letter checks
  int64_t freshness_lag_s = 300;     // oldest received record not yet in the warehouse
  double error_rate = 0.1;           // share of intake requests answered >= 400 in the window
  int64_t error_min_requests = 20;   // fewer requests in the window judge nothing
  int64_t dead_letter_growth = 10;   // new open dead letters in the window
  int64_t destination_down_s = 900;  // a destination's oldest pending delivery has waited
};

struct ReportingConfig {
  std::string time_zone = "UTC";            // days of the daily views
  std::string default_schedule = "always";  // "always" = 24x7
};

struct Config {
  std::string path;  // empty for the embedded defaults
  ServerConfig server;
  StorageConfig storage;
  std::vector<SourceConfig> sources;
  ReportingConfig reporting;
  std::vector<ScheduleConfig> schedules;
  std::vector<SlaPolicyConfig> sla_policies;
  std::vector<DestinationConfig> destinations;
  std::vector<RuleConfig> rules;
  DeliveryConfig delivery;
  SurgeConfig surge;
  PrivacyConfig privacy;
  RetentionConfig retention;
  AlertsConfig alerts;
  IdentityConfig identity;

  const SourceConfig* FindSource(std::string_view name) const;
};

Config DefaultConfig();
Result<Config> LoadConfigFile(const std::string& path);
Result<Config> ParseConfig(std::string_view toml_text, const std::string& path_for_messages);

// Whether a HOST:PORT listen address is on loopback (127.x, ::1, localhost).
bool IsLoopbackListen(std::string_view listen);

// 1-64 letters, digits, '-', '_' or '.': the form source names take in URLs.
bool IsValidSourceName(std::string_view name);

// The canonical fields a [source.mapping] may fill ("ticket.status", "message.body", ...).
bool IsMappableField(std::string_view field);

// The vendors this build can verify and decode.
const std::vector<std::string>& SupportedVendors();

}  // namespace supportpipe
