// Timestamps: parsing what producers send and formatting what we store.
//
// All instants inside supportpipe are int64 microseconds since the Unix epoch, UTC.
//   Result<int64_t> t = ParseRfc3339("2026-11-30T10:15:02+01:00");  // 1764494102000000
//   FormatRfc3339(*t) == "2026-11-30T09:15:02.000000Z"
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace supportpipe {

using TimeMicros = int64_t;

// RFC 3339 with a 'T' (or 't'), seconds, optional fraction (up to 9 digits; extra
// precision beyond microseconds is truncated), and 'Z' or a numeric offset "+hh:mm".
// Reports InvalidArgument naming what is wrong.
Result<TimeMicros> ParseRfc3339(std::string_view text);
// RFC 3339, or a date YYYY-MM-DD meaning its midnight UTC (command-line flags, query
// parameters).
Result<TimeMicros> ParseTimeOrDate(std::string_view text);

// A Unix timestamp sent as a JSON number: seconds, or milliseconds when >= 1e11.
Result<TimeMicros> FromUnixNumber(double value);

// "YYYY-MM-DDTHH:MM:SS.ffffffZ" (always microseconds, always UTC).
std::string FormatRfc3339(TimeMicros t);

// Days since 1970-01-01 for a civil date, and back (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

}  // namespace supportpipe
