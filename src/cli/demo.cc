// `supportpipe demo`: realistic synthetic helpdesk traffic for a running server, so that a
// newcomer sees every part of the pipeline work within a minute: signed webhooks from the
// Zendesk, Intercom and Help Scout sources the config names (each signed with the source's
// own secret), canonical events, the last quarter-hour of history, live tickets whose SLA
// clocks breach, a surge of chat tickets, retried deliveries (duplicates), a forged
// signature (refused) and a broken payload (a dead letter).
#include <fmt/format.h>

#include <chrono>
#include <random>
#include <thread>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "common/crypto.h"
#include "common/time.h"
#include "event/codec.h"
#include "intake/http_client.h"
#include "sources/zendesk/zendesk.h"

namespace supportpipe::cli {
namespace {

constexpr TimeMicros kSecond = 1000000;

struct Sent {
  int accepted = 0;  // 2xx
  int refused = 0;   // 401
  int other = 0;     // anything else
  int failures = 0;  // no answer
};

class Demo {
 public:
  Demo(std::string base, const Config& config, uint64_t seed)
      : base_(std::move(base)), rng_(seed) {
    for (const SourceConfig& s : config.sources) {
      if (s.secrets.empty()) continue;
      if (s.vendor == "zendesk" && !zendesk_) zendesk_ = &s;
      if (s.vendor == "intercom" && !intercom_) intercom_ = &s;
      if (s.vendor == "helpscout" && !helpscout_) helpscout_ = &s;
    }
  }

  bool HasVendors() const { return zendesk_ || intercom_ || helpscout_; }
  std::string Vendors() const {
    std::string out;
    for (const SourceConfig* s : {zendesk_, intercom_, helpscout_}) {
      if (s) out += (out.empty() ? "" : ", ") + s->name + " (" + s->vendor + ")";
    }
    return out;
  }
  const Sent& sent() const { return sent_; }
  int requests() const { return sent_.accepted + sent_.refused + sent_.other + sent_.failures; }

