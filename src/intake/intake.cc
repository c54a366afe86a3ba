#include "intake/intake.h"

#include <fmt/format.h>

#include <algorithm>

#include "event/codec.h"
#include "sources/auth.h"
#include "sources/decoder.h"

namespace supportpipe::intake {
namespace {

struct Verdict {
  enum class Kind { kAccepted, kDuplicate, kRejected } kind = Kind::kRejected;
  std::string id;
  std::string pointer;
  std::string reason;
};

const char* KindName(Verdict::Kind k) {
  switch (k) {
    case Verdict::Kind::kAccepted:
      return "accepted";
    case Verdict::Kind::kDuplicate:
      return "duplicate";
    case Verdict::Kind::kRejected:
      return "rejected";
  }
  return "";
}

}  // namespace

Intake::Intake(const Config& config, log::GroupCommitter& committer, const Clock& clock,
               observe::Registry& metrics, security::Authenticator* auth)
    : config_(config),
      auth_(auth),
      committer_(committer),
      clock_(clock),
      metrics_(metrics),
      logged_latency_(metrics, "logged") {}

Result<std::unique_ptr<Intake>> Intake::Create(const Config& config, log::GroupCommitter& committer,
                                               const Clock& clock, observe::Registry& metrics,
                                               security::Authenticator* auth) {
  std::unique_ptr<Intake> in(new Intake(config, committer, clock, metrics, auth));
  for (const SourceConfig& s : config.sources) {
    auto v = sources::MakeVerifier(s);
    if (!v.ok()) {
      return InvalidArgument(v.status().message(),
                             fmt::format("{}:{}: source \"{}\"", config.path, s.line, s.name));
    }
    in->sources_.emplace(s.name, Source{&s, std::move(v).value()});
    if (s.rate_limit_per_s > 0) {
      in->source_limits_.emplace(
          s.name, TokenBucket(s.rate_limit_per_s, std::max(1.0, s.rate_limit_per_s)));
    }
  }
  return in;
}

void Intake::Handle(HttpRequest req, Responder respond) {
  const TimeMicros started = clock_.Now();
  const std::string_view path = req.Path();
  constexpr std::string_view kWebhooks = "/v1/webhooks/";
  if (!takes_events_ && (path == "/v1/events" || path.rfind(kWebhooks, 0) == 0)) {
    return Finish(path == "/v1/events" ? "events" : "webhooks", "", respond,
                  JsonError(503,
                            "this process runs `serve --role worker` and takes no events: send "
                            "them to an intake process"),
                  started);
  }
  if (path == "/v1/events") {
    if (req.method != "POST") {
      return Finish("events", "", respond, JsonError(405, "use POST"), started);
    }
    if (auto limited = RateLimited(req, "", started)) {
      return Finish("events", "", respond, std::move(*limited), started);
    }
    return HandleEvents(req, std::move(respond));
  }
  if (path.rfind(kWebhooks, 0) == 0) {
    const std::string source(path.substr(kWebhooks.size()));
    if (req.method != "POST") {
      return Finish("webhooks", source, respond, JsonError(405, "use POST"), started);
    }
    if (auto limited = RateLimited(req, source, started)) {
      return Finish("webhooks", source, respond, std::move(*limited), started);
    }
    return HandleWebhook(source, req, std::move(respond));
  }
  if (path == "/healthz") return respond(JsonResponse(200, R"({"status":"ok"})"));
  if (path == "/readyz") {
    const bool queue_ok =
        static_cast<int64_t>(committer_.pending()) * 10 < config_.server.max_pending_appends * 9;
    if (!takes_events_) return respond(JsonResponse(503, R"({"status":"worker"})"));
    if (ready_ && queue_ok) return respond(JsonResponse(200, R"({"status":"ready"})"));
    return respond(
        JsonResponse(503, ready_ ? R"({"status":"overloaded"})" : R"({"status":"starting"})"));
  }
  if (path == "/metrics") {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics_.Render();
    return respond(std::move(r));
  }
  Finish("other", "", respond, JsonError(404, "no such endpoint; see docs/http-api.md"), started);
}

void Intake::Finish(std::string_view route, std::string_view source, const Responder& respond,
                    HttpResponse resp, TimeMicros started) {
  metrics_
      .GetCounter("supportpipe_http_requests_total", "Intake requests by route, source and status.",
                  {{"route", std::string(route)},
                   {"source", std::string(source)},
                   {"status", std::to_string(resp.status)}})
      .Inc();
  if (route != "other") {
    requests_.fetch_add(1, std::memory_order_relaxed);
    if (resp.status >= 400) errors_.fetch_add(1, std::memory_order_relaxed);
  }
  if (resp.status < 300) {
    logged_latency_.Observe(source.empty() ? kDefaultEventsSource : source,
                            (clock_.Now() - started) / 1e6);
  }
  respond(std::move(resp));
}

std::optional<HttpResponse> Intake::RateLimited(const HttpRequest& req, std::string_view source,
                                                TimeMicros now) {
  const bool source_limited = !source.empty() && source_limits_.count(source);
  if (config_.server.client_rate_limit_per_s <= 0 && !source_limited) return std::nullopt;
  TimeMicros wait = 0;
  const char* limit = nullptr;
  {
    std::lock_guard lock(limits_mu_);
    const double per_client = config_.server.client_rate_limit_per_s;
    if (per_client > 0) {
      if (client_limits_.size() > 10000) {
        // Forget clients whose buckets have refilled: they would start full anyway.
        for (auto it = client_limits_.begin(); it != client_limits_.end();) {
          it = it->second.Full(now) ? client_limits_.erase(it) : std::next(it);
        }
      }
      auto it =
          client_limits_.try_emplace(req.remote_ip, per_client, std::max(1.0, per_client)).first;
      if (!it->second.Take(now, &wait)) limit = "client";
    }
    if (!limit && !source.empty()) {
      auto it = source_limits_.find(source);
      if (it != source_limits_.end() && !it->second.Take(now, &wait)) limit = "source";
    }
  }
  if (!limit) return std::nullopt;
  metrics_
      .GetCounter("supportpipe_rate_limited_total",
                  "Requests refused with 429 by a rate limit (client address or source).",
                  {{"limit", limit}, {"source", std::string(source)}})
      .Inc();
  HttpResponse r = JsonError(
      429, std::string(limit) == "client"
               ? "this client is over server.client_rate_limit_per_s; retry after the given "
                 "seconds"
               : "this source is over its rate_limit_per_s; retry after the given seconds");
  r.headers.emplace_back("Retry-After",
                         std::to_string(std::max<TimeMicros>(1, (wait + 999999) / 1000000)));
  return r;
}

HttpResponse Intake::Overloaded(const Status& st) {
  HttpResponse r = st.code() == StatusCode::kResourceExhausted
                       ? JsonError(429, "intake is at capacity; retry after the given seconds")
                       : JsonError(503, "the log is unavailable; retry after the given seconds");
  r.headers.emplace_back("Retry-After", r.status == 429 ? "1" : "5");
  return r;
}

std::string Intake::KeptHeaders(const HttpRequest& req) const {
  // Everything but credentials, for lineage and for re-verifying a delivery later.
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : req.headers) {
    if (k == "authorization" || k == "cookie" || k == "proxy-authorization") continue;
    if (!first) out += ",";
    first = false;
    event::AppendJsonQuoted(&out, k);
    out += ':';
    event::AppendJsonQuoted(&out, v);
  }
  return out + "}";
}

