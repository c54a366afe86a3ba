// Helpers shared by the subcommands: config resolution, progress display, output.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/config.h"
#include "common/status.h"
#include "common/time.h"

namespace supportpipe::cli {

// Flags every command that touches storage accepts.
struct StorageFlags {
  std::string config_path;  // "" = ./supportpipe.toml when it exists, else defaults
  std::string data_dir;     // overrides storage.data_dir when set
};

Result<Config> ResolveConfig(const StorageFlags& flags);
// The same for commands that read or change data: first records in the audit log (actor
// "cli:<user>") that this command runs, with what it is about. No record, no command.
Result<Config> ResolveConfigAudited(const StorageFlags& flags, std::string_view action,
                                    std::string target);
// The actor the audit log names for this process's user.
std::string CliActor();

struct TimeRange {
  TimeMicros from = 0, to = 0;  // [from, to)
};
// --from and --to (ParseTimeOrDate each); InvalidArgument naming the flag, or when --to is not
// after --from.
Result<TimeRange> ParseTimeRange(const std::string& from, const std::string& to);

// Prints one status line on stderr, redrawn in place at most 5 times a second, only when
// stderr is a terminal.
class Progress {
 public:
  explicit Progress(std::string what, uint64_t total_units = 0);
  // `done_units` out of total (bytes, records...); `count` is shown with `what`.
  void Update(uint64_t done_units, uint64_t count, bool force = false);
  void Finish();

 private:
  std::string what_;
  uint64_t total_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  bool drawn_ = false;
};

// "1,234,567".
std::string Thousands(uint64_t n);

// Prints "error: <what>: <status>" plus a hint on stderr, returns its exit code.
int Fail(const std::string& what, const Status& status);

}  // namespace supportpipe::cli
