// Structured logs: every line is one JSON object ({"ts","level","msg", fields...}) or, for
// people at a terminal, "[ts] [level] msg key=value ...". Fields travel with a line:
//
//   observe::SetupLogging(observe::LogFormat::kJson);
//   observe::Log(spdlog::level::warn, "request refused",
//                {{"request_id", id}, {"status", "401"}});
//   spdlog::info("plain lines work too");
//
// Thread-safe (the default spdlog logger, synchronous: a line is written before Log returns).
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace supportpipe::observe {

enum class LogFormat { kJson, kText };

// "json", "text", or "auto" (text when stderr is a terminal, JSON lines otherwise).
Result<LogFormat> ParseLogFormat(std::string_view name);

// Points the default logger at stderr in `format`.
void SetupLogging(LogFormat format);

// The formatter of `format`, for another sink.
std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format);

using LogFields = std::vector<std::pair<std::string, std::string>>;

// One line with `fields` besides the message.
void Log(spdlog::level::level_enum level, std::string_view message, const LogFields& fields);

}  // namespace supportpipe::observe