  // One ticket's life: created at `at`, an agent reply after `reply_after` (none when
  // negative), solved after `solve_after` (none when negative); only what has happened by
  // now is sent. Sources take turns.
  void Ticket(TimeMicros at, std::string_view priority, std::string_view channel,
              int64_t reply_after_s, int64_t solve_after_s, std::vector<std::string> tags = {}) {
    const int n = ++tickets_;
    const TimeMicros now = NowMicros();
    const TimeMicros reply_at = at + reply_after_s * kSecond;
    const TimeMicros solve_at = at + solve_after_s * kSecond;
    const SourceConfig* pick[] = {zendesk_, intercom_, helpscout_};
    const SourceConfig* s = nullptr;
    for (int k = 0; k < 3 && !s; ++k) s = pick[(n + k) % 3];
    const std::string subject = Subjects()[n % Subjects().size()];
    if (s == zendesk_) {
      const std::string id = std::to_string(70000 + n);
      Zendesk(id, "ticket.created", at, "NEW", priority, channel, subject, tags, "");
      if (reply_after_s >= 0 && reply_at <= now) {
        Zendesk(
            id, "ticket.comment_added", reply_at, "OPEN", priority, channel, subject, tags,
            R"(,"event":{"comment":{"author":{"id":"901","is_staff":true,"name":"Agent"},"body":"Thanks, we are on it.","id":")" +
                std::to_string(900000 + n) + R"(","is_public":true}})");
      }
      if (solve_after_s >= 0 && solve_at <= now) {
        Zendesk(id, "ticket.status_changed", solve_at, "SOLVED", priority, channel, subject, tags,
                R"(,"event":{"current":"SOLVED","previous":"OPEN"})");
      }
    } else if (s == intercom_) {
      const std::string id = std::to_string(1911000000 + n);
      Intercom(id, "conversation.user.created", at, at, channel, subject, "");
      if (reply_after_s >= 0 && reply_at <= now) {
        Intercom(
            id, "conversation.admin.replied", at, reply_at, channel, subject,
            fmt::format(
                R"({{"type":"conversation_part","id":"{}","part_type":"comment","body":"<p>Happy to help.</p>","created_at":{},"author":{{"id":"814860","type":"admin","name":"Agent"}}}})",
                800000 + n, reply_at / kSecond));
      }
      if (solve_after_s >= 0 && solve_at <= now) {
        Intercom(
            id, "conversation.admin.closed", at, solve_at, channel, subject,
            fmt::format(
                R"({{"type":"conversation_part","id":"{}","part_type":"close","body":null,"created_at":{},"author":{{"id":"814860","type":"admin","name":"Agent"}}}})",
                700000 + n, solve_at / kSecond));
      }
    } else if (s == helpscout_) {
      HelpScout(std::to_string(5000 + n), at, reply_after_s >= 0 && reply_at <= now ? reply_at : 0,
                subject);
    }
  }

  // Canonical events through /v1/events: a chat ticket created now.
  void CanonicalChat(TimeMicros at) {
    const int n = ++tickets_;
    Post(
        "/v1/events",
        fmt::format(
            R"({{"spec":"supportpipe/v1","id":"demo-chat-{}-{}","type":"ticket.created","occurred_at":"{}",)"
            R"("ticket":{{"id":"chat-{}-{}","status":"new","priority":"normal","channel":"chat","subject":"{}"}},)"
            R"("message":{{"author_role":"customer","body":"Hello, is anyone there?"}}}})",
            run_, n, FormatRfc3339(at), run_, n, Subjects()[n % Subjects().size()]),
        {{"content-type", "application/json"}});
  }

  // Retries and mistakes: repeats of earlier deliveries, a forged signature, a broken body.
  void Noise() {
    for (size_t i = 0; i < repeats_.size() && i < 5; ++i) {
      Post(repeats_[i].first, repeats_[i].second.body, repeats_[i].second.headers);
    }
    if (zendesk_) {
      const std::string body = R"({"id":"demo-forged","type":"zen:event-type:ticket.created"})";
      Post("/v1/webhooks/" + zendesk_->name, body,
           {{"x-zendesk-webhook-signature", "Zm9yZ2Vk"},
            {"x-zendesk-webhook-signature-timestamp", FormatSeconds(NowMicros())}});
      // Signed, but the ticket has no id: the processor sets it aside as a dead letter.
      SignedZendesk(fmt::format(
          R"({{"id":"demo-broken-{}","type":"zen:event-type:ticket.created","time":"{}","detail":{{"status":"NEW"}},"subject":"zen:ticket:"}})",
          run_, FormatRfc3339(NowMicros())));
    }
  }

 private:
  static const std::vector<std::string>& Subjects() {
    static const std::vector<std::string> kSubjects = {
        "Refund not received",         "Cannot log in after the update",
        "Invoice shows the wrong VAT", "Parcel marked delivered, not here",
        "How do I export my data?",    "Charged twice this month",
        "App crashes on start",        "Change of billing address",
        "Discount code rejected"};
    return kSubjects;
  }
  static TimeMicros NowMicros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static std::string FormatSeconds(TimeMicros t) { return FormatRfc3339(t / kSecond * kSecond); }

  void Zendesk(const std::string& id, std::string_view type, TimeMicros at, std::string_view status,
               std::string_view priority, std::string_view channel, const std::string& subject,
               const std::vector<std::string>& tags, const std::string& extra) {
    std::string tag_list;
    for (const std::string& t : tags)
      tag_list += (tag_list.empty() ? "" : ",") + event::JsonQuote(t);
    std::string upper(priority);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string body = fmt::format(
        R"({{"account_id":1,"detail":{{"actor_id":"901","assignee_id":null,"created_at":"{}","id":"{}","priority":"{}",)"
        R"("requester_id":"{}","status":"{}","subject":{},"tags":[{}],"updated_at":"{}","via":{{"channel":"{}"}},"group_id":"360001"}}{},)"
        R"("id":"demo-{}-{}-{}","subject":"zen:ticket:{}","time":"{}","type":"zen:event-type:{}","zendesk_event_version":"2022-11-06"}})",
        FormatRfc3339(at), id, upper, 8447000 + std::stoi(id) % 97, status,
        event::JsonQuote(subject), tag_list, FormatRfc3339(at), channel, extra, run_, id, type, id,
        FormatRfc3339(at), type);
    SignedZendesk(body);
  }

  void SignedZendesk(const std::string& body) {
    const std::string ts = FormatSeconds(NowMicros());
    Post("/v1/webhooks/" + zendesk_->name, body,
         {{"content-type", "application/json"},
          {"x-zendesk-webhook-signature", sources::ZendeskSign(zendesk_->secrets[0], ts, body)},
          {"x-zendesk-webhook-signature-timestamp", ts}},
         /*keep=*/true);
  }

  void Intercom(const std::string& id, std::string_view topic, TimeMicros created, TimeMicros at,
                std::string_view channel, const std::string& subject, const std::string& part) {
    (void)channel;
    const std::string body = fmt::format(
        R"({{"type":"notification_event","app_id":"demo","data":{{"type":"notification_event_data","item":{{"type":"conversation","id":"{}","created_at":{},"updated_at":{},)"
        R"("source":{{"type":"conversation","id":"s{}","delivered_as":"customer_initiated","subject":{},"body":"<p>Hi there</p>","author":{{"type":"user","id":"u{}","name":"Customer"}}}},)"
        R"("contacts":{{"type":"contact.list","contacts":[{{"type":"contact","id":"u{}"}}]}},"admin_assignee_id":"814860","team_assignee_id":"5017691","open":true,"state":"open",)"
        R"("priority":"not_priority","tags":{{"type":"tag.list","tags":[]}},"conversation_parts":{{"type":"conversation_part.list","conversation_parts":[{}],"total_count":{}}}}}}},)"
        R"("links":{{}},"id":"notif_demo_{}_{}_{}","topic":"{}","delivery_status":"pending","delivery_attempts":1,"delivered_at":0,"first_sent_at":{},"created_at":{},"self":null}})",
        id, created / kSecond, at / kSecond, id, event::JsonQuote(subject), id, id, part,
        part.empty() ? 0 : 1, run_, id, topic, topic, at / kSecond, at / kSecond);
    Post("/v1/webhooks/" + intercom_->name, body,
         {{"content-type", "application/json"},
          {"x-hub-signature", "sha1=" + HexEncode(HmacSha1(intercom_->secrets[0], body))}},
         /*keep=*/true);
  }

  void HelpScout(const std::string& id, TimeMicros at, TimeMicros reply_at,
                 const std::string& subject) {
    std::string threads = fmt::format(
        R"({{"id":{}1,"type":"customer","body":"Hello, I need help","createdAt":"{}","createdBy":{{"id":{},"type":"customer"}}}})",
        id, FormatSeconds(at), id);
    if (reply_at) {
      threads += fmt::format(
          R"(,{{"id":{}2,"type":"message","body":"Sorted, thanks for waiting","createdAt":"{}","createdBy":{{"id":77,"type":"user"}}}})",
          id, FormatSeconds(reply_at));
    }
    const std::string body = fmt::format(
        R"({{"id":{},"number":{},"type":"email","folderId":1,"isDraft":false,"state":"published","subject":{},"mailboxId":85,"status":"active",)"
        R"("createdAt":"{}","userUpdatedAt":"{}","customer":{{"id":{}}},"assignee":null,"tags":[],"source":{{"type":"email","via":"customer"}},"threads":[{}]}})",
        id, id, event::JsonQuote(subject), FormatSeconds(at),
        FormatSeconds(reply_at ? reply_at : at), id, threads);
    Post("/v1/webhooks/" + helpscout_->name, body,
         {{"content-type", "application/json"},
          {"x-helpscout-event", reply_at ? "convo.agent.reply.created" : "convo.created"},
          {"x-helpscout-signature", Base64Encode(HmacSha1(helpscout_->secrets[0], body))}},
         /*keep=*/true);
  }

  void Post(const std::string& path, const std::string& body,
            std::vector<std::pair<std::string, std::string>> headers, bool keep = false) {
    intake::FetchRequest req{.method = "POST",
                             .url = base_ + path,
                             .headers = std::move(headers),
                             .body = body,
                             .timeout_ms = 10000};
    if (keep && repeats_.size() < 5 && rng_() % 4 == 0) repeats_.emplace_back(path, req);
    auto r = intake::Fetch(req);
    if (!r.ok()) {
      ++sent_.failures;
    } else if (r->status < 300) {
      ++sent_.accepted;
    } else if (r->status == 401) {
      ++sent_.refused;
    } else {
      ++sent_.other;
      if (sent_.other <= 3) {
        std::fprintf(stderr, "demo: %s answered %d: %s\n", path.c_str(), r->status,
                     r->body.substr(0, 200).c_str());
      }
    }
  }

  const std::string base_;
  std::mt19937_64 rng_;
  const std::string run_ = std::to_string(NowMicros() / kSecond);  // ids differ per run
  const SourceConfig* zendesk_ = nullptr;
  const SourceConfig* intercom_ = nullptr;
  const SourceConfig* helpscout_ = nullptr;
  int tickets_ = 0;
  Sent sent_;
  std::vector<std::pair<std::string, intake::FetchRequest>> repeats_;
};

