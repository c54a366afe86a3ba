// supportpipe: the command line. Each subcommand's flags are declared here; the work is
// in the Run* functions (cli/commands.h).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "observe/logging.h"
#include "sources/registry.h"

namespace {

using namespace supportpipe::cli;

void AddStorageFlags(CLI::App* cmd, StorageFlags* f) {
  cmd->add_option("-c,--config", f->config_path,
                  "Config file (default: ./supportpipe.toml when present, else built-in defaults)");
  cmd->add_option("--data-dir", f->data_dir, "Data directory (overrides storage.data_dir)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "supportpipe: verified, de-duplicated, replayable customer-support events, loaded into a "
      "warehouse.\nRun `supportpipe COMMAND --help` for a command's flags. Exit codes: 0 ok, 1 "
      "failure, 2 usage or config error, 3 partly rejected, 4 not found, 5 busy (retry)."};
  app.set_version_flag("--version", "supportpipe 0.1.0");
  app.require_subcommand(1);
  std::string log_format = "auto";
  app.add_option("--log-format", log_format,
                 "Log lines as json (one JSON object a line, with fields such as request_id), "
                 "text, or auto: text on a terminal, json otherwise")
      ->check(CLI::IsMember({"json", "text", "auto"}));
  app.fallthrough();  // `supportpipe serve --log-format text` works as well
  app.parse_complete_callback([&] {
    supportpipe::observe::SetupLogging(*supportpipe::observe::ParseLogFormat(log_format));
  });
  int code = kExitOk;

  ServeFlags serve;
  auto* s = app.add_subcommand("serve", "Run the HTTP intake, processor and warehouse loader");
  AddStorageFlags(s, &serve.storage);
  s->add_option("--listen", serve.listen,
                "HOST:PORT to listen on (overrides server.listen; port 0 = any)");
  s->add_option("--ready-file", serve.ready_file, "Write the bound port to this file once serving");
  s->add_option("--role", serve.role,
                "all (default): intake and the pipeline's stages; intake: only take webhooks and "
                "events into the log; worker: only run the stages (one process at a time, the "
                "worker lock's holder). See docs/deployment.md")
      ->check(CLI::IsMember({"all", "intake", "worker"}));
  s->callback([&] { code = RunServe(serve); });

  ImportFlags import;
  auto* im = app.add_subcommand(
      "import", "Import canonical events, or a helpdesk's export files (backfill history)");
  AddStorageFlags(im, &import.storage);
  im->add_option("files", import.files, "Files to import (- for stdin)")->required();
  im->add_option("-s,--source", import.source, "Source name the events belong to")->required();
  std::string formats = "What the files hold (default canonical):";
  for (const auto& f : supportpipe::sources::ExportFormats()) {
    formats += "\n  " + std::string(f.name) + ": " + std::string(f.description);
  }
  im->add_option("--format", import.format, formats);
  im->add_option("--verdicts", import.verdicts_path,
                 "Write every event's verdict as JSON lines to this file (- for stdout)");
  im->add_flag("--no-wait", import.no_wait,
               "Return once the events are durably in the log, without waiting for the warehouse");
  im->callback([&] { code = RunImport(import); });

  QueryFlags query;
  auto* q = app.add_subcommand("query", "Run a read-only SQL query against the warehouse");
  AddStorageFlags(q, &query.storage);
  q->add_option("sql", query.sql, "The SQL (SELECT or WITH ...)")->required();
  q->add_option("-f,--format", query.format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  q->add_option("--limit", query.limit, "At most this many rows (default 10000)");
  q->callback([&] { code = RunQuery(query); });

  SyncFlags sync;
  auto* sy = app.add_subcommand(
      "sync",
      "Pull a Zendesk account's tickets through its incremental export API, resuming "
      "where the last run stopped");
  AddStorageFlags(sy, &sync.storage);
  sy->add_option("-s,--source", sync.source, "A zendesk source with api_url and api_token_env")
      ->required();
  sy->add_option("--start", sync.start,
                 "First run only: export tickets changed since this time (RFC 3339 or "
                 "YYYY-MM-DD; default: all history)");
  sy->add_option("--max-pages", sync.max_pages, "Stop after this many pages (default: all)");
  sy->add_flag("--no-wait", sync.no_wait,
               "Return once the tickets are in the log, without waiting for the warehouse");
  sy->callback([&] { code = RunSync(sync); });

  ReportFlags report;
  auto* rp = app.add_subcommand(
      "report",
      "Day-by-day support summary: created, solved, reopened, backlog, first reply "
      "and resolution (median, p90), CSAT, SLA attainment");
  AddStorageFlags(rp, &report.storage);
  rp->add_option("--from", report.from, "First day, YYYY-MM-DD (in [reporting] time_zone)")
      ->required();
  rp->add_option("--to", report.to, "Day after the last, YYYY-MM-DD")->required();
  rp->add_option("-f,--format", report.format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  rp->callback([&] { code = RunReport(report); });

  RecomputeFlags recompute;
  auto* rc =
      app.add_subcommand("recompute",
                         "Re-derive every ticket's metrics and SLA rows from its stored timeline "
                         "(after changing schedules or SLA policies)");
  AddStorageFlags(rc, &recompute.storage);
  rc->callback([&] { code = RunRecompute(recompute); });

  DriftFlags drift;
  auto* dr_cmd = app.add_subcommand(
      "drift", "List fields outside each source's known shape (kept under attributes)");
  AddStorageFlags(dr_cmd, &drift.storage);
  dr_cmd->add_option("-s,--source", drift.source, "Only this source");
  dr_cmd->add_option("-f,--format", drift.format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  dr_cmd->callback([&] { code = RunDrift(drift); });

  DlqFlags dlq;
  auto* d = app.add_subcommand("dlq", "Inspect and replay the dead-letter queue");
  d->require_subcommand(1);
  auto* dl = d->add_subcommand("list", "List dead letters");
  AddStorageFlags(dl, &dlq.storage);
  dl->add_option("--state", dlq.state, "open, replayed or all (default open)");
  dl->add_option("--limit", dlq.limit, "At most this many (default 100)");
  dl->add_option("-f,--format", dlq.format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  dl->callback([&] { code = RunDlqList(dlq); });
  auto* ds = d->add_subcommand("show", "Show one dead letter with its raw record");
  AddStorageFlags(ds, &dlq.storage);
  ds->add_option("id", dlq.id, "Dead letter id")->required();
  ds->callback([&] { code = RunDlqShow(dlq); });
  auto* dr = d->add_subcommand("replay", "Re-run dead letters through today's processor");
  AddStorageFlags(dr, &dlq.storage);
  dr->add_option("id", dlq.id, "Dead letter id");
  dr->add_flag("--all", dlq.all, "Replay every open dead letter");
  dr->callback([&] { code = RunDlqReplay(dlq); });

  DeliveriesFlags deliveries;
  auto* dv = app.add_subcommand("deliveries", "Inspect and resend the destinations' deliveries");
  dv->require_subcommand(1);
  auto* dvl = dv->add_subcommand("list", "List deliveries, oldest first");
  AddStorageFlags(dvl, &deliveries.storage);
  dvl->add_option("--destination", deliveries.destination, "Only this destination");
  dvl->add_option("--state", deliveries.state, "pending, delivered, dead or skipped (default all)")
      ->check(CLI::IsMember({"pending", "delivered", "dead", "skipped"}));
  dvl->add_option("--limit", deliveries.limit, "At most this many (default 100)");
  dvl->add_option("-f,--format", deliveries.format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  dvl->callback([&] { code = RunDeliveriesList(deliveries); });
  auto* dvr = dv->add_subcommand(
      "retry", "Send a dead, skipped or delivered delivery again (same webhook-id)");
  AddStorageFlags(dvr, &deliveries.storage);
  dvr->add_option("id", deliveries.id, "Delivery id")->required();
  dvr->callback([&] { code = RunDeliveriesRetry(deliveries); });
  auto* dvp = dv->add_subcommand(
      "replay", "Send again a destination's deliveries created in a time range (same webhook-ids)");
  AddStorageFlags(dvp, &deliveries.storage);
  dvp->add_option("--destination", deliveries.destination, "Destination name")->required();
  dvp->add_option("--from", deliveries.from, "Start, inclusive (RFC 3339 or YYYY-MM-DD)")
      ->required();
  dvp->add_option("--to", deliveries.to, "End, exclusive (RFC 3339 or YYYY-MM-DD)")->required();
  dvp->callback([&] { code = RunDeliveriesReplay(deliveries); });

  ReplayFlags replay;
  auto* r =
      app.add_subcommand("replay", "Re-process a source's raw records received in a time range");
  AddStorageFlags(r, &replay.storage);
  r->add_option("--source", replay.source, "Source name")->required();
  r->add_option("--from", replay.from, "Start, inclusive (RFC 3339 or YYYY-MM-DD)")->required();
  r->add_option("--to", replay.to, "End, exclusive (RFC 3339 or YYYY-MM-DD)")->required();
  r->callback([&] { code = RunReplay(replay); });

  LineageFlags lineage;
  auto* ln = app.add_subcommand(
      "lineage", "Show where each warehouse row of a ticket came from (events, raw deliveries)");
  AddStorageFlags(ln, &lineage.storage);
  ln->add_option("--ticket", lineage.ticket, "Ticket id")->required();
  ln->add_option("--source", lineage.source, "Source name (default: any)");
  ln->add_option("-f,--format", lineage.format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  ln->callback([&] { code = RunLineage(lineage); });

  ReconcileFlags reconcile;
  auto* rcn = app.add_subcommand(
      "reconcile",
      "Compare the warehouse with the source of truth (the vendor's API or an export file) "
      "and list missing, extra and diverging tickets; --repair backfills them");
  AddStorageFlags(rcn, &reconcile.storage);
  rcn->add_option("-s,--source", reconcile.source, "The source to reconcile")->required();
  rcn->add_option("--from", reconcile.from, "Tickets created at or after (date or RFC 3339)")
      ->required();
  rcn->add_option("--to", reconcile.to, "Tickets created before (date or RFC 3339)")->required();
  rcn->add_option("--file", reconcile.file,
                  "An export file to compare with (default: the source's API, for zendesk "
                  "sources with api_url)");
  rcn->add_option("--export-format", reconcile.export_format,
                  "The file's format, as for import --format (default zendesk-tickets)");
  rcn->add_flag("--repair", reconcile.repair,
                "Backfill the missing and diverging tickets through the pipeline");
  rcn->add_option("-f,--format", reconcile.format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  rcn->callback([&] { code = RunReconcile(reconcile); });

  ProcessingReportFlags processing;
  auto* pr = app.add_subcommand(
      "processing-report",
      "Print the record of processing: which personal data comes from which sources, where it "
      "is kept and for how long, where it goes, and who can read it");
  AddStorageFlags(pr, &processing.storage);
  pr->add_option("-f,--format", processing.format, "markdown or json")
      ->check(CLI::IsMember({"markdown", "json"}));
  pr->callback([&] { code = RunProcessingReport(processing); });

  DemoFlags demo;
  auto* dm = app.add_subcommand(
      "demo",
      "Send realistic synthetic helpdesk traffic (signed webhooks, a surge, SLA breaches) to a "
      "running server; try it with examples/demo.toml");
  AddStorageFlags(dm, &demo.storage);
  dm->add_option("--url", demo.url, "The server's base URL (default: from server.listen)");
  dm->add_option("--tickets", demo.tickets, "Tickets of history over the last 15 minutes")
      ->check(CLI::Range(0, 100000));
  dm->add_option("--wait", demo.wait_s,
                 "Seconds to watch /metrics for the SLA breaches and the surge (0 = exit at once)")
      ->check(CLI::Range(0, 3600));
  dm->add_option("--seed", demo.seed, "Seed of the synthetic traffic");
  dm->callback([&] { code = RunDemo(demo); });

  StatusFlags status;
  auto* st = app.add_subcommand(
      "status", "Show the pipeline's health: server, stage lag, dead letters, outbox, freshness");
  AddStorageFlags(st, &status.storage);
  st->add_option("-f,--format", status.format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  st->callback([&] { code = RunStatus(status); });

  EraseFlags erase;
  auto* er = app.add_subcommand(
      "erase", "Erase one person's data everywhere (GDPR/CCPA) and print a receipt");
  AddStorageFlags(er, &erase.storage);
  er->add_option("--customer", erase.customer, "Their customer id");
  er->add_option("--email", erase.email, "Their email address");
  er->add_option("--person", erase.person,
                 "Their person key ([identity]; every record linked to it, in every source)");
  er->add_option("--source", erase.source, "Only this source (default: every source)");
  er->callback([&] { code = RunErase(erase); });

  RetentionFlags retention;
  auto* rt = app.add_subcommand("retention", "Purge data past its [retention] days");
  rt->require_subcommand(1);
  auto* rtr = rt->add_subcommand(
      "run", "Purge now what serve purges every hour (raw records, message texts, dead letters)");
  AddStorageFlags(rtr, &retention.storage);
  rtr->callback([&] { code = RunRetention(retention); });

  TokenFlags token;
  auto* tk = app.add_subcommand("token", "Create, list and revoke API tokens (stored as hashes)");
  tk->require_subcommand(1);
  auto* tkc = tk->add_subcommand("create", "Create a token and print it once");
  AddStorageFlags(tkc, &token.storage);
  tkc->add_option("--name", token.name, "What the token is for (shown in lists and the audit log)")
      ->required();
  tkc->add_option("--scope", token.scopes,
                  "admin, read, replay, erase, ingest:<source> or ingest:* (repeatable)")
      ->required();
  tkc->add_option("--expires-days", token.expires_days, "Days until it expires (default never)");
  tkc->callback([&] { code = RunTokenCreate(token); });
  auto* tkl = tk->add_subcommand("list", "List tokens (never their secrets)");
  AddStorageFlags(tkl, &token.storage);
  tkl->add_option("-f,--format", token.format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  tkl->callback([&] { code = RunTokenList(token); });
  auto* tkr = tk->add_subcommand("revoke", "Revoke a token by id");
  AddStorageFlags(tkr, &token.storage);
  tkr->add_option("id", token.id, "Token id (the 12 hex digits after spt_)")->required();
  tkr->callback([&] { code = RunTokenRevoke(token); });

  AuditFlags audit;
  auto* au = app.add_subcommand("audit", "Read and verify the hash-chained audit log");
  au->require_subcommand(1);
  auto* aul = au->add_subcommand("list", "List audit entries, oldest first");
  AddStorageFlags(aul, &audit.storage);
  aul->add_option("--after", audit.after, "Only entries after this seq");
  aul->add_option("--limit", audit.limit, "At most this many (default 100)");
  aul->add_option("-f,--format", audit.format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  aul->callback([&] { code = RunAuditList(audit); });
  auto* auv = au->add_subcommand(
      "verify", "Check the hash chain: exit 0 when intact, 1 naming the first bad entry");
  AddStorageFlags(auv, &audit.storage);
  auv->callback([&] { code = RunAuditVerify(audit); });

  std::string config_path = "supportpipe.toml";
  auto* cc =
      app.add_subcommand("check-config", "Check a config file and exit (0 valid, 2 invalid)");
  cc->add_option("file", config_path, "Config file (default ./supportpipe.toml)");
  cc->callback([&] { code = RunCheckConfig(config_path); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return code;
}