void Intake::HandleEvents(HttpRequest& req, Responder respond) {
  const TimeMicros started = clock_.Now();
  // Who may post, and for which sources: the configured ingest token (any source), a stored
  // token with ingest:<source> scopes, or, with no ingest token configured, loopback clients.
  std::optional<std::vector<std::string>> scopes;  // unset: every source
  const std::string_view authorization = req.Header("authorization");
  std::string_view refused;
  if (!authorization.empty()) {
    if (config_.server.ingest_token &&
        sources::BearerTokenMatches(authorization, {*config_.server.ingest_token})) {
      // every source
    } else if (auth_) {
      security::Authenticator::Verdict v = auth_->Check(authorization);
      if (v.outcome == security::Authenticator::Outcome::kOk) {
        scopes = std::move(v.principal.scopes);
      } else {
        refused = v.reason;
      }
    } else {
      refused = "token_mismatch";
    }
  } else if (config_.server.ingest_token) {
    refused = "token_missing";
  } else if (!req.from_loopback) {
    return Finish("events", "", respond,
                  JsonError(401,
                            "set server.ingest_token_env, or use a token with an ingest scope, "
                            "to post events from other hosts"),
                  started);
  }
  if (!refused.empty()) {
    metrics_
        .GetCounter(
            "supportpipe_auth_failures_total", "Refused requests by source and reason.",
            {{"source", std::string(kDefaultEventsSource)}, {"reason", std::string(refused)}})
        .Inc();
    return Finish("events", "", respond, JsonError(401, "a valid bearer token is required"),
                  started);
  }
  const std::string_view ctype = req.Header("content-type");
  const bool ndjson = ctype.find("ndjson") != std::string_view::npos ||
                      ctype.find("jsonl") != std::string_view::npos;
  event::Batch batch =
      event::SplitBatch(req.body, {.ndjson_hint = ndjson, .check_single_object = false});
  if (!batch.error.ok())
    return Finish("events", "", respond, JsonError(400, batch.error.message()), started);

  auto verdicts = std::make_shared<std::vector<Verdict>>(batch.items.size());
  std::vector<log::RawRecord> records;
  std::vector<size_t> record_item;  // record index -> verdict index
  const std::string headers = KeptHeaders(req);
  for (const event::BatchItem& item : batch.items) {
    Verdict& v = (*verdicts)[item.index];
    Result<event::Event> e = event::DecodeCanonical(item.bytes, {.now = started});
    if (!e.ok()) {
      v.pointer = e.status().field();
      v.reason = e.status().message();
      continue;
    }
    v.id = e->id;
    if (!e->source.empty() && !IsValidSourceName(e->source)) {
      v.pointer = "/source";
      v.reason = "must be 1-64 letters, digits, '-', '_' or '.'";
      continue;
    }
    log::RawRecord r;
    r.source = e->source.empty() ? std::string(kDefaultEventsSource) : e->source;
    if (scopes && !security::Allows(*scopes, "ingest:" + r.source)) {
      v.pointer = "/source";
      v.reason = fmt::format(
          "this token may not ingest events for source \"{}\" (it needs the "
          "scope ingest:{})",
          r.source, r.source);
      continue;
    }
    r.kind = std::string(sources::kKindEvent);
    r.vendor = "canonical";
    r.delivery_id = e->id;
    r.received_at = started;
    r.headers = headers;
    r.body = std::string(item.bytes);
    records.push_back(std::move(r));
    record_item.push_back(item.index);
  }

  auto answer = [this, verdicts, started, respond](const Status& st) {
    size_t counts[3] = {0, 0, 0};
    std::string results;
    for (size_t i = 0; i < verdicts->size(); ++i) {
      const Verdict& v = (*verdicts)[i];
      ++counts[static_cast<int>(v.kind)];
      if (i) results += ",";
      results += fmt::format("{{\"index\":{},\"status\":\"{}\"", i, KindName(v.kind));
      if (!v.id.empty()) results += ",\"id\":" + event::JsonQuote(v.id);
      if (v.kind == Verdict::Kind::kRejected) {
        results += fmt::format(",\"error\":{{\"pointer\":{},\"reason\":{}}}",
                               event::JsonQuote(v.pointer), event::JsonQuote(v.reason));
      }
      results += "}";
    }
    if (!st.ok()) return Finish("events", "", respond, Overloaded(st), started);
    for (int k = 0; k < 3; ++k) {
      if (!counts[k]) continue;
      metrics_
          .GetCounter("supportpipe_intake_events_total", "Events received, by verdict.",
                      {{"verdict", KindName(static_cast<Verdict::Kind>(k))}})
          .Inc(static_cast<int64_t>(counts[k]));
    }
    const size_t accepted = counts[0], duplicate = counts[1], rejected = counts[2];
    int status = 202;
    if (rejected && !accepted && !duplicate) {
      status = 400;
    } else if (rejected) {
      status = 207;
    } else if (!accepted) {
      status = 200;
    }
    Finish("events", "", respond,
           JsonResponse(status, fmt::format("{{\"accepted\":{},\"duplicate\":{},\"rejected\":{},"
                                            "\"results\":[{}]}}",
                                            accepted, duplicate, rejected, results)),
           started);
  };
  if (records.empty()) return answer(Status::Ok());
  Status st = committer_.Submit(std::move(records),
                                [verdicts, record_item = std::move(record_item), answer](
                                    const Status& st, std::vector<log::AppendResult> results) {
                                  if (st.ok()) {
                                    for (size_t i = 0; i < results.size(); ++i) {
                                      Verdict& v = (*verdicts)[record_item[i]];
                                      v.kind = results[i].outcome == log::AppendOutcome::kDuplicate
                                                   ? Verdict::Kind::kDuplicate
                                                   : Verdict::Kind::kAccepted;
                                    }
                                  }
                                  answer(st);
                                });
  if (!st.ok()) answer(st);
}

