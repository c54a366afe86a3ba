#include "server/admin_api.h"

#include <fmt/format.h>

#include <charconv>

#include "delivery/outbox.h"
#include "event/codec.h"
#include "sources/auth.h"

namespace supportpipe::server {
namespace {

using intake::HttpRequest;
using intake::HttpResponse;
using intake::JsonError;
using intake::JsonResponse;

std::optional<int64_t> ParseId(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

// A query time: RFC 3339, or a date (its midnight UTC).
Result<TimeMicros> ParseTimeParam(const std::optional<std::string>& v, const std::string& name) {
  if (!v || v->empty()) return InvalidArgument("is required (RFC 3339 or YYYY-MM-DD)", name);
  Result<TimeMicros> t = ParseRfc3339(v->size() == 10 ? *v + "T00:00:00Z" : *v);
  if (!t.ok()) return InvalidArgument(t.status().message(), name);
  return t;
}

HttpResponse BadParam(const Status& st) {
  return JsonError(400, fmt::format("{}: {}", st.field(), st.message()));
}

}  // namespace

HttpResponse AdminApi::Handle(const HttpRequest& req) {
  HttpResponse r;
  const char* reason = nullptr;
  if (config_.server.admin_token) {
    if (!sources::BearerTokenMatches(req.Header("authorization"), {*config_.server.admin_token})) {
      reason = "token_mismatch";
      r = JsonError(401, "a valid admin bearer token is required");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
    }
  } else if (!req.from_loopback) {
    reason = "not_loopback";
    r = JsonError(403, "set server.admin_token_env to use the admin API from other hosts");
  }
  if (reason) {
    metrics_
        .GetCounter("supportpipe_auth_failures_total", "Refused requests by source and reason.",
                    {{"source", "admin"}, {"reason", reason}})
        .Inc();
  } else {
    r = Route(req);
  }
  metrics_
      .GetCounter("supportpipe_http_requests_total", "Intake requests by route, source and status.",
                  {{"route", "admin"}, {"source", ""}, {"status", std::to_string(r.status)}})
      .Inc();
  return r;
}

HttpResponse AdminApi::Route(const HttpRequest& req) {
  constexpr std::string_view kDeliveries = "/v1/admin/deliveries";
  const std::string_view path = req.Path();
  if (path == kDeliveries) {
    if (req.method != "GET") return JsonError(405, "use GET");
    return ListDeliveries(req);
  }
  if (path == std::string(kDeliveries) + "/replay") {
    if (req.method != "POST") return JsonError(405, "use POST");
    return ReplayDeliveries(req);
  }
  if (path.rfind(std::string(kDeliveries) + "/", 0) == 0) {
    std::string_view rest = path.substr(kDeliveries.size() + 1);
    const bool retry = rest.size() > 6 && rest.substr(rest.size() - 6) == "/retry";
    if (retry) rest.remove_suffix(6);
    const std::optional<int64_t> id = ParseId(rest);
    if (id) {
      if (req.method != (retry ? "POST" : "GET")) {
        return JsonError(405, retry ? "use POST" : "use GET");
      }
      return OneDelivery(req, *id, retry);
    }
  }
  return JsonError(404, "no such admin endpoint; see docs/http-api.md#admin-api");
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
  f.max = 100;
  if (auto v = req.Query("limit")) {
    const std::optional<int64_t> n = ParseId(*v);
    if (!n || *n < 1 || *n > 1000) return JsonError(400, "limit: 1 to 1000");
    f.max = static_cast<size_t>(*n);
  }
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

HttpResponse AdminApi::OneDelivery(const HttpRequest&, int64_t id, bool retry) {
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

}  // namespace supportpipe::server
