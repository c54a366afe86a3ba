#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <fstream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "common/clock.h"
#include "delivery/dispatcher.h"
#include "server/server.h"
#include "sources/registry.h"
#include "support/policies.h"

namespace supportpipe::cli {

int RunServe(const ServeFlags& flags) {
  // Block the stop signals before any thread starts, so every thread inherits the mask
  // and only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto cfg = ResolveConfig(flags.storage);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  Config config = std::move(cfg).value();
  if (!flags.listen.empty()) config.server.listen = flags.listen;
  if (config.server.tls_cert_file.empty() && !config.server.allow_plain_http &&
      !IsLoopbackListen(config.server.listen)) {
    return Fail("configuration",
                InvalidArgument("plain HTTP off loopback: set server.tls_cert_file and "
                                "tls_key_file, or allow_plain_http = true behind a TLS proxy",
                                "--listen " + config.server.listen));
  }

  SystemClock clock;
  const server::Role role = flags.role == "intake"   ? server::Role::kIntake
                            : flags.role == "worker" ? server::Role::kWorker
                                                     : server::Role::kAll;
  auto server = server::Server::Start(config, clock, role);
  if (!server.ok()) return Fail("cannot start", server.status());
  const uint16_t port = (*server)->port();
  const std::string host = config.server.listen.substr(0, config.server.listen.rfind(':'));
  spdlog::info(
      "supportpipe listening on {0}://{1}:{2} (role {4}, data in {3}); dashboard at "
      "{0}://{1}:{2}/",
      config.server.tls_cert_file.empty() ? "http" : "https", host, port, config.storage.data_dir,
      flags.role);
  if (config.sources.empty()) {
    spdlog::info(
        "no [[source]] configured: POST canonical events to /v1/events, or add a "
        "webhook source to supportpipe.toml (see docs/config.md)");
  }
  if (!flags.ready_file.empty()) {
    std::ofstream(flags.ready_file + ".tmp") << port << "\n";
    std::rename((flags.ready_file + ".tmp").c_str(), flags.ready_file.c_str());
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("received {}, stopping: finishing queued appends",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->Stop();
  spdlog::info("stopped");
  return kExitOk;
}

int RunCheckConfig(const std::string& path) {
  auto cfg = LoadConfigFile(path);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  // What serve builds from the config: each source's verifier, mapping and contract.
  for (const auto& s : cfg->sources) {
    if (auto v = sources::MakeVerifier(s); !v.ok()) return Fail("configuration", v.status());
  }
  if (auto d = sources::DecoderSet::Create(cfg->sources); !d.ok()) {
    return Fail("configuration", d.status());
  }
  if (auto policies = support::Policies::Create(*cfg); !policies.ok()) {
    return Fail("configuration", policies.status());
  }
  if (Status st = server::Worker::Validate(*cfg); !st.ok()) return Fail("configuration", st);
  std::printf("%s: OK (listen %s, data in %s, %zu source%s)\n", path.c_str(),
              cfg->server.listen.c_str(), cfg->storage.data_dir.c_str(), cfg->sources.size(),
              cfg->sources.size() == 1 ? "" : "s");
  for (const auto& s : cfg->sources) {
    std::string auth;
    auto count = [&](size_t n, const char* what) {
      if (n) auth += fmt::format("{}{} {}{}", auth.empty() ? "" : ", ", n, what, n == 1 ? "" : "s");
    };
    count(s.secrets.size(), "signing secret");
    count(s.tokens.size(), "token");
    count(s.basic_auth.size(), "basic-auth credential");
    if (s.auth_none) auth = "no credential (loopback only)";
    std::printf("  source %-24s vendor %-10s %s%s%s\n", s.name.c_str(), s.vendor.c_str(),
                auth.c_str(), s.mapping.empty() ? "" : ", mapping",
                s.api_url.empty() ? "" : ", API sync");
  }
  for (const auto& sc : cfg->schedules) {
    std::printf("  schedule %-22s %s, %zu opening rule%s, %zu holiday%s%s\n", sc.name.c_str(),
                sc.time_zone.c_str(), sc.hours.size(), sc.hours.size() == 1 ? "" : "s",
                sc.holidays.size(), sc.holidays.size() == 1 ? "" : "s",
                sc.name == cfg->reporting.default_schedule ? " (default)" : "");
  }
  for (const auto& p : cfg->sla_policies) {
    size_t targets = 0;
    for (const auto& [metric, by_priority] : p.targets) targets += by_priority.size();
    std::printf("  sla_policy %-20s %s time, %zu target%s, warning at %g%%\n", p.name.c_str(),
                p.business_hours ? "business" : "calendar", targets, targets == 1 ? "" : "s",
                p.warning_fraction * 100);
  }
  for (const auto& r : cfg->rules) {
    std::vector<std::string> acts;
    if (!r.add_tags.empty()) acts.push_back("add tags");
    if (!r.set_priority.empty()) acts.push_back("priority " + r.set_priority);
    if (!r.route_group.empty()) acts.push_back("group " + r.route_group);
    if (r.escalate) acts.push_back("escalate");
    std::printf("  rule %-26s %s\n", r.name.c_str(),
                fmt::format("{}", fmt::join(acts, ", ")).c_str());
  }
  for (const auto& d : cfg->destinations) {
    std::printf("  destination %-19s %s, %zu event type%s, up to %lld attempts\n", d.name.c_str(),
                d.format.c_str(), d.events.size(), d.events.size() == 1 ? "" : "s",
                static_cast<long long>(d.max_attempts));
  }
  std::printf("  reporting days in %s\n", cfg->reporting.time_zone.c_str());
  return kExitOk;
}

}  // namespace supportpipe::cli
