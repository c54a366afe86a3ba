// Tests: a destination on loopback (our own HTTP server) that answers from a script (the
// last answer repeats), checks every Standard Webhooks signature, and records what it got.
//
//   TestReceiver rx({{500}, {429, "120"}, {200}});
//   ... deliver to rx.url() ...
//   EXPECT_TRUE(rx.received()[0].signature_ok);
#pragma once

#include <chrono>
#include <ctime>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "intake/http.h"
#include "sources/standard/standard_webhooks.h"

namespace supportpipe::delivery {

inline constexpr const char* kTestSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

class TestReceiver : public intake::HttpHandler {
 public:
  struct Answer {
    int status = 200;
    std::string retry_after;
    int delay_ms = 0;  // answer this late (a hanging destination)
  };
  struct Received {
    std::string id;
    std::string body;
    bool signature_ok = false;
  };

  // Signatures are checked as of now() (default: the real time, ±5 min).
  explicit TestReceiver(std::deque<Answer> script, std::function<TimeMicros()> now = {})
      : script_(std::move(script)), now_(std::move(now)) {
    const int64_t tolerance = now_ ? (int64_t{1} << 40) : 300;
    verifier_ = std::move(sources::MakeStandardWebhooksVerifier({kTestSecret}, tolerance)).value();
    server_ = std::move(intake::HttpServer::Start({.host = "127.0.0.1", .port = 0}, *this)).value();
  }
  ~TestReceiver() override { server_->Stop(); }

  void Handle(intake::HttpRequest req, intake::Responder respond) override {
    sources::WebhookRequest w{req.method, req.target,
                              [&](std::string_view n) { return req.Header(n); }, req.body};
    const TimeMicros now = now_ ? now_() : static_cast<TimeMicros>(std::time(nullptr)) * 1000000;
    Answer a;
    {
      std::lock_guard lock(mu_);
      received_.push_back(
          {std::string(req.Header("webhook-id")), req.body, verifier_->Verify(w, now).ok()});
      a = script_.front();
      if (script_.size() > 1) script_.pop_front();
    }
    if (a.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(a.delay_ms));
    intake::HttpResponse r{.status = a.status, .body = "{}"};
    if (!a.retry_after.empty()) r.headers.emplace_back("Retry-After", a.retry_after);
    respond(std::move(r));
  }

  std::vector<Received> received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  int port() const { return server_->port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/hook"; }

 private:
  std::mutex mu_;
  std::deque<Answer> script_;
  std::function<TimeMicros()> now_;
  std::vector<Received> received_;
  std::unique_ptr<sources::Verifier> verifier_;
  std::unique_ptr<intake::HttpServer> server_;
};

}  // namespace supportpipe::delivery
