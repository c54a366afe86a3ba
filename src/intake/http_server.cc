#include <array>
#include <atomic>
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without including it

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <thread>

#include "intake/http.h"

namespace supportpipe::intake {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Each thread runs its own single-threaded io_context and owns the connections accepted for
// it: no strands, no polymorphic executors, no handler hopping between threads (decision 0017).
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using PlainStream = beast::basic_stream<tcp, Executor>;
using TlsStream = beast::ssl_stream<PlainStream>;

// n single-threaded contexts (concurrency hint 1), at least one.
std::vector<std::unique_ptr<asio::io_context>> MakeContexts(int n) {
  std::vector<std::unique_ptr<asio::io_context>> out;
  for (int i = 0; i < std::max(1, n); ++i) out.push_back(std::make_unique<asio::io_context>(1));
  return out;
}

const char* ReasonJson(int status) {
  switch (status) {
    case 400:
      return R"({"error":"the request could not be parsed as HTTP"})";
    case 413:
      return R"({"error":"the request body is larger than server.max_body_bytes"})";
    case 414:
      return R"({"error":"the request target is longer than server.max_url_bytes"})";
    case 431:
      return R"({"error":"the request headers are larger than server.max_header_bytes"})";
    default:
      return R"({"error":"bad request"})";
  }
}

// One connection: plain (PlainStream) or TLS (TlsStream).
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(Socket socket, asio::ssl::context* tls, HttpHandler& handler,
          const HttpServerOptions& options)
      : stream_(MakeStream(std::move(socket), tls)), handler_(handler), options_(options) {}

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        // The handshake gets the idle timeout: a client that never finishes it is dropped.
        Lowest(self->stream_).expires_after(std::chrono::seconds(self->options_.idle_timeout_s));
        self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->Abort();
          self->Read();
        });
      } else {
        self->Read();
      }
    });
  }

 private:
  static Stream MakeStream(Socket socket, asio::ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(PlainStream(std::move(socket)), *tls);
    } else {
      (void)tls;
      return Stream(std::move(socket));
    }
  }
  static PlainStream& Lowest(Stream& s) { return beast::get_lowest_layer(s); }
  auto self() { return this->shared_from_this(); }

  void Abort() {
    beast::error_code ec;
    Lowest(stream_).socket().close(ec);
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(options_.max_header_bytes));
    Lowest(stream_).expires_after(std::chrono::seconds(options_.idle_timeout_s));
    http::async_read(stream_, buffer_, *parser_,
                     [self = self()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated) {
      return Close();
    }
    if (ec) {
      int status = 400;
      if (ec == http::error::body_limit) status = 413;
      if (ec == http::error::header_limit) status = 431;
      HttpResponse r;
      r.status = status;
      r.body = ReasonJson(status);
      keep_alive_ = false;
      return Write(std::move(r));
    }
    http::request<http::string_body> msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    if (msg.target().size() > options_.max_url_bytes) {
      HttpResponse r;
      r.status = 414;
      r.body = ReasonJson(414);
      keep_alive_ = false;
      return Write(std::move(r));
    }
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.headers.reserve(16);
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    req.body = std::move(msg.body());
    if (!peer_known_) {  // once per connection, not one system call per request
      beast::error_code ec;
      const auto remote = Lowest(stream_).socket().remote_endpoint(ec);
      peer_known_ = true;
      peer_loopback_ = !ec && remote.address().is_loopback();
      if (!ec) peer_ip_ = remote.address().to_string();
    }
    req.from_loopback = peer_loopback_;
    req.remote_ip = peer_ip_;
    Lowest(stream_).expires_never();  // the handler decides how long; it always answers
    handler_.Handle(std::move(req), [self = self()](HttpResponse resp) {
      asio::post(self->stream_.get_executor(),
                 [self, resp = std::move(resp)]() mutable { self->Write(std::move(resp)); });
    });
  }

  void Write(HttpResponse r) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<http::status>(r.status));
    res->set(http::field::server, "supportpipe");
    res->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    Lowest(stream_).expires_after(std::chrono::seconds(options_.idle_timeout_s));
    http::async_write(stream_, *res, [self = self(), res](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      if (!self->keep_alive_) return self->LingeringClose();
      self->Read();
    });
  }

  void Close() {
    if constexpr (kTls) {
      // close_notify, bounded: a peer that never answers it does not hold the connection.
      Lowest(stream_).expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = self()](beast::error_code) { self->Abort(); });
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      stream_.close();
    }
  }

  // After refusing a request early (413, 431, 400) the client may still be sending its
  // body. Closing at once would reset the connection and could destroy the answer in the
  // client's receive buffer, so stop sending, then read and discard what still arrives
  // for a short while (as nginx does) before closing.
  void LingeringClose() {
    if constexpr (kTls) {
      return Close();  // TLS has its own close handshake
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      stream_.expires_after(std::chrono::seconds(2));
      Discard(options_.max_body_bytes * 4);
    }
  }

  void Discard(size_t budget) {
    stream_.async_read_some(asio::buffer(discard_),
                            [self = self(), budget](beast::error_code ec, size_t n) {
                              if (ec || n >= budget) return self->Abort();
                              self->Discard(budget - n);
                            });
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpHandler& handler_;
  const HttpServerOptions& options_;
  bool keep_alive_ = true;
  bool peer_known_ = false, peer_loopback_ = false;
  std::string peer_ip_;
  std::array<char, 16384> discard_;
};

