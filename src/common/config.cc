#include "common/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace supportpipe {
namespace {

// Collects the first error with "file:line: key: message".
class Checker {
 public:
  explicit Checker(std::string path) : path_(std::move(path)) {}

  Status Fail(const toml::node* node, std::string_view key, std::string_view msg) {
    const int line = node ? static_cast<int>(node->source().begin.line) : 0;
    return InvalidArgument(std::string(msg), fmt::format("{}:{}: {}", path_, line, key));
  }

  Status OnlyKeys(const toml::table& t, std::string_view where,
                  std::initializer_list<std::string_view> allowed) {
    for (auto&& [k, v] : t) {
      bool ok = false;
      for (auto a : allowed) ok = ok || a == k.str();
      if (!ok) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        return Fail(&v, Join(where, k.str()), fmt::format("unknown key (allowed here: {})", list));
      }
    }
    return Status::Ok();
  }

  template <typename T>
  Status Get(const toml::table& t, std::string_view where, std::string_view key, T* out) {
    const toml::node* n = t.get(key);
    if (!n) return Status::Ok();
    if constexpr (std::is_same_v<T, std::string>) {
      if (!n->is_string()) return Fail(n, Join(where, key), "must be a string");
      *out = n->as_string()->get();
    } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, int>) {
      if (!n->is_integer()) return Fail(n, Join(where, key), "must be an integer");
      *out = static_cast<T>(n->as_integer()->get());
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!n->is_boolean()) return Fail(n, Join(where, key), "must be true or false");
      *out = n->as_boolean()->get();
    }
    return Status::Ok();
  }

  // A number (integer or not) from `lo` to `hi`; `msg` says what is accepted.
  Status Number(const toml::table& t, std::string_view where, std::string_view key, double lo,
                double hi, std::string_view msg, double* out) {
    const toml::node* n = t.get(key);
    if (!n) return Status::Ok();
    const std::optional<double> v = n->value<double>();
    if (!v || !(*v >= lo && *v <= hi)) return Fail(n, Join(where, key), msg);
    *out = *v;
    return Status::Ok();
  }

  // Reads a secret from `<base>_env` (environment variable) or `<base>_file`.
  Status Secret(const toml::table& t, std::string_view where, std::string_view base,
                std::optional<std::string>* out) {
    const std::string env_key = std::string(base) + "_env";
    const std::string file_key = std::string(base) + "_file";
    if (const toml::node* n = t.get(env_key)) {
      if (!n->is_string()) return Fail(n, Join(where, env_key), "must be a string");
      const std::string var = n->as_string()->get();
      const char* v = std::getenv(var.c_str());
      if (!v || !*v) {
        return Fail(n, Join(where, env_key),
                    fmt::format("environment variable {} is not set or empty", var));
      }
      *out = v;
    } else if (const toml::node* f = t.get(file_key)) {
      if (!f->is_string()) return Fail(f, Join(where, file_key), "must be a string");
      std::ifstream in(f->as_string()->get());
      if (!in) return Fail(f, Join(where, file_key), "cannot read the file");
      std::stringstream ss;
      ss << in.rdbuf();
      std::string s = ss.str();
      while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
      if (s.empty()) return Fail(f, Join(where, file_key), "the file is empty");
      *out = s;
    }
    return Status::Ok();
  }

  static std::string Join(std::string_view where, std::string_view key) {
    return where.empty() ? std::string(key) : fmt::format("{}.{}", where, key);
  }

 private:
  std::string path_;
};

constexpr std::string_view kRequestRate =
    "must be a number of requests per second from 0 (no limit) to 1000000";

Status ParseServer(Checker& c, const toml::table& t, ServerConfig* s) {
  RETURN_IF_ERROR(
      c.OnlyKeys(t, "server",
                 {"listen", "max_body_bytes", "max_header_bytes", "max_pending_appends",
                  "max_pending_requests", "threads", "ingest_token_env", "ingest_token_file",
                  "admin_token_env", "admin_token_file", "tls_cert_file", "tls_key_file",
                  "allow_plain_http", "client_rate_limit_per_s", "max_url_bytes"}));
  RETURN_IF_ERROR(c.Get(t, "server", "max_url_bytes", &s->max_url_bytes));
  if (s->max_url_bytes < 256 || s->max_url_bytes > (1 << 20)) {
    return c.Fail(t.get("max_url_bytes"), "server.max_url_bytes",
                  "must be between 256 and 1048576");
  }
  RETURN_IF_ERROR(c.Number(t, "server", "client_rate_limit_per_s", 0, 1e6, kRequestRate,
                           &s->client_rate_limit_per_s));
  RETURN_IF_ERROR(c.Get(t, "server", "listen", &s->listen));
  RETURN_IF_ERROR(c.Get(t, "server", "max_body_bytes", &s->max_body_bytes));
  RETURN_IF_ERROR(c.Get(t, "server", "max_header_bytes", &s->max_header_bytes));
  RETURN_IF_ERROR(c.Get(t, "server", "max_pending_appends", &s->max_pending_appends));
  RETURN_IF_ERROR(c.Get(t, "server", "max_pending_requests", &s->max_pending_requests));
  RETURN_IF_ERROR(c.Get(t, "server", "threads", &s->threads));
  RETURN_IF_ERROR(c.Secret(t, "server", "ingest_token", &s->ingest_token));
  RETURN_IF_ERROR(c.Secret(t, "server", "admin_token", &s->admin_token));
  RETURN_IF_ERROR(c.Get(t, "server", "tls_cert_file", &s->tls_cert_file));
  RETURN_IF_ERROR(c.Get(t, "server", "tls_key_file", &s->tls_key_file));
  RETURN_IF_ERROR(c.Get(t, "server", "allow_plain_http", &s->allow_plain_http));
  if (s->tls_cert_file.empty() != s->tls_key_file.empty()) {
    return c.Fail(&t, "server.tls_key_file",
                  "set both tls_cert_file and tls_key_file (PEM files), or neither");
  }
  if (s->listen.rfind(':') == std::string::npos) {
    return c.Fail(t.get("listen"), "server.listen", "must be HOST:PORT, e.g. 127.0.0.1:8080");
  }
  if (s->max_body_bytes < 1024 || s->max_body_bytes > (256 << 20)) {
    return c.Fail(t.get("max_body_bytes"), "server.max_body_bytes",
                  "must be between 1024 and 268435456");
  }
  if (s->max_header_bytes < 1024 || s->max_header_bytes > (1 << 20)) {
    return c.Fail(t.get("max_header_bytes"), "server.max_header_bytes",
                  "must be between 1024 and 1048576");
  }
  if (s->max_pending_appends < 1) {
    return c.Fail(t.get("max_pending_appends"), "server.max_pending_appends", "must be >= 1");
  }
  if (s->max_pending_requests < 1) {
    return c.Fail(t.get("max_pending_requests"), "server.max_pending_requests", "must be >= 1");
  }
  if (s->threads < 1 || s->threads > 64) {
    return c.Fail(t.get("threads"), "server.threads", "must be between 1 and 64");
  }
  return Status::Ok();
}

