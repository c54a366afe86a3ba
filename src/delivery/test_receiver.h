// Tests: a destination on loopback (our own HTTP server) that answers from a script (the
// last answer repeats), checks every Standard Webhooks signature, and records what it got;
// and one that drops connections (plain sockets, below HTTP).
//
//   TestReceiver rx({{500}, {429, "120"}, {200}});
//   ... deliver to rx.url() ...
//   EXPECT_TRUE(rx.received()[0].signature_ok);
//
//   DroppingReceiver drop(2, /*reset=*/true);   // two requests cut off, then 200
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
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

// Reads each request whole, then for the first `drops` ones closes the connection without
// a word (with a TCP reset when `reset`, else an orderly close); later ones get 200. Records
// each request's webhook-id.
class DroppingReceiver {
 public:
  DroppingReceiver(int drops, bool reset) : drops_left_(drops), reset_(reset) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      std::abort();
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~DroppingReceiver() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<std::string> ids() {
    std::lock_guard lock(mu_);
    return ids_;
  }

 private:
  void Serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req = ReadRequest(c);
      {
        std::lock_guard lock(mu_);
        const size_t h = req.find("webhook-id: ");
        ids_.push_back(h == std::string::npos ? ""
                                              : req.substr(h + 12, req.find('\r', h) - h - 12));
      }
      if (drops_left_ > 0) {
        --drops_left_;
        if (reset_) {
          linger l{1, 0};  // close with RST
          ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        }
      } else {
        const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        (void)!::write(c, ok.data(), ok.size());
      }
      ::close(c);
    }
  }

  // Headers (names lower-cased) and the body of one request.
  static std::string ReadRequest(int c) {
    std::string in;
    char buf[4096];
    size_t want = std::string::npos;
    while (in.size() < want) {
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
      const size_t end = in.find("\r\n\r\n");
      if (want == std::string::npos && end != std::string::npos) {
        for (size_t i = 0; i < end; ++i) in[i] = static_cast<char>(std::tolower(in[i]));
        const size_t cl = in.find("content-length: ");
        want = end + 4 + (cl < end ? std::stoul(in.substr(cl + 16)) : 0);
      }
    }
    return in;
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> drops_left_;
  const bool reset_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> ids_;
  std::thread thread_;
};

}  // namespace supportpipe::delivery
