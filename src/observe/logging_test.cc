#include "observe/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

namespace supportpipe::observe {
namespace {

std::string Capture(LogFormat format, const std::function<void()>& write) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_formatter(MakeLogFormatter(format));
  auto saved = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  write();
  spdlog::set_default_logger(saved);
  return out.str();
}

TEST(LoggingTest, JsonLinesCarryFieldsAndEscapeEverything) {
  const std::string line = Capture(LogFormat::kJson, [] {
    Log(spdlog::level::warn, "refused \"bad\"\nsignature",
        {{"request_id", "r-1"}, {"path", "/v1/webhooks/a\tb"}});
  });
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line
  EXPECT_EQ(line.rfind("{\"ts\":\"", 0), 0u) << line;
  EXPECT_NE(line.find(R"("level":"warning","msg":"refused \"bad\"\nsignature")"), std::string::npos)
      << line;
  EXPECT_NE(line.find(R"("request_id":"r-1","path":"/v1/webhooks/a\tb"})"), std::string::npos)
      << line;
}

TEST(LoggingTest, FieldsBelongToTheirLineOnly) {
  const std::string out = Capture(LogFormat::kJson, [] {
    Log(spdlog::level::info, "with", {{"k", "v"}});
    spdlog::info("without");
  });
  const std::string second = out.substr(out.find('\n') + 1);
  EXPECT_NE(second.find(R"("msg":"without"})"), std::string::npos) << out;
}

TEST(LoggingTest, TextForPeople) {
  const std::string line = Capture(LogFormat::kText, [] {
    Log(spdlog::level::info, "listening", {{"port", "8080"}, {"note", "two words"}});
  });
  EXPECT_NE(line.find("[info] listening port=8080 note=\"two words\"\n"), std::string::npos)
      << line;
}

TEST(LoggingTest, Formats) {
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(*ParseLogFormat("text"), LogFormat::kText);
  EXPECT_TRUE(ParseLogFormat("auto").ok());
  EXPECT_EQ(ParseLogFormat("xml").status().field(), "--log-format");
}

}  // namespace
}  // namespace supportpipe::observe
