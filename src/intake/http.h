// The HTTP boundary: a request/response pair independent of the server library, a
// handler interface, and the server (Boost.Beast) that feeds it.
//
//   class MyHandler : public HttpHandler {
//     void Handle(HttpRequest req, Responder respond) override { respond({.status = 204}); }
//   };
//   ASSIGN_OR_RETURN(auto server, HttpServer::Start({.host = "127.0.0.1", .port = 0}, handler));
//   uint16_t port = server->port();
//
// A handler may answer later and from another thread (after a group commit): the
// Responder is thread-safe and must be called exactly once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace supportpipe::intake {

struct HttpRequest {
  std::string method;
  std::string target;                                        // path and query
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool from_loopback = false;
  std::string remote_ip;  // the client's address, for per-client limits

  // "" when absent. `name` must be lower-case.
  std::string_view Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  }
  std::string_view Path() const {
    const size_t q = target.find('?');
    return std::string_view(target).substr(0, q);
  }
  // The first value of a query parameter, percent-decoded ('+' is a space); nullopt when
  // absent or not validly encoded.
  std::optional<std::string> Query(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A JSON answer, and an error answer {"error": message}.
HttpResponse JsonResponse(int status, std::string body);
HttpResponse JsonError(int status, std::string_view message);

using Responder = std::function<void(HttpResponse)>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual void Handle(HttpRequest request, Responder respond) = 0;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 = any free port
  int threads = 2;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 * 1024;
  size_t max_url_bytes = 8192;  // longer request targets are answered 414
  int idle_timeout_s = 30;
  // Both set: TLS 1.2+ with this PEM certificate chain and key; both empty: plain HTTP.
  std::string tls_cert_file, tls_key_file;
};

class HttpServer {
 public:
  // Binds and starts serving on background threads.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   HttpHandler& handler);
  virtual ~HttpServer() = default;
  virtual uint16_t port() const = 0;
  // Stops accepting and closes connections; returns when the threads have ended.
  virtual void Stop() = 0;
};

// "host:port" -> parts. InvalidArgument when malformed.
Status SplitHostPort(std::string_view listen, std::string* host, uint16_t* port);

}  // namespace supportpipe::intake
