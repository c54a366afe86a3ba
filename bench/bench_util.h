// Helpers shared by the benchmark programs that drive a real `supportpipe serve`.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace supportpipe::bench {

// The Standard Webhooks secret the benchmarks configure and sign with (public, bench only).
inline constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// "p50 ... ms, p99 ... ms, max ... ms" of latencies in microseconds (nearest rank).
inline std::string Percentiles(std::vector<int64_t> l) {
  std::sort(l.begin(), l.end());
  auto pct = [&](double p) {
    const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(l.size())));
    return static_cast<double>(l[std::max<size_t>(rank, 1) - 1]) / 1000.0;
  };
  return fmt::format("p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms", pct(0.5), pct(0.99),
                     static_cast<double>(l.back()) / 1000.0);
}

// `binary serve --config dir/sp.toml [--role ROLE]` in the background, its log in
// dir/serve.log (dir/serve-ROLE.log with a role).
struct Served {
  pid_t pid = -1;
  int port = 0;  // 0: it did not start (and was killed)
  void Stop() const {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  }
};

inline Served Serve(const char* binary, const std::string& dir, const char* role = nullptr) {
  Served s;
  const std::string suffix = role ? std::string("-") + role : "";
  const std::string ready = dir + "/ready" + suffix;
  s.pid = fork();
  if (s.pid == 0) {
    const std::string cfg = dir + "/sp.toml";
    if (!std::freopen((dir + "/serve" + suffix + ".log").c_str(), "w", stderr)) _exit(127);
    if (role) {
      execl(binary, binary, "serve", "--config", cfg.c_str(), "--ready-file", ready.c_str(),
            "--listen", "127.0.0.1:0", "--role", role, static_cast<char*>(nullptr));
    } else {
      execl(binary, binary, "serve", "--config", cfg.c_str(), "--ready-file", ready.c_str(),
            static_cast<char*>(nullptr));
    }
    _exit(127);
  }
  for (int i = 0; i < 300 && !s.port; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream(ready) >> s.port;
  }
  if (!s.port) {
    std::fprintf(stderr, "the server did not start (see %s/serve.log)\n", dir.c_str());
    kill(s.pid, SIGKILL);
    waitpid(s.pid, nullptr, 0);
  }
  return s;
}

}  // namespace supportpipe::bench