Status ParseStorage(Checker& c, const toml::table& t, StorageConfig* s) {
  RETURN_IF_ERROR(c.OnlyKeys(
      t, "storage",
      {"data_dir", "log", "warehouse", "warehouse_schema", "state", "log_name", "log_replicas",
       "log_token_env", "log_token_file", "log_credentials_file", "log_tls_ca_file"}));
  RETURN_IF_ERROR(c.Secret(t, "storage", "log_token", &s->log_token));
  RETURN_IF_ERROR(c.Get(t, "storage", "log_credentials_file", &s->log_credentials_file));
  RETURN_IF_ERROR(c.Get(t, "storage", "log_tls_ca_file", &s->log_tls_ca_file));
  for (const auto& [key, path] : {std::pair{"log_credentials_file", &s->log_credentials_file},
                                  std::pair{"log_tls_ca_file", &s->log_tls_ca_file}}) {
    if (!path->empty() && !std::ifstream(*path)) {
      return c.Fail(t.get(key), std::string("storage.") + key, "cannot read the file " + *path);
    }
  }
  RETURN_IF_ERROR(c.Get(t, "storage", "data_dir", &s->data_dir));
  RETURN_IF_ERROR(c.Get(t, "storage", "log", &s->log));
  RETURN_IF_ERROR(c.Get(t, "storage", "warehouse", &s->warehouse));
  RETURN_IF_ERROR(c.Get(t, "storage", "warehouse_schema", &s->warehouse_schema));
  RETURN_IF_ERROR(c.Get(t, "storage", "state", &s->state));
  RETURN_IF_ERROR(c.Get(t, "storage", "log_name", &s->log_name));
  RETURN_IF_ERROR(c.Get(t, "storage", "log_replicas", &s->log_replicas));
  if (s->data_dir.empty())
    return c.Fail(t.get("data_dir"), "storage.data_dir", "must not be empty");
  if (s->log != "sqlite" && !s->jetstream()) {
    return c.Fail(t.get("log"), "storage.log",
                  "must be \"sqlite\" or NATS JetStream URLs (\"nats://host:4222,...\")");
  }
  if (s->jetstream()) {
    for (size_t start = 0; start < s->log.size();) {
      const size_t comma = std::min(s->log.find(',', start), s->log.size());
      const std::string_view url = std::string_view(s->log).substr(start, comma - start);
      if (!url.starts_with("nats://") && !url.starts_with("tls://")) {
        return c.Fail(t.get("log"), "storage.log",
                      "every server URL must start with nats:// (or tls:// for TLS)");
      }
      start = comma + 1;
    }
    if (!s->state.starts_with("postgresql://") && !s->state.starts_with("postgres://")) {
      return c.Fail(t.get("state") ? t.get("state") : t.get("log"), "storage.state",
                    "a JetStream log needs a PostgreSQL URL (postgresql://user@host:5432/db) "
                    "for the state its processes share");
    }
  } else {
    for (const char* key :
         {"state", "log_token_env", "log_token_file", "log_credentials_file", "log_tls_ca_file"}) {
      if (t.get(key)) {
        return c.Fail(t.get(key), std::string("storage.") + key, "only used with a JetStream log");
      }
    }
  }
  if (s->log_name.empty() || s->log_name.size() > 48 ||
      s->log_name.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string::npos) {
    return c.Fail(t.get("log_name"), "storage.log_name", "must be 1-48 letters, digits or '_'");
  }
  if (s->log_replicas != 1 && s->log_replicas != 3 && s->log_replicas != 5) {
    return c.Fail(t.get("log_replicas"), "storage.log_replicas", "must be 1, 3 or 5");
  }
  if (s->warehouse != "sqlite" && !s->pg_warehouse()) {
    return c.Fail(t.get("warehouse"), "storage.warehouse",
                  "must be \"sqlite\" or a PostgreSQL URL (\"postgresql://user@host:5432/db\")");
  }
  if (!s->pg_warehouse() && t.get("warehouse_schema")) {
    return c.Fail(t.get("warehouse_schema"), "storage.warehouse_schema",
                  "only used with a PostgreSQL warehouse");
  }
  if (s->warehouse_schema.empty() || s->warehouse_schema.size() > 48 ||
      s->warehouse_schema.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") !=
          std::string::npos) {
    return c.Fail(t.get("warehouse_schema"), "storage.warehouse_schema",
                  "must be 1-48 lower-case letters, digits or '_'");
  }
  return Status::Ok();
}

// Which credentials a vendor authenticates with: signing secrets, or a token / basic-auth
// credential (or auth = "none" on loopback).
bool SignsRequests(std::string_view vendor) {
  return vendor == "zendesk" || vendor == "intercom" || vendor == "hubspot" || vendor == "front" ||
         vendor == "helpscout" || vendor == "slack" || vendor == "standard" || vendor == "github";
}

bool IsPriorityWord(std::string_view v) {
  return v == "low" || v == "normal" || v == "high" || v == "urgent";
}

Status ParseStringList(Checker& c, const toml::table& t, std::string_view where,
                       std::string_view key, std::vector<std::string>* out) {
  const toml::node* n = t.get(key);
  if (!n) return Status::Ok();
  const std::string k = Checker::Join(where, key);
  if (!n->is_array()) return c.Fail(n, k, "must be a list of strings");
  for (const toml::node& item : *n->as_array()) {
    if (!item.is_string()) return c.Fail(&item, k, "must be a list of strings");
    out->push_back(item.as_string()->get());
  }
  return Status::Ok();
}

