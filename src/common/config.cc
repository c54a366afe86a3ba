#include "common/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

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

Status ParseServer(Checker& c, const toml::table& t, ServerConfig* s) {
  RETURN_IF_ERROR(c.OnlyKeys(t, "server",
                             {"listen", "max_body_bytes", "max_header_bytes", "max_pending_appends",
                              "threads", "ingest_token_env", "ingest_token_file"}));
  RETURN_IF_ERROR(c.Get(t, "server", "listen", &s->listen));
  RETURN_IF_ERROR(c.Get(t, "server", "max_body_bytes", &s->max_body_bytes));
  RETURN_IF_ERROR(c.Get(t, "server", "max_header_bytes", &s->max_header_bytes));
  RETURN_IF_ERROR(c.Get(t, "server", "max_pending_appends", &s->max_pending_appends));
  RETURN_IF_ERROR(c.Get(t, "server", "threads", &s->threads));
  RETURN_IF_ERROR(c.Secret(t, "server", "ingest_token", &s->ingest_token));
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
  if (s->threads < 1 || s->threads > 64) {
    return c.Fail(t.get("threads"), "server.threads", "must be between 1 and 64");
  }
  return Status::Ok();
}

Status ParseStorage(Checker& c, const toml::table& t, StorageConfig* s) {
  RETURN_IF_ERROR(c.OnlyKeys(t, "storage", {"data_dir", "log", "warehouse"}));
  RETURN_IF_ERROR(c.Get(t, "storage", "data_dir", &s->data_dir));
  RETURN_IF_ERROR(c.Get(t, "storage", "log", &s->log));
  RETURN_IF_ERROR(c.Get(t, "storage", "warehouse", &s->warehouse));
  if (s->data_dir.empty())
    return c.Fail(t.get("data_dir"), "storage.data_dir", "must not be empty");
  if (s->log != "sqlite") {
    return c.Fail(t.get("log"), "storage.log", "this build supports only \"sqlite\"");
  }
  if (s->warehouse != "sqlite") {
    return c.Fail(t.get("warehouse"), "storage.warehouse", "this build supports only \"sqlite\"");
  }
  return Status::Ok();
}

Status ParseSource(Checker& c, const toml::table& t, int index, SourceConfig* s) {
  const std::string where = fmt::format("source[{}]", index);
  s->line = static_cast<int>(t.source().begin.line);
  RETURN_IF_ERROR(
      c.OnlyKeys(t, where,
                 {"name", "vendor", "secret_env", "secret_file", "secret2_env", "secret2_file",
                  "token_env", "token_file", "token2_env", "token2_file", "tolerance_s"}));
  RETURN_IF_ERROR(c.Get(t, where, "name", &s->name));
  RETURN_IF_ERROR(c.Get(t, where, "vendor", &s->vendor));
  RETURN_IF_ERROR(c.Get(t, where, "tolerance_s", &s->tolerance_s));
  if (!IsValidSourceName(s->name)) {
    return c.Fail(t.get("name") ? t.get("name") : &t, where + ".name",
                  "is required: 1-64 characters of letters, digits, '-', '_' or '.'");
  }
  bool known = false;
  for (const auto& v : SupportedVendors()) known = known || v == s->vendor;
  if (!known) {
    return c.Fail(t.get("vendor") ? t.get("vendor") : &t, where + ".vendor",
                  fmt::format("\"{}\" is not a vendor this build supports (supported: standard, "
                              "canonical)",
                              s->vendor));
  }
  if (s->tolerance_s < 1 || s->tolerance_s > 86400) {
    return c.Fail(t.get("tolerance_s"), where + ".tolerance_s", "must be between 1 and 86400");
  }
  // standard: signing secrets; canonical: bearer tokens. Both allow two during rotation.
  const std::string base = s->vendor == "standard" ? "secret" : "token";
  const std::string other = s->vendor == "standard" ? "token" : "secret";
  for (const char* suffix : {"_env", "_file", "2_env", "2_file"}) {
    if (const toml::node* n = t.get(other + suffix)) {
      return c.Fail(
          n, where + "." + other + suffix,
          fmt::format("vendor \"{}\" authenticates with {}_env / {}_file", s->vendor, base, base));
    }
  }
  std::optional<std::string> first, second;
  RETURN_IF_ERROR(c.Secret(t, where, base, &first));
  RETURN_IF_ERROR(c.Secret(t, where, base + "2", &second));
  if (!first) {
    return c.Fail(&t, where + "." + base + "_env",
                  fmt::format("source \"{}\" needs {}_env or {}_file", s->name, base, base));
  }
  s->secrets.push_back(*first);
  if (second) s->secrets.push_back(*second);
  return Status::Ok();
}

}  // namespace

const SourceConfig* Config::FindSource(std::string_view name) const {
  for (const auto& s : sources) {
    if (s.name == name) return &s;
  }
  return nullptr;
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
  static const std::vector<std::string> kVendors = {"standard", "canonical"};
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
  RETURN_IF_ERROR(c.OnlyKeys(root, "", {"server", "storage", "source"}));
  if (const toml::node* n = root.get("server")) {
    if (!n->is_table()) return c.Fail(n, "server", "must be a table: [server]");
    RETURN_IF_ERROR(ParseServer(c, *n->as_table(), &cfg.server));
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
      cfg.sources.push_back(std::move(s));
      ++i;
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
