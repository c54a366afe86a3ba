#include "observe/logging.h"

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <unistd.h>

#include <chrono>

#include "common/time.h"

namespace supportpipe::observe {
namespace {

// The fields of the line being written on this thread (Log sets them around the call).
thread_local const LogFields* current_fields = nullptr;

void AppendQuoted(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

TimeMicros Micros(const spdlog::details::log_msg& msg) {
  return std::chrono::duration_cast<std::chrono::microseconds>(msg.time.time_since_epoch()).count();
}

std::string_view LevelName(spdlog::level::level_enum level) {
  const auto& name = spdlog::level::to_string_view(level);
  return {name.data(), name.size()};
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = "{\"ts\":\"" + FormatRfc3339(Micros(msg)) + "\",\"level\":";
    AppendQuoted(line, LevelName(msg.level));
    line += ",\"msg\":";
    AppendQuoted(line, std::string_view(msg.payload.data(), msg.payload.size()));
    if (current_fields) {
      for (const auto& [k, v] : *current_fields) {
        line += ',';
        AppendQuoted(line, k);
        line += ':';
        AppendQuoted(line, v);
      }
    }
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

class TextFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = fmt::format("[{}] [{}] {}", FormatRfc3339(Micros(msg)), LevelName(msg.level),
                                   std::string_view(msg.payload.data(), msg.payload.size()));
    if (current_fields) {
      for (const auto& [k, v] : *current_fields) {
        line += ' ' + k + '=';
        if (v.find_first_of(" \"=") == std::string::npos && !v.empty()) {
          line += v;
        } else {
          AppendQuoted(line, v);
        }
      }
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<TextFormatter>();
  }
};

}  // namespace

Result<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "json") return LogFormat::kJson;
  if (name == "text") return LogFormat::kText;
  if (name == "auto" || name.empty()) {
    return isatty(STDERR_FILENO) ? LogFormat::kText : LogFormat::kJson;
  }
  return InvalidArgument(fmt::format("\"{}\" is not a log format (json, text, auto)", name),
                         "--log-format");
}

std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format) {
  if (format == LogFormat::kJson) return std::make_unique<JsonFormatter>();
  return std::make_unique<TextFormatter>();
}

void SetupLogging(LogFormat format) {
  auto logger = std::make_shared<spdlog::logger>("supportpipe",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_formatter(MakeLogFormatter(format));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

void Log(spdlog::level::level_enum level, std::string_view message, const LogFields& fields) {
  const LogFields* saved = current_fields;
  current_fields = &fields;
  spdlog::log(level, "{}", message);
  current_fields = saved;
}

}  // namespace supportpipe::observe
