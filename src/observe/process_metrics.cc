// process_* series read from /proc/self when /metrics is rendered (Linux).
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "observe/metrics.h"

namespace supportpipe::observe {
namespace {

// Fields of /proc/self/stat after the command name (field 3 onwards), or empty.
std::vector<std::string> StatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos) return {};
  std::istringstream rest(line.substr(paren + 1));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

double Field(size_t field_number) {  // numbered as in proc(5)
  const std::vector<std::string> f = StatFields();
  const size_t i = field_number - 3;
  return i < f.size() ? std::stod(f[i]) : -1.0;
}

double OpenFds() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  double n = 0;
  while (const dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n - 1;  // the directory handle itself
}

}  // namespace

void RegisterProcessMetrics(Registry& registry) {
  static const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  registry.AddGauge("process_resident_memory_bytes", "Resident memory size in bytes.", {},
                    [] { return Field(24) * page; });
  registry.AddGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", {},
                    [] { return Field(23); });
  registry.AddGauge("process_open_fds", "Number of open file descriptors.", {}, OpenFds);
  registry.AddGauge("process_max_fds", "Maximum number of open file descriptors.", {}, [] {
    rlimit r{};
    return getrlimit(RLIMIT_NOFILE, &r) == 0 ? static_cast<double>(r.rlim_cur) : -1.0;
  });
  registry.AddCounterFunc("process_cpu_seconds_total", "User and system CPU time in seconds.", {},
                          [] { return (Field(14) + Field(15)) / ticks; });
  const double started =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  registry.AddGauge("process_start_time_seconds",
                    "Start time of the process since the Unix epoch in seconds.", {},
                    [started] { return started; });
}

}  // namespace supportpipe::observe
