// `supportpipe token create | list | revoke` and `supportpipe audit list | verify`.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/table.h"
#include "common/clock.h"
#include "server/backends.h"
#include "server/erasure.h"
#include "server/retention.h"

namespace supportpipe::cli {
namespace {

std::string Time(const std::optional<TimeMicros>& t) { return t ? FormatRfc3339(*t) : ""; }

// The security store, after the command's audit entry (none when `action` is empty).
Result<std::unique_ptr<security::Store>> Open(const StorageFlags& flags, std::string_view action,
                                              std::string target) {
  Result<Config> cfg = action.empty() ? ResolveConfig(flags)
                                      : ResolveConfigAudited(flags, action, std::move(target));
  if (!cfg.ok()) return cfg.status();
  return server::OpenSecurityStore(cfg->storage);
}

// What retention and erasure work on: the log, the warehouse (writable) and the security store.
struct Stores {
  std::unique_ptr<log::EventLog> log;
  std::unique_ptr<warehouse::Warehouse> warehouse;
  std::unique_ptr<security::Store> security;
};

int OpenStores(const Config& cfg, const Clock& clock, Stores* out) {
  auto log = server::OpenEventLog(cfg);
  if (!log.ok()) return Fail("cannot open the log", log.status());
  auto wh = server::OpenWarehouse(cfg.storage, clock, /*read_only=*/false);
  if (!wh.ok()) return Fail("cannot open the warehouse", wh.status());
  auto store = server::OpenSecurityStore(cfg.storage);
  if (!store.ok()) return Fail("cannot open the security store", store.status());
  *out = {std::move(log).value(), std::move(wh).value(), std::move(store).value()};
  return kExitOk;
}

}  // namespace

int RunTokenCreate(const TokenFlags& flags) {
  for (const std::string& s : flags.scopes) {
    if (Status st = security::ValidateScope(s); !st.ok()) return Fail("token create", st);
  }
  if (flags.expires_days < 0 || flags.expires_days > 3650) {
    return Fail("token create", InvalidArgument("must be 1 to 3650 (0 = never)", "--expires-days"));
  }
  SystemClock clock;
  const TimeMicros now = clock.Now();
  const std::optional<TimeMicros> expires =
      flags.expires_days ? std::optional<TimeMicros>(now + flags.expires_days * 86400 * 1000000LL)
                         : std::nullopt;
  security::NewToken t = security::MakeToken(flags.name, flags.scopes, expires, now);
  auto store = Open(flags.storage, "token.create", "token " + t.token.id + " (" + flags.name + ")");
  if (!store.ok()) return Fail("cannot open the security store", store.status());
  if (Status st = (*store)->CreateToken(t.token); !st.ok()) return Fail("token create", st);
  std::fprintf(stderr,
               "token %s \"%s\" created with scopes %s%s. It is shown once, here; only its hash "
               "is kept:\n",
               t.token.id.c_str(), flags.name.c_str(),
               fmt::format("{}", fmt::join(flags.scopes, ",")).c_str(),
               expires ? (", expiring " + FormatRfc3339(*expires)).c_str() : "");
  std::printf("%s\n", t.text.c_str());
  return kExitOk;
}

int RunTokenList(const TokenFlags& flags) {
  auto store = Open(flags.storage, "token.list", "");
  if (!store.ok()) return Fail("cannot open the security store", store.status());
  auto all = (*store)->ListTokens();
  if (!all.ok()) return Fail("token list", all.status());
  warehouse::QueryResult t;
  t.columns = {"id", "name", "scopes", "created_at", "expires_at", "revoked_at"};
  for (const security::Token& k : *all) {
    t.rows.push_back({TextCell(k.id), TextCell(k.name),
                      TextCell(fmt::format("{}", fmt::join(k.scopes, ","))),
                      TextCell(FormatRfc3339(k.created_at)), TextCell(Time(k.expires_at)),
                      TextCell(Time(k.revoked_at))});
  }
  PrintTable(t, flags.format);
  return kExitOk;
}

int RunTokenRevoke(const TokenFlags& flags) {
  auto store = Open(flags.storage, "token.revoke", "token " + flags.id);
  if (!store.ok()) return Fail("cannot open the security store", store.status());
  SystemClock clock;
  auto done = (*store)->RevokeToken(flags.id, clock.Now());
  if (!done.ok()) return Fail("token revoke", done.status());
  if (!*done) return Fail("token revoke", NotFound("no active token with id " + flags.id));
  std::printf("token %s revoked: the running server refuses it from its next request\n",
              flags.id.c_str());
  return kExitOk;
}

int RunAuditList(const AuditFlags& flags) {
  auto store = Open(flags.storage, "audit.list", "after " + std::to_string(flags.after));
  if (!store.ok()) return Fail("cannot open the security store", store.status());
  auto page = (*store)->ListAudit(flags.after, flags.limit);
  if (!page.ok()) return Fail("audit list", page.status());
  warehouse::QueryResult t;
  t.columns = {"seq", "at", "actor", "action", "target", "outcome"};
  for (const security::AuditEntry& e : *page) {
    t.rows.push_back({IntCell(e.seq), TextCell(FormatRfc3339(e.at)), TextCell(e.actor),
                      TextCell(e.action), TextCell(e.target), TextCell(e.outcome)});
  }
  t.truncated = page->size() == flags.limit;
  PrintTable(t, flags.format);
  return kExitOk;
}

int RunAuditVerify(const AuditFlags& flags) {
  auto store = Open(flags.storage, "", "");
  if (!store.ok()) return Fail("cannot open the security store", store.status());
  auto check = security::VerifyAudit(**store);
  if (!check.ok()) return Fail("audit verify", check.status());
  if (check->first_bad) {
    std::fprintf(stderr,
                 "audit log BROKEN: %s. %lld entries before it verify (last good hash %s).\n",
                 check->reason.c_str(), static_cast<long long>(check->entries),
                 check->head.empty() ? "-" : check->head.c_str());
    return kExitFailure;
  }
  std::printf("audit log OK: %lld entries, chain intact, head %s\n",
              static_cast<long long>(check->entries),
              check->head.empty() ? "-" : check->head.c_str());
  return kExitOk;
}

int RunRetention(const RetentionFlags& flags) {
  auto cfg = ResolveConfigAudited(flags.storage, "retention.run", "");
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  if (!cfg->retention.enabled()) {
    std::printf("no [retention] days are configured: nothing is ever purged\n");
    return kExitOk;
  }
  SystemClock clock;
  Stores st;
  if (int rc = OpenStores(*cfg, clock, &st); rc != kExitOk) return rc;
  observe::Registry metrics;
  server::Retention retention(cfg->retention, *st.log, *st.warehouse, *st.security, clock, metrics);
  auto p = retention.Run(CliActor());
  if (!p.ok()) return Fail("retention", p.status());
  std::printf(
      "purged %lld raw records, %lld message texts in the event log, %lld in the warehouse, "
      "%lld dead letters\n",
      static_cast<long long>(p->raw), static_cast<long long>(p->log_messages),
      static_cast<long long>(p->warehouse_messages), static_cast<long long>(p->dead_letters));
  return kExitOk;
}

int RunErase(const EraseFlags& flags) {
  if (!flags.customer.empty() + !flags.email.empty() + !flags.person.empty() != 1) {
    return Fail(
        "erase",
        InvalidArgument("give one of --customer ID, --email ADDRESS or --person KEY", "erase"));
  }
  // The audit entry names the erasure, never the person.
  auto cfg = ResolveConfigAudited(flags.storage, "erase.request",
                                  !flags.person.empty()    ? "by person"
                                  : flags.customer.empty() ? "by email"
                                                           : "by customer id");
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  SystemClock clock;
  Stores st;
  if (int rc = OpenStores(*cfg, clock, &st); rc != kExitOk) return rc;
  server::Eraser eraser(*cfg, *st.log, *st.warehouse, *st.security, clock);
  auto receipt = eraser.Erase({.customer_id = flags.customer,
                               .email = flags.email,
                               .person = flags.person,
                               .source = flags.source},
                              CliActor());
  if (!receipt.ok()) return Fail("erase", receipt.status());
  std::printf("%s\n", receipt->Json().c_str());
  return kExitOk;
}

}  // namespace supportpipe::cli