// [source.mapping], [source.defaults], [source.values.FIELD], items.
Status ParseMapping(Checker& c, const toml::table& t, const std::string& where, MappingConfig* m) {
  RETURN_IF_ERROR(c.Get(t, where, "items", &m->items));
  if (!m->items.empty() && m->items[0] != '/') {
    return c.Fail(t.get("items"), where + ".items", "must be a JSON pointer such as \"/events\"");
  }
  auto string_table = [&](const toml::node* n, const std::string& key,
                          std::vector<std::pair<std::string, std::string>>* out) -> Status {
    if (!n) return Status::Ok();
    if (!n->is_table()) return c.Fail(n, key, "must be a table of strings");
    for (auto&& [k, v] : *n->as_table()) {
      if (!v.is_string()) return c.Fail(&v, key + "." + std::string(k.str()), "must be a string");
      out->emplace_back(std::string(k.str()), v.as_string()->get());
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(string_table(t.get("mapping"), where + ".mapping", &m->fields));
  for (const auto& [field, pointer] : m->fields) {
    if (!IsMappableField(field)) {
      return c.Fail(t.get("mapping"), where + ".mapping." + field,
                    "is not a canonical field (see docs/sources/generic.md)");
    }
    if (pointer.empty() || pointer[0] != '/') {
      return c.Fail(t.get("mapping"), where + ".mapping." + field,
                    "must be a JSON pointer such as \"/ticket/id\"");
    }
  }
  RETURN_IF_ERROR(string_table(t.get("defaults"), where + ".defaults", &m->defaults));
  for (const auto& [field, value] : m->defaults) {
    if (!IsMappableField(field)) {
      return c.Fail(t.get("defaults"), where + ".defaults." + field,
                    "is not a canonical field (see docs/sources/generic.md)");
    }
  }
  if (const toml::node* n = t.get("values")) {
    if (!n->is_table()) return c.Fail(n, where + ".values", "must be a table of tables");
    for (auto&& [k, v] : *n->as_table()) {
      const std::string key = where + ".values." + std::string(k.str());
      if (!IsMappableField(k.str())) return c.Fail(&v, key, "is not a canonical field");
      std::vector<std::pair<std::string, std::string>> table;
      RETURN_IF_ERROR(string_table(&v, key, &table));
      m->values.emplace_back(std::string(k.str()), std::move(table));
    }
  }
  return Status::Ok();
}

Status ParseSource(Checker& c, const toml::table& t, int index, SourceConfig* s) {
  const std::string where = fmt::format("source[{}]", index);
  s->line = static_cast<int>(t.source().begin.line);
  RETURN_IF_ERROR(c.OnlyKeys(t, where,
                             {"name",
                              "vendor",
                              "secret_env",
                              "secret_file",
                              "secret2_env",
                              "secret2_file",
                              "token_env",
                              "token_file",
                              "token2_env",
                              "token2_file",
                              "basic_auth_env",
                              "basic_auth_file",
                              "basic_auth2_env",
                              "basic_auth2_file",
                              "auth",
                              "auth_header",
                              "tolerance_s",
                              "legacy_order",
                              "public_url",
                              "schema_file",
                              "agent_ids",
                              "items",
                              "mapping",
                              "defaults",
                              "values",
                              "api_url",
                              "api_email",
                              "api_token_env",
                              "api_token_file",
                              "rate_limit_per_s",
                              "reconcile_every_h",
                              "reconcile_days",
                              "reconcile_repair"}));
  RETURN_IF_ERROR(
      c.Number(t, where, "rate_limit_per_s", 0, 1e6, kRequestRate, &s->rate_limit_per_s));
  RETURN_IF_ERROR(c.Get(t, where, "name", &s->name));
  RETURN_IF_ERROR(c.Get(t, where, "vendor", &s->vendor));
  RETURN_IF_ERROR(c.Get(t, where, "tolerance_s", &s->tolerance_s));
  RETURN_IF_ERROR(c.Get(t, where, "legacy_order", &s->legacy_order));
  RETURN_IF_ERROR(c.Get(t, where, "public_url", &s->public_url));
  RETURN_IF_ERROR(c.Get(t, where, "schema_file", &s->schema_file));
  RETURN_IF_ERROR(c.Get(t, where, "auth_header", &s->auth_header));
  RETURN_IF_ERROR(ParseStringList(c, t, where, "agent_ids", &s->agent_ids));
  RETURN_IF_ERROR(c.Get(t, where, "api_url", &s->api_url));
  RETURN_IF_ERROR(c.Get(t, where, "api_email", &s->api_email));
  RETURN_IF_ERROR(c.Secret(t, where, "api_token", &s->api_token));
  RETURN_IF_ERROR(c.Get(t, where, "reconcile_every_h", &s->reconcile_every_h));
  RETURN_IF_ERROR(c.Get(t, where, "reconcile_days", &s->reconcile_days));
  RETURN_IF_ERROR(c.Get(t, where, "reconcile_repair", &s->reconcile_repair));
  if (s->reconcile_every_h < 0 || s->reconcile_every_h > 24 * 365) {
    return c.Fail(t.get("reconcile_every_h"), where + ".reconcile_every_h",
                  "must be a number of hours from 1 to 8760 (0 = only on demand)");
  }
  if (s->reconcile_days < 1 || s->reconcile_days > 3650) {
    return c.Fail(t.get("reconcile_days"), where + ".reconcile_days",
                  "must be a number of days from 1 to 3650");
  }
  if (s->reconcile_every_h > 0 && s->api_url.empty()) {
    return c.Fail(t.get("reconcile_every_h"), where + ".reconcile_every_h",
                  "scheduled reconciliation reads the vendor's API: set api_url (zendesk)");
  }
  if (!s->api_url.empty()) {
    if (s->vendor != "zendesk") {
      return c.Fail(t.get("api_url"), where + ".api_url",
                    "only zendesk sources can be synced from an API");
    }
    if (s->api_url.rfind("https://", 0) != 0 && s->api_url.rfind("http://", 0) != 0) {
      return c.Fail(t.get("api_url"), where + ".api_url",
                    "must be the account's base URL, e.g. https://acme.zendesk.com");
    }
    if (!s->api_token) {
      return c.Fail(t.get("api_url"), where + ".api_token_env",
                    "api_url needs api_token_env or api_token_file (and api_email for API "
                    "tokens)");
    }
  }
  if (!IsValidSourceName(s->name)) {
    return c.Fail(t.get("name") ? t.get("name") : &t, where + ".name",
                  "is required: 1-64 characters of letters, digits, '-', '_' or '.'");
  }
  bool known = false;
  std::string list;
  for (const auto& v : SupportedVendors()) {
    known = known || v == s->vendor;
    list += (list.empty() ? "" : ", ") + v;
  }
  if (!known) {
    return c.Fail(t.get("vendor") ? t.get("vendor") : &t, where + ".vendor",
                  fmt::format("\"{}\" is not a vendor this build supports ({})", s->vendor, list));
  }
  if (s->tolerance_s < 1 || s->tolerance_s > 86400) {
    return c.Fail(t.get("tolerance_s"), where + ".tolerance_s", "must be between 1 and 86400");
  }
  if (!s->public_url.empty() && s->public_url.rfind("http://", 0) != 0 &&
      s->public_url.rfind("https://", 0) != 0) {
    return c.Fail(t.get("public_url"), where + ".public_url",
                  "must be the full URL as registered, e.g. https://hooks.example.com/v1/...");
  }
  std::string auth;
  RETURN_IF_ERROR(c.Get(t, where, "auth", &auth));
  if (!auth.empty() && auth != "none") {
    return c.Fail(t.get("auth"), where + ".auth", "the only value is \"none\" (no credential)");
  }
  s->auth_none = auth == "none";

  auto read_pair = [&](std::string_view base, std::vector<std::string>* out) -> Status {
    std::optional<std::string> first, second;
    RETURN_IF_ERROR(c.Secret(t, where, base, &first));
    RETURN_IF_ERROR(c.Secret(t, where, std::string(base) + "2", &second));
    if (second && !first) {
      return c.Fail(&t, where + "." + std::string(base) + "2_env",
                    fmt::format("set {}_env or {}_file first", base, base));
    }
    if (first) out->push_back(*first);
    if (second) out->push_back(*second);
    return Status::Ok();
  };
  RETURN_IF_ERROR(read_pair("secret", &s->secrets));
  RETURN_IF_ERROR(read_pair("token", &s->tokens));
  RETURN_IF_ERROR(read_pair("basic_auth", &s->basic_auth));
  for (const auto& b : s->basic_auth) {
    if (b.find(':') == std::string::npos) {
      return c.Fail(&t, where + ".basic_auth_env", "the credential must be USER:PASSWORD");
    }
  }
  const bool signs = SignsRequests(s->vendor);
  const bool has_credential = !s->tokens.empty() || !s->basic_auth.empty();
  if (signs) {
    if (has_credential || s->auth_none) {
      return c.Fail(&t, where + ".secret_env",
                    fmt::format("vendor \"{}\" signs its requests: set secret_env or secret_file "
                                "(not a token, basic auth or auth = \"none\")",
                                s->vendor));
    }
    if (s->secrets.empty()) {
      return c.Fail(&t, where + ".secret_env",
                    fmt::format("source \"{}\" needs secret_env or secret_file", s->name));
    }
  } else {
    if (!s->secrets.empty()) {
      return c.Fail(&t, where + ".secret_env",
                    fmt::format("vendor \"{}\" does not sign requests: use token_env or "
                                "basic_auth_env",
                                s->vendor));
    }
    if (s->vendor == "canonical" && !s->basic_auth.empty()) {
      return c.Fail(&t, where + ".basic_auth_env", "vendor \"canonical\" uses token_env");
    }
    if (!has_credential && !s->auth_none) {
      return c.Fail(&t, where + ".token_env",
                    fmt::format("source \"{}\" needs token_env, basic_auth_env (or their _file "
                                "forms), or auth = \"none\" on a loopback listener",
                                s->name));
    }
    if (has_credential && s->auth_none) {
      return c.Fail(t.get("auth"), where + ".auth", "auth = \"none\" conflicts with a credential");
    }
  }
  RETURN_IF_ERROR(ParseMapping(c, t, where, &s->mapping));
  const bool maps = s->vendor == "generic" || s->vendor == "freshdesk" || s->vendor == "gorgias" ||
                    s->vendor == "zendesk" || s->vendor == "standard" || s->vendor == "github";
  if (!maps && !(s->mapping.empty() && s->mapping.values.empty() && s->mapping.items.empty())) {
    return c.Fail(
        t.get("mapping") ? t.get("mapping") : &t, where + ".mapping",
        fmt::format("vendor \"{}\" has a built-in mapping and takes no [mapping]", s->vendor));
  }
  if (s->vendor == "generic" && s->mapping.empty()) {
    return c.Fail(&t, where + ".mapping",
                  "vendor \"generic\" needs [source.mapping] (see docs/sources/generic.md)");
  }
  return Status::Ok();
}

Status ParseSchedule(Checker& c, const toml::table& t, int index, ScheduleConfig* s) {
  const std::string where = fmt::format("schedule[{}]", index);
  s->line = static_cast<int>(t.source().begin.line);
  RETURN_IF_ERROR(c.OnlyKeys(t, where, {"name", "time_zone", "hours", "holidays", "when"}));
  RETURN_IF_ERROR(c.Get(t, where, "name", &s->name));
  RETURN_IF_ERROR(c.Get(t, where, "time_zone", &s->time_zone));
  RETURN_IF_ERROR(ParseStringList(c, t, where, "hours", &s->hours));
  RETURN_IF_ERROR(ParseStringList(c, t, where, "holidays", &s->holidays));
  if (!IsValidSourceName(s->name) || s->name == "always") {
    return c.Fail(t.get("name") ? t.get("name") : &t, where + ".name",
                  "is required: 1-64 letters, digits, '-', '_' or '.' (and not \"always\")");
  }
  if (s->time_zone.empty()) {
    return c.Fail(&t, where + ".time_zone", "is required, e.g. \"Europe/Berlin\"");
  }
  if (s->hours.empty()) {
    return c.Fail(&t, where + ".hours", "is required, e.g. [\"mon-fri 09:00-17:00\"]");
  }
  if (const toml::node* w = t.get("when")) {
    if (!w->is_table())
      return c.Fail(w, where + ".when", "must be a table, e.g. { group = [\"x\"] }");
    const toml::table& wt = *w->as_table();
    RETURN_IF_ERROR(c.OnlyKeys(wt, where + ".when", {"group", "brand", "channel"}));
    RETURN_IF_ERROR(ParseStringList(c, wt, where + ".when", "group", &s->when_group));
    RETURN_IF_ERROR(ParseStringList(c, wt, where + ".when", "brand", &s->when_brand));
    RETURN_IF_ERROR(ParseStringList(c, wt, where + ".when", "channel", &s->when_channel));
  }
  return Status::Ok();
}

Status ParseSlaPolicy(Checker& c, const toml::table& t, int index, SlaPolicyConfig* p) {
  const std::string where = fmt::format("sla_policy[{}]", index);
  p->line = static_cast<int>(t.source().begin.line);
  RETURN_IF_ERROR(
      c.OnlyKeys(t, where, {"name", "when", "business_hours", "warning_fraction", "targets"}));
  RETURN_IF_ERROR(c.Get(t, where, "name", &p->name));
  RETURN_IF_ERROR(c.Get(t, where, "business_hours", &p->business_hours));
  if (!IsValidSourceName(p->name)) {
    return c.Fail(t.get("name") ? t.get("name") : &t, where + ".name",
                  "is required: 1-64 letters, digits, '-', '_' or '.'");
  }
  if (const toml::node* n = t.get("warning_fraction")) {
    const std::optional<double> f = n->value<double>();
    if (!f || !(*f > 0 && *f < 1)) {
      return c.Fail(n, where + ".warning_fraction", "must be a number between 0 and 1, e.g. 0.75");
    }
    p->warning_fraction = *f;
  }
  if (const toml::node* w = t.get("when")) {
    if (!w->is_table()) {
      return c.Fail(w, where + ".when", "must be a table, e.g. { priority = [\"urgent\"] }");
    }
    const toml::table& wt = *w->as_table();
    const std::string ww = where + ".when";
    RETURN_IF_ERROR(
        c.OnlyKeys(wt, ww, {"priority", "channel", "group", "tags_any", "customer_tier"}));
    RETURN_IF_ERROR(ParseStringList(c, wt, ww, "priority", &p->priority));
    RETURN_IF_ERROR(ParseStringList(c, wt, ww, "channel", &p->channel));
    RETURN_IF_ERROR(ParseStringList(c, wt, ww, "group", &p->group));
    RETURN_IF_ERROR(ParseStringList(c, wt, ww, "tags_any", &p->tags_any));
    RETURN_IF_ERROR(ParseStringList(c, wt, ww, "customer_tier", &p->customer_tier));
    for (const std::string& v : p->priority) {
      if (!IsPriorityWord(v)) {
        return c.Fail(wt.get("priority"), ww + ".priority",
                      fmt::format("\"{}\" is not a priority (low, normal, high, urgent)", v));
      }
    }
  }
  const toml::node* targets = t.get("targets");
  if (!targets || !targets->is_table()) {
    return c.Fail(targets ? targets : &t, where + ".targets",
                  "is required: [sla_policy.targets] with minutes by priority, e.g. "
                  "first_reply_time = { urgent = 15, normal = 240 }");
  }
  const std::string tw = where + ".targets";
  RETURN_IF_ERROR(c.OnlyKeys(*targets->as_table(), tw,
                             {"first_reply_time", "next_reply_time", "requester_wait_time",
                              "agent_work_time", "total_resolution_time"}));
  for (auto&& [metric, by_priority] : *targets->as_table()) {
    const std::string mw = Checker::Join(tw, metric.str());
    if (!by_priority.is_table()) {
      return c.Fail(&by_priority, mw,
                    "must be a table of minutes by priority, e.g. { urgent = 15 }");
    }
    RETURN_IF_ERROR(c.OnlyKeys(*by_priority.as_table(), mw, {"low", "normal", "high", "urgent"}));
    for (auto&& [priority, minutes] : *by_priority.as_table()) {
      const std::optional<double> m = minutes.value<double>();
      // Minutes, decimals allowed (0.5 = 30 s); stored in whole seconds.
      if (!m || !(*m >= 1.0 / 60) || *m > 10.0 * 365 * 24 * 60) {
        return c.Fail(&minutes, Checker::Join(mw, priority.str()),
                      "must be a number of minutes, at least 1 second (0.0167) and at most 10 "
                      "years");
      }
      p->targets[std::string(metric.str())][std::string(priority.str())] =
          static_cast<int64_t>(*m * 60 + 0.5);
    }
  }
  return Status::Ok();
}

// Every [[kind]] table in order, each read by `parse`; names must be unique.
template <typename T, typename Parse>
Status ParseTables(Checker& c, const toml::table& root, std::string_view kind, Parse parse,
                   std::vector<T>* out) {
  const toml::node* n = root.get(kind);
  if (!n) return Status::Ok();
  if (!n->is_array_of_tables()) {
    return c.Fail(n, kind, fmt::format("must be written [[{}]]", kind));
  }
  int i = 0;
  for (const toml::node& item : *n->as_array()) {
    T x;
    RETURN_IF_ERROR(parse(c, *item.as_table(), i, &x));
    for (const T& other : *out) {
      if (other.name == x.name) {
        return c.Fail(&item, fmt::format("{}[{}].name", kind, i),
                      fmt::format("{} \"{}\" is declared twice", kind, x.name));
      }
    }
    out->push_back(std::move(x));
    ++i;
  }
  return Status::Ok();
}

Status ParseRule(Checker& c, const toml::table& t, int index, RuleConfig* r) {
  const std::string where = fmt::format("rule[{}]", index);
  r->line = static_cast<int>(t.source().begin.line);
  RETURN_IF_ERROR(c.OnlyKeys(t, where, {"name", "when", "then"}));
  RETURN_IF_ERROR(c.Get(t, where, "name", &r->name));
  if (!IsValidSourceName(r->name)) {
    return c.Fail(t.get("name") ? t.get("name") : &t, where + ".name",
                  "is required: 1-64 letters, digits, '-', '_' or '.'");
  }
  const toml::node* w = t.get("when");
  if (!w || !w->is_table() || w->as_table()->empty()) {
    return c.Fail(w ? w : &t, where + ".when",
                  "is required: a table of conditions, e.g. { type = [\"ticket.created\"], "
                  "body_matches = \"(?i)refund\" }");
  }
  const toml::table& wt = *w->as_table();
  const std::string ww = where + ".when";
  RETURN_IF_ERROR(c.OnlyKeys(
      wt, ww,
      {"type", "source", "author_role", "body_matches", "subject_matches", "status", "priority",
       "channel", "group", "brand", "customer_tier", "tags_any", "tags_all", "tags_none"}));
  for (const auto& [key, out] :
       std::initializer_list<std::pair<const char*, std::vector<std::string>*>>{
           {"type", &r->type},
           {"source", &r->source},
           {"author_role", &r->author_role},
           {"status", &r->status},
           {"priority", &r->priority},
           {"channel", &r->channel},
           {"group", &r->group},
           {"brand", &r->brand},
           {"customer_tier", &r->customer_tier},
           {"tags_any", &r->tags_any},
           {"tags_all", &r->tags_all},
           {"tags_none", &r->tags_none}}) {
    RETURN_IF_ERROR(ParseStringList(c, wt, ww, key, out));
    if (wt.get(key) && out->empty()) {
      return c.Fail(wt.get(key), Checker::Join(ww, key), "must list at least one value");
    }
  }
  RETURN_IF_ERROR(c.Get(wt, ww, "body_matches", &r->body_matches));
  RETURN_IF_ERROR(c.Get(wt, ww, "subject_matches", &r->subject_matches));
  for (const std::string& v : r->priority) {
    if (!IsPriorityWord(v)) {
      return c.Fail(wt.get("priority"), ww + ".priority",
                    fmt::format("\"{}\" is not a priority (low, normal, high, urgent)", v));
    }
  }
  const toml::node* th = t.get("then");
  if (!th || !th->is_table()) {
    return c.Fail(th ? th : &t, where + ".then",
                  "is required: a table of actions, e.g. { add_tags = [\"refund\"], "
                  "set_priority = \"high\", route_group = \"billing\", emit = "
                  "\"ticket.escalated\" }");
  }
  const toml::table& tt = *th->as_table();
  const std::string tw = where + ".then";
  RETURN_IF_ERROR(c.OnlyKeys(tt, tw, {"add_tags", "set_priority", "route_group", "emit"}));
  RETURN_IF_ERROR(ParseStringList(c, tt, tw, "add_tags", &r->add_tags));
  RETURN_IF_ERROR(c.Get(tt, tw, "set_priority", &r->set_priority));
  RETURN_IF_ERROR(c.Get(tt, tw, "route_group", &r->route_group));
  std::string emit;
  RETURN_IF_ERROR(c.Get(tt, tw, "emit", &emit));
  if (!r->set_priority.empty() && !IsPriorityWord(r->set_priority)) {
    return c.Fail(
        tt.get("set_priority"), tw + ".set_priority",
        fmt::format("\"{}\" is not a priority (low, normal, high, urgent)", r->set_priority));
  }
  for (const std::string& tag : r->add_tags) {
    if (tag.empty()) return c.Fail(tt.get("add_tags"), tw + ".add_tags", "tags must not be empty");
  }
  if (tt.get("route_group") && r->route_group.empty()) {
    return c.Fail(tt.get("route_group"), tw + ".route_group", "must name a group");
  }
  if (tt.get("emit") && emit != "ticket.escalated") {
    return c.Fail(tt.get("emit"), tw + ".emit",
                  "the only event a rule emits is \"ticket.escalated\"");
  }
  r->escalate = !emit.empty();
  if (r->add_tags.empty() && r->set_priority.empty() && r->route_group.empty() && !r->escalate) {
    return c.Fail(th, tw, "names no action: add_tags, set_priority, route_group or emit");
  }
  return Status::Ok();
}

Status ParseDestination(Checker& c, const toml::table& t, int index, DestinationConfig* d) {
  const std::string where = fmt::format("destination[{}]", index);
  d->line = static_cast<int>(t.source().begin.line);
  RETURN_IF_ERROR(c.OnlyKeys(
      t, where,
      {"name", "url", "format", "secret_env", "secret_file", "events", "max_attempts", "timeout_ms",
       "retry_s", "rate_limit_per_s", "circuit_failures", "circuit_open_s"}));
  RETURN_IF_ERROR(c.Get(t, where, "name", &d->name));
  RETURN_IF_ERROR(c.Get(t, where, "url", &d->url));
  RETURN_IF_ERROR(c.Get(t, where, "format", &d->format));
  RETURN_IF_ERROR(c.Secret(t, where, "secret", &d->secret));
  RETURN_IF_ERROR(ParseStringList(c, t, where, "events", &d->events));
  RETURN_IF_ERROR(c.Get(t, where, "max_attempts", &d->max_attempts));
  RETURN_IF_ERROR(c.Get(t, where, "timeout_ms", &d->timeout_ms));
  if (!IsValidSourceName(d->name)) {
    return c.Fail(t.get("name") ? t.get("name") : &t, where + ".name",
                  "is required: 1-64 letters, digits, '-', '_' or '.'");
  }
  if (d->url.rfind("http://", 0) != 0 && d->url.rfind("https://", 0) != 0) {
    return c.Fail(t.get("url") ? t.get("url") : &t, where + ".url",
                  "is required: an http:// or https:// URL");
  }
  if (d->format != "standard" && d->format != "slack") {
    return c.Fail(t.get("format"), where + ".format", "must be \"standard\" or \"slack\"");
  }
  if (d->format == "standard" && !d->secret) {
    return c.Fail(&t, where + ".secret_env",
                  "format \"standard\" signs every delivery: set secret_env or secret_file to a "
                  "whsec_... secret");
  }
  if (d->events.empty()) {
    return c.Fail(&t, where + ".events",
                  "is required: the event types to deliver, e.g. [\"sla.breached\"]");
  }
  RETURN_IF_ERROR(c.Get(t, where, "circuit_failures", &d->circuit_failures));
  RETURN_IF_ERROR(c.Get(t, where, "circuit_open_s", &d->circuit_open_s));
  RETURN_IF_ERROR(c.Number(t, where, "rate_limit_per_s", 0.01, 100000,
                           "must be a number between 0.01 and 100000", &d->rate_limit_per_s));
  if (d->circuit_failures < 1 || d->circuit_failures > 1000) {
    return c.Fail(t.get("circuit_failures"), where + ".circuit_failures",
                  "must be between 1 and 1000");
  }
  if (d->circuit_open_s < 1 || d->circuit_open_s > 86400) {
    return c.Fail(t.get("circuit_open_s"), where + ".circuit_open_s",
                  "must be between 1 and 86400 seconds");
  }
  if (d->max_attempts < 1 || d->max_attempts > 100) {
    return c.Fail(t.get("max_attempts"), where + ".max_attempts", "must be between 1 and 100");
  }
  if (d->timeout_ms < 100 || d->timeout_ms > 120000) {
    return c.Fail(t.get("timeout_ms"), where + ".timeout_ms", "must be between 100 and 120000");
  }
  if (const toml::node* n = t.get("retry_s")) {
    d->retry_s.clear();
    if (n->is_array()) {
      for (const toml::node& v : *n->as_array()) {
        if (!v.is_integer() || v.as_integer()->get() < 1) {
          d->retry_s.clear();
          break;
        }
        d->retry_s.push_back(v.as_integer()->get());
      }
    }
    if (d->retry_s.empty()) {
      return c.Fail(n, where + ".retry_s",
                    "must be a non-empty list of whole seconds >= 1, e.g. [5, 300, 1800]");
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsLoopbackListen(std::string_view listen) {
  const std::string_view host = listen.substr(0, listen.rfind(':'));
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host == "::1" ||
         host.rfind("127.", 0) == 0;
}

const SourceConfig* Config::FindSource(std::string_view name) const {
  for (const auto& s : sources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool IsMappableField(std::string_view f) {
  static constexpr std::string_view kFields[] = {
      "id",
      "type",
      "occurred_at",
      "sequence",
      "ticket.id",
      "ticket.status",
      "ticket.priority",
      "ticket.channel",
      "ticket.subject",
      "ticket.group",
      "ticket.assignee",
      "ticket.requester",
      "ticket.organization",
      "ticket.brand",
      "ticket.tags",
      "ticket.custom_fields",
      "message.id",
      "message.author",
      "message.author_role",
      "message.public",
      "message.body",
      "message.channel",
      "customer.id",
      "customer.email",
      "customer.name",
      "customer.phone",
      "customer.organization",
      "customer.tier",
      "customer.external_id",
      "agent.id",
      "agent.name",
      "agent.email",
      "agent.group",
      "csat.rating",
      "csat.comment",
      "order.id",
      "order.status",
      "order.amount",
      "order.currency",
      "order.items",
      "return.id",
      "return.order_id",
      "return.status",
      "return.amount",
      "return.currency",
      "return.items",
      "return.reason",
      "subscription.id",
      "subscription.status",
      "subscription.plan",
      "subscription.amount",
      "subscription.currency",
      "account.id",
      "account.status",
      "account.plan",
  };
  return std::find(std::begin(kFields), std::end(kFields), f) != std::end(kFields);
}

bool IsValidSourceName(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (char ch : n) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.')) {
      return false;
    }
  }
  return true;
}

const std::vector<std::string>& SupportedVendors() {
  static const std::vector<std::string> kVendors = {
      "zendesk", "intercom", "freshdesk", "hubspot", "front",   "helpscout",
      "gorgias", "slack",    "standard",  "github",  "generic", "canonical"};
  return kVendors;
}

Config DefaultConfig() { return Config(); }

Result<Config> ParseConfig(std::string_view text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(std::string(e.description()),
                           fmt::format("{}:{}", path, e.source().begin.line));
  }
  Checker c(path);
  Config cfg;
  cfg.path = path;
  RETURN_IF_ERROR(c.OnlyKeys(
      root, "",
      {"server", "storage", "source", "reporting", "schedule", "sla_policy", "destination", "rule",
       "delivery", "surge", "privacy", "retention", "alerts", "identity"}));
  if (const toml::node* n = root.get("server")) {
    if (!n->is_table()) return c.Fail(n, "server", "must be a table: [server]");
    RETURN_IF_ERROR(ParseServer(c, *n->as_table(), &cfg.server));
  }
  if (cfg.server.tls_cert_file.empty() && !cfg.server.allow_plain_http &&
      !IsLoopbackListen(cfg.server.listen)) {
    const toml::node* n = root.get("server");
    return c.Fail(n && n->is_table() ? n->as_table()->get("listen") : nullptr, "server.listen",
                  "plain HTTP off loopback carries tokens and personal data in clear: set "
                  "tls_cert_file and tls_key_file, or allow_plain_http = true behind a "
                  "TLS-terminating proxy");
  }
  if (const toml::node* n = root.get("storage")) {
    if (!n->is_table()) return c.Fail(n, "storage", "must be a table: [storage]");
    RETURN_IF_ERROR(ParseStorage(c, *n->as_table(), &cfg.storage));
  }
  if (const toml::node* n = root.get("source")) {
    if (!n->is_array_of_tables()) return c.Fail(n, "source", "must be written [[source]]");
    int i = 0;
    std::set<std::string> names;
    for (const toml::node& item : *n->as_array()) {
      SourceConfig s;
      RETURN_IF_ERROR(ParseSource(c, *item.as_table(), i, &s));
      if (!names.insert(s.name).second) {
        return c.Fail(&item, fmt::format("source[{}].name", i),
                      fmt::format("source \"{}\" is declared twice", s.name));
      }
      if (s.auth_none && !IsLoopbackListen(cfg.server.listen)) {
        return c.Fail(&item, fmt::format("source[{}].auth", i),
                      "auth = \"none\" is refused unless server.listen is a loopback address");
      }
      cfg.sources.push_back(std::move(s));
      ++i;
    }
  }
  RETURN_IF_ERROR(ParseTables(c, root, "schedule", ParseSchedule, &cfg.schedules));
  RETURN_IF_ERROR(ParseTables(c, root, "sla_policy", ParseSlaPolicy, &cfg.sla_policies));
  RETURN_IF_ERROR(ParseTables(c, root, "destination", ParseDestination, &cfg.destinations));
  RETURN_IF_ERROR(ParseTables(c, root, "rule", ParseRule, &cfg.rules));
  if (const toml::node* n = root.get("surge")) {
    if (!n->is_table()) return c.Fail(n, "surge", "must be a table: [surge]");
    const toml::table& t = *n->as_table();
    SurgeConfig& s = cfg.surge;
    RETURN_IF_ERROR(c.OnlyKeys(t, "surge",
                               {"dimensions", "bucket_s", "half_life_buckets", "threshold",
                                "min_count", "cooldown_buckets", "settle_s"}));
    RETURN_IF_ERROR(ParseStringList(c, t, "surge", "dimensions", &s.dimensions));
    RETURN_IF_ERROR(c.Get(t, "surge", "bucket_s", &s.bucket_s));
    RETURN_IF_ERROR(c.Get(t, "surge", "min_count", &s.min_count));
    RETURN_IF_ERROR(c.Get(t, "surge", "cooldown_buckets", &s.cooldown_buckets));
    RETURN_IF_ERROR(c.Get(t, "surge", "settle_s", &s.settle_s));
    for (const auto& [key, out] :
         {std::pair<const char*, double*>{"half_life_buckets", &s.half_life_buckets},
          {"threshold", &s.threshold}}) {
      if (const toml::node* v = t.get(key)) {
        const std::optional<double> d = v->value<double>();
        if (!d || !(*d > 0)) return c.Fail(v, Checker::Join("surge", key), "must be a number > 0");
        *out = *d;
      }
    }
    for (const std::string& d : s.dimensions) {
      if (d != "channel" && d != "tags" && d != "group") {
        return c.Fail(t.get("dimensions"), "surge.dimensions",
                      fmt::format("\"{}\" is not a dimension (channel, tags, group)", d));
      }
    }
    if (s.bucket_s < 10 || s.bucket_s > 86400) {
      return c.Fail(t.get("bucket_s"), "surge.bucket_s", "must be between 10 and 86400 seconds");
    }
    if (s.min_count < 1) return c.Fail(t.get("min_count"), "surge.min_count", "must be >= 1");
    if (s.cooldown_buckets < 0 || s.settle_s < 0) {
      return c.Fail(&t, "surge", "cooldown_buckets and settle_s must be >= 0");
    }
  }
  if (const toml::node* n = root.get("identity")) {
    if (!n->is_table()) return c.Fail(n, "identity", "must be a table: [identity]");
    const toml::table& t = *n->as_table();
    RETURN_IF_ERROR(c.OnlyKeys(t, "identity", {"match_on", "default_country_code"}));
    RETURN_IF_ERROR(ParseStringList(c, t, "identity", "match_on", &cfg.identity.match_on));
    for (const std::string& k : cfg.identity.match_on) {
      if (k != "email" && k != "verified_email" && k != "phone" && k != "external_id") {
        return c.Fail(t.get("match_on"), "identity.match_on",
                      fmt::format("\"{}\" is not a match key (email, verified_email, phone, "
                                  "external_id)",
                                  k));
      }
    }
    RETURN_IF_ERROR(
        c.Get(t, "identity", "default_country_code", &cfg.identity.default_country_code));
    const std::string& cc = cfg.identity.default_country_code;
    if (!cc.empty() && (cc.size() > 3 || cc.find_first_not_of("0123456789") != std::string::npos)) {
      return c.Fail(t.get("default_country_code"), "identity.default_country_code",
                    "must be a country calling code of 1-3 digits, e.g. \"47\"");
    }
  }
  if (const toml::node* n = root.get("alerts")) {
    if (!n->is_table()) return c.Fail(n, "alerts", "must be a table: [alerts]");
    const toml::table& t = *n->as_table();
    AlertsConfig& a = cfg.alerts;
    RETURN_IF_ERROR(c.OnlyKeys(t, "alerts",
                               {"check_interval_s", "window_s", "freshness_lag_s", "error_rate",
                                "error_min_requests", "dead_letter_growth", "destination_down_s"}));
    for (const auto& [key, out] :
         {std::pair<const char*, int64_t*>{"check_interval_s", &a.check_interval_s},
          {"window_s", &a.window_s},
          {"freshness_lag_s", &a.freshness_lag_s},
          {"error_min_requests", &a.error_min_requests},
          {"dead_letter_growth", &a.dead_letter_growth},
          {"destination_down_s", &a.destination_down_s}}) {
      RETURN_IF_ERROR(c.Get(t, "alerts", key, out));
      if (*out < 0 || *out > 30 * 86400) {
        return c.Fail(t.get(key), Checker::Join("alerts", key),
                      "must be from 0 to 2592000 (0 turns the check off)");
      }
    }
    if (a.check_interval_s < 1 || a.window_s < 1) {
      return c.Fail(&t, "alerts", "check_interval_s and window_s must be >= 1 second");
    }
    RETURN_IF_ERROR(c.Number(t, "alerts", "error_rate", 0, 1,
                             "must be a share from 0 to 1 (0 turns the check off)", &a.error_rate));
  }
  if (const toml::node* n = root.get("retention")) {
    if (!n->is_table()) return c.Fail(n, "retention", "must be a table: [retention]");
    const toml::table& t = *n->as_table();
    RetentionConfig& r = cfg.retention;
    RETURN_IF_ERROR(c.OnlyKeys(t, "retention", {"raw_days", "messages_days", "dlq_days"}));
    for (const auto& [key, out] : {std::pair<const char*, int64_t*>{"raw_days", &r.raw_days},
                                   {"messages_days", &r.messages_days},
                                   {"dlq_days", &r.dlq_days}}) {
      RETURN_IF_ERROR(c.Get(t, "retention", key, out));
      if (*out < 0 || *out > 36500) {
        return c.Fail(t.get(key), Checker::Join("retention", key),
                      "must be a number of days from 1 to 36500 (0 = keep forever)");
      }
    }
  }
  if (const toml::node* n = root.get("privacy")) {
    if (!n->is_table()) return c.Fail(n, "privacy", "must be a table: [privacy]");
    const toml::table& t = *n->as_table();
    PrivacyConfig& p = cfg.privacy;
    p.line = static_cast<int>(t.source().begin.line);
    RETURN_IF_ERROR(
        c.OnlyKeys(t, "privacy",
                   {"redact", "pseudonymize_customer_email", "pseudonym_key_env",
                    "pseudonym_key_file", "encryption_key_file", "previous_key_files", "consent"}));
    if (const toml::node* cn = t.get("consent")) {
      if (!cn->is_table()) {
        return c.Fail(cn, "privacy.consent", "must be tables: [privacy.consent.<purpose>]");
      }
      for (auto&& [purpose, node] : *cn->as_table()) {
        const std::string where = "privacy.consent." + std::string(purpose.str());
        if (!node.is_table()) return c.Fail(&node, where, "must be a table");
        const toml::table& r = *node.as_table();
        RETURN_IF_ERROR(c.OnlyKeys(r, where, {"default", "without", "destinations"}));
        ConsentRule rule;
        rule.purpose = std::string(purpose.str());
        for (char& ch : rule.purpose)
          ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        rule.line = static_cast<int>(r.source().begin.line);
        std::string def = "withheld";
        RETURN_IF_ERROR(c.Get(r, where, "default", &def));
        if (def != "granted" && def != "withheld") {
          return c.Fail(r.get("default"), where + ".default",
                        "must be \"granted\" or \"withheld\"");
        }
        rule.default_granted = def == "granted";
        std::vector<std::string> without;
        RETURN_IF_ERROR(ParseStringList(c, r, where, "without", &without));
        for (const std::string& w : without) {
          if (w == "message_bodies") {
            rule.drop_message_bodies = true;
          } else if (w == "identifiers") {
            rule.drop_identifiers = true;
          } else {
            return c.Fail(r.get("without"), where + ".without",
                          fmt::format("\"{}\" is not message_bodies or identifiers", w));
          }
        }
        RETURN_IF_ERROR(ParseStringList(c, r, where, "destinations", &rule.destinations));
        for (const std::string& d : rule.destinations) {
          const bool known = std::any_of(cfg.destinations.begin(), cfg.destinations.end(),
                                         [&](const DestinationConfig& x) { return x.name == d; });
          if (!known) {
            return c.Fail(r.get("destinations"), where + ".destinations",
                          fmt::format("no [[destination]] is named \"{}\"", d));
          }
        }
        p.consent.push_back(std::move(rule));
      }
    }
    RETURN_IF_ERROR(c.Get(t, "privacy", "encryption_key_file", &p.encryption_key_file));
    RETURN_IF_ERROR(ParseStringList(c, t, "privacy", "previous_key_files", &p.previous_key_files));
    if (p.encryption_key_file.empty() && !p.previous_key_files.empty()) {
      return c.Fail(t.get("previous_key_files"), "privacy.previous_key_files",
                    "needs encryption_key_file: the current key seals new records");
    }
    RETURN_IF_ERROR(ParseStringList(c, t, "privacy", "redact", &p.redact));
    RETURN_IF_ERROR(
        c.Get(t, "privacy", "pseudonymize_customer_email", &p.pseudonymize_customer_email));
    RETURN_IF_ERROR(c.Secret(t, "privacy", "pseudonym_key", &p.pseudonym_key));
    for (const std::string& k : p.redact) {
      if (k != "email" && k != "phone" && k != "card" && k != "iban" && k != "ssn" && k != "ip") {
        return c.Fail(t.get("redact"), "privacy.redact",
                      fmt::format("\"{}\" is not a kind of personal data (email, phone, card, "
                                  "iban, ssn, ip)",
                                  k));
      }
    }
    if (p.pseudonymize_customer_email && (!p.pseudonym_key || p.pseudonym_key->size() < 16)) {
      return c.Fail(&t, "privacy.pseudonym_key_env",
                    "pseudonymize_customer_email needs a secret key of at least 16 characters "
                    "(pseudonym_key_env or pseudonym_key_file); keep it stable: a new key gives "
                    "new pseudonyms");
    }
  }
  if (const toml::node* n = root.get("delivery")) {
    if (!n->is_table()) return c.Fail(n, "delivery", "must be a table: [delivery]");
    const toml::table& t = *n->as_table();
    RETURN_IF_ERROR(c.OnlyKeys(t, "delivery", {"max_age_s"}));
    RETURN_IF_ERROR(c.Get(t, "delivery", "max_age_s", &cfg.delivery.max_age_s));
    if (cfg.delivery.max_age_s < 0) {
      return c.Fail(t.get("max_age_s"), "delivery.max_age_s", "must be >= 0");
    }
  }
  if (const toml::node* n = root.get("reporting")) {
    if (!n->is_table()) return c.Fail(n, "reporting", "must be a table: [reporting]");
    const toml::table& t = *n->as_table();
    RETURN_IF_ERROR(c.OnlyKeys(t, "reporting", {"time_zone", "default_schedule"}));
    RETURN_IF_ERROR(c.Get(t, "reporting", "time_zone", &cfg.reporting.time_zone));
    RETURN_IF_ERROR(c.Get(t, "reporting", "default_schedule", &cfg.reporting.default_schedule));
    const std::string& d = cfg.reporting.default_schedule;
    bool known = d == "always";
    for (const auto& sc : cfg.schedules) known = known || sc.name == d;
    if (!known) {
      return c.Fail(t.get("default_schedule"), "reporting.default_schedule",
                    fmt::format("names no [[schedule]] (\"{}\"); use \"always\" or a "
                                "schedule's name",
                                d));
    }
  }
  return cfg;
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound(fmt::format("cannot read config file {}", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path);
}

}  // namespace supportpipe