// A counter's sum over its series in /metrics text (labels matching `filter`, a substring).
double MetricSum(const std::string& text, std::string_view name, std::string_view filter = "") {
  double total = 0;
  size_t pos = 0;
  while ((pos = text.find(name, pos)) != std::string::npos) {
    const size_t eol = text.find('\n', pos);
    const std::string line = text.substr(pos, eol - pos);
    pos = eol;
    if (pos != std::string::npos) ++pos;
    const char after = line.size() > name.size() ? line[name.size()] : '\0';
    if (after != ' ' && after != '{') continue;  // a longer name
    if (!filter.empty() && line.find(filter) == std::string::npos) continue;
    total += std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
  }
  return total;
}

}  // namespace

int RunDemo(const DemoFlags& flags) {
  auto cfg = ResolveConfig(flags.storage);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  const bool tls = !cfg->server.tls_cert_file.empty();
  const std::string base = flags.url.empty()
                               ? fmt::format("{}://{}", tls ? "https" : "http", cfg->server.listen)
                               : flags.url;
  Demo demo(base, *cfg, flags.seed);
  if (!demo.HasVendors()) {
    std::fprintf(stderr,
                 "error: the config names no zendesk, intercom or helpscout source with a secret "
                 "to sign the demo's webhooks with.\nhint: start the server with the demo's "
                 "config and give it to the demo too:\n  supportpipe serve --config "
                 "examples/demo.toml\n  supportpipe demo --config examples/demo.toml\n");
    return kExitUsage;
  }
  auto ready = intake::Fetch({.url = base + "/readyz", .timeout_ms = 3000});
  if (!ready.ok() || ready->status != 200) {
    std::fprintf(stderr,
                 "error: no server ready at %s (%s).\nhint: start it first, with the same "
                 "config: supportpipe serve --config %s\n",
                 base.c_str(), ready.ok() ? ready->body.c_str() : ready.status().ToString().c_str(),
                 cfg->path.empty() ? "examples/demo.toml" : cfg->path.c_str());
    return kExitFailure;
  }
  std::printf("supportpipe demo → %s, webhooks from %s\n", base.c_str(), demo.Vendors().c_str());
  const TimeMicros now = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  std::mt19937_64 rng(flags.seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const char* channels[] = {"email", "email", "web", "chat", "phone"};
  const char* priorities[] = {"normal", "normal", "low", "high"};

  // The last quarter-hour: a steady stream of tickets answered and solved in time.
  const int history = flags.tickets;
  Progress progress("tickets sent", static_cast<uint64_t>(history + 50));
  for (int i = 0; i < history; ++i) {
    const TimeMicros at = now - (15 * 60 - i * (15 * 60 / std::max(history, 1))) * kSecond;
    demo.Ticket(at, priorities[pick(0, 3)], channels[pick(0, 4)], pick(20, 90), pick(180, 600));
    progress.Update(static_cast<uint64_t>(i + 1), static_cast<uint64_t>(i + 1));
  }
  // Now: urgent tickets nobody answers (their first-reply SLA breaches within a minute), VIP
  // ones a rule escalates, and some answered at once.
  for (int i = 0; i < 6; ++i) demo.Ticket(now, "urgent", "email", -1, -1);
  for (int i = 0; i < 4; ++i) demo.Ticket(now, "high", "phone", -1, -1, {"vip"});
  for (int i = 0; i < 10; ++i) demo.Ticket(now - 30 * kSecond, "normal", "web", 20, -1);
  progress.Update(static_cast<uint64_t>(history + 20), static_cast<uint64_t>(history + 20));
  // A surge: thirty chat tickets at once, against a history of a few per minute.
  for (int i = 0; i < 30; ++i) {
    demo.CanonicalChat(now);
    progress.Update(static_cast<uint64_t>(history + 21 + i),
                    static_cast<uint64_t>(history + 21 + i));
  }
  demo.Noise();
  progress.Finish();
  const Sent& s = demo.sent();
  std::printf(
      "sent %d requests: %d accepted, %d refused (a forged signature), %d other, %d "
      "without an answer\n",
      demo.requests(), s.accepted, s.refused, s.other, s.failures);
  std::printf("dashboard: %s/   metrics: %s/metrics\n", base.c_str(), base.c_str());
  if (s.accepted == 0) return kExitFailure;
  if (flags.wait_s <= 0) return kExitOk;

  // Watch the pipeline react: SLA breaches at their instants, the surge once its bucket
  // settles.
  std::printf("waiting up to %d s for the SLA breaches and the surge…\n", flags.wait_s);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(flags.wait_s);
  double breaches = 0, surges = 0, escalations = 0, dead = 0;
  while (std::chrono::steady_clock::now() < until) {
    auto m = intake::Fetch({.url = base + "/metrics", .timeout_ms = 5000});
    if (m.ok() && m->status == 200) {
      breaches = MetricSum(m->body, "supportpipe_sla_events_total", "sla.breached");
      surges = MetricSum(m->body, "supportpipe_surges_total");
      escalations = MetricSum(m->body, "supportpipe_rule_events_total", "ticket.escalated");
      dead = MetricSum(m->body, "supportpipe_dead_letters_total");
    }
    std::fprintf(stderr,
                 "\r\033[K  SLA breaches %.0f · surges %.0f · escalations %.0f · dead letters %.0f",
                 breaches, surges, escalations, dead);
    if (breaches > 0 && surges > 0) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  std::fprintf(stderr, "\n");
  std::printf("SLA breaches %.0f, surges %.0f, escalations %.0f, dead letters %.0f\n", breaches,
              surges, escalations, dead);
  return kExitOk;
}

}  // namespace supportpipe::cli
