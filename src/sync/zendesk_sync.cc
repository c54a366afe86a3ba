#include "sync/zendesk_sync.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <chrono>
#include <map>
#include <thread>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/time.h"
#include "event/codec.h"
#include "sources/auth.h"
#include "sources/decoder.h"
#include "sources/export_reader.h"

namespace supportpipe::sync {
namespace {

constexpr std::string_view kKind = "export:zendesk-tickets";

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

std::string ZendeskAuthorization(const std::string& email, const std::string& token) {
  if (email.empty()) return "Bearer " + token;
  return "Basic " + Base64Encode(email + "/token:" + token);
}

std::string ZendeskSync::StateKey(std::string_view source) {
  return fmt::format("sync:{}:tickets", source);
}

ZendeskSync::ZendeskSync(log::EventLog& log, SyncOptions options)
    : log_(log), opt_(std::move(options)) {
  while (!opt_.api_url.empty() && opt_.api_url.back() == '/') opt_.api_url.pop_back();
  if (!opt_.fetch) opt_.fetch = intake::Fetch;
  if (!opt_.sleep) {
    opt_.sleep = [](int64_t s) { std::this_thread::sleep_for(std::chrono::seconds(s)); };
  }
}

Result<intake::FetchResponse> ZendeskSync::FetchWithRetries(const std::string& url,
                                                            SyncProgress* progress) {
  int failures = 0;
  for (;;) {
    Result<intake::FetchResponse> r = opt_.fetch(
        {.url = url,
         .headers = {{"Authorization", opt_.authorization}, {"Accept", "application/json"}}});
    int64_t wait_s = 0;
    std::string why;
    if (!r.ok()) {
      if (r.status().code() != StatusCode::kUnavailable) return r.status();
      why = r.status().message();
    } else if (r->status == 200) {
      return r;
    } else if (r->status == 429 || r->status == 503) {
      // Zendesk's rate limit: wait exactly as long as it says.
      wait_s = sources::ParseInteger(r->Header("retry-after")).value_or(60);
      why = fmt::format("HTTP {}", r->status);
    } else if (r->status >= 500) {
      why = fmt::format("HTTP {}", r->status);
    } else {
      const std::string body = r->body.substr(0, 300);
      if (r->status == 401 || r->status == 403) {
        return PermissionDenied(
            fmt::format("{} answered HTTP {}: {} (check api_email and api_token of the source)",
                        url, r->status, body));
      }
      return InvalidArgument(fmt::format("{} answered HTTP {}: {}", url, r->status, body));
    }
    if (++failures > opt_.max_retries) {
      return Unavailable(fmt::format("giving up on {} after {} attempts: {}", url, failures, why));
    }
    if (wait_s == 0) wait_s = std::min<int64_t>(int64_t{1} << (failures - 1), 60);
    wait_s = std::min<int64_t>(wait_s, 3600);
    ++progress->waits;
    opt_.sleep(wait_s);
  }
}

Result<ZendeskSync::Page> ZendeskSync::FetchPage(const std::string& url,
                                                 simdjson::dom::parser& parser,
                                                 SyncProgress* progress) {
  ASSIGN_OR_RETURN(intake::FetchResponse response, FetchWithRetries(url, progress));
  simdjson::dom::element doc;
  if (auto err = parser.parse(response.body).get(doc)) {
    return InvalidArgument(
        fmt::format("{} did not answer JSON: {}", url, simdjson::error_message(err)));
  }
  Page page;
  if (doc["tickets"].get(page.tickets)) {
    return InvalidArgument(fmt::format("{} answered without a \"tickets\" array", url));
  }
  std::string_view after;
  if (!doc["after_cursor"].get(after)) page.after = std::string(after);
  if (doc["end_of_stream"].get(page.end)) page.end = false;
  return page;
}

Result<std::vector<std::string>> ZendeskSync::ReadRange(TimeMicros from, TimeMicros to) {
  SyncProgress progress;
  const std::string base = opt_.api_url + "/api/v2/incremental/tickets/cursor.json";
  std::string url = fmt::format("{}?start_time={}", base, from / 1000000);
  std::map<std::string, std::string> newest;  // ticket id -> its JSON (the last page wins)
  simdjson::dom::parser parser;
  for (;;) {
    ASSIGN_OR_RETURN(Page page, FetchPage(url, parser, &progress));
    simdjson::dom::array tickets = page.tickets;
    bool past = false;
    for (simdjson::dom::element t : tickets) {
      std::string_view updated;
      if (!t["updated_at"].get(updated)) {
        if (auto at = ParseRfc3339(updated); at.ok() && *at >= to) {
          past = true;
          continue;
        }
      }
      std::string id;
      if (int64_t n = 0; !t["id"].get(n)) {
        id = std::to_string(n);
      } else if (std::string_view s; !t["id"].get(s)) {
        id = std::string(s);
      }
      if (!id.empty()) newest[id] = simdjson::minify(t);
    }
    if (past || page.end || page.after.empty()) break;
    url = base + "?cursor=" + UrlEncode(page.after);
  }
  std::vector<std::string> out;
  out.reserve(newest.size());
  for (auto& [id, json] : newest) out.push_back(std::move(json));
  return out;
}

Result<SyncProgress> ZendeskSync::Run(const std::function<void(const SyncProgress&)>& on_page) {
  SyncProgress progress;
  const std::string key = StateKey(opt_.source);
  ASSIGN_OR_RETURN(std::optional<std::string> cursor, log_.GetState(key));
  const std::string base = opt_.api_url + "/api/v2/incremental/tickets/cursor.json";
  std::string url = cursor ? base + "?cursor=" + UrlEncode(*cursor)
                           : fmt::format("{}?start_time={}", base, opt_.start_time);
  simdjson::dom::parser parser;
  for (;;) {
    ASSIGN_OR_RETURN(Page page, FetchPage(url, parser, &progress));
    simdjson::dom::array tickets = page.tickets;
    std::vector<log::RawRecord> records;
    const TimeMicros now = SystemClock().Now();
    for (simdjson::dom::element t : tickets) {
      log::RawRecord r;
      r.source = opt_.source;
      r.kind = std::string(kKind);
      r.vendor = "zendesk";
      r.body = simdjson::minify(t);
      std::string_view updated;
      if (!t["updated_at"].get(updated)) {
        if (auto at = ParseRfc3339(updated); at.ok()) {
          progress.reached = std::max(progress.reached, *at / 1000000);
        }
      }
      r.delivery_id = sources::ExportDeliveryId(kKind, r.body);
      r.received_at = now;
      r.headers = fmt::format(R"({{"x-sync-url":{}}})", event::JsonQuote(url));
      records.push_back(std::move(r));
    }
    std::vector<log::AppendResult> results;
    if (!records.empty()) RETURN_IF_ERROR(log_.AppendRaw(records, &results));
    for (const auto& res : results) {
      res.outcome == log::AppendOutcome::kDuplicate ? ++progress.duplicates : ++progress.stored;
    }
    progress.tickets += static_cast<int64_t>(records.size());
    ++progress.pages;
    // Only after the page is durable: a crash before this line re-fetches the page.
    if (!page.after.empty()) RETURN_IF_ERROR(log_.PutState(key, page.after));
    if (on_page) on_page(progress);
    if (page.end || page.after.empty()) {
      progress.end_of_stream = true;
      return progress;
    }
    if (opt_.max_pages && progress.pages >= opt_.max_pages) return progress;
    url = base + "?cursor=" + UrlEncode(page.after);
  }
}

}  // namespace supportpipe::sync
