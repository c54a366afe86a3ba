// Hashes, HMACs, encodings and constant-time comparison (OpenSSL underneath).
//   std::string mac = HmacSha256(key, message);   // 32 raw bytes
//   ConstantTimeEquals(mac, expected)
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace supportpipe {

std::string Sha256(std::string_view data);                            // 32 raw bytes
std::string HmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes
std::string HmacSha1(std::string_view key, std::string_view data);    // 20 raw bytes
std::string HexEncode(std::string_view bytes);                        // lowercase
std::string Base64Encode(std::string_view bytes);
// Standard alphabet with padding; nullopt on malformed input.
std::optional<std::string> Base64Decode(std::string_view text);
// `n` bytes from the operating system's CSPRNG (OpenSSL RAND_bytes); aborts if it fails.
std::string RandomBytes(size_t n);
// Compares without early exit on the first differing byte.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace supportpipe
