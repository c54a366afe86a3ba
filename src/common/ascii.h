// ASCII case mapping, independent of the C locale.
//   AsciiUpper("acme_eu") == "ACME_EU"
#pragma once

#include <string>
#include <string_view>

namespace supportpipe {

inline std::string AsciiLower(std::string_view in) {
  std::string s(in);
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

inline std::string AsciiUpper(std::string_view in) {
  std::string s(in);
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

}  // namespace supportpipe
