// An exclusive advisory lock on a file (flock), released on destruction or process death.
//   ASSIGN_OR_RETURN(auto lock, FileLock::TryAcquire(dir + "/worker.lock"));
//   if (!lock) ...   // another open file (in this or another process) holds it
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace supportpipe {

class FileLock {
 public:
  // Null when another holds it; an error when the file cannot be opened.
  static Result<std::unique_ptr<FileLock>> TryAcquire(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace supportpipe
