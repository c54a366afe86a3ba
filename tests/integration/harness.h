// Test harness for integration tests: starts the real supportpipe binary on a free port
// in a temporary directory, talks HTTP to it, and reads its warehouse.
//
//   Harness h("[[source]]\n...");        // extra config appended to the base config
//   ASSERT_TRUE(h.Start());
//   auto r = h.Post("/v1/events", body);  // r.status, r.body, r.headers
//   h.WaitForLoaded();                    // processor and loader caught up
//   h.Scalar("SELECT COUNT(*) FROM fact_ticket");
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace supportpipe::testing_support {

struct HttpResult {
  int status = 0;  // 0 = connection failed
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

// One keep-alive connection to 127.0.0.1:port.
class HttpClient {
 public:
  explicit HttpClient(int port);
  ~HttpClient();
  HttpResult Request(const std::string& method, const std::string& target, const std::string& body,
                     const std::map<std::string, std::string>& headers = {});

 private:
  struct Impl;
  Impl* impl_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class Harness {
 public:
  explicit Harness(std::string extra_config = "", std::map<std::string, std::string> env = {});
  ~Harness();

  bool Start();  // spawns `supportpipe serve [serve_args]`, waits until it listens
  void Kill9();  // SIGKILL, as a crash
  bool Stop();   // SIGTERM and wait; true on exit code 0
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string config_path() const { return dir_ + "/supportpipe.toml"; }

  HttpResult Post(const std::string& target, const std::string& body,
                  const std::map<std::string, std::string>& headers = {});
  HttpResult Get(const std::string& target);
  // Polls until the processor and loader have consumed everything (or ~20 s pass).
  bool WaitForLoaded();
  // Reads the warehouse (data/warehouse.db, or pg_warehouse): the first column of the first
  // row as text.
  std::string Scalar(const std::string& sql);
  std::vector<std::string> Column(const std::string& sql);
  // Runs `supportpipe ARGS...` in the test directory with the harness's config.
  CommandResult Cli(const std::vector<std::string>& args, const std::string& stdin_text = "");
  // The same in two steps, for tests that kill the command midway (kill(pid, SIGKILL)).
  pid_t CliStart(const std::vector<std::string>& args, const std::string& stdin_text = "");
  CommandResult CliWait(pid_t pid);

  std::vector<std::string> serve_args;  // more flags for `serve` ("--role", "worker")
  // A PostgreSQL URL whose search_path is the warehouse's schema, when the config puts the
  // warehouse there (PgUrlWithSearchPath); Scalar and Column then read it.
  std::string pg_warehouse;

 private:
  std::string extra_config_;
  std::map<std::string, std::string> env_;
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Path of the binary under test (set by CMake).
std::string BinaryPath();

// The current time as RFC 3339, whole seconds ("2026-12-04T21:38:48Z").
std::string NowRfc3339();

}  // namespace supportpipe::testing_support
