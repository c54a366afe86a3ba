#include "intake/http_client.h"

#include <utility>  // before Asio: it uses std::exchange without including it

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace supportpipe::intake {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct Url {
  bool tls = false;
  std::string host, port, target;
};

Result<Url> ParseUrl(std::string_view url) {
  Url u;
  if (url.rfind("https://", 0) == 0) {
    u.tls = true;
    url.remove_prefix(8);
  } else if (url.rfind("http://", 0) == 0) {
    url.remove_prefix(7);
  } else {
    return InvalidArgument(fmt::format("\"{}\" is not an http:// or https:// URL", url));
  }
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    u.host = std::string(authority.substr(0, colon));
    u.port = std::string(authority.substr(colon + 1));
  } else {
    u.host = std::string(authority);
    u.port = u.tls ? "443" : "80";
  }
  if (u.host.empty()) return InvalidArgument("the URL has no host");
  return u;
}

// Runs the io_context until the pending operation completes. Operations are asynchronous
// because Beast's stream timeouts (expires_after: one deadline for the whole exchange) only
// apply to asynchronous operations.
void RunOne(asio::io_context& io) {
  io.restart();
  io.run();
}

template <typename Stream>
Result<FetchResponse> Exchange(asio::io_context& io, Stream& stream, const Url& url,
                               const FetchRequest& req) {
  http::request<http::string_body> out{http::string_to_verb(req.method), url.target, 11};
  out.set(http::field::host, url.host);
  out.set(http::field::user_agent, "supportpipe");
  for (const auto& [k, v] : req.headers) out.set(k, v);
  if (!req.body.empty()) out.body() = req.body;
  out.prepare_payload();
  beast::error_code ec;
  http::async_write(stream, out, [&](beast::error_code e, size_t) { ec = e; });
  RunOne(io);
  if (ec) return Unavailable(fmt::format("sending to {}: {}", url.host, ec.message()));
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(req.max_body_bytes);
  http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
  RunOne(io);
  if (ec) return Unavailable(fmt::format("reading from {}: {}", url.host, ec.message()));
  FetchResponse r;
  auto msg = parser.release();
  r.status = static_cast<int>(msg.result_int());
  for (const auto& f : msg) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  r.body = std::move(msg.body());
  return r;
}

}  // namespace

Result<FetchResponse> Fetch(const FetchRequest& req) {
  ASSIGN_OR_RETURN(Url url, ParseUrl(req.url));
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::error_code ec;
  auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) return Unavailable(fmt::format("resolving {}: {}", url.host, ec.message()));
  const auto timeout = std::chrono::milliseconds(req.timeout_ms);
  if (!url.tls) {
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);  // one deadline for connect, send and read
    stream.async_connect(endpoints, [&](beast::error_code e, auto) { ec = e; });
    RunOne(io);
    if (ec) return Unavailable(fmt::format("connecting to {}: {}", url.host, ec.message()));
    Result<FetchResponse> r = Exchange(io, stream, url, req);
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return r;
  }
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_default_verify_paths();
  if (!req.ca_file.empty()) {
    ctx.load_verify_file(req.ca_file, ec);
    if (ec)
      return InvalidArgument(fmt::format("cannot load CA file {}: {}", req.ca_file, ec.message()));
  }
  ctx.set_verify_mode(asio::ssl::verify_peer);
  ctx.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                  asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    return Unavailable(fmt::format("TLS set-up for {} failed", url.host));
  }
  stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
  beast::get_lowest_layer(stream).expires_after(timeout);
  beast::get_lowest_layer(stream).async_connect(endpoints,
                                                [&](beast::error_code e, auto) { ec = e; });
  RunOne(io);
  if (ec) return Unavailable(fmt::format("connecting to {}: {}", url.host, ec.message()));
  stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
  RunOne(io);
  if (ec) return Unavailable(fmt::format("TLS handshake with {}: {}", url.host, ec.message()));
  Result<FetchResponse> r = Exchange(io, stream, url, req);
  // A short, bounded close: the answer is in.
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
  stream.async_shutdown([&](beast::error_code e) { ec = e; });
  RunOne(io);
  return r;
}

}  // namespace supportpipe::intake
