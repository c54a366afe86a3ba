// Match keys for identity resolution (docs/warehouse.md#people): the forms in which two
// systems' records of one person agree.
//
//   NormalizeEmail(" Ana@Example.COM ")      -> "ana@example.com"
//   NormalizePhone("912 34 567", "47")        -> "+4791234567"
//   NormalizePhone("0047 (912) 34-567", "")   -> "+4791234567"
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace supportpipe::warehouse {

// Lower case, trimmed; nullopt unless it looks like local@domain.
std::optional<std::string> NormalizeEmail(std::string_view email);

// E.164 ("+" and 8-15 digits). Spaces, dots, dashes and parentheses are ignored; "00" starts
// an international number; a number without either is national in `default_country_code`
// (a leading trunk 0 dropped); nullopt when that is unknown or the digits do not fit.
std::optional<std::string> NormalizePhone(std::string_view phone,
                                          std::string_view default_country_code);

}  // namespace supportpipe::warehouse
