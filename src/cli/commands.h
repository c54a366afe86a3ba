// The subcommands. Each returns its process exit code (cli/exit_codes.h).
#pragma once

#include <string>
#include <vector>

#include "cli/cli_util.h"

namespace supportpipe::cli {

struct ServeFlags {
  StorageFlags storage;
  std::string listen;        // overrides server.listen
  std::string ready_file;    // written with the bound port once serving
  std::string role = "all";  // all | intake | worker
};
int RunServe(const ServeFlags& flags);

struct ImportFlags {
  StorageFlags storage;
  std::vector<std::string> files;
  std::string source;
  std::string format = "canonical";  // sources::ExportFormats()
  std::string verdicts_path;         // every verdict as JSON lines, like the API's
  bool no_wait = false;              // return once appended, without waiting for the warehouse
};
int RunImport(const ImportFlags& flags);

struct SyncFlags {
  StorageFlags storage;
  std::string source;
  std::string start;      // first run only: where the export starts (default: the beginning)
  int64_t max_pages = 0;  // 0 = until caught up
  bool no_wait = false;
};
int RunSync(const SyncFlags& flags);

struct ReportFlags {
  StorageFlags storage;
  std::string from, to;  // YYYY-MM-DD, the range [from, to) in [reporting] time_zone
  std::string format = "table";
};
int RunReport(const ReportFlags& flags);

struct DeliveriesFlags {
  StorageFlags storage;
  std::string destination;  // "" = all
  std::string state;        // "" = all
  size_t limit = 100;
  std::string format = "table";
  int64_t id = 0;
  std::string from, to;  // replay: deliveries created in [from, to)
};
int RunDeliveriesList(const DeliveriesFlags& flags);
int RunDeliveriesRetry(const DeliveriesFlags& flags);
int RunDeliveriesReplay(const DeliveriesFlags& flags);

struct RecomputeFlags {
  StorageFlags storage;
};
int RunRecompute(const RecomputeFlags& flags);

struct DriftFlags {
  StorageFlags storage;
  std::string source;  // "" = every source
  std::string format = "table";
};
int RunDrift(const DriftFlags& flags);

struct QueryFlags {
  StorageFlags storage;
  std::string sql;
  std::string format = "table";  // table | csv | json
  size_t limit = 10000;
};
int RunQuery(const QueryFlags& flags);

struct DlqFlags {
  StorageFlags storage;
  std::string state = "open";  // open | replayed | all
  size_t limit = 100;
  int64_t id = 0;
  bool all = false;
  std::string format = "table";
};
int RunDlqList(const DlqFlags& flags);
int RunDlqShow(const DlqFlags& flags);
int RunDlqReplay(const DlqFlags& flags);

struct ReplayFlags {
  StorageFlags storage;
  std::string source;
  std::string from;
  std::string to;
};
int RunReplay(const ReplayFlags& flags);

struct TokenFlags {
  StorageFlags storage;
  std::string name;
  std::vector<std::string> scopes;
  int64_t expires_days = 0;  // 0 = never
  std::string id;            // revoke
  std::string format = "table";
};
int RunTokenCreate(const TokenFlags& flags);
int RunTokenList(const TokenFlags& flags);
int RunTokenRevoke(const TokenFlags& flags);

struct AuditFlags {
  StorageFlags storage;
  int64_t after = 0;
  size_t limit = 100;
  std::string format = "table";
};
int RunAuditList(const AuditFlags& flags);
int RunAuditVerify(const AuditFlags& flags);

struct LineageFlags {
  StorageFlags storage;
  std::string ticket;
  std::string source;  // "" = any source with that ticket id
  std::string format = "table";
};
int RunLineage(const LineageFlags& flags);

struct RetentionFlags {
  StorageFlags storage;
};
int RunRetention(const RetentionFlags& flags);

struct EraseFlags {
  StorageFlags storage;
  std::string customer, email, person, source;
};
int RunErase(const EraseFlags& flags);

struct StatusFlags {
  StorageFlags storage;
  std::string format = "table";
};
int RunStatus(const StatusFlags& flags);

struct ReconcileFlags {
  StorageFlags storage;
  std::string source;
  std::string from, to;
  std::string file;           // an export file; default: the source's API
  std::string export_format;  // of the file (zendesk-tickets, zendesk-csv, csv, ...)
  bool repair = false;
  std::string format = "table";
};
int RunReconcile(const ReconcileFlags& flags);

struct ProcessingReportFlags {
  StorageFlags storage;
  std::string format = "markdown";
};
int RunProcessingReport(const ProcessingReportFlags& flags);

struct DemoFlags {
  StorageFlags storage;
  std::string url;    // default: the config's server.listen
  int tickets = 120;  // tickets of history (the last quarter-hour)
  int wait_s = 90;    // how long to watch for the breaches and the surge; 0 = not at all
  uint64_t seed = 42;
};
int RunDemo(const DemoFlags& flags);

int RunCheckConfig(const std::string& path);

}  // namespace supportpipe::cli
