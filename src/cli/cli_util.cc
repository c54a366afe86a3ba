#include "cli/cli_util.h"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cli/exit_codes.h"
#include "common/clock.h"
#include "server/backends.h"

namespace supportpipe::cli {

Result<Config> ResolveConfig(const StorageFlags& flags) {
  Config cfg;
  if (!flags.config_path.empty()) {
    ASSIGN_OR_RETURN(cfg, LoadConfigFile(flags.config_path));
  } else if (std::filesystem::exists("supportpipe.toml")) {
    ASSIGN_OR_RETURN(cfg, LoadConfigFile("supportpipe.toml"));
  } else {
    cfg = DefaultConfig();
  }
  if (!flags.data_dir.empty()) cfg.storage.data_dir = flags.data_dir;
  return cfg;
}

std::string CliActor() {
  const passwd* pw = ::getpwuid(::geteuid());
  return "cli:" + std::string(pw ? pw->pw_name : std::to_string(::geteuid()));
}

Result<Config> ResolveConfigAudited(const StorageFlags& flags, std::string_view action,
                                    std::string target) {
  ASSIGN_OR_RETURN(Config cfg, ResolveConfig(flags));
  auto store = server::OpenSecurityStore(cfg.storage);
  if (!store.ok())
    return Unavailable("the audit log cannot be opened: " + store.status().message());
  SystemClock clock;
  auto e = (*store)->AppendAudit({.at = clock.Now(),
                                  .actor = CliActor(),
                                  .action = std::string(action),
                                  .target = std::move(target),
                                  .outcome = "ok"});
  if (!e.ok()) return Unavailable("the audit log cannot be written: " + e.status().message());
  return cfg;
}

Result<TimeRange> ParseTimeRange(const std::string& from, const std::string& to) {
  TimeRange r;
  Result<TimeMicros> f = ParseTimeOrDate(from);
  if (!f.ok()) return InvalidArgument(f.status().message(), "--from");
  Result<TimeMicros> t = ParseTimeOrDate(to);
  if (!t.ok()) return InvalidArgument(t.status().message(), "--to");
  if (*t <= *f) return InvalidArgument("must be after --from", "--to");
  r.from = *f;
  r.to = *t;
  return r;
}

std::string Thousands(uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

Progress::Progress(std::string what, uint64_t total_units)
    : what_(std::move(what)),
      total_(total_units),
      tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void Progress::Update(uint64_t done, uint64_t count, bool force) {
  if (!tty_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? count / secs : 0;
  std::string line;
  if (total_ > 0) {
    const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    const int width = 24;
    const int filled = static_cast<int>(frac * width);
    const double eta = frac > 0 ? secs / frac - secs : 0;
    line = fmt::format("[{}{}] {:3.0f}%  {} {}  {}/s  ETA {}:{:02d}", std::string(filled, '#'),
                       std::string(width - filled, '.'), frac * 100, Thousands(count), what_,
                       Thousands(static_cast<uint64_t>(rate)), static_cast<int>(eta) / 60,
                       static_cast<int>(eta) % 60);
  } else {
    line =
        fmt::format("{} {}  {}/s", Thousands(count), what_, Thousands(static_cast<uint64_t>(rate)));
  }
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::Finish() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

int Fail(const std::string& what, const Status& status) {
  std::string msg = status.message();
  if (!status.field().empty()) msg = status.field() + ": " + msg;
  std::fprintf(stderr, "error: %s: %s\n", what.c_str(), msg.c_str());
  if (status.code() == StatusCode::kUnavailable) {
    std::fprintf(stderr, "hint: the storage is busy or unreachable; retry in a moment\n");
  }
  return ExitCodeFor(status);
}

}  // namespace supportpipe::cli