class BeastServer final : public HttpServer {
 public:
  BeastServer(const HttpServerOptions& options, HttpHandler& handler)
      : options_(options),
        handler_(handler),
        iocs_(MakeContexts(options.threads)),
        acceptor_(*iocs_.front()) {}

  // TLS 1.2 and later with the configured certificate chain and key.
  Status LoadTls() {
    if (options_.tls_cert_file.empty()) return Status::Ok();
    tls_.emplace(asio::ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_2_VERSION);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
    beast::error_code ec;
    tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
    if (ec) {
      return InvalidArgument("cannot load the certificate chain: " + ec.message(),
                             "server.tls_cert_file");
    }
    tls_->use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec);
    // OpenSSL finds a key that does not belong to the certificate while loading it ("key
    // values mismatch") or in the check after.
    if (ec || SSL_CTX_check_private_key(tls_->native_handle()) != 1) {
      return InvalidArgument("cannot load the private key, or it does not match the certificate" +
                                 (ec ? ": " + ec.message() : std::string()),
                             "server.tls_key_file");
    }
    return Status::Ok();
  }

  ~BeastServer() override { Stop(); }

  Status Listen() {
    beast::error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return InvalidArgument("cannot parse listen address " + options_.host);
    const tcp::endpoint ep(address, options_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec == asio::error::address_in_use) {
      return AlreadyExists("cannot listen on " + options_.host + ":" +
                           std::to_string(options_.port) +
                           ": another process listens there: stop it, or choose another address "
                           "with --listen or [server] listen");
    }
    if (ec) {
      return Unavailable("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                         ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    for (auto& ioc : iocs_) {
      work_.push_back(asio::make_work_guard(*ioc));
      threads_.emplace_back([&ioc = *ioc] { ioc.run(); });
    }
    return Status::Ok();
  }

  uint16_t port() const override { return port_; }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    asio::post(*iocs_.front(), [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
    work_.clear();
    for (auto& ioc : iocs_) ioc->stop();
    for (auto& t : threads_) t.join();
  }

 private:
  void Accept() {
    // Connections go to the threads in turn.
    asio::io_context& owner = *iocs_[next_++ % iocs_.size()];
    acceptor_.async_accept(owner, [this](beast::error_code ec, Socket s) {
      if (!acceptor_.is_open()) return;
      if (!ec) {
        s.set_option(tcp::no_delay(true), ec);
        if (tls_) {
          std::make_shared<Session<TlsStream>>(std::move(s), &*tls_, handler_, options_)->Start();
        } else {
          std::make_shared<Session<PlainStream>>(std::move(s), nullptr, handler_, options_)
              ->Start();
        }
      }
      Accept();
    });
  }

  const HttpServerOptions options_;
  HttpHandler& handler_;
  std::optional<asio::ssl::context> tls_;
  std::vector<std::unique_ptr<asio::io_context>> iocs_;
  std::vector<asio::executor_work_guard<Executor>> work_;
  size_t next_ = 0;  // the acceptor's thread only
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      HttpHandler& handler) {
  auto server = std::make_unique<BeastServer>(options, handler);
  RETURN_IF_ERROR(server->LoadTls());
  RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<HttpServer>(std::move(server));
}

Status SplitHostPort(std::string_view listen, std::string* host, uint16_t* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgument("listen address must be HOST:PORT");
  }
  std::string_view h = listen.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string_view p = listen.substr(colon + 1);
  unsigned v = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (ec != std::errc() || end != p.data() + p.size() || v > 65535) {
    return InvalidArgument("listen port must be a number from 0 to 65535");
  }
  *host = std::string(h);
  *port = static_cast<uint16_t>(v);
  return Status::Ok();
}

}  // namespace supportpipe::intake
