// Pulling Zendesk's cursor-based incremental ticket export into the raw log.
//
//   ZendeskSync sync(log, {.source = "acme-zendesk", .api_url = "https://acme.zendesk.com",
//                          .authorization = "Basic ..."});
//   ASSIGN_OR_RETURN(SyncProgress p, sync.Run());
//
// Each page's tickets are stored as raw records (kind "export:zendesk-tickets", the same as
// `import --format zendesk-tickets`, so a sync and an import agree), then the page's
// after_cursor is stored durably under "sync:<source>:tickets". A crash between the two
// re-fetches that page, whose records are recognised as duplicates, so a sync resumes
// where it stopped and doubles nothing. 429 and 503 are retried after Retry-After; other
// 5xx and network errors with exponential backoff.
#pragma once

#include <simdjson.h>

#include <functional>
#include <string>

#include "common/status.h"
#include "intake/http_client.h"
#include "log/event_log.h"

namespace supportpipe::sync {

struct SyncOptions {
  std::string source;
  std::string api_url;        // base URL, no trailing slash needed
  std::string authorization;  // the Authorization header value
  int64_t start_time = 0;     // Unix seconds; used only when no cursor is stored yet
  int max_retries = 8;        // consecutive failures before giving up
  int64_t max_pages = 0;      // stop after this many pages (0 = until end_of_stream)
  // Injectable for tests.
  std::function<Result<intake::FetchResponse>(const intake::FetchRequest&)> fetch;
  std::function<void(int64_t seconds)> sleep;
};

struct SyncProgress {
  int64_t pages = 0;
  int64_t tickets = 0;     // items read
  int64_t stored = 0;      // new raw records
  int64_t duplicates = 0;  // already in the raw log (a repeat or a resumed page)
  int64_t waits = 0;       // rate-limit and retry waits
  // The newest updated_at among the tickets read (Unix seconds; 0 = none yet): how far
  // through the account's history the export has come.
  int64_t reached = 0;
  bool end_of_stream = false;
};

class ZendeskSync {
 public:
  ZendeskSync(log::EventLog& log, SyncOptions options);

  // Runs until end_of_stream (or max_pages). `on_page` (may be empty) is called after each
  // stored page.
  Result<SyncProgress> Run(const std::function<void(const SyncProgress&)>& on_page = {});

  // Reads (without storing, and without touching the stored cursor) every ticket the
  // export has from `from` on, until one was updated at or after `to` or the stream ends:
  // each ticket's JSON, the newest version of each ticket once. For reconciliation.
  Result<std::vector<std::string>> ReadRange(TimeMicros from, TimeMicros to);

  // The state key holding the cursor.
  static std::string StateKey(std::string_view source);

 private:
  Result<intake::FetchResponse> FetchWithRetries(const std::string& url, SyncProgress* progress);
  // One page of the export: its tickets (valid until `parser` parses again) and cursor.
  struct Page {
    simdjson::dom::array tickets;
    std::string after;
    bool end = false;
  };
  Result<Page> FetchPage(const std::string& url, simdjson::dom::parser& parser,
                         SyncProgress* progress);

  log::EventLog& log_;
  SyncOptions opt_;
};

// "Basic base64(email/token:TOKEN)" for API tokens, "Bearer TOKEN" without an email.
std::string ZendeskAuthorization(const std::string& email, const std::string& token);

}  // namespace supportpipe::sync
