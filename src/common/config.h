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
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace supportpipe {

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";
  int64_t max_body_bytes = 1 << 20;
  int64_t max_header_bytes = 16 * 1024;
  // Appends waiting for the group commit; beyond it intake answers 429.
  int64_t max_pending_appends = 20000;
  int threads = 2;
  // When set, POST /v1/events needs "Authorization: Bearer <token>"; when unset it is
  // open to loopback clients only.
  std::optional<std::string> ingest_token;
};

struct StorageConfig {
  std::string data_dir = "./data";
  std::string log = "sqlite";
  std::string warehouse = "sqlite";
};

struct SourceConfig {
  std::string name;
  std::string vendor;                // "standard" | "canonical"
  std::vector<std::string> secrets;  // one, or two during rotation
  int64_t tolerance_s = 300;
  int line = 0;  // where it was declared, for messages
};

struct Config {
  std::string path;  // empty for the embedded defaults
  ServerConfig server;
  StorageConfig storage;
  std::vector<SourceConfig> sources;

  const SourceConfig* FindSource(std::string_view name) const;
};

Config DefaultConfig();
Result<Config> LoadConfigFile(const std::string& path);
Result<Config> ParseConfig(std::string_view toml_text, const std::string& path_for_messages);

// 1-64 letters, digits, '-', '_' or '.': the form source names take in URLs.
bool IsValidSourceName(std::string_view name);

// The vendors this build can verify and decode.
const std::vector<std::string>& SupportedVendors();

}  // namespace supportpipe
