// Exit codes scripts can rely on (documented in docs/cli.md). The mapping from a
// Status to an exit code lives here and nowhere else.
#pragma once

#include "common/status.h"

namespace supportpipe::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // internal error, data loss
inline constexpr int kExitUsage = 2;        // bad flags, bad configuration, bad input
inline constexpr int kExitPartial = 3;      // done, but some records were rejected
inline constexpr int kExitNotFound = 4;     // the thing named does not exist
inline constexpr int kExitUnavailable = 5;  // try again later (busy, locked, overloaded)

int ExitCodeFor(const Status& status);

}  // namespace supportpipe::cli