void Intake::HandleWebhook(std::string_view source_name, HttpRequest& req, Responder respond) {
  const TimeMicros started = clock_.Now();
  auto it = sources_.find(source_name);
  if (it == sources_.end()) {
    return Finish(
        "webhooks", "", respond,
        JsonError(404, "no source with that name is configured ([[source]] in the config)"),
        started);
  }
  const Source& src = it->second;
  const std::string source(source_name);
  sources::WebhookRequest wr{req.method, req.target,
                             [&req](std::string_view n) { return req.Header(n); }, req.body};
  Result<sources::Verified> delivery = src.verifier->Verify(wr, started);
  if (!delivery.ok()) {
    metrics_
        .GetCounter("supportpipe_auth_failures_total", "Refused requests by source and reason.",
                    {{"source", source}, {"reason", delivery.status().message()}})
        .Inc();
    return Finish("webhooks", source, respond,
                  JsonError(401, "authentication failed: " + delivery.status().message()), started);
  }
  if (delivery->challenge) {
    // A vendor's handshake (Slack url_verification, Front's challenge): nothing to store.
    return Finish("webhooks", source, respond, JsonResponse(200, *delivery->challenge), started);
  }
  // At most one parse on this path (the verifier's, when it needed an id from the body): a
  // body that is unusable as a whole is kept (for inspection and replay after a fix) but
  // answered 400 so the sender learns at once.
  const bool usable =
      delivery->body_is_json ? *delivery->body_is_json : event::SplitBatch(req.body, {}).error.ok();
  log::RawRecord r;
  r.source = source;
  r.kind = std::string(sources::kWebhook);
  r.vendor = src.config->vendor;
  r.delivery_id = std::move(delivery->delivery_id);
  r.received_at = started;
  r.headers = KeptHeaders(req);
  r.body = std::move(req.body);
  std::vector<log::RawRecord> records;
  records.push_back(std::move(r));
  auto answer = [this, source, usable, started, respond](const Status& st,
                                                         std::vector<log::AppendResult> res) {
    if (!st.ok()) return Finish("webhooks", source, respond, Overloaded(st), started);
    const bool dup = res[0].outcome == log::AppendOutcome::kDuplicate;
    HttpResponse resp =
        dup      ? JsonResponse(200,
                                fmt::format(R"({{"status":"duplicate","offset":{}}})", res[0].offset))
        : usable ? JsonResponse(
                       202, fmt::format(R"({{"status":"accepted","offset":{}}})", res[0].offset))
                 : JsonResponse(
                       400, fmt::format(
                                R"({{"status":"kept","offset":{},"error":"the body is not )"
                                R"(valid JSON; it was stored and sent to the dead-letter queue"}})",
                                res[0].offset));
    Finish("webhooks", source, respond, std::move(resp), started);
  };
  Status st = committer_.Submit(std::move(records), answer);
  if (!st.ok()) answer(st, {});
}

}  // namespace supportpipe::intake
