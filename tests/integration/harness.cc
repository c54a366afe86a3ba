#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/pg_db.h"
#include "common/sqlite_db.h"

namespace supportpipe::testing_support {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string BinaryPath() { return SUPPORTPIPE_BIN; }

struct HttpClient::Impl {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  int port;
  bool connected = false;
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(int port) : impl_(new Impl) { impl_->port = port; }
HttpClient::~HttpClient() { delete impl_; }

HttpResult HttpClient::Request(const std::string& method, const std::string& target,
                               const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  HttpResult out;
  for (int attempt = 0; attempt < 2; ++attempt) {
    beast::error_code ec;
    if (!impl_->connected) {
      impl_->stream.close();
      impl_->buffer.clear();
      impl_->stream.connect(
          asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), impl_->port), ec);
      if (ec) return out;
      impl_->connected = true;
    }
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, "127.0.0.1");
    if (!body.empty() && headers.find("Content-Type") == headers.end()) {
      req.set(http::field::content_type, "application/json");
    }
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    impl_->stream.expires_after(std::chrono::seconds(30));
    http::write(impl_->stream, req, ec);
    // A server may answer before reading the whole body (413): read the answer even when
    // the write was cut short.
    beast::error_code write_ec = ec;
    http::response<http::string_body> res;
    http::read(impl_->stream, impl_->buffer, res, ec);
    if (!ec && write_ec) impl_->connected = false;
    if (ec) {
      impl_->connected = false;  // a stale keep-alive connection: retry once
      continue;
    }
    out.status = res.result_int();
    out.body = res.body();
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(f.value());
    }
    if (!res.keep_alive()) impl_->connected = false;
    return out;
  }
  return out;
}

Harness::Harness(std::string extra_config, std::map<std::string, std::string> env)
    : extra_config_(std::move(extra_config)), env_(std::move(env)) {
  char tmpl[] = "/tmp/sp_it_XXXXXX";
  dir_ = mkdtemp(tmpl);
  std::ofstream(config_path()) << "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndata_dir = \""
                               << dir_ << "/data\"\n"
                               << extra_config_;
}

Harness::~Harness() {
  if (pid_ > 0) Kill9();
  std::filesystem::remove_all(dir_);
}

namespace {

pid_t Spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& cwd, const std::string& out_path, const std::string& err_path,
            const std::string& in_path) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  if (chdir(cwd.c_str()) != 0) _exit(127);
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
  const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int in = open(in_path.empty() ? "/dev/null" : in_path.c_str(), O_RDONLY);
  dup2(out, 1);
  dup2(err, 2);
  dup2(in, 0);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(argv[0], argv.data());
  _exit(127);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

bool Harness::Start() {
  const std::string ready = dir_ + "/ready";
  std::filesystem::remove(ready);
  std::vector<std::string> args = {BinaryPath(),  "serve",        "--config",
                                   config_path(), "--ready-file", ready};
  args.insert(args.end(), serve_args.begin(), serve_args.end());
  pid_ = Spawn(args, env_, dir_, dir_ + "/serve.out", dir_ + "/serve.err", "");
  for (int i = 0; i < 500; ++i) {
    std::ifstream in(ready);
    if (in >> port_ && port_ > 0) return true;
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void Harness::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool Harness::Stop() {
  if (pid_ <= 0) return false;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

HttpResult Harness::Post(const std::string& target, const std::string& body,
                         const std::map<std::string, std::string>& headers) {
  HttpClient c(port_);
  return c.Request("POST", target, body, headers);
}

HttpResult Harness::Get(const std::string& target) {
  HttpClient c(port_);
  return c.Request("GET", target, "");
}

bool Harness::WaitForLoaded() {
  for (int i = 0; i < 1000; ++i) {
    const std::string m = Get("/metrics").body;
    const bool caught_up =
        m.find("supportpipe_consumer_lag_records{consumer=\"processor\"} 0\n") !=
            std::string::npos &&
        m.find("supportpipe_consumer_lag_records{consumer=\"loader\"} 0\n") != std::string::npos &&
        m.find("supportpipe_append_queue_records 0\n") != std::string::npos;
    if (caught_up) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::vector<std::string> Harness::Column(const std::string& sql) {
  std::vector<std::string> out;
  if (!pg_warehouse.empty()) {
    auto db = PgDb::Open(pg_warehouse);
    if (!db.ok()) return {"<" + db.status().ToString() + ">"};
    auto rows = (*db)->ExecOnce(sql);
    if (!rows.ok()) return {"<" + rows.status().ToString() + ">"};
    for (int i = 0; i < rows->size(); ++i) out.emplace_back(rows->Text(i, 0));
    return out;
  }
  auto db = SqliteDb::Open(dir_ + "/data/warehouse.db", {.read_only = true});
  if (!db.ok()) return {"<" + db.status().ToString() + ">"};
  auto stmt = (*db)->PrepareOnce(sql);
  if (!stmt.ok()) return {"<" + stmt.status().ToString() + ">"};
  for (;;) {
    auto row = (*stmt)->Step();
    if (!row.ok() || !*row) break;
    out.emplace_back((*stmt)->Text(0));
  }
  return out;
}

std::string Harness::Scalar(const std::string& sql) {
  auto col = Column(sql);
  return col.empty() ? "<no rows>" : col[0];
}

pid_t Harness::CliStart(const std::vector<std::string>& args, const std::string& stdin_text) {
  std::vector<std::string> argv = {BinaryPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string in_path;
  if (!stdin_text.empty()) {
    in_path = dir_ + "/cli.in";
    std::ofstream(in_path) << stdin_text;
  }
  return Spawn(argv, env_, dir_, dir_ + "/cli.out", dir_ + "/cli.err", in_path);
}

CommandResult Harness::CliWait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFile(dir_ + "/cli.out");
  r.err = ReadFile(dir_ + "/cli.err");
  return r;
}

CommandResult Harness::Cli(const std::vector<std::string>& args, const std::string& stdin_text) {
  return CliWait(CliStart(args, stdin_text));
}

std::string NowRfc3339() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace supportpipe::testing_support
