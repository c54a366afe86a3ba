#include "server/admin_api.h"

#include <fmt/format.h>

#include "delivery/outbox.h"
#include "event/codec.h"
#include "server/erasure.h"
#include "sources/auth.h"

namespace supportpipe::server {
namespace {

using intake::HttpRequest;
using intake::HttpResponse;
using intake::JsonError;
using intake::JsonResponse;

// A non-negative id or count.
std::optional<int64_t> ParseId(std::string_view s) {
  const std::optional<int64_t> v = sources::ParseInteger(s);
  return v && *v >= 0 ? v : std::nullopt;
}

Result<TimeMicros> ParseTimeParam(const std::optional<std::string>& v, const std::string& name) {
  if (!v || v->empty()) return InvalidArgument("is required (RFC 3339 or YYYY-MM-DD)", name);
  Result<TimeMicros> t = ParseTimeOrDate(*v);
  if (!t.ok()) return InvalidArgument(t.status().message(), name);
  return t;
}

HttpResponse BadParam(const Status& st) {
  return JsonError(400, fmt::format("{}: {}", st.field(), st.message()));
}

// "limit" in [1, max], default `def`; nullopt when malformed.
std::optional<size_t> Limit(const HttpRequest& req, size_t def, size_t max) {
  const std::optional<std::string> v = req.Query("limit");
  if (!v) return def;
  const std::optional<int64_t> n = ParseId(*v);
  if (!n || *n < 1 || static_cast<size_t>(*n) > max) return std::nullopt;
  return static_cast<size_t>(*n);
}

std::string TokenJson(const security::Token& t) {
  std::string scopes;
  for (const std::string& s : t.scopes) scopes += (scopes.empty() ? "" : ",") + event::JsonQuote(s);
  auto time = [](const std::optional<TimeMicros>& v) {
    return v ? event::JsonQuote(FormatRfc3339(*v)) : std::string("null");
  };
  return fmt::format(
      R"({{"id":{},"name":{},"scopes":[{}],"created_at":{},"expires_at":{},"revoked_at":{}}})",
      event::JsonQuote(t.id), event::JsonQuote(t.name), scopes,
      event::JsonQuote(FormatRfc3339(t.created_at)), time(t.expires_at), time(t.revoked_at));
}

}  // namespace

AdminApi::AdminApi(const Config& config, log::EventLog& log, warehouse::Warehouse* warehouse,
                   security::Store& security, security::Authenticator& auth, const Clock& clock,
                   observe::Registry& metrics)
    : config_(config),
      log_(log),
      warehouse_(warehouse),
      security_(security),
      auth_(auth),
      clock_(clock),
      metrics_(metrics) {}

void AdminApi::Refused(std::string_view reason) {
  metrics_
      .GetCounter("supportpipe_auth_failures_total", "Refused requests by source and reason.",
                  {{"source", "admin"}, {"reason", std::string(reason)}})
      .Inc();
}

HttpResponse AdminApi::Handle(const HttpRequest& req) {
  Call call = Plan(req);
  security::Principal who;
  HttpResponse r;
  const security::Authenticator::Verdict v = auth_.Check(req.Header("authorization"));
  bool allowed = false;
  if (v.outcome == security::Authenticator::Outcome::kOk) {
    who = v.principal;
    allowed = true;
  } else if (v.outcome == security::Authenticator::Outcome::kRefused) {
    who.actor = "unknown token";
    Refused(v.reason);
    r = JsonError(401, "a valid bearer token is required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
  } else if (auth_.TokensRequired()) {
    who.actor = req.from_loopback ? "loopback" : "remote";
    Refused("token_missing");
    r = JsonError(401, "a bearer token is required (supportpipe token create)");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
  } else if (!req.from_loopback) {
    who.actor = "remote";
    Refused("not_loopback");
    r = JsonError(403,
                  "create a token (supportpipe token create) or set server.admin_token_env to "
                  "use the admin API from other hosts");
  } else {
    who = {"loopback", {"admin"}};  // no token exists yet: the local operator
    allowed = true;
  }
  if (allowed && call.answer) {
    r = *call.answer;
  } else if (allowed && !security::Allows(who.scopes, call.scope)) {
    Refused("scope_missing");
    r = JsonError(403, fmt::format("this token lacks the \"{}\" scope", call.scope));
  } else if (allowed) {
    r = call.run(&call.target);
  }
  // Every call is on record, allowed or not; unknown routes are not data access.
  if (!call.answer || !allowed) {
    const std::string outcome = r.status < 300 ? "ok"
                                : r.status == 401 || r.status == 403
                                    ? "denied"
                                    : fmt::format("error: HTTP {}", r.status);
    Result<security::AuditEntry> e = security_.AppendAudit(
        {.at = clock_.Now(),
         .actor = who.actor,
         .action = call.action.empty() ? fmt::format("{} {}", req.method, req.Path()) : call.action,
         .target = call.target,
         .outcome = outcome});
    if (!e.ok() && r.status < 300) {
      // No access without a record of it.
      r = JsonError(503, "the audit log cannot be written now; retry");
    }
  }
  metrics_
      .GetCounter("supportpipe_http_requests_total", "Requests by route, source and status.",
                  {{"route", "admin"}, {"source", ""}, {"status", std::to_string(r.status)}})
      .Inc();
  return r;
}

AdminApi::Call AdminApi::Plan(const HttpRequest& req) {
  const std::string_view path = req.Path();
  const std::string_view query =
      req.target.size() > path.size() ? std::string_view(req.target).substr(path.size() + 1) : "";
  Call c;
  auto route = [&](const char* method, std::string action, std::string scope, std::string target,
                   std::function<HttpResponse(std::string*)> run) {
    c.action = std::move(action);
    c.scope = std::move(scope);
    c.target = std::move(target);
    if (req.method != method) {
      c.answer = JsonError(405, fmt::format("use {}", method));
    } else {
      c.run = std::move(run);
    }
    return c;
  };
  // "/v1/admin/<collection>/<id>[/<verb>]"
  auto tail = [&](std::string_view prefix, std::string_view verb) -> std::optional<std::string> {
    if (path.rfind(prefix, 0) != 0) return std::nullopt;
    std::string_view rest = path.substr(prefix.size());
    if (!verb.empty()) {
      if (rest.size() <= verb.size() || rest.substr(rest.size() - verb.size()) != verb) {
        return std::nullopt;
      }
      rest.remove_suffix(verb.size());
    }
    if (rest.empty() || rest.find('/') != std::string_view::npos) return std::nullopt;
    return std::string(rest);
  };
  if (path == "/v1/admin/deliveries") {
    return route("GET", "deliveries.list", "read", std::string(query),
                 [this, &req](std::string*) { return ListDeliveries(req); });
  }
  if (path == "/v1/admin/deliveries/replay") {
    return route("POST", "deliveries.replay", "replay", std::string(query),
                 [this, &req](std::string*) { return ReplayDeliveries(req); });
  }
  if (auto id = tail("/v1/admin/deliveries/", "/retry"); id && ParseId(*id)) {
    return route("POST", "deliveries.retry", "replay", "delivery " + *id,
                 [this, n = *ParseId(*id)](std::string*) { return OneDelivery(n, true); });
  }
  if (auto id = tail("/v1/admin/deliveries/", ""); id && ParseId(*id)) {
    return route("GET", "deliveries.show", "read", "delivery " + *id,
                 [this, n = *ParseId(*id)](std::string*) { return OneDelivery(n, false); });
  }
  if (path == "/v1/admin/tokens") {
    if (req.method == "POST") {
      return route("POST", "token.create", "admin", "",
                   [this, &req](std::string* target) { return CreateToken(req, target); });
    }
    return route("GET", "token.list", "admin", "", [this](std::string*) { return ListTokens(); });
  }
  if (auto id = tail("/v1/admin/tokens/", "/revoke")) {
    return route("POST", "token.revoke", "admin", "token " + *id,
                 [this, id = *id](std::string*) { return RevokeToken(id); });
  }
  if (path == "/v1/admin/erasures") {
    return route("POST", "erase", "erase", "",
                 [this, &req](std::string* target) { return Erase(req, target); });
  }
  if (path == "/v1/admin/audit") {
    return route("GET", "audit.list", "admin", std::string(query),
                 [this, &req](std::string*) { return ListAudit(req); });
  }
  c.answer = JsonError(404, "no such admin endpoint; see docs/http-api.md#admin-api");
  return c;
}

HttpResponse AdminApi::ListDeliveries(const HttpRequest& req) {
  log::DeliveryFilter f;
  f.destination = req.Query("destination").value_or("");
  f.state = req.Query("state").value_or("");
  if (!f.state.empty() && f.state != "pending" && f.state != "delivered" && f.state != "dead" &&
      f.state != "skipped") {
    return JsonError(400, "state: one of pending, delivered, dead, skipped");
  }
  if (auto v = req.Query("after_id")) {
    const std::optional<int64_t> a = ParseId(*v);
    if (!a) return JsonError(400, "after_id: a delivery id");
    f.after_id = *a;
  }
  const std::optional<size_t> limit = Limit(req, 100, 1000);
  if (!limit) return JsonError(400, "limit: 1 to 1000");
  f.max = *limit;
  Result<std::vector<log::Delivery>> rows = log_.ListDeliveries(f);
  if (!rows.ok()) return JsonError(503, "the outbox cannot be read now; retry");
  std::string body = "{\"deliveries\":[";
  for (size_t i = 0; i < rows->size(); ++i) {
    body += (i ? "," : "") + delivery::DeliveryJson((*rows)[i], false);
  }
  // A full page may have more after it.
  body += "],\"next_after_id\":";
  body += rows->size() == f.max ? std::to_string(rows->back().id) : "null";
  return JsonResponse(200, body + "}");
}

HttpResponse AdminApi::OneDelivery(int64_t id, bool retry) {
  Result<std::optional<log::Delivery>> d = log_.GetDelivery(id);
  if (!d.ok()) return JsonError(503, "the outbox cannot be read now; retry");
  if (!*d) return JsonError(404, fmt::format("no delivery with id {}", id));
  if (!retry) return JsonResponse(200, delivery::DeliveryJson(**d, true));
  if ((*d)->state != "pending") {
    if (Status st = delivery::Resend(log_, **d, clock_.Now()); !st.ok()) {
      return JsonError(503, "the outbox cannot be written now; retry");
    }
    d = log_.GetDelivery(id);
    if (!d.ok() || !*d) return JsonError(503, "the outbox cannot be read now; retry");
  }
  return JsonResponse(200, delivery::DeliveryJson(**d, false));
}

HttpResponse AdminApi::ReplayDeliveries(const HttpRequest& req) {
  const std::string destination = req.Query("destination").value_or("");
  bool known = false;
  for (const DestinationConfig& d : config_.destinations) known = known || d.name == destination;
  if (!known) return JsonError(400, "destination: the name of a configured [[destination]]");
  Result<TimeMicros> from = ParseTimeParam(req.Query("from"), "from");
  if (!from.ok()) return BadParam(from.status());
  Result<TimeMicros> to = ParseTimeParam(req.Query("to"), "to");
  if (!to.ok()) return BadParam(to.status());
  if (*to <= *from) return JsonError(400, "to: must be after from");
  Result<int64_t> n = delivery::ResendRange(log_, destination, *from, *to, clock_.Now());
  if (!n.ok()) return JsonError(503, "the outbox cannot be written now; retry");
  return JsonResponse(
      200, fmt::format(R"({{"destination":{},"resent":{}}})", event::JsonQuote(destination), *n));
}

HttpResponse AdminApi::CreateToken(const HttpRequest& req, std::string* target) {
  const std::string name = req.Query("name").value_or("");
  if (name.empty() || name.size() > 100) return JsonError(400, "name: 1 to 100 characters");
  std::vector<std::string> scopes;
  const std::string scopes_param = req.Query("scopes").value_or("");
  std::string_view list = scopes_param;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    scopes.emplace_back(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  if (scopes.empty()) return JsonError(400, "scopes: a comma-separated list, e.g. read,replay");
  for (const std::string& s : scopes) {
    if (Status st = security::ValidateScope(s); !st.ok()) return BadParam(st);
  }
  std::optional<TimeMicros> expires;
  if (auto v = req.Query("expires_days")) {
    const std::optional<int64_t> days = ParseId(*v);
    if (!days || *days < 1 || *days > 3650) return JsonError(400, "expires_days: 1 to 3650");
    expires = clock_.Now() + *days * 86400 * 1000000LL;
  }
  security::NewToken t = security::MakeToken(name, scopes, expires, clock_.Now());
  *target = "token " + t.token.id + " (" + name + ")";
  if (!security_.CreateToken(t.token).ok()) {
    return JsonError(503, "the token cannot be stored now; retry");
  }
  std::string body = TokenJson(t.token);
  body.pop_back();
  return JsonResponse(201, body + ",\"token\":" + event::JsonQuote(t.text) + "}");
}

HttpResponse AdminApi::ListTokens() {
  Result<std::vector<security::Token>> all = security_.ListTokens();
  if (!all.ok()) return JsonError(503, "the tokens cannot be read now; retry");
  std::string body = "{\"tokens\":[";
  for (size_t i = 0; i < all->size(); ++i) body += (i ? "," : "") + TokenJson((*all)[i]);
  return JsonResponse(200, body + "]}");
}

HttpResponse AdminApi::RevokeToken(std::string_view id) {
  Result<bool> done = security_.RevokeToken(id, clock_.Now());
  if (!done.ok()) return JsonError(503, "the token cannot be revoked now; retry");
  if (!*done) return JsonError(404, "no active token with that id");
  return JsonResponse(200, fmt::format(R"({{"id":{},"revoked":true}})", event::JsonQuote(id)));
}

HttpResponse AdminApi::Erase(const HttpRequest& req, std::string* target) {
  ErasureRequest r{.customer_id = req.Query("customer").value_or(""),
                   .email = req.Query("email").value_or(""),
                   .source = req.Query("source").value_or("")};
  if (r.customer_id.empty() == r.email.empty()) {
    return JsonError(400, "give customer=ID or email=ADDRESS");
  }
  if (!warehouse_) return JsonError(503, "erasure needs the warehouse; run it where serve runs");
  Eraser eraser(config_, log_, *warehouse_, security_, clock_);
  Result<ErasureReceipt> receipt = eraser.Erase(r, "admin api");
  if (!receipt.ok()) {
    if (receipt.status().code() == StatusCode::kNotFound) {
      return JsonError(404, receipt.status().message());
    }
    return JsonError(503, "the erasure could not finish; run it again (it is safe to repeat)");
  }
  *target = "erasure " + receipt->id;
  return JsonResponse(200, receipt->Json());
}

HttpResponse AdminApi::ListAudit(const HttpRequest& req) {
  int64_t after = 0;
  if (auto v = req.Query("after")) {
    const std::optional<int64_t> a = ParseId(*v);
    if (!a) return JsonError(400, "after: an entry's seq");
    after = *a;
  }
  const std::optional<size_t> limit = Limit(req, 100, 1000);
  if (!limit) return JsonError(400, "limit: 1 to 1000");
  Result<std::vector<security::AuditEntry>> page = security_.ListAudit(after, *limit);
  if (!page.ok()) return JsonError(503, "the audit log cannot be read now; retry");
  std::string body = "{\"entries\":[";
  for (size_t i = 0; i < page->size(); ++i) {
    const security::AuditEntry& e = (*page)[i];
    body += fmt::format(
        R"({}{{"seq":{},"at":{},"actor":{},"action":{},"target":{},"outcome":{},"hash":{}}})",
        i ? "," : "", e.seq, event::JsonQuote(FormatRfc3339(e.at)), event::JsonQuote(e.actor),
        event::JsonQuote(e.action), event::JsonQuote(e.target), event::JsonQuote(e.outcome),
        event::JsonQuote(e.hash));
  }
  return JsonResponse(200, body + "]}");
}

}  // namespace supportpipe::server
