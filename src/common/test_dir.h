// TestDir: a fresh temporary directory for one test, removed with the object.
//   TestDir dir;  OpenSqliteEventLog(dir.path());
// For tests only. Not thread-safe.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "common/check.h"

namespace supportpipe {

class TestDir {
 public:
  TestDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sp_test_XXXXXX").string();
    SP_CHECK(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TestDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace supportpipe
