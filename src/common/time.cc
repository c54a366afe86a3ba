#include "common/time.h"

#include <cmath>

namespace supportpipe {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's days_from_civil algorithm.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Result<TimeMicros> ParseRfc3339(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (!Digits(s, 0, 4, &year) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, &month) ||
      s[7] != '-' || !Digits(s, 8, 2, &day)) {
    return InvalidArgument(
        "not an RFC 3339 timestamp (expected YYYY-MM-DDTHH:MM:SS and Z or an offset)");
  }
  if (s[10] != 'T' && s[10] != 't') {
    return InvalidArgument("RFC 3339 timestamp needs a 'T' between date and time");
  }
  if (!Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &minute) || s[16] != ':' ||
      !Digits(s, 17, 2, &second)) {
    return InvalidArgument("RFC 3339 timestamp has a malformed time of day");
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return InvalidArgument("RFC 3339 timestamp is out of range");
  }
  if (second == 60) second = 59;  // Leap second: clamp, as most systems do.
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9)
      return InvalidArgument("RFC 3339 fraction must have 1 to 9 digits");
    for (size_t i = digits; i < 6; ++i) micros *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return InvalidArgument("RFC 3339 offset must look like +hh:mm");
    }
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return InvalidArgument("RFC 3339 timestamp needs 'Z' or a numeric offset");
  }
  if (pos != s.size()) return InvalidArgument("unexpected characters after RFC 3339 timestamp");
  const int64_t days = DaysFromCivil(year, month, day);
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  return secs * 1000000 + micros;
}

Result<TimeMicros> FromUnixNumber(double v) {
  if (!std::isfinite(v) || v < 0)
    return InvalidArgument("Unix timestamp must be a non-negative number");
  // >= 1e11 seconds would be beyond year 5138: read as milliseconds.
  const double micros = v >= 1e11 ? v * 1000.0 : v * 1e6;
  if (micros > 9.0e15) return InvalidArgument("Unix timestamp is out of range");
  return static_cast<TimeMicros>(std::llround(micros));
}

std::string FormatRfc3339(TimeMicros t) {
  int64_t secs = t >= 0 ? t / 1000000 : (t - 999999) / 1000000;
  const int64_t micros = t - secs * 1000000;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  const int64_t sod = secs - days * 86400;
  // civil_from_days.
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  // Written by hand: this runs for every stored timestamp, and snprintf is slow.
  char buf[40];
  char* p = buf;
  auto put = [&p](int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
    p += width;
  };
  SP_CHECK(y >= 0 && y <= 9999);  // parsing and FromUnixNumber keep instants in range
  put(y, 4);
  *p++ = '-';
  put(m, 2);
  *p++ = '-';
  put(d, 2);
  *p++ = 'T';
  put(sod / 3600, 2);
  *p++ = ':';
  put(sod / 60 % 60, 2);
  *p++ = ':';
  put(sod % 60, 2);
  *p++ = '.';
  put(micros, 6);
  *p++ = 'Z';
  return std::string(buf, p);
}

Result<TimeMicros> ParseTimeOrDate(std::string_view text) {
  if (text.size() == 10) return ParseRfc3339(std::string(text) + "T00:00:00Z");
  return ParseRfc3339(text);
}

}  // namespace supportpipe
